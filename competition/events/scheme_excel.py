"""Marking schemes (评分细则) to and from Excel workbooks (.xlsx).

Organizers keep their 评分细则 in Excel. The workbook has one sheet
``评分细则`` with a header row and one row per criterion; the module columns
repeat on every row of the module (left blank, they continue the module of the
row above, so merged cells work too). A module scored as a whole — typically
the theory exam — is one row with the criterion columns empty. A second sheet
``填写说明`` explains the columns.

A bad file is refused whole: ``parse_workbook`` reports every
problem at once, each with its Excel row number (the header is row 1) and the
Chinese name of its column, and then every rule of
``scheme.check_marking_scheme`` mapped onto the rows and columns it concerns.
Nothing here queries or changes the database: the import page hands the
modules to ``setup.replace_marking_scheme``, which refuses structural
changes once marking has started.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from competition.errors import N_, Problem
from competition.events.models import Event
from competition.events.scheme import CriterionSpec, ModuleSpec, check_marking_scheme, to_decimal
from competition.events.setup import SetupError, scheme_specs
from competition.spreadsheet import GUIDE_SHEET, workbook_bytes, workbook_problem

SHEET = "评分细则"


@dataclass(frozen=True)
class Column:
    key: str  # the field name ``Problem.column`` uses
    header: str  # the header cell, exactly as the template writes it
    module: bool  # one of the module columns, repeated on each row of the module
    required: bool  # the header row must have it
    explanation: str  # for the 填写说明 sheet

    @property
    def short(self) -> str:
        """The header without its hint in brackets: 模块类型(理论/实操) → 模块类型."""
        return _short_header(self.header)


COLUMNS: tuple[Column, ...] = (
    Column("module_code", "模块代码", True, True,
           "模块的代码，如 T、A、B，同一赛项内不可重复。同一模块的每一行重复填写模块各列"
           "（或合并单元格、留空，表示沿用上一行的模块）。"),
    Column("module_name", "模块名称", True, True, "如 理论知识、实操模块A 生活照护。"),
    Column("module_kind", "模块类型(理论/实操)", True, True,
           "理论 或 实操（也可填 theory / practical）。"),
    Column("weight", "模块权重", True, True,
           "该模块在总成绩中所占的百分比，大于0且不超过100，最多2位小数；各模块权重之和须为100。"),
    Column("module_max", "模块满分", True, False,
           "模块按多少分评分，再按权重折算；留空为100。模块有评分项时，评分项配分之和须等于模块满分。"),
    Column("code", "评分项代码", False, True,
           "如 A1、A2，同一模块内不可重复。理论模块等整体评分的模块，本列及其后各列留空。"),
    Column("description", "评分项描述", False, True, "评分项的内容与要求，如 外圆Ø38(0/-0.025)。"),
    Column("max_points", "配分", False, True, "该评分项的满分，正数，最多4位小数。"),
    Column("kind", "评分类型(客观/主观)", False, True,
           "客观（测量，一人评分）或 主观（多名裁判独立评分后汇总）；也可填 measurement / "
           "judgement。"),
    Column("entry_mode", "录入方式(分值/全对或不得分/0-3分制/实测值)", False, False,
           "分值：录入0到配分之间的分数；全对或不得分：只能得满分或0分；0-3分制：世赛主观评分，"
           "仅限主观评分项；实测值：录入量具读数，按公差自动计分，仅限客观评分项。留空为 分值。"
           "也可填 points / pass_fail / scale_0_3 / measured。"),
    Column("unit", "单位", False, False, "实测值的单位，如 mm；最多8个字符。"),
    Column("nominal", "基本尺寸", False, False, "实测值：图纸上的基本尺寸，如 38。"),
    Column("tolerance_lower", "下偏差", False, False,
           "实测值：下偏差，如 Ø38(0/-0.025) 填 -0.025。"),
    Column("tolerance_upper", "上偏差", False, False, "实测值：上偏差，如 Ø38(0/-0.025) 填 0。"),
    Column("deduction_step", "扣分步长", False, False,
           "实测值：超出公差每多少扣一次分，如 0.01（毫米）。"),
    Column("deduction_points", "每步扣分", False, False, "实测值：每超一个步长扣多少分，如 1。"),
    Column("deduction_limit", "超差限", False, False,
           "实测值：超出公差多于此值即得0分；留空表示只按步长扣分，扣完为止。"),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
HEADERS = tuple(column.header for column in COLUMNS)
MODULE_KEYS = tuple(column.key for column in COLUMNS if column.module)
CRITERION_KEYS = tuple(column.key for column in COLUMNS if not column.module)

# The words a cell may hold, in Chinese (as written by the template) or the codes.
MODULE_KIND_WORDS = {"理论": "theory", "理论知识": "theory", "实操": "practical",
                     "实际操作": "practical", "技能操作": "practical"}
CRITERION_KIND_WORDS = {"客观": "measurement", "客观评分": "measurement",
                        "主观": "judgement", "主观评分": "judgement"}
ENTRY_MODE_WORDS = {"分值": "points", "全对或不得分": "pass_fail", "0-3分制": "scale_0_3",
                    "0–3分制": "scale_0_3", "0~3分制": "scale_0_3", "实测值": "measured"}
WORDS = {"module_kind": MODULE_KIND_WORDS, "kind": CRITERION_KIND_WORDS,
         "entry_mode": ENTRY_MODE_WORDS}
CODES = {"module_kind": ("theory", "practical"), "kind": ("measurement", "judgement"),
         "entry_mode": ("points", "pass_fail", "scale_0_3", "measured")}
# What the export writes for each code.
WORD_FOR_CODE = {
    key: {code: next(word for word, c in words.items() if c == code) for code in CODES[key]}
    for key, words in WORDS.items()
}

# Numbers: (decimal places, largest magnitude) the database columns keep
# (dbtypes.Weight is Numeric(5, 2), Points Numeric(9, 4), measurements Numeric(12, 4)).
NUMBER_FORMATS = {
    "weight": (2, Decimal(1000)),
    "module_max": (4, Decimal(100_000)),
    "max_points": (4, Decimal(100_000)),
    "deduction_points": (4, Decimal(100_000)),
    "nominal": (4, Decimal(100_000_000)),
    "tolerance_lower": (4, Decimal(100_000_000)),
    "tolerance_upper": (4, Decimal(100_000_000)),
    "deduction_step": (4, Decimal(100_000_000)),
    "deduction_limit": (4, Decimal(100_000_000)),
}
# Longest texts the database columns keep.
TEXT_LIMITS = {"module_code": 16, "module_name": 200, "code": 16, "unit": 8}

EXAMPLE_ROWS: tuple[tuple, ...] = (
    ("T", "理论知识", "理论", 20, 100) + (None,) * 12,
    ("A", "实操模块A 零件车削", "实操", 80, 100, "A1", "外圆Ø38(0/-0.025)", 10, "客观",
     "实测值", "mm", 38, -0.025, 0, 0.01, 1, 0.09),
    ("A", "实操模块A 零件车削", "实操", 80, 100, "A2", "螺纹M24×1.5-6g（通止规检验）", 20, "客观",
     "全对或不得分") + (None,) * 7,
    ("A", "实操模块A 零件车削", "实操", 80, 100, "A3", "操作规范、安全文明生产", 70, "主观",
     "分值") + (None,) * 7,
)


# --- Writing ------------------------------------------------------------------------

def template_workbook() -> bytes:
    """The empty template with a few example rows and the 填写说明 sheet."""
    return _workbook(EXAMPLE_ROWS)


def export_workbook(event: Event) -> bytes:
    """The event's current marking scheme in the template's layout."""
    return _workbook(spec_rows(scheme_specs(event)))


def spec_rows(specs: list[ModuleSpec]) -> list[tuple]:
    """One row per criterion (one per module without criteria), as the sheet holds them."""
    rows = []
    for module in specs:
        module_cells = (module.code, module.name, _word("module_kind", module.kind),
                        _excel_number(module.weight), _excel_number(module.max_score))
        if not module.criteria:
            rows.append(module_cells + (None,) * len(CRITERION_KEYS))
        for criterion in module.criteria:
            measured = criterion.entry_mode == "measured"
            rows.append(module_cells + (
                criterion.code, criterion.description, _excel_number(criterion.max_points),
                _word("kind", criterion.kind), _word("entry_mode", criterion.entry_mode),
                (criterion.unit or None) if measured else None,
            ) + tuple(
                _excel_number(getattr(criterion, key)) if measured else None
                for key in ("nominal", "tolerance_lower", "tolerance_upper", "deduction_step",
                            "deduction_points", "deduction_limit")
            ))
    return rows


def _word(key: str, code: str) -> str:
    return WORD_FOR_CODE[key].get(code, code)


def _excel_number(number: Decimal | None) -> int | float | None:
    """Excel keeps numbers as floats; an integral value is written as an integer."""
    if number is None:
        return None
    return int(number) if number == number.to_integral_value() else float(number)


def _workbook(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(list(row))
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        width = {"module_name": 24, "description": 36, "entry_mode": 22}.get(column.key, 12)
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.row_dimensions[1].height = 36
    sheet.freeze_panes = "A2"
    for key in ("module_kind", "kind", "entry_mode"):
        letter = get_column_letter(HEADERS.index(COLUMN_BY_KEY[key].header) + 1)
        # A drop-down of the Chinese words; other values (the English codes) stay allowed.
        choices = ",".join(WORD_FOR_CODE[key][code] for code in CODES[key])
        validation = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True)
        sheet.add_data_validation(validation)
        validation.add(f"{letter}2:{letter}1000")
    _guide_sheet(book.create_sheet(GUIDE_SHEET))
    return workbook_bytes(book)


def _guide_sheet(sheet) -> None:
    sheet.append(["评分细则填写说明"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([
        "每个评分项一行；同一模块的各行重复填写模块代码、名称、类型、权重和满分。"
        "理论知识等整体评分（如机考成绩导入）的模块只占一行，评分项各列留空。"
        "第1行为表头，请勿修改；上传时，文件中的任何错误都会按行号和列名全部列出，"
        "修改后重新上传，文件有错误时不会导入任何内容。"
    ])
    sheet.append([])
    sheet.append(["列名", "是否必填", "说明"])
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    for column in COLUMNS:
        if column.key in ("module_code", "module_name", "module_kind", "weight"):
            needed = "必填"
        elif column.key in ("code", "description", "max_points", "kind"):
            needed = "有评分项时必填"
        elif column.key in ("nominal", "tolerance_lower", "tolerance_upper", "deduction_step",
                            "deduction_points"):
            needed = "实测值必填"
        else:
            needed = "选填"
        sheet.append([column.header, needed, column.explanation])
    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = 16
    sheet.column_dimensions["C"].width = 90
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


# --- Reading ------------------------------------------------------------------------

class _Row:
    """The cells of one sheet row, by column key, and the problems found in them."""

    def __init__(self, number: int, cells: dict[str, object], problems: list[Problem],
                 bad: set[tuple[int, str]]) -> None:
        self.number = number
        self.cells = cells
        self._problems = problems
        self._bad = bad

    def blank(self, key: str) -> bool:
        return _text(self.cells.get(key)) == ""

    def problem(self, key: str, message: str, **params) -> None:
        header = COLUMN_BY_KEY[key].header
        self._bad.add((self.number, header))
        self._problems.append(Problem(message, params, row=self.number, column=header))

    def is_bad(self, key: str) -> bool:
        """A problem was already found in this cell."""
        return (self.number, COLUMN_BY_KEY[key].header) in self._bad

    def text(self, key: str) -> str:
        value = _text(self.cells.get(key))
        limit = TEXT_LIMITS.get(key)
        if limit and len(value) > limit and not self.is_bad(key):
            self.problem(key, N_("The text is longer than %(n)s characters."), n=limit)
        return value

    def decimal(self, key: str) -> Decimal | None:
        value = self.cells.get(key)
        if _text(value) == "":
            return None
        number, error = parse_number(value, *NUMBER_FORMATS[key])
        if error:
            self.problem(key, error[0], **error[1])
        return number

    def word(self, key: str, *, required: bool, default: str = "") -> str:
        raw = _text(self.cells.get(key))
        if not raw:
            if required:
                self.problem(key, N_("This cell must be filled in."))
            return default
        code = word_code(key, raw)
        if code is None:
            choices = "、".join(WORD_FOR_CODE[key][c] for c in CODES[key])
            self.problem(key, N_("“%(value)s” is not one of: %(choices)s."),
                         value=raw, choices=choices)
            return raw
        return code


def word_code(key: str, raw: str) -> str | None:
    """The code of a kind or entry-mode cell, from its Chinese word or English code."""
    cleaned = raw.strip().replace(" ", "")
    if cleaned in WORDS[key]:
        return WORDS[key][cleaned]
    lowered = cleaned.lower()
    return lowered if lowered in CODES[key] else None


def parse_number(value: object, places: int, limit: Decimal) -> tuple[
        Decimal | None, tuple[str, dict] | None]:
    """A number from a cell (a number or text), or the message why it is not one."""
    if isinstance(value, float):
        # Drop the binary noise of spreadsheet arithmetic (12.300000000000001).
        value = format(value, ".12g")
    number = to_decimal(value)
    if number is None:
        return None, (N_("“%(value)s” is not a number."), {"value": _text(value)})
    shown = _plain(number)
    if abs(number) >= limit:
        return None, (N_("The number %(value)s is too large."), {"value": shown})
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        return None, (N_("The number %(value)s has more than %(places)s decimals."),
                      {"value": shown, "places": places})
    return number, None


def parse_workbook(data: bytes) -> list[ModuleSpec]:
    """The modules and criteria of an uploaded workbook, or SetupError listing every problem.

    Each ``Problem`` has the Excel row number (header = row 1) and the Chinese
    header of its column; problems about the scheme as a whole (the weights'
    sum) have no row.
    """
    values, formulas = _open(data)
    header_columns, problems = _read_header(values)
    if problems:
        raise _refusal(problems)
    problems, bad = [], set()
    rows = []
    for cells in values.iter_rows(min_row=2):
        number = cells[0].row
        row_cells = {key: cells[index].value if index < len(cells) else None
                     for key, index in header_columns.items()}
        row = _Row(number, row_cells, problems, bad)
        for key, index in header_columns.items():
            if row_cells[key] is None and index < len(cells) and \
                    formulas.cell(row=number, column=index + 1).data_type == "f":
                row.problem(key, N_("This cell holds a formula without a computed value: "
                                    "open the file in Excel, save it and upload it again."))
        if any(not row.blank(key) for key in header_columns):
            rows.append(row)
    if not rows:
        problems.append(Problem(N_("The sheet has no rows of the marking scheme under its "
                                   "header row."), row=2))
        raise _refusal(problems)
    specs = _modules(rows)
    if specs:
        for problem in check_marking_scheme(specs):
            mapped = excel_problem(problem)
            if (mapped.row, mapped.column) not in bad:
                problems.append(mapped)
    if problems:
        raise _refusal(problems)
    return specs


def _open(data: bytes):
    """The sheet's cached values and its formulas (to spot formulas never calculated).

    A scheme is read apart from the lists (``spreadsheet.read_table``): its header is
    row 1 of a sheet it names, and a cell's formula matters too; the upload's size is
    bounded by the page. What refuses a file before it is opened is the lists' own."""
    problem = workbook_problem(data, max_bytes=None)
    if problem is not None:
        raise _refusal([problem])
    try:
        values_book = load_workbook(BytesIO(data), data_only=True)
        formulas_book = load_workbook(BytesIO(data), data_only=False)
    except Exception:  # openpyxl raises many kinds of errors on damaged or foreign files
        raise _refusal([Problem(N_("The file is not an Excel workbook (.xlsx)."))]) from None
    if SHEET not in values_book.sheetnames:
        raise _refusal([Problem(N_("The workbook has no sheet named “%(sheet)s”."),
                                {"sheet": SHEET})])
    return values_book[SHEET], formulas_book[SHEET]


