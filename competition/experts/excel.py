"""The expert pool (专家库) to and from Excel: the template, the import and the export.

Organizers keep their experts in Excel, so the pool is filled from a workbook
(.xlsx) or a CSV file with a header row of Chinese column names in any order —
姓名, 身份证号, 工作单位, 职称, 手机号码, 职业（工种）, 考评员级别, 考评员证号,
证书有效期至 and the variants seen in real lists (``Column.aliases``, read by
``spreadsheet.read_table`` as the other imports read theirs). 序号, 编号 and
备注 are skipped quietly; any other column is named back to the organizer, and
the file is imported only once the organizer has confirmed that it may be left
out (``ExpertFile.unknown_columns``). A file without 姓名 or 职业（工种） is
refused, naming the missing columns and the headers accepted for them.

Each row is checked by the rules of the pool (``pool._apply_expert``) and by
what only a file gets wrong:

- 姓名 is required; 身份证号 is optional but, when given, valid by GB 11643
  (``idcard.parse_id_number``); 手机号码 is optional but a mobile or landline
  number (the contestant import's ``validation.MOBILE``/``LANDLINE``). Masked
  values (138****5678, from an export by someone who may not see them whole) are
  refused: the whole number, or nothing.
- 职业（工种）: one or more occupations of the catalogue, by name or by national
  code (4-10-01-05), separated by 、 , or ；.
- 考评员级别: 考评员 or 高级考评员; empty is 考评员.
- 考评员证号 and 证书有效期至: both or neither; the date an Excel date or a text
  like 2027-06-30, 2027/6/30 or 2027年6月30日.
- An ID number or certificate number on two rows of the file is reported on
  every such row; one already in the pool is refused (existing experts are
  never updated by an import).

All or nothing: ``import_rows`` checks every row and refuses with every problem
— each with its row number as Excel shows it (the header is row 1) and the
header of its column — before it creates any expert. The experts are created
by ``experts.create_expert`` inside one savepoint, one audit record names the
import, and the caller commits once. Occupations are found by name or code as
``spreadsheet.name_key`` compares names: spaces, full-width forms, the kinds of
middle dot and the case of latin letters do not count.

The export writes the same columns, so an export can be imported into another
installation; every text goes through ``spreadsheet.safe_cell`` so that no
spreadsheet takes it for a formula.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from competition.audit.log import record
from competition.auth.models import User
from competition.entries.idcard import (
    IdNumberError,
    make_id_number,
    parse_id_number,
    shown_id_number,
    shown_phone,
)
from competition.entries.validation import ID_MESSAGES, LANDLINE, MOBILE
from competition.errors import N_, Problem
from competition.events.models import ExaminerLevel, Expert, Occupation
from competition.events.setup import SetupError
from competition.experts.pool import create_expert
from competition.spreadsheet import (
    GUIDE_SHEET,
    MAX_BYTES,
    MAX_ROWS,
    XLSX_MIMETYPE,
    HeaderMatch,
    TableRow,
    TableSpec,
    cell_text,
    column_guide,
    name_key,
    read_table,
    safe_cell,
    template_header,
    unknown_columns_problem,
    unquote_cell,
    workbook_bytes,
)
from competition.spreadsheet import TableColumn as Column

__all__ = ["COLUMNS", "MAX_BYTES", "MAX_ROWS", "XLSX_MIMETYPE", "ExpertFile", "ExpertRow",
           "check_rows", "export_workbook", "import_rows", "read_file", "refusal",
           "template_workbook"]

SHEET = "专家名单"
# Files are told apart by their content; a name that says something else is refused.
ACCEPTED_SUFFIXES = ("", ".xlsx", ".xlsm", ".csv")

# Each column's key is the expert field it fills (``pool.EXPERT_FIELDS``) or
# "occupations"; the template and the export write its header.
COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", True, "专家姓名，最多50个字符。", ("专家姓名", "评委姓名"), 10),
    Column("id_number", "身份证号", False,
           "18位居民身份证号码，末位可以是 X；可留空。本列已设为文本格式；从别的表格粘贴时请先把"
           "该列设为文本，否则 Excel 会把号码存成数字，后几位和末位的 X 就丢失了。",
           ("身份证号码", "证件号码", "证件号", "身份证", "公民身份号码", "身份证件号码"), 22,
           text=True),
    Column("work_unit", "工作单位", False, "最多200个字符；可留空。",
           ("单位名称", "所在单位", "单位", "工作单位名称", "所在单位名称"), 28),
    Column("title", "职称", False, "如 高级技师、主任护师，最多100个字符；可留空。",
           ("专业技术职称", "技术职称", "职务职称"), 14),
    Column("phone", "手机号码", False,
           "11位手机号，或带区号的固定电话（如 0715-8123456）；可留空。",
           ("手机", "手机号", "联系电话", "电话", "联系方式", "移动电话"), 16, text=True),
    Column("occupations", "职业（工种）", True,
           "专家能评判的职业，填写职业目录中的名称或职业编码（如 4-10-01-05）；"
           "有几个职业时用 、 或 , 或 ；分开。职业目录见本表下方。",
           ("职业", "工种", "职业/工种", "职业工种", "可评判职业"), 24),
    Column("examiner_level", "考评员级别", False, "考评员 或 高级考评员；留空为考评员。",
           ("考评员等级", "级别"), 12),
    Column("certificate_number", "考评员证号", False,
           "考评员证书编号，最多40个字符；与“证书有效期至”同时填写，或同时留空。",
           ("考评员证书编号", "考评员证编号", "证书编号", "证书号"), 22, text=True),
    Column("certificate_expires_on", "证书有效期至", False,
           "考评员证书有效期的最后一天，如 2027-06-30、2027/6/30 或 2027年6月30日。",
           ("有效期至", "证书有效期", "有效期", "证书到期日"), 14),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
HEADERS = tuple(column.header for column in COLUMNS)
_COLUMN_ORDER = {column.header: index for index, column in enumerate(COLUMNS)}
TABLE = TableSpec(
    sheet=SHEET, columns=COLUMNS, suffixes=ACCEPTED_SUFFIXES,
    too_many_rows=N_("The file has more than %(n)s experts: split it into several files."),
    no_rows=N_("The file has no experts under its header row."),
    not_a_list=N_("The file is neither an Excel workbook (.xlsx) nor a CSV file: upload the "
                  "list of experts saved from Excel."))

# Longest texts the database keeps (models.Expert); the name is checked on its own.
TEXT_LIMITS = {"work_unit": 200, "title": 100, "certificate_number": 40}
NAME_LIMIT = 50
LEVEL_NAMES = {ExaminerLevel.EXAMINER: "考评员", ExaminerLevel.SENIOR_EXAMINER: "高级考评员"}
LEVEL_WORDS = {
    "考评员": ExaminerLevel.EXAMINER, "高级考评员": ExaminerLevel.SENIOR_EXAMINER,
    "examiner": ExaminerLevel.EXAMINER, "seniorexaminer": ExaminerLevel.SENIOR_EXAMINER,
    "senior_examiner": ExaminerLevel.SENIOR_EXAMINER,
}
OCCUPATION_SEPARATORS = re.compile(r"[、,，;；\n]+")
_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_MIDNIGHT = re.compile(r"\s+0{1,2}:00(:00)?$")


@dataclass
class ExpertRow:
    """One expert of the file, as read, before it is checked against the pool."""

    number: int  # the row number Excel (or a text editor, for CSV) shows; the header is 1
    fields: dict[str, object]  # the keyword arguments of ``create_expert``
    occupation_names: list[str]  # as written in the file, in its order
    problems: list[Problem] = field(default_factory=list)  # what reading the cells found
    occupation_ids: list[int] = field(default_factory=list)  # set by ``check_rows``


@dataclass
class ExpertFile:
    """What an uploaded file holds: its rows, the problems of the file as a whole, and
    how its header row was read (the columns recognized, those not imported)."""

    rows: list[ExpertRow]
    problems: list[Problem]
    header: HeaderMatch = field(default_factory=HeaderMatch)

    @property
    def unknown_columns(self) -> list[str]:
        """Headers of the file's columns that are not imported (序号 and 备注 aside)."""
        return self.header.unknown

    def recognized(self) -> list[tuple[str, str]]:
        """(the template's header, the file's header) of each column read."""
        return self.header.recognized({key: c.header for key, c in COLUMN_BY_KEY.items()})

    def refusal_unless_confirmed(self, ignore_unknown_columns: bool) -> list[Problem]:
        """The file's problems, and its unknown columns as one unless the organizer
        confirmed that they may be left out."""
        if not self.problems and self.header.unknown and not ignore_unknown_columns:
            return [unknown_columns_problem(self.header)]
        return self.problems


