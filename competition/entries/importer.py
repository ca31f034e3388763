"""Contestants imported in bulk from an Excel workbook (.xlsx) or a CSV file.

Work units and schools send their lists of contestants as Excel files or CSV
exports, full of the usual mistakes. The file has a header row of Chinese
column names (姓名, 身份证号, 赛项, 组别 …, in any order, each also under the
variants seen in real lists: 单位名称 for 工作单位, 证件号码 for 身份证号 —
``Column.aliases``, read by ``spreadsheet.read_table``) and one contestant per
row. 序号, 编号 and 备注 are skipped quietly; any other column is named in the
preview, and the file is imported only once the organizer has confirmed that it
may be left out (``ignore_unknown_columns``). A file without a required column
is refused, naming it and the headers accepted for it. One file covers a
whole competition: each row names its event (赛项) and division (组别).

Every row is checked by the rules that apply to a contestant typed in one at a
time (``registrations.registration_problems``: the ID number by GB 11643, the phone,
the event's eligibility rules, someone already entered), and for what only a
file gets wrong: ID numbers Excel stored as numbers (scientific notation keeps
15 digits and cannot hold a final X, so the number is lost and is never turned
back into text here), events and divisions that do not exist, and the same
person twice in the file.

One bad row means no row is imported: ``import_rows`` refuses with
every problem — each with its row number as Excel or a text editor shows it
(the header is row 1) and the Chinese header of its column — and writes
nothing. Messages are English ids, translated when shown (``translate_problem``).
Nothing here knows about requests: the import pages and the JSON API both use
``preview_file`` and ``import_file``.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from competition.entries import registrations
from competition.entries.idcard import IdNumberError, make_id_number, parse_id_number
from competition.entries.models import Entry, EntrySource
from competition.entries.registrations import RegistrationError
from competition.entries.validation import PersonData
from competition.errors import N_, Problem
from competition.events.models import Competition, Division, Event
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
    template_header,
    unknown_columns_problem,
    workbook_bytes,
)
from competition.spreadsheet import TableColumn as Column

# XLSX_MIMETYPE is the file type of ``template_workbook``, served by the pages and the API.
__all__ = ["COLUMNS", "HEADERS", "MAX_BYTES", "MAX_ROWS", "XLSX_MIMETYPE", "ImportPreview",
           "ImportRow", "import_file", "import_rows", "preview_file", "read_file",
           "template_workbook"]

SHEET = "选手名单"

# Each column's key is the field ``Problem.column`` of the registration rules names.
COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", True, "选手姓名，与身份证一致，最多50个字符。",
           ("选手姓名", "参赛选手姓名", "参赛选手"), 12),
    Column("id_number", "身份证号", True,
           "18位居民身份证号码，末位可以是 X。本列已设为文本格式；如果从别的表格粘贴，"
           "请先把该列设为文本，否则 Excel 会把号码存成数字（如 4.21202E+17），后几位和末位的 X "
           "就丢失了，这样的行会被拒绝。",
           ("身份证号码", "证件号码", "证件号", "身份证", "公民身份号码", "身份证件号码"),
           22, text=True),
    Column("sex", "性别", False,
           "男 或 女；可留空，系统按身份证号第17位确定。填写的须与身份证号一致。", width=8),
    Column("phone", "手机号", False, "11位手机号，或带区号的固定电话（如 0715-8123456）；可留空。",
           ("手机号码", "手机", "联系电话", "电话", "联系方式", "移动电话"), 16, text=True),
    Column("work_unit", "工作单位", False, "工作单位或学校，最多200个字符；可留空。",
           ("单位名称", "所在单位", "单位", "工作单位名称", "所在单位名称", "单位或学校",
            "工作单位/学校"), 28),
    Column("event", "赛项", True, "本大赛的赛项名称，须与“赛项与组别”表中的完全一致。",
           ("赛项名称", "参赛赛项", "参赛工种", "工种"), 16),
    Column("division", "组别", True, "所报赛项的组别名称，见“赛项与组别”表。",
           ("参赛组别", "组别名称"), 10),
    Column("current_grade", "现有职业技能等级", False,
           "已取得的职业技能等级：可填 五级/初级工、四级/中级工、三级/高级工、二级/技师、"
           "一级/高级技师，或只填其中一半（如 三级 或 高级工），或数字 1–5（1 为最高）；"
           "没有的留空或填“无”。",
           ("现职业技能等级", "现有等级", "技能等级", "职业技能等级", "现有技能等级"), 18),
    Column("current_certificate_no", "现有证书编号", False,
           "现有职业技能等级证书的编号，最多40个字符；可留空。",
           ("证书编号", "等级证书编号", "职业技能等级证书编号", "现有等级证书编号"), 24, text=True),
    Column("is_student", "是否在校学生", False,
           "是 或 否；可留空。填“是”的只能报学生组，填“否”的不能报学生组。",
           ("在校学生", "是否学生"), 12),
)
# Read when a list has them, but not in the template: the birth date is the ID number's.
EXTRA_COLUMNS: tuple[Column, ...] = (
    Column("birth_date", "出生日期", False, "可留空；填写的须与身份证号中的出生日期一致。",
           ("出生年月", "出生年月日")),
)
COLUMN_BY_KEY = {column.key: column for column in (*COLUMNS, *EXTRA_COLUMNS)}
HEADERS = tuple(column.header for column in COLUMNS)
_COLUMN_ORDER = {column.header: index for index, column in enumerate((*COLUMNS, *EXTRA_COLUMNS))}
TABLE = TableSpec(
    sheet=SHEET, columns=(*COLUMNS, *EXTRA_COLUMNS),
    too_many_rows=N_("The file has more than %(n)s contestants: split it into several files."),
    no_rows=N_("The file has no contestants under its header row."),
    not_a_list=N_("The file is neither an Excel workbook (.xlsx) nor a CSV file: upload the "
                  "list of contestants saved from Excel."))
# Longest texts the database keeps (models.Contestant); the name is checked by the rules.
TEXT_LIMITS = {"work_unit": 200, "current_certificate_no": 40}

SEX_WORDS = {"男": "M", "女": "F", "M": "M", "F": "F", "MALE": "M", "FEMALE": "F"}
STUDENT_WORDS = {"是": True, "否": False, "Y": True, "N": False, "YES": True, "NO": False}
# 职业技能等级 (docs/design.md glossary): 5 五级/初级工 … 1 一级/高级技师; 1 is the highest.
GRADE_WORDS = {
    "五级": 5, "四级": 4, "三级": 3, "二级": 2, "一级": 1,
    "初级工": 5, "中级工": 4, "高级工": 3, "技师": 2, "高级技师": 1,
    "初级": 5, "中级": 4, "高级": 3,
}
GRADE_NAMES = {5: "五级/初级工", 4: "四级/中级工", 3: "三级/高级工", 2: "二级/技师",
               1: "一级/高级技师"}
NO_GRADE_WORDS = {"无", "没有", "暂无", "-", "—", "/", "／"}


@dataclass
class ImportRow:
    """One contestant row of the file, as read, before it is checked against the database."""

    number: int  # the row number Excel (or a text editor, for CSV) shows; the header is 1
    person: PersonData
    event_name: str
    division_name: str
    is_student: bool | None
    cells: dict[str, str]  # each column's text as shown in the preview, by column key
    problems: list[Problem] = field(default_factory=list)  # what reading the cells found
    event: Event | None = None  # set by ``check_rows``
    division: Division | None = None


@dataclass
class ImportPreview:
    """What an uploaded file would import: every row read, and every problem."""

    rows: list[ImportRow]
    problems: list[Problem]
    header: HeaderMatch = field(default_factory=HeaderMatch)  # how the header row was read

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.problems

    @property
    def unknown_columns(self) -> list[str]:
        """Headers of the file's columns that are not imported (序号 and 备注 aside)."""
        return self.header.unknown

    def recognized(self) -> list[tuple[str, str]]:
        """(the template's header, the file's header) of each column read."""
        return self.header.recognized({key: c.header for key, c in COLUMN_BY_KEY.items()})

    @property
    def bad_rows(self) -> set[int]:
        return {problem.row for problem in self.problems if problem.row is not None}

    def counts(self) -> list[tuple[str, str, int]]:
        """(event, division, number of rows) in the order they first appear."""
        counted = Counter((row.event_name, row.division_name) for row in self.rows)
        return [(event, division, n) for (event, division), n in counted.items()]


