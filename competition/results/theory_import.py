"""Theory scores imported from a computer-based exam (.xlsx).

Theory is often examined on computers apart from the practical modules, and
the exam system exports a workbook of scores (docs/design.md section 5). The file
has a header row of Chinese column names, in any order and under the variants
exam systems write (``ALIASES``, read by ``spreadsheet.read_table``): 准考证号 or
身份证号 — either identifies the entry within the event —, 姓名, which must be
the entry's contestant's (compared by ``spreadsheet.name_key``), and one column
per theory module of the event, headed by the module's name or code (with a single
theory module, 理论成绩, 成绩 … too).
序号, 编号 and 备注 are skipped quietly; any other column (单位, 考试时间 …) is
named in the preview, and the scores are stored only once the organizer has
confirmed that it may be left out (``ignore_unknown_columns``).

A score is out of 100, whatever the module is marked out of: the results
engine takes an imported score as the module's score on the 100-point scale
(``ranking.module_score``; ``EntryInput.external`` is "score /100"). Scores
are kept to 2 decimals (docs/design.md section 5).

ID numbers that Excel stored as numbers keep only 15 significant digits (the
contestant import refuses them, since it cannot know who was meant). Here the
entry is one of the event's own, and the name is checked too, so such a cell
is still accepted when its 15 digits — region, birth date and the first digit
of the sequence — fit exactly one entry of the event.

All or nothing, as the contestant import: one bad row and nothing
is stored; every problem is reported with its row number as Excel shows it and
its column. Only theory modules without criteria take imported scores: a
theory paper marked on score sheets is scored there, and an imported score
would silently replace the judges' marks. Scores are imported before the chief
judge locks the event's scores (sign-off covers every module), and every
changed score is audited with its old and new value.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from competition.audit.log import record
from competition.auth.models import User
from competition.dbtypes import utcnow
from competition.entries.idcard import IdNumberError, parse_id_number
from competition.entries.models import Contestant, Entry, RegistrationStatus
from competition.entries.validation import ID_MESSAGES
from competition.errors import N_, DomainError, Problem
from competition.events.models import Event, Module, ModuleKind
from competition.judging.models import ExternalScore
from competition.spreadsheet import (
    GUIDE_SHEET,
    MAX_BYTES,
    MAX_ROWS,
    XLSX_MIMETYPE,
    HeaderMatch,
    TableColumn,
    TableRow,
    TableSpec,
    cell_text,
    header_key,
    missing_column,
    name_key,
    read_table,
    unknown_columns_problem,
    workbook_bytes,
)

__all__ = ["XLSX_MIMETYPE", "TheoryImportError", "TheoryPreview", "import_file",
           "preview_file", "store_scores", "template_workbook", "theory_modules"]

SHEET = "理论成绩"
TICKET = "准考证号"
ID_NUMBER = "身份证号"
NAME = "姓名"
SINGLE_MODULE = "理论成绩"  # accepted for the only theory module of an event
# … and what exam systems head that score with.
SINGLE_MODULE_HEADERS = (SINGLE_MODULE, "理论知识成绩", "理论分数", "理论考试成绩", "成绩")
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
# Headers seen in exam systems' exports, besides the template's own.
ALIASES = {
    "ticket": (TICKET, "准考证", "准考证编号", "准考号", "考号", "考生号"),
    "id_number": (ID_NUMBER, "身份证号码", "证件号码", "证件号", "身份证", "公民身份号码"),
    "name": (NAME, "选手姓名", "考生姓名"),
}
HEADERS = {"ticket": TICKET, "id_number": ID_NUMBER, "name": NAME}
# Which of 准考证号 and 身份证号 must be there, and a score column, are ``_header_problems``;
# the score columns are placed by ``_module_placer``.
TABLE = TableSpec(
    sheet=SHEET,
    columns=tuple(TableColumn(key, header, aliases=ALIASES[key])
                  for key, header in HEADERS.items()),
    too_many_rows=N_("The file has more than %(n)s rows: split it into several files."),
    no_rows=N_("The file has no scores under its header row."))
# Excel keeps 15 significant digits of a number.
_EXCEL_DIGITS = Context(prec=15, rounding=ROUND_HALF_UP)


class TheoryImportError(DomainError):
    """Theory scores were refused; ``problems`` lists every bad row when a file was."""


@dataclass(frozen=True)
class ScoreColumn:
    module: Module
    header: str  # as the file writes it
    key: str  # the column's key in the rows read (``_module_key``)


@dataclass
class ScoreRow:
    """One row of the file, as read, before it is checked against the database."""

    number: int  # the row number Excel shows
    ticket: str
    id_number: str  # as typed, normalised; empty for a number cell
    id_digits: Decimal | None  # an ID number cell Excel stored as a number: its 15 digits
    name: str
    scores: dict[int, Decimal]  # module id → the score read (cells with a problem left out)
    problems: list[Problem] = field(default_factory=list)
    entry: Entry | None = None  # set by ``check_rows``


@dataclass(frozen=True)
class ScoreChange:
    """What storing one score does: ``old`` is None for a new score."""

    row: int | None
    entry: Entry
    module: Module
    old: Decimal | None
    new: Decimal

    @property
    def changed(self) -> bool:
        return self.old is None or self.old != self.new


@dataclass
class TheoryPreview:
    """What an uploaded file would store: its rows, every problem, and every score's change."""

    rows: list[ScoreRow]
    problems: list[Problem]
    changes: list[ScoreChange] = field(default_factory=list)
    header: HeaderMatch = field(default_factory=HeaderMatch)  # how the header row was read
    columns: list[ScoreColumn] = field(default_factory=list)  # the score columns

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.problems

    @property
    def unknown_columns(self) -> list[str]:
        """Headers of the file's columns that are not imported (序号 and 备注 aside)."""
        return self.header.unknown

    def recognized(self) -> list[tuple[str, str]]:
        """(the template's header, the file's header) of each column read."""
        return self.header.recognized({**HEADERS, **{_module_key(c.module): c.module.name
                                                     for c in self.columns}})

    @property
    def changed(self) -> list[ScoreChange]:
        return [change for change in self.changes if change.changed]

    @property
    def unchanged(self) -> int:
        return len(self.changes) - len(self.changed)