# --- The template ---------------------------------------------------------------------

def template_workbook(occupations: Iterable[Occupation] = ()) -> bytes:
    """The workbook to fill in: a 专家名单 sheet holding only the header row, and a
    填写说明 sheet explaining the columns, with an example and the occupation catalogue."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    _header_row(sheet)
    levels = DataValidation(type="list", formula1='"考评员,高级考评员"', allow_blank=True,
                            showErrorMessage=False)
    sheet.add_data_validation(levels)
    letter = get_column_letter(HEADERS.index(COLUMN_BY_KEY["examiner_level"].header) + 1)
    levels.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
    _guide_sheet(book.create_sheet(GUIDE_SHEET), list(occupations))
    return _saved(book)


def _header_row(sheet) -> None:
    template_header(sheet, COLUMNS, formats={"certificate_expires_on": "yyyy-mm-dd"})


def _guide_sheet(sheet, occupations: list[Occupation]) -> None:
    bold = Font(bold=True)
    sheet.append(["专家库填写说明"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(["在“专家名单”表中每位专家一行，第1行为表头，请勿修改；红色表头为必填列。"
                  "上传后系统逐行检查，任何一行有错误时不会导入任何专家，所有错误按行号和列名列出，"
                  "修改后重新上传即可。身份证号或考评员证号已在专家库中的专家不会重复导入。"
                  f"每个文件最多 {MAX_ROWS} 行、{MAX_BYTES // (1024 * 1024)} MB；"
                  "也可以另存为 CSV（UTF-8 或 GBK 编码）上传。序号、备注列不导入。"])
    sheet.append([])
    column_guide(sheet, COLUMNS)

    sheet.append([])
    sheet.append(["示例（请在“专家名单”表中填写，不要填在这里）"])
    sheet.cell(row=sheet.max_row, column=1).font = bold
    sheet.append(list(HEADERS))
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    names = [o.name for o in occupations[:2]] or ["养老护理员", "茶艺师"]
    sheet.append(["王建国", make_id_number("421202", date(1972, 3, 18), 113, "M"),
                  "咸宁市中心医院", "主任护师", "13912345678", "、".join(names), "高级考评员",
                  "KP2024000123", "2027-06-30"])
    for cell in sheet[sheet.max_row]:
        cell.number_format = "@"

    sheet.append([])
    sheet.append(["职业目录（职业（工种）列填写名称或编码）"])
    sheet.cell(row=sheet.max_row, column=1).font = bold
    sheet.append(["职业名称", "职业编码"])
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for occupation in occupations:
        sheet.append([safe_cell(occupation.name), occupation.code or ""])
    if not occupations:
        sheet.append(["（职业目录为空，请管理员先添加职业）"])

    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 22
    sheet.column_dimensions["C"].width = 80
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def _saved(book: Workbook) -> bytes:
    return workbook_bytes(book)


# --- The export -----------------------------------------------------------------------

def export_workbook(experts: Iterable[Expert], *,
                    sees_contacts: Callable[[Expert], bool]) -> bytes:
    """The experts in the template's columns. ID number and phone are whole only where
    ``sees_contacts(expert)`` is true, masked otherwise; every text is written by
    ``safe_cell``, so no spreadsheet evaluates it."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    _header_row(sheet)
    for expert in experts:
        whole = sees_contacts(expert)
        id_number = shown_id_number(expert.id_number, whole=whole) if expert.id_number else ""
        phone = shown_phone(expert.phone, whole=whole)
        values = {
            "name": expert.name, "id_number": id_number, "work_unit": expert.work_unit,
            "title": expert.title, "phone": phone,
            "occupations": "、".join(sorted(o.name for o in expert.occupations)),
            "examiner_level": LEVEL_NAMES.get(expert.examiner_level, expert.examiner_level),
            "certificate_number": expert.certificate_number,
            "certificate_expires_on": expert.certificate_expires_on,
        }
        sheet.append([safe_cell(values[column.key] or None) for column in COLUMNS])
        for index, column in enumerate(COLUMNS, start=1):
            cell = sheet.cell(row=sheet.max_row, column=index)
            if column.text:
                cell.number_format = "@"
            elif column.key == "certificate_expires_on":
                cell.number_format = "yyyy-mm-dd"
    return _saved(book)