# --- The template ---------------------------------------------------------------------

def template_workbook(competition: Competition) -> bytes:
    """The workbook to fill in: a 选手名单 sheet holding only the header row, and a
    填写说明 sheet with the columns, the accepted values, the competition's events
    and divisions and two example rows. ID, phone and certificate columns are
    formatted as text ("@") so Excel keeps every digit and a final X."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    template_header(sheet, COLUMNS)
    guide = book.create_sheet(GUIDE_SHEET)
    lists = _guide_sheet(guide, competition)
    _drop_downs(sheet, lists)
    return workbook_bytes(book)


def _guide_sheet(sheet, competition: Competition) -> dict[str, str]:
    """Write the 填写说明 sheet; return the ranges holding the events and divisions."""
    bold = Font(bold=True)
    sheet.append(["选手名单填写说明"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"大赛：{competition.name}"])
    sheet.append(["在“选手名单”表中每位选手一行（同一人报多个赛项时每个赛项一行），第1行为表头，请勿修改。"
                  "红色表头为必填列。上传后系统会逐行检查，任何一行有错误时不会导入任何数据，"
                  "所有错误会按行号和列名列出，修改后重新上传即可。"
                  f"每个文件最多 {MAX_ROWS} 行、{MAX_BYTES // (1024 * 1024)} MB；"
                  "也可以另存为 CSV（UTF-8 或 GBK 编码）上传。"])
    sheet.append([])
    column_guide(sheet, COLUMNS)

    sheet.append([])
    sheet.append(["赛项与组别"])
    sheet.cell(row=sheet.max_row, column=1).font = bold
    sheet.append(["赛项", "组别"])
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    first_event_row = sheet.max_row + 1
    events = list(competition.events)
    for event in events:
        sheet.append([event.name, "、".join(d.name for d in event.divisions)])
    if not events:
        sheet.append(["（本大赛还没有赛项，请先设置赛项）"])
    last_event_row = sheet.max_row

    sheet.append([])
    sheet.append(["可填写的值"])
    sheet.cell(row=sheet.max_row, column=1).font = bold
    sheet.append(["性别", "男、女"])
    sheet.append(["是否在校学生", "是、否（可留空）"])
    sheet.append(["现有职业技能等级", "、".join(GRADE_NAMES[g] for g in (5, 4, 3, 2, 1))
                  + "（也可只填 三级 或 高级工，或 1–5；没有的留空或填“无”）"])
    first_grade_row = sheet.max_row + 1
    for grade in (5, 4, 3, 2, 1):
        sheet.append([GRADE_NAMES[grade]])
    last_grade_row = sheet.max_row

    sheet.append([])
    sheet.append(["示例（请在“选手名单”表中填写，不要填在这里）"])
    sheet.cell(row=sheet.max_row, column=1).font = bold
    sheet.append(list(HEADERS))
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for example in _examples(events):
        sheet.append(example)
        for cell in sheet[sheet.max_row]:
            cell.number_format = "@"

    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 22
    sheet.column_dimensions["C"].width = 80
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    name = quote_sheetname(GUIDE_SHEET)
    ranges = {"grade": f"{name}!$A${first_grade_row}:$A${last_grade_row}"}
    if events:
        ranges["event"] = f"{name}!$A${first_event_row}:$A${last_event_row}"
    return ranges


def _examples(events: list[Event]) -> list[list[str]]:
    event = events[0] if events else None
    event_name = event.name if event else "养老护理员"
    divisions = [d.name for d in event.divisions] if event else []
    worker = divisions[0] if divisions else "职工组"
    student = next((d for d in divisions if "学生" in d), worker)
    return [
        ["张三", make_id_number("421202", date(1985, 6, 15), 131, "M"), "男", "13812345678",
         "咸宁市社会福利院", event_name, worker, "四级/中级工", "S000042000001234567890", "否"],
        ["李四", make_id_number("421281", date(2005, 3, 8), 242, "F"), "女", "",
         "咸宁职业技术学院", event_name, student, "", "", "是" if student != worker else ""],
    ]


def _drop_downs(sheet, lists: dict[str, str]) -> None:
    """Drop-down lists on the data sheet; other values stay allowed (errors are not shown),
    since the import reports them precisely."""
    last = MAX_ROWS + 1
    choices = {
        "sex": '"男,女"',
        "is_student": '"是,否"',
        "grade": lists.get("grade"),
        "event": lists.get("event"),
    }
    columns = {"sex": "sex", "is_student": "is_student", "grade": "current_grade",
               "event": "event"}
    for name, key in columns.items():
        formula = choices[name]
        if not formula:
            continue
        letter = get_column_letter(HEADERS.index(COLUMN_BY_KEY[key].header) + 1)
        validation = DataValidation(type="list", formula1=formula, allow_blank=True,
                                    showErrorMessage=False)
        sheet.add_data_validation(validation)
        validation.add(f"{letter}2:{letter}{last}")


# --- Reading a file -------------------------------------------------------------------

def read_file(filename: str, data: bytes
              ) -> tuple[list[ImportRow], list[Problem], HeaderMatch]:
    """The contestant rows of an uploaded .xlsx or .csv file, the problems of the
    file as a whole (not a spreadsheet, undecodable, a column missing, too large), and
    how its header row was read (its unknown columns).

    Cell problems (an ID number stored as a number, an unknown sex or grade word)
    are kept on each row; nothing is checked against the database here.
    """
    table = read_table(data, filename, TABLE, max_rows=MAX_ROWS, max_bytes=MAX_BYTES)
    return [_read_row(row) for row in table.rows], table.problems, table.header


def _read_row(row: TableRow) -> ImportRow:
    problems: list[Problem] = []
    number, cells = row.number, row.cells

    def problem(key: str, message: str, **params) -> None:
        problems.append(row.problem(key, message, **params))

    shown = row.texts()
    id_cell = cells.get("id_number")
    if isinstance(id_cell, int | float) and not isinstance(id_cell, bool):
        # Excel keeps 15 significant digits and no X: the number is lost for good.
        shown["id_number"] = f"{float(id_cell):.5E}"  # as Excel shows it: 4.21202E+17
        problem("id_number", N_("Excel stored the ID number as a number, which loses its last "
                                "digits and a final X: format the column as text and type the "
                                "ID numbers in again."))
        id_number = ""
    else:
        id_number = shown.get("id_number", "")

    sex = ""
    sex_text = _word(shown.get("sex", ""))
    if sex_text:
        sex = SEX_WORDS.get(sex_text.upper(), "")
        if not sex:
            problem("sex", N_("The sex must be 男 or 女 (or left empty)."))

    grade = None
    # 无 (none) is what the template tells people to write when they hold no grade.
    if shown.get("current_grade") and _word(shown["current_grade"]) not in NO_GRADE_WORDS:
        grade = parse_grade(cells.get("current_grade"))
        if grade is None:
            problem("current_grade", N_("“%(value)s” is not a skill grade: write 五级 to 一级, "
                                        "初级工 to 高级技师, or 1 to 5."),
                    value=shown["current_grade"])

    is_student = None
    student_cell = cells.get("is_student")
    if isinstance(student_cell, bool):
        is_student = student_cell
    elif shown.get("is_student"):
        is_student = STUDENT_WORDS.get(_word(shown["is_student"]).upper())
        if is_student is None:
            problem("is_student", N_("Write 是 or 否, or leave it empty."))

    for key, limit in TEXT_LIMITS.items():
        if len(shown.get(key, "")) > limit:
            problem(key, N_("The text is longer than %(n)s characters."), n=limit)

    if shown.get("birth_date"):
        birth = parse_birth(cells.get("birth_date"))
        if birth is None:
            problem("birth_date", N_("“%(value)s” is not a date: write it like 1988-05-17."),
                    value=shown["birth_date"])
        else:
            from_id = _birth_of(id_number)
            # 出生年月 gives no day: the year and month are compared.
            if from_id is not None and birth != (from_id.year, from_id.month,
                                                 None if birth[2] is None else from_id.day):
                problem("birth_date", N_("The birth date does not match the ID number, "
                                         "which gives %(date)s."), date=from_id.isoformat())

    phone = unicodedata.normalize("NFKC", shown.get("phone", ""))
    person = PersonData(
        name=shown.get("name", ""), id_number=id_number, sex=sex, phone=phone,
        work_unit=shown.get("work_unit", ""), current_grade=grade,
        current_certificate_no=shown.get("current_certificate_no", ""),
    )
    return ImportRow(number=number, person=person, event_name=shown.get("event", ""),
                     division_name=shown.get("division", ""), is_student=is_student,
                     cells=shown, problems=problems)


_BIRTH = re.compile(r"(\d{4})[-/.年](\d{1,2})(?:[-/.月](\d{1,2})日?|月)?")
_COMPACT_BIRTH = re.compile(r"(\d{4})(\d{2})(\d{2})?")


def parse_birth(value: object) -> tuple[int, int, int | None] | None:
    """An 出生日期 or 出生年月 cell as (year, month, day or None): a date cell, or a text
    like 1988-05-17, 1988/5/17, 1988年5月17日, 19880517, 1988.05 or 1988年5月; None
    when it is not a date."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.year, value.month, value.day
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", cell_text(value)))
    text = re.sub(r"0{1,2}:00(:00)?$", "", text)
    match = _BIRTH.fullmatch(text) or _COMPACT_BIRTH.fullmatch(text)
    if match is None:
        return None
    year, month, day = (int(part) if part else None for part in match.groups())
    try:
        date(year, month, day or 1)
    except ValueError:
        return None
    return year, month, day