def _read_header(sheet) -> tuple[dict[str, int], list[Problem]]:
    """Which column index holds each known column; a problem per required one missing."""
    found: dict[str, int] = {}
    by_short = {column.short: column for column in COLUMNS}
    header_cells = next(sheet.iter_rows(min_row=1, max_row=1), ())
    for index, cell in enumerate(header_cells):
        column = by_short.get(_short_header(_text(cell.value)))
        if column is not None and column.key not in found:
            found[column.key] = index
    if not found and sheet.max_row <= 1 and not _text(sheet.cell(row=1, column=1).value):
        return found, [Problem(N_("The sheet is empty: it needs the header row and a row per "
                                  "criterion."), row=1)]
    problems = [
        Problem(N_("The column “%(column)s” is missing from the header row."),
                {"column": column.header}, row=1, column=column.header)
        for column in COLUMNS if column.required and column.key not in found
    ]
    return found, problems


def _modules(rows: list[_Row]) -> list[ModuleSpec]:
    """Group the rows into modules: by module code, or continuing the row above."""
    specs: list[ModuleSpec] = []
    by_code: dict[str, tuple[ModuleSpec, _Row]] = {}
    current: ModuleSpec | None = None
    for row in rows:
        if all(row.blank(key) for key in MODULE_KEYS):
            if current is None:
                row.problem("module_code", N_("This row has no module: fill in the module "
                                              "columns."))
                continue
            module = current
        else:
            code = row.text("module_code")
            if code in by_code:
                module, first = by_code[code]
                _compare_module_cells(row, first, module)
            else:
                module = ModuleSpec(
                    code=code, name=row.text("module_name"),
                    kind=row.word("module_kind", required=True),
                    weight=row.decimal("weight"),
                    max_score=row.decimal("module_max") if not row.blank("module_max")
                    else Decimal(100),
                    row=row.number,
                )
                specs.append(module)
                if code:
                    by_code[code] = (module, row)
            current = module
        if any(not row.blank(key) for key in CRITERION_KEYS):
            module.criteria.append(_criterion(row))
    return specs