# --- Reading a file -------------------------------------------------------------------

def read_file(filename: str, data: bytes, *, today: date) -> ExpertFile:
    """The expert rows of an uploaded .xlsx or .csv file, and the problems of the file
    as a whole (not a spreadsheet, too large, a required column missing).

    Problems of a cell (a bad ID number, a date that is not one) are kept on each
    row; nothing is checked against the database here.
    """
    table = read_table(data, filename, TABLE, max_rows=MAX_ROWS, max_bytes=MAX_BYTES)
    return ExpertFile(rows=[_read_row(row, today) for row in table.rows],
                      problems=table.problems, header=table.header)


def _read_row(row: TableRow, today: date) -> ExpertRow:
    problems: list[Problem] = []
    cells = row.cells

    def problem(key: str, message: str, **params) -> None:
        problems.append(row.problem(key, message, **params))

    text = {key: unquote_cell(cell_text(value)) for key, value in cells.items()}
    for key in ("id_number", "phone", "certificate_number", "examiner_level"):
        text[key] = unicodedata.normalize("NFKC", text.get(key, "")).strip()

    name = text.get("name", "")
    if not name:
        problem("name", N_("The name is missing."))
    elif len(name) > NAME_LIMIT:
        problem("name", N_("The name is too long."))

    id_number = _read_id_number(cells.get("id_number"), text["id_number"], today,
                                lambda message: problem("id_number", message))

    phone = re.sub(r"\s", "", text["phone"])
    if "*" in phone:
        problem("phone", N_("The phone number is masked (it comes from an export): write the "
                            "whole number, or leave the cell empty."))
    elif phone and not (MOBILE.match(phone) or LANDLINE.match(phone)):
        problem("phone", N_("The phone number is not a valid mobile or landline number."))

    for key, limit in TEXT_LIMITS.items():
        if len(text.get(key, "")) > limit:
            problem(key, N_("The text is longer than %(n)s characters."), n=limit)

    occupation_names = _occupation_names(text.get("occupations", ""))
    if not occupation_names:
        problem("occupations", N_("Name at least one occupation the expert can judge."))

    level = ExaminerLevel.EXAMINER
    if text["examiner_level"]:
        level = LEVEL_WORDS.get(re.sub(r"\s+", "", text["examiner_level"]).lower())
        if level is None:
            problem("examiner_level", N_("The examiner level must be 考评员 or 高级考评员 "
                                         "(or left empty)."))

    certificate_number = text["certificate_number"] or None
    expires_on = None
    expires_text = text.get("certificate_expires_on", "")
    if expires_text:
        expires_on = parse_date(cells.get("certificate_expires_on"))
        if expires_on is None:
            problem("certificate_expires_on",
                    N_("“%(value)s” is not a date: write it like 2027-06-30."),
                    value=expires_text)
    both = N_("Give both the examiner certificate number and its expiry date, or neither.")
    if certificate_number and not expires_text:
        problem("certificate_expires_on", both)
    elif expires_text and not certificate_number:
        problem("certificate_number", both)

    fields = {
        "name": name, "id_number": id_number, "work_unit": text.get("work_unit", ""),
        "title": text.get("title", ""), "phone": phone, "examiner_level": level,
        "certificate_number": certificate_number, "certificate_expires_on": expires_on,
    }
    return ExpertRow(number=row.number, fields=fields, occupation_names=occupation_names,
                     problems=problems)