def _birth_of(id_number: str) -> date | None:
    try:
        return parse_id_number(id_number).birth_date
    except IdNumberError:
        return None


def parse_grade(value: object) -> int | None:
    """A 职业技能等级 cell as 1–5, or None when it is not one (an empty cell is no grade).

    Accepts 1–5, 五级…一级, 初级工…高级技师, both halves as the certificates print them
    (三级/高级工, 三级（高级工）), 3级, and 无 for none.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value) if value == int(value) and 1 <= value <= 5 else None
    text = _word(cell_text(value))
    if text in NO_GRADE_WORDS:
        return None
    if re.fullmatch(r"[1-5](级)?", text):
        return int(text[0])
    parts = [part for part in re.split(r"[/、,()]", text) if part]
    grades = {GRADE_WORDS.get(part) for part in parts}
    if parts and None not in grades and len(grades) == 1:
        return grades.pop()
    return None


def _word(text: str) -> str:
    """A short answer as typed: full-width forms and all spaces removed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


# --- Checking and importing -----------------------------------------------------------

def check_rows(session: Session, competition: Competition, rows: list[ImportRow], *,
               today: date) -> list[Problem]:
    """Every problem of the rows, sorted by row and column; sets each row's event and division.

    Per row: what reading the cells found; the event (by name, within the
    competition) and division (by name, within the event), names compared by
    ``spreadsheet.name_key``; every rule of
    ``registrations.registration_problems``. Across rows, ``registrations.batch_problems`` (the
    rule ``register_many`` applies too), naming the file's rows: the same ID number
    twice in one event (on every such row, naming the others), and one ID number
    under two names.
    """
    events = _events(session, competition)
    people = [replace(row.person) for row in rows]
    checked = registrations.check_people(people, today=today)
    known = registrations.KnownPeople(session, competition.id,
                                (person.id_number for person in people))
    id_header = COLUMN_BY_KEY["id_number"].header
    problems: list[Problem] = []
    batch: list[registrations.BatchRow] = []
    for row, person, person_problems in zip(rows, people, checked, strict=True):
        row_problems = list(row.problems)
        bad = {problem.column for problem in row.problems}
        row.event, row.division = _event_and_division(row, events, row_problems)
        if row.event is not None:
            found = registrations.registration_problems(session, row.event, row.division, person,
                                                  today=today, is_student=row.is_student,
                                                  known=known, person_problems=person_problems)
            if row.division is None:  # already reported as an unknown division
                found = [p for p in found if p.column != "division"]
        else:
            found = person_problems
        for problem in found:
            header = _header_of(problem.column)
            if header not in bad:
                row_problems.append(Problem(problem.message, problem.params, row=row.number,
                                            column=header))
        batch.append(registrations.BatchRow(row.number, row.event, person, id_problem=any(
            p.column == id_header for p in row_problems)))
        problems += row_problems
    problems += [Problem(p.message, p.params, row=p.row, column=_header_of(p.column))
                 for p in registrations.batch_problems(batch)]
    return sort_problems(problems)