def theory_modules(event: Event) -> list[Module]:
    """The event's modules that take imported scores: theory modules without criteria."""
    return [m for m in sorted(event.modules, key=lambda m: (m.position, m.id))
            if m.kind == ModuleKind.THEORY and not m.criteria]


def format_score(score: Decimal | None) -> str:
    """A score as shown and written: two decimals."""
    return "" if score is None else str(Decimal(score).quantize(CENT, ROUND_HALF_UP))


# --- The template ---------------------------------------------------------------------

def template_workbook(session: Session, event: Event) -> bytes:
    """The workbook to fill in: a 理论成绩 sheet with the event's approved entries
    (准考证号, 姓名) and an empty score column per theory module, and a 填写说明
    sheet. The 身份证号 and 准考证号 columns are formatted as text ("@") so Excel
    keeps every digit and a final X."""
    modules = theory_modules(event)
    entries = session.scalars(
        select(Entry).where(Entry.event_id == event.id,
                            Entry.status == RegistrationStatus.APPROVED)
        .options(joinedload(Entry.contestant))
        .order_by(Entry.ticket_number, Entry.id)).all()
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    headers = [TICKET, ID_NUMBER, NAME, *(m.name for m in modules)]
    sheet.append(headers)
    fill = PatternFill("solid", fgColor="DDEBF7")
    widths = [16, 22, 12, *(max(12, len(m.name) * 2 + 2) for m in modules)]
    for index, width in enumerate(widths, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        cell.fill = fill
        sheet.column_dimensions[get_column_letter(index)].width = width
    for letter in ("A", "B"):
        # The column's style is what Excel and WPS apply to cells typed in later.
        sheet.column_dimensions[letter].number_format = "@"
    for entry in entries:
        sheet.append([entry.ticket_number or "", "", entry.contestant.name])
        row = sheet.max_row
        sheet.cell(row=row, column=1).number_format = "@"
        sheet.cell(row=row, column=2).number_format = "@"
    if modules:
        first, last = get_column_letter(4), get_column_letter(3 + len(modules))
        validation = DataValidation(
            type="decimal", operator="between", formula1="0", formula2="100",
            allow_blank=True, showErrorMessage=True, errorTitle="成绩超出范围",
            error="理论成绩按百分制填写，应为 0 到 100 之间的数，最多两位小数。")
        sheet.add_data_validation(validation)
        validation.add(f"{first}2:{last}{max(sheet.max_row, 2) + 200}")
    sheet.freeze_panes = "A2"
    _guide_sheet(book.create_sheet(GUIDE_SHEET), event, modules)
    return workbook_bytes(book)


def _guide_sheet(sheet, event: Event, modules: list[Module]) -> None:
    sheet.append(["理论成绩导入说明"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"赛项：{event.name}（{event.competition.name}）"])
    sheet.append(["“理论成绩”表中每位选手一行，第1行为表头，请勿修改。本表已列出本赛项全部选手的"
                  "准考证号和姓名，只需填写成绩；没有成绩的选手请删除该行。"])
    sheet.append(["准考证号和身份证号填写其一即可，两者都填写时须属于同一选手；姓名须与报名信息一致。"
                  "身份证号列已设为文本格式，从其他表格粘贴前请先把该列设为文本。"])
    sheet.append(["成绩按百分制填写（0–100），最多两位小数；不能留空。"])
    sheet.append(["上传后系统会逐行检查，任何一行有错误时不会导入任何成绩，所有错误会按行号和列名列出。"
                  "检查无误后会先显示将要变更的成绩，确认后才保存；裁判长锁定成绩后不能再导入。"])
    sheet.append([])
    sheet.append(["成绩列", "模块代码", "说明"])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for module in modules:
        sheet.append([module.name, module.code,
                      f"权重 {Decimal(module.weight).normalize():f}%，百分制成绩；"
                      f"表头也可写模块代码 {module.code}"
                      + ("，或写“理论成绩”" if len(modules) == 1 else "")])
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 12
    sheet.column_dimensions["C"].width = 60
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


# --- Reading a file -------------------------------------------------------------------

def read_file(modules: list[Module], data: bytes
              ) -> tuple[list[ScoreRow], list[ScoreColumn], list[Problem], HeaderMatch]:
    """The rows of an uploaded workbook, its score columns, the problems of the file
    as a whole (not a workbook, empty, a column missing, too large), and how its header
    row was read. Problems of a cell (a score that is not a number, out of range) are
    kept on each row."""
    table = read_table(data, "", TABLE, place=_module_placer(modules),
                       header_problems=lambda header: _header_problems(modules, header),
                       max_rows=MAX_ROWS, max_bytes=MAX_BYTES)
    if table.problems:
        return [], [], table.problems, table.header
    scores = _score_columns(modules, table.header)
    return [_read_row(row, scores) for row in table.rows], scores, [], table.header


def _score_columns(modules: list[Module], header: HeaderMatch) -> list[ScoreColumn]:
    """The columns of the header that hold a module's scores, in the file's order."""
    by_key = {_module_key(module): module for module in modules}
    return [ScoreColumn(module=by_key[key], header=header.headers[key], key=key)
            for key, _ in sorted(header.columns.items(), key=lambda item: item[1])
            if key in by_key]


def _header_problems(modules: list[Module], header: HeaderMatch) -> list[Problem]:
    """What the header row lacks: 准考证号 or 身份证号 (either will do), 姓名, and a
    column of scores."""
    missing = []
    if "ticket" not in header.columns and "id_number" not in header.columns:
        missing.append(missing_column(f"{TICKET}/{ID_NUMBER}",
                                      (*ALIASES["ticket"], *ALIASES["id_number"]),
                                      row=header.number))
    if "name" not in header.columns:
        missing.append(missing_column(NAME, ALIASES["name"], row=header.number))
    if not _score_columns(modules, header):
        single = SINGLE_MODULE_HEADERS if len(modules) == 1 else ()
        accepted = [m.name for m in modules] + list(single[:1])
        missing.append(missing_column("/".join(accepted),
                                      [*accepted, *(m.code for m in modules), *single],
                                      row=header.number))
    return missing


def _module_key(module: Module) -> str:
    return f"module:{module.id}"


def _module_placer(modules: list[Module]):
    """What ``find_header`` asks about a header no fixed column takes: the key of the
    theory module it heads — by the module's name or code (as written first, then with
    a hint in brackets left out, when that names one module only), or, for the only
    theory module, 理论成绩 and its variants — or None."""
    exact: dict[str, Module] = {}
    loose: dict[str, list[Module]] = defaultdict(list)
    for module in modules:
        for header in (module.name, module.code):
            exact.setdefault(_plain(header), module)
            loose[header_key(header)].append(module)
    if len(modules) == 1:
        for header in SINGLE_MODULE_HEADERS:
            exact.setdefault(_plain(header), modules[0])
            loose[header_key(header)].append(modules[0])

    def place(text: str) -> str | None:
        module = exact.get(_plain(text))
        if module is None and len(set(loose.get(header_key(text), []))) == 1:
            module = loose[header_key(text)][0]
        return None if module is None else _module_key(module)

    return place


def _plain(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).upper()


def _read_row(row: TableRow, scores: list[ScoreColumn]) -> ScoreRow:
    problems: list[Problem] = []
    id_cell = row.cells.get("id_number")
    id_digits = None
    if isinstance(id_cell, int | float) and not isinstance(id_cell, bool):
        id_digits = _excel_digits(id_cell)
        id_number = ""
    else:
        id_number = _plain(row.text("id_number"))
    held: dict[int, Decimal] = {}
    for column in scores:
        score, problem = parse_score(row.cells.get(column.key))
        if problem is not None:
            problems.append(row.problem(column.key, problem[0], **problem[1]))
        else:
            held[column.module.id] = score
    return ScoreRow(number=row.number, ticket=_plain(row.text("ticket")),
                    id_number=id_number, id_digits=id_digits,
                    name=row.text("name"), scores=held, problems=problems)


def parse_score(value: object) -> tuple[Decimal | None, tuple[str, dict] | None]:
    """A score cell as a Decimal out of 100, or the problem with it (message, params)."""
    if isinstance(value, bool):
        return None, (N_("The score must be a number from 0 to 100."), {})
    if isinstance(value, int | float):
        # As Excel shows it: 15 significant digits, so 85.55 stays 85.55.
        text = format(value, ".15g")
    else:
        text = unicodedata.normalize("NFKC", cell_text(value)).replace(" ", "")
    if not text:
        return None, (N_("The score is missing: fill it in, or delete the row of a "
                         "contestant who has no score."), {})
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
        return None, (N_("“%(value)s” is not a number: the score must be a number from "
                         "0 to 100."), {"value": text})
    score = Decimal(text)
    if not 0 <= score <= HUNDRED:
        return None, (N_("The score %(value)s is out of range: theory scores are out of "
                         "100, from 0 to 100."), {"value": text})
    if score != score.quantize(CENT):
        return None, (N_("The score %(value)s has more than 2 decimals."), {"value": text})
    return score, None


def _excel_digits(value: int | float) -> Decimal | None:
    """A number as Excel keeps it: 15 significant digits, rounded half up."""
    try:
        return _EXCEL_DIGITS.plus(Decimal(repr(value) if isinstance(value, float)
                                          else value))
    except InvalidOperation:
        return None


# --- Checking against the event -------------------------------------------------------

def check_rows(session: Session, event: Event, rows: list[ScoreRow]) -> list[Problem]:
    """Every problem of the rows; sets each good row's entry.

    Per row: the entry by 准考证号 or 身份证号 within the event (a ticket of another
    event's entry, or a person not entered in this event, is named as such), both
    columns naming the same entry, an approved registration, and the name. Across
    rows: the same entry twice (on every such row, naming the others).
    """
    entries = session.scalars(select(Entry).where(Entry.event_id == event.id)
                              .options(joinedload(Entry.contestant))).all()
    by_ticket = {e.ticket_number: e for e in entries if e.ticket_number}
    by_id = {_plain(e.contestant.id_number): e for e in entries}
    by_digits: dict[Decimal, list[Entry]] = defaultdict(list)
    for entry in entries:
        number = entry.contestant.id_number
        if number.isascii() and number.isdigit():
            by_digits[_excel_digits(int(number))].append(entry)
    tickets_elsewhere = _tickets_elsewhere(
        session, event, {r.ticket for r in rows if r.ticket and r.ticket not in by_ticket})
    ids_elsewhere = _known_ids(
        session, event, {r.id_number for r in rows if r.id_number and r.id_number not in by_id})

    problems: list[Problem] = []
    by_entry: dict[int, list[ScoreRow]] = defaultdict(list)
    for row in rows:
        row_problems = list(row.problems)

        def problem(column: str, message: str, row=row, row_problems=row_problems,
                    **params) -> None:
            row_problems.append(Problem(message, params, row=row.number, column=column))

        entry = None
        by_ticket_entry = None
        if row.ticket:
            by_ticket_entry = by_ticket.get(row.ticket)
            if by_ticket_entry is None:
                if row.ticket in tickets_elsewhere:
                    problem(TICKET, N_("The ticket number %(value)s belongs to an entry of "
                                       "another event, not %(event)s."),
                            value=row.ticket, event=event.name)
                else:
                    problem(TICKET, N_("No entry of %(event)s has the ticket number "
                                       "%(value)s."), value=row.ticket, event=event.name)
            entry = by_ticket_entry
        by_id_entry, id_problem = _entry_by_id(row, by_id, by_digits, ids_elsewhere, event)
        if by_ticket_entry is not None and (row.id_number or row.id_digits is not None):
            # Both given: they must name the same contestant.
            if id_problem is not None:
                problem(ID_NUMBER, id_problem[0], **id_problem[1])
                entry = None
            elif by_id_entry is not by_ticket_entry:
                problem(ID_NUMBER, N_("The ticket number and the ID number belong to "
                                      "different contestants."))
                entry = None
        elif not row.ticket:
            if id_problem is not None:
                problem(ID_NUMBER, id_problem[0], **id_problem[1])
            elif by_id_entry is None:
                problem(TICKET, N_("Fill in the ticket number or the ID number."))
            entry = by_id_entry
        if entry is not None:
            if entry.status != RegistrationStatus.APPROVED:
                problem(TICKET if row.ticket else ID_NUMBER,
                        N_("The registration of %(name)s is not approved."),
                        name=entry.contestant.name)
            if not row.name:
                problem(NAME, N_("This cell must be filled in."))
            elif name_key(row.name) != name_key(entry.contestant.name):
                problem(NAME, N_("The name does not match the entry: it is registered as "
                                 "%(name)s."), name=entry.contestant.name)
            else:
                by_entry[entry.id].append(row)
        row.entry = entry if not row_problems else None
        problems += row_problems
    for same in by_entry.values():
        if len(same) < 2:
            continue
        for row in same:
            others = "、".join(str(other.number) for other in same if other is not row)
            problems.append(Problem(N_("The same contestant is in row %(rows)s too."),
                                    {"rows": others}, row=row.number,
                                    column=TICKET if row.ticket else ID_NUMBER))
            row.entry = None
    return sort_problems(problems)


def _entry_by_id(row: ScoreRow, by_id: dict[str, Entry],
                 by_digits: dict[Decimal, list[Entry]], ids_elsewhere: set[str],
                 event: Event) -> tuple[Entry | None, tuple[str, dict] | None]:
    """The entry a row's 身份证号 names, or the problem with it."""
    if row.id_digits is not None:
        found = by_digits.get(row.id_digits, [])
        if len(found) == 1:
            return found[0], None
        return None, (N_("Excel stored the ID number as a number, which loses its last "
                         "digits and a final X: format the column as text and type the "
                         "ID numbers in again."), {})
    if not row.id_number:
        return None, None
    entry = by_id.get(row.id_number)
    if entry is not None:
        return entry, None
    if row.id_number in ids_elsewhere:
        return None, (N_("This person is not entered in %(event)s."), {"event": event.name})
    try:
        parse_id_number(row.id_number)
    except IdNumberError as error:
        return None, (ID_MESSAGES[error.code], {})
    return None, (N_("No entry of %(event)s has this ID number."), {"event": event.name})


def _tickets_elsewhere(session: Session, event: Event, tickets: set[str]) -> set[str]:
    """Tickets of the same competition's other events (another competition's are never
    looked at: its registrations are not this organizer's to know)."""
    if not tickets:
        return set()
    return set(session.scalars(select(Entry.ticket_number).where(
        Entry.ticket_number.in_(tickets), Entry.event_id != event.id,
        Entry.event_id.in_(select(Event.id).where(
            Event.competition_id == event.competition_id)))))


def _known_ids(session: Session, event: Event, numbers: set[str]) -> set[str]:
    """ID numbers registered in the event's competition."""
    if not numbers:
        return set()
    return set(session.scalars(select(Contestant.id_number).where(
        Contestant.competition_id == event.competition_id,
        Contestant.id_number.in_(numbers))))


def sort_problems(problems: list[Problem]) -> list[Problem]:
    """In reading order: the file's own problems first, then by row and column."""
    order = {TICKET: 0, ID_NUMBER: 1, NAME: 2}
    return sorted(problems, key=lambda p: (p.row is not None, p.row or 0,
                                           order.get(p.column, 3), p.column))


def refusal(problems: list[Problem]) -> TheoryImportError:
    problems = sort_problems(problems)
    return TheoryImportError(N_("The file has %(n)s problems; nothing was imported."),
                             problems=problems, n=len(problems))


# --- Previewing and storing -----------------------------------------------------------

def preview_file(session: Session, event: Event, data: bytes) -> TheoryPreview:
    """Read and check an uploaded file without saving anything; refuses (raises
    ``TheoryImportError``) when the event takes no theory scores now."""
    modules = importable_modules(session, event, for_update=False)
    rows, columns, problems, header = read_file(modules, data)
    if problems:
        return TheoryPreview(rows=[], problems=sort_problems(problems), header=header,
                             columns=columns)
    problems = check_rows(session, event, rows)
    if problems:
        return TheoryPreview(rows=rows, problems=problems, header=header, columns=columns)
    return TheoryPreview(rows=rows, problems=[], header=header, columns=columns,
                         changes=_changes(held_scores(session, event), _scores(rows, columns)))


def import_file(session: Session, event: Event, actor: User, filename: str,
                data: bytes, *, ignore_unknown_columns: bool = False) -> list[ScoreChange]:
    """Store every score of an uploaded file, or raise ``TheoryImportError`` with every
    problem and store nothing. Returns each score's change (unchanged ones included).
    A file with columns that cannot be imported is refused unless
    ``ignore_unknown_columns`` says the organizer confirmed they may be left out."""
    modules = importable_modules(session, event)
    rows, columns, problems, header = read_file(modules, data)
    if not problems and header.unknown and not ignore_unknown_columns:
        problems = [unknown_columns_problem(header)]
    if problems:
        raise refusal(problems)
    problems = check_rows(session, event, rows)
    if problems:
        raise refusal(problems)
    return store_scores(session, event, actor, _scores(rows, columns), source=filename)


def _scores(rows: list[ScoreRow], columns: list[ScoreColumn]
            ) -> list[tuple[int | None, Entry, Module, Decimal]]:
    return [(row.number, row.entry, column.module, row.scores[column.module.id])
            for row in rows for column in columns]


def importable_modules(session: Session, event: Event, *,
                       for_update: bool = True) -> list[Module]:
    """The event's theory modules, or refuse: none, or the scores already locked.

    Theory scores must be in before the chief judge locks the event's scores: the
    sign-off covers every module, and the codes are decoded after it. The event's
    row is locked until the transaction ends (on PostgreSQL), so a sign-off at the
    same moment waits for the import, or the import sees the lock.
    """
    query = select(Event.scores_locked_at).where(Event.id == event.id)
    locked_at = session.scalar(query.with_for_update() if for_update else query)
    if locked_at is not None:
        raise TheoryImportError(N_("The chief judge has locked the scores of %(event)s: "
                                   "theory scores must be imported before the lock. "
                                   "Nothing was imported."), event=event.name)
    modules = theory_modules(event)
    if not modules:
        raise TheoryImportError(N_("%(event)s has no theory module that takes imported "
                                   "scores (a theory module without criteria in the marking "
                                   "scheme)."), event=event.name)
    return modules


def _changes(held: dict[tuple[int, int], ExternalScore],
             scores: list[tuple[int | None, Entry, Module, Decimal]]) -> list[ScoreChange]:
    return [ScoreChange(row=number, entry=entry, module=module,
                        old=held[(entry.id, module.id)].score
                        if (entry.id, module.id) in held else None, new=score)
            for number, entry, module, score in scores]


def held_scores(session: Session, event: Event) -> dict[tuple[int, int], ExternalScore]:
    """The imported scores of the event's entries, by (entry id, module id)."""
    rows = session.scalars(select(ExternalScore).join(Entry, Entry.id == ExternalScore.entry_id)
                           .where(Entry.event_id == event.id)).all()
    return {(row.entry_id, row.module_id): row for row in rows}


def store_scores(session: Session, event: Event, actor: User,
                 scores: list[tuple[int | None, Entry, Module, Decimal]], *,
                 source: str = "") -> list[ScoreChange]:
    """Insert or update each (row, entry, module, score) as the entry's imported score.

    Refuses — storing nothing — once the chief judge has locked the event's scores,
    for an event without a theory module, and for a score that is not the event's
    theory module's or not within 0–100 with at most 2 decimals (docs/design.md section 5:
    scores are kept to 2 decimals; ``ranking`` takes an imported score out of 100).
    Each changed score is audited (old → new, who; ``source`` — the file — as the
    reason); an unchanged one is left alone. Flushes; the caller commits.
    """
    modules = {m.id: m for m in importable_modules(session, event)}
    for _, entry, module, score in scores:
        if entry.event_id != event.id or module.id not in modules:
            raise TheoryImportError(N_("That score is not for a theory module of %(event)s."),
                                    event=event.name)
        if score is None or not 0 <= score <= HUNDRED or score != score.quantize(CENT):
            raise TheoryImportError(N_("A theory score is from 0 to 100, with at most 2 "
                                       "decimals."))
    held = held_scores(session, event)
    changes = _changes(held, scores)
    try:
        with session.begin_nested():
            for change in changes:
                if not change.changed:
                    continue
                key = (change.entry.id, change.module.id)
                row = held.get(key)
                if row is None:
                    row = ExternalScore(entry_id=change.entry.id, module_id=change.module.id)
                    session.add(row)
                    held[key] = row
                row.score = change.new
                row.imported_at = utcnow()
                row.imported_by_id = actor.id
                session.flush()
                record(session, actor_id=actor.id, action="theory_score.import",
                       object_type="external_score", object_id=f"{key[0]}:{key[1]}",
                       event_id=event.id,
                       old={"score": change.old} if change.old is not None else None,
                       new={"score": change.new, "ticket": change.entry.ticket_number,
                            "module": change.module.code},
                       reason=source)
    except IntegrityError:
        raise TheoryImportError(N_("The theory scores changed while the file was being "
                                   "imported, so nothing was imported. Upload the file "
                                   "again.")) from None
    return changes