def _read_id_number(cell: object, text: str, today: date, problem) -> str | None:
    """The ID number as GB 11643 writes it, None when empty or wrong (``problem`` says why)."""
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        # Excel keeps 15 significant digits and no X: the number is lost for good.
        problem(N_("Excel stored the ID number as a number, which loses its last digits and "
                   "a final X: format the column as text and type the ID numbers in again."))
        return None
    if not text:
        return None
    if "*" in text:
        problem(N_("The ID number is masked (it comes from an export): write the whole "
                   "number, or leave the cell empty."))
        return None
    try:
        return parse_id_number(text, today=today).number
    except IdNumberError as error:
        problem(ID_MESSAGES[error.code])
        return None


def _occupation_names(text: str) -> list[str]:
    """The occupations of a cell, each once, in the order written."""
    names: list[str] = []
    seen: set[str] = set()
    for part in OCCUPATION_SEPARATORS.split(text):
        part = part.strip()
        if part and name_key(part) not in seen:
            seen.add(name_key(part))
            names.append(part)
    return names


def parse_date(value: object) -> date | None:
    """A date cell, or a text like 2027-06-30, 2027/6/30, 2027.6.30, 2027年6月30日 or
    20270630; None when it is not a real date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        return None
    # A CSV export of a date-time cell may add the time: 2027/6/30 0:00.
    text = _MIDNIGHT.sub("", unicodedata.normalize("NFKC", cell_text(value)))
    text = re.sub(r"\s+", "", text)
    match = _DATE.fullmatch(text) or _COMPACT_DATE.fullmatch(text)
    if match is None:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


# --- Checking and importing -----------------------------------------------------------

def check_rows(session: Session, rows: list[ExpertRow]) -> list[Problem]:
    """Every problem of the rows, sorted by row and column; sets each row's occupations.

    Per row: what reading the cells found, and each occupation in the catalogue (by
    name or code). Across rows: an ID number or certificate number on several rows
    (reported on each of them). Against the pool: an ID number or certificate
    number that an expert already has.
    """
    by_name: dict[str, Occupation] = {}
    by_code: dict[str, Occupation] = {}
    for occupation in session.scalars(select(Occupation)):
        by_name[name_key(occupation.name)] = occupation
        if occupation.code:
            by_code[name_key(occupation.code)] = occupation
    problems: list[Problem] = []
    for row in rows:
        problems += row.problems
        ids: list[int] = []
        for name in row.occupation_names:
            occupation = by_name.get(name_key(name)) or by_code.get(name_key(name))
            if occupation is None:
                problems.append(Problem(
                    N_("The occupation “%(value)s” is not in the catalogue: write its name or "
                       "code as the catalogue has them."), {"value": name}, row=row.number,
                    column=COLUMN_BY_KEY["occupations"].header))
            elif occupation.id not in ids:
                ids.append(occupation.id)
        row.occupation_ids = ids

    problems += _repeated(rows, "id_number",
                          N_("The same ID number is on row %(rows)s too."))
    problems += _repeated(rows, "certificate_number",
                          N_("The same examiner certificate number is on row %(rows)s too."))
    problems += _in_pool(session, rows, "id_number", Expert.id_number,
                         N_("This ID number already belongs to %(name)s in the expert pool."))
    problems += _in_pool(session, rows, "certificate_number", Expert.certificate_number,
                         N_("Examiner certificate %(number)s already belongs to %(name)s."))
    return sort_problems(problems)


def _repeated(rows: list[ExpertRow], key: str, message: str) -> list[Problem]:
    same: dict[str, list[ExpertRow]] = defaultdict(list)
    for row in rows:
        if row.fields[key]:
            same[str(row.fields[key])].append(row)
    problems = []
    for group in same.values():
        for row in group if len(group) > 1 else ():
            others = "、".join(str(other.number) for other in group if other is not row)
            problems.append(Problem(message, {"rows": others}, row=row.number,
                                    column=COLUMN_BY_KEY[key].header))
    return problems


def _in_pool(session: Session, rows: list[ExpertRow], key: str, attribute,
             message: str) -> list[Problem]:
    values = sorted({str(row.fields[key]) for row in rows if row.fields[key]})
    holders: dict[str, str] = {}
    for start in range(0, len(values), 500):  # keep each IN list short
        holders.update(session.execute(select(attribute, Expert.name).where(
            attribute.in_(values[start:start + 500]))).tuples().all())
    return [Problem(message, {"name": holders[row.fields[key]], "number": row.fields[key]},
                    row=row.number, column=COLUMN_BY_KEY[key].header)
            for row in rows if row.fields[key] in holders]


def sort_problems(problems: list[Problem]) -> list[Problem]:
    """In reading order: the file's own problems first, then by row and by column."""
    return sorted(problems, key=lambda p: (p.row is not None, p.row or 0,
                                           _COLUMN_ORDER.get(p.column, len(_COLUMN_ORDER))))