def _events(session: Session, competition: Competition) -> dict[str, Event]:
    events = session.scalars(
        select(Event).where(Event.competition_id == competition.id)
        .options(selectinload(Event.divisions))
        .order_by(Event.position, Event.id)
    ).all()
    return {name_key(event.name): event for event in events}


def _event_and_division(row: ImportRow, events: dict[str, Event],
                        problems: list[Problem]) -> tuple[Event | None, Division | None]:
    def problem(key: str, message: str, **params) -> None:
        problems.append(Problem(message, params, row=row.number,
                                column=COLUMN_BY_KEY[key].header))

    if not row.event_name:
        problem("event", N_("This cell must be filled in."))
        return None, None
    event = events.get(name_key(row.event_name))
    if event is None:
        problem("event", N_("This competition has no event “%(value)s”; its events are: "
                            "%(choices)s."), value=row.event_name,
                choices="、".join(e.name for e in events.values()) or "—")
        return None, None
    if not row.division_name:
        problem("division", N_("This cell must be filled in."))
        return event, None
    division = next((d for d in event.divisions
                     if name_key(d.name) == name_key(row.division_name)), None)
    if division is None:
        problem("division", N_("%(event)s has no division “%(value)s”; its divisions are: "
                               "%(choices)s."), event=event.name, value=row.division_name,
                choices="、".join(d.name for d in event.divisions) or "—")
    return event, division