def _compare_module_cells(row: _Row, first: _Row, module: ModuleSpec) -> None:
    """A later row of a module must repeat its module columns (or leave them blank)."""
    checks = (
        ("module_name", lambda: row.text("module_name"), module.name),
        ("module_kind", lambda: row.word("module_kind", required=False), module.kind),
        ("weight", lambda: row.decimal("weight"), module.weight),
        ("module_max", lambda: row.decimal("module_max"), module.max_score),
    )
    for key, read, expected in checks:
        if row.blank(key):
            continue
        value = read()
        if value is None or row.is_bad(key):
            continue
        if value != expected:
            row.problem(key, N_("Module %(code)s has “%(value)s” here but “%(first)s” in "
                                "row %(row)s."), code=module.code, value=_text(row.cells[key]),
                        first=_text(first.cells.get(key)), row=first.number)


def _criterion(row: _Row) -> CriterionSpec:
    return CriterionSpec(
        code=row.text("code"),
        description=row.text("description"),
        max_points=row.decimal("max_points"),
        kind=row.word("kind", required=True),
        entry_mode=row.word("entry_mode", required=False, default="points"),
        unit=row.text("unit"),
        nominal=row.decimal("nominal"),
        tolerance_lower=row.decimal("tolerance_lower"),
        tolerance_upper=row.decimal("tolerance_upper"),
        deduction_step=row.decimal("deduction_step"),
        deduction_points=row.decimal("deduction_points"),
        deduction_limit=row.decimal("deduction_limit"),
        row=row.number,
    )


def excel_problem(problem: Problem) -> Problem:
    """A scheme problem with its column as the sheet's header and field names in Chinese.

    Problems already in the sheet's terms come back unchanged.
    """
    column = COLUMN_BY_KEY.get(problem.column)
    params = dict(problem.params)
    field = COLUMN_BY_KEY.get(params.get("field", ""))
    if field is not None:
        params["field"] = field.short
    return Problem(problem.message, params, row=problem.row,
                   column=column.header if column else problem.column)


def _refusal(problems: list[Problem]) -> SetupError:
    order = {column.header: index for index, column in enumerate(COLUMNS)}
    problems = sorted(problems, key=lambda p: (p.row is None, p.row or 0,
                                               order.get(p.column, len(order))))
    return SetupError(N_("The file has %(n)s problems; nothing was imported."),
                      problems=problems, n=len(problems))


def _short_header(header: str) -> str:
    text = header.replace(" ", "").replace("（", "(")
    return text.split("(", 1)[0]


def _text(value: object) -> str:
    """A cell as text: numbers without a trailing .0 (codes typed as numbers)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".12g")
    return str(value).strip()


def _plain(number: Decimal) -> str:
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