def refusal(problems: list[Problem]) -> SetupError:
    """The error that refuses a whole file, with every problem."""
    problems = sort_problems(problems)
    return SetupError(N_("The file has %(n)s problems; nothing was imported."),
                      problems=problems, n=len(problems))


def import_rows(session: Session, rows: list[ExpertRow], *,
                created_by: User | None) -> list[Expert]:
    """Add every row to the pool, or none: all or nothing.

    Checks the rows (``check_rows``) and refuses with every problem before creating
    anything; then creates the experts with ``experts.create_expert`` inside one
    savepoint — if one is refused after all (someone added the same certificate
    meanwhile) the savepoint is rolled back and the file refused. Writes one audit
    record for the import. Flushes; the caller commits.
    """
    problems = check_rows(session, rows)
    if problems:
        raise refusal(problems)
    experts: list[Expert] = []
    try:
        with session.begin_nested():
            for row in rows:
                try:
                    experts.append(create_expert(session, created_by=created_by,
                                                 occupation_ids=row.occupation_ids,
                                                 **row.fields))
                except SetupError as error:
                    raise refusal([Problem(error.message, error.params,
                                           row=row.number)]) from error
    except IntegrityError:
        raise SetupError(N_("The expert pool changed while the file was being imported, so "
                            "nothing was imported. Upload the file again.")) from None
    record(session, actor_id=created_by.id if created_by else None, action="experts.import",
           object_type="expert_pool", object_id="import", new={"experts": len(experts)})
    return experts