def _header_of(key: str) -> str:
    column = COLUMN_BY_KEY.get(key)
    return column.header if column else key


def sort_problems(problems: list[Problem]) -> list[Problem]:
    """In reading order: by row (the file's own problems first), then column as in the template."""
    return sorted(problems, key=lambda p: (p.row is not None, p.row or 0,
                                           _COLUMN_ORDER.get(p.column, len(_COLUMN_ORDER))))


def refusal(problems: list[Problem]) -> RegistrationError:
    """The error that refuses a whole file, with every problem."""
    problems = sort_problems(problems)
    return RegistrationError(N_("The file has %(n)s problems; nothing was imported."),
                             problems=problems, n=len(problems))


def import_rows(session: Session, competition: Competition, rows: list[ImportRow], *,
                today: date, actor_id: int | None = None) -> list[Entry]:
    """Register every row, or none: all or nothing.

    Checks the rows (``check_rows``) and refuses with every problem before
    writing anything. Then the rows are registered together by
    ``registrations.register_many`` (source ``import``; the same rules again, a few
    statements for the whole file, one audit record per event) inside one
    savepoint of the caller's transaction; if anything fails midway — someone
    registered the same person meanwhile — everything is rolled back and the
    import refused. The request commits.
    """
    problems = check_rows(session, competition, rows, today=today)
    if problems:
        raise refusal(problems)
    wanted = [registrations.Registration(event=row.event, division=row.division,
                                         person=replace(row.person), is_student=row.is_student)
              for row in rows]
    try:
        with session.begin_nested():
            return registrations.register_many(session, wanted, today=today,
                                               source=EntrySource.IMPORT, actor_id=actor_id,
                                               row_numbers=[row.number for row in rows])
    except RegistrationError as error:
        raise refusal([
            Problem(p.message, p.params, row=p.row, column=_header_of(p.column))
            for p in error.problems or [Problem(error.message, error.params)]
        ]) from error
    except IntegrityError:
        raise RegistrationError(N_("The registrations changed while the file was being "
                                   "imported, so nothing was imported. Upload the file "
                                   "again.")) from None


def preview_file(session: Session, competition: Competition, filename: str, data: bytes,
                 today: date) -> ImportPreview:
    """Read and check an uploaded file without saving anything. Its unknown columns are
    not problems of the preview (``ImportPreview.unknown_columns``): the organizer is
    shown them and confirms."""
    rows, problems, header = read_file(filename, data)
    if problems:
        return ImportPreview(rows=[], problems=sort_problems(problems), header=header)
    return ImportPreview(rows=rows, header=header,
                         problems=check_rows(session, competition, rows, today=today))


def import_file(session: Session, competition: Competition, filename: str, data: bytes,
                today: date, *, actor_id: int | None = None,
                ignore_unknown_columns: bool = False) -> list[Entry]:
    """Import an uploaded file whole, or raise RegistrationError with every problem.
    A file with columns that cannot be imported is refused unless
    ``ignore_unknown_columns`` says the organizer confirmed they may be left out."""
    rows, problems, header = read_file(filename, data)
    if not problems and header.unknown and not ignore_unknown_columns:
        problems = [unknown_columns_problem(header)]
    if problems:
        raise refusal(problems)
    return import_rows(session, competition, rows, today=today, actor_id=actor_id)
