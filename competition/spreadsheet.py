"""Cells of the workbooks the application writes, safe to open in Excel or WPS.

A text someone typed (a work unit, a name) that starts with ``=``, ``+``, ``-`` or
``@`` is read by a spreadsheet as a formula when the exported file is opened,
and a formula such as ``=HYPERLINK(...)`` can send data away or run commands
(CSV/formula injection, OWASP). A leading tab or carriage return is stripped by
some programs before they decide, so it counts too. Such a text is written
with a single quote ``'`` in front: openpyxl then stores it as a plain string
cell, and nobody's spreadsheet evaluates it. ``unquote_cell`` takes the quote off
again when such a workbook is imported back. Control characters, which the file
format cannot hold (openpyxl refuses them), are dropped.

What every import of a list reads alike is here too, for the contestant, theory-score
and expert imports: one reader, ``read_table``, takes an uploaded workbook or CSV file to
its header row and numbered rows — each import declares only its columns
(``TableColumn``) and the words of its refusals (``TableSpec``), and applies its own
rules to the rows — and one rule compares the names people type (``name_key``).

Pure: no request, no database.
"""

from __future__ import annotations

import csv
import io
import os
import re
import time
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Protocol

from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from competition.errors import N_, Problem

# What makes Excel, LibreOffice or WPS read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def safe_cell(value: object) -> object:
    """The value to put in a cell: a text loses its control characters, and gets a
    leading ``'`` when a spreadsheet would take it for a formula; numbers, dates and
    None are unchanged."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return QUOTE + value if value.startswith(FORMULA_STARTS) else value


def workbook_bytes(book) -> bytes:
    """The workbook as an .xlsx file, every text cell made safe first (``safe_cell``): a
    name or work unit typed as ``=HYPERLINK(…)`` is shown as text, never run as a
    formula, whichever export wrote it. Every workbook the app produces is saved here."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.value = safe_cell(cell.value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def unquote_cell(text: str) -> str:
    """A text read from a cell written by ``safe_cell``, as it was typed."""
    if text.startswith(QUOTE) and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


# --- Reading an uploaded list ----------------------------------------------------------

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Old binary Excel files (.xls, Excel 97–2003) start with the OLE2 signature.
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The sheet of a template that explains how to fill it in; never read as data.
GUIDE_SHEET = "填写说明"
# The largest list an import takes: a city's largest contest has a few thousand contestants.
MAX_ROWS = 20_000
MAX_BYTES = 10 * 1024 * 1024


def cell_text(value: object) -> str:
    """A cell as text: numbers without a trailing .0, dates as 2026-01-31."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() \
            else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).replace("\u3000", " ").strip()


def xlsx_rows(data: bytes, sheet_name: str):
    """Numbered rows of the sheet ``sheet_name`` (else the first sheet that is not
    ``GUIDE_SHEET``) and None, read within the limits of ``bounded_rows`` once the archive
    passed ``archive_problem``; or None and the problem that stops reading."""
    problem = archive_problem(data)
    if problem is not None:
        return None, problem
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors on damaged or foreign files
        return None, Problem(NOT_A_WORKBOOK)
    names = [name for name in book.sheetnames if name != GUIDE_SHEET] or book.sheetnames
    sheet = book[sheet_name] if sheet_name in book.sheetnames else book[names[0]]
    # Some programs write a wrong size into the file; read what is really there.
    sheet.reset_dimensions()

    def numbered():
        try:
            yield from enumerate(bounded_rows(sheet.iter_rows(values_only=True)), start=1)
        finally:
            book.close()

    return numbered(), None


def csv_rows(data: bytes, not_a_list: Problem):
    """Numbered records of a CSV (or tab-separated) text file in UTF-8, GBK or UTF-16 and
    None; or None and the problem: ``not_a_list`` for a binary file or broken records."""
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, not_a_list
    text = decode_text(data)
    if text is None:
        return None, Problem(N_("The file's text is neither UTF-8 nor GBK: save it from "
                                "Excel as “CSV UTF-8” or as an Excel workbook (.xlsx) and "
                                "upload it again."))
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = list(reader)
    except csv.Error:
        return None, not_a_list
    return enumerate(records, start=1), None


def decode_text(data: bytes) -> str | None:
    """UTF-8 (with or without BOM) first, then GBK — read as GB 18030, its superset —
    which is what Excel on a Chinese Windows writes as “CSV”; UTF-16 when it says so."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


# --- The header row of an imported list ------------------------------------------------
#
# The lists people upload (contestants, theory scores, experts) come from many
# offices, each with its own words for a column: 单位名称 or 所在单位 for 工作单位,
# 身份证号码 or 证件号码 for 身份证号. Every importer describes its columns with the
# headers it accepts, and reads the header row here, so that all three
# understand a header alike. A header is compared without its spaces (full-width
# ones too), without a required mark * or a hint in brackets — 姓名（必填）,
# 工作单位(选填) — and with latin letters in any case. Columns every list carries
# (序号, 备注, 编号) are skipped quietly; any other column nobody can place is
# reported, so that the organizer sees what would be left out before importing.

# Columns skipped without a word, unless an importer knows them as one of its own.
IGNORED_HEADERS = ("序号", "编号", "备注", "备注说明", "说明", "No.", "No")
# How far down a header row is looked for, under a title such as “XX大赛报名表”.
HEADER_SEARCH_ROWS = 10
# A hint after the name: 工作单位（选填）, 姓名[必填], 电话【手机】.
_HINT = re.compile(r"[(\[【〔].*$")
_MARKS = "*:"


class HeaderColumn(Protocol):
    key: str  # what the importer calls the column
    header: str  # the header its template writes
    required: bool  # a file without it is refused
    aliases: tuple[str, ...]  # other headers accepted for it


@dataclass
class HeaderMatch:
    """How the header row of a file was read."""

    number: int | None = None  # the header's row number (the first row is 1); None: not found
    columns: dict[str, int] = field(default_factory=dict)  # column key → index in the row
    headers: dict[str, str] = field(default_factory=dict)  # column key → header as written
    unknown: list[str] = field(default_factory=list)  # headers no column takes, as written
    ignored: list[str] = field(default_factory=list)  # 序号, 备注 …: skipped quietly

    def recognized(self, names: dict[str, str]) -> list[tuple[str, str]]:
        """(the importer's name of the column, the file's header) in the file's order;
        ``names`` gives the importer's name of each key."""
        return [(names.get(key, key), self.headers[key])
                for key, _ in sorted(self.columns.items(), key=lambda item: item[1])]


def header_key(header: object) -> str:
    """A header as compared: full-width forms, spaces, a required mark ``*`` and a hint
    in brackets left out, latin letters in lower case. 工作单位（必填）→ 工作单位."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", header_text(header)))
    text = text.strip(_MARKS)
    if text[:1] not in ("(", "[", "【", "〔"):
        text = _HINT.sub("", text)
    return text.strip(_MARKS).casefold()


def header_text(value: object) -> str:
    """A header cell as written, without surrounding spaces (full-width ones too)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\u3000", " ").strip()


_IGNORED_KEYS = frozenset(header_key(header) for header in IGNORED_HEADERS)


def header_lookup(columns: Iterable[HeaderColumn]) -> dict[str, str]:
    """Every accepted header (as ``header_key`` gives it) → the key of its column; the
    first column to claim a header keeps it."""
    lookup: dict[str, str] = {}
    for column in columns:
        for header in (column.header, *column.aliases):
            lookup.setdefault(header_key(header), column.key)
    return lookup


def match_headers(values: Iterable[object] | None, lookup: dict[str, str],
                  place: Callable[[str], str | None] | None = None) -> HeaderMatch:
    """Which column of a row holds what. ``lookup`` is ``header_lookup``'s; ``place``
    may name the column of a header the lookup does not have (the theory import's
    module columns). A second column of a kind already found counts as unknown: only
    the first is read."""
    match = HeaderMatch()
    for index, value in enumerate(values or ()):
        text = header_text(value)
        if not text:
            continue
        key = lookup.get(header_key(text))
        if key is None and place is not None:
            key = place(text)
        if key is not None and key not in match.columns:
            match.columns[key] = index
            match.headers[key] = text
        elif key is None and header_key(text) in _IGNORED_KEYS:
            match.ignored.append(text)
        else:
            match.unknown.append(text)
    return match


def find_header(table: Iterator[tuple[int, Sequence[object]]], lookup: dict[str, str], *,
                place: Callable[[str], str | None] | None = None,
                enough: int = 2) -> tuple[HeaderMatch, bool]:
    """The header row among the first ``HEADER_SEARCH_ROWS`` numbered rows of ``table``:
    the first naming at least ``enough`` known columns. Returns its match (``number``
    set) and False; when there is none, the row naming the most known columns (``number``
    None) and whether every row looked at was empty. ``table`` is left just under the
    header row."""
    best, blank = HeaderMatch(), True
    for looked, (number, values) in enumerate(table, start=1):
        blank = blank and all(header_text(value) == "" for value in values or ())
        match = match_headers(values, lookup, place)
        if len(match.columns) >= enough:
            match.number = number
            return match, False
        if len(match.columns) > len(best.columns):
            best = match
        if looked >= HEADER_SEARCH_ROWS:
            break
    return best, blank


def missing_column(header: str, accepted: Iterable[str], *, row: int | None) -> Problem:
    """The problem of a file without a required column, naming the headers accepted."""
    named = set(header.split("/"))  # 准考证号/身份证号: either of two columns
    accepted = [text for text in dict.fromkeys(accepted) if text not in named]
    if not accepted:
        return Problem(N_("The header row has no %(column)s column."), {"column": header},
                       row=row or 1, column=header)
    return Problem(N_("The header row has no %(column)s column; it may also be headed "
                      "%(variants)s."), {"column": header, "variants": "、".join(accepted)},
                   row=row or 1, column=header)


def missing_columns(match: HeaderMatch, columns: Iterable[HeaderColumn]) -> list[Problem]:
    """A problem for each required column the header row lacks."""
    return [missing_column(column.header, (column.header, *column.aliases), row=match.number)
            for column in columns if column.required and column.key not in match.columns]


def unknown_columns_problem(match: HeaderMatch) -> Problem:
    """Why a file with unrecognized columns is not imported before the organizer
    confirms that they may be left out."""
    return Problem(N_("The file has columns that cannot be imported: %(columns)s. Confirm "
                      "that they may be left out, or rename them as the template does."),
                   {"columns": "、".join(match.unknown)}, row=match.number)


# --- One reader for every imported list ------------------------------------------------
#
# Every import reads its file alike: refuse what is no list at all (empty, too large, an
# old .xls, neither a workbook nor a CSV file), find the header row under any title
# rows, map the columns, walk the rows with the numbers Excel shows, skip blank rows,
# refuse a list longer than its limit or with nothing under the header. What is left to
# each import is what it declares — its columns and the words of its refusals — and its
# rules for a row and for the whole file, applied to the rows read here.

NOT_A_WORKBOOK = N_("The file is not an Excel workbook (.xlsx).")


@dataclass(frozen=True)
class TableColumn:
    """A column of an imported list: the ``HeaderColumn`` an import declares, with what its
    template shows of it."""

    key: str  # what the import calls the column (the field it fills, ``Problem.column``)
    header: str  # the header cell, exactly as the template writes it; problems name it
    required: bool = False  # a file without it is refused
    explanation: str = ""  # for the template's 填写说明 sheet
    aliases: tuple[str, ...] = ()  # other headers seen in real lists
    width: int = 14  # of the template's column
    text: bool = False  # formatted as text in the template, so Excel keeps every digit


@dataclass(frozen=True)
class TableSpec:
    """What an import declares about its files: the sheet it reads, its columns, and the
    words of the refusals that name what it imports (contestants, experts …)."""

    sheet: str  # the sheet read when a workbook has it; else the first but ``GUIDE_SHEET``
    columns: tuple[TableColumn, ...]
    too_many_rows: str  # message: more than %(n)s rows that hold data
    no_rows: str  # message: nothing under the header row (named as the row below it)
    # Message for a file that is neither a workbook nor a CSV file; None: a workbook only.
    not_a_list: str | None = None
    # File name endings accepted (``os.path.splitext``, lower case; "" for none); None: any.
    suffixes: tuple[str, ...] | None = None

    @cached_property
    def lookup(self) -> dict[str, str]:
        return header_lookup(self.columns)

    @cached_property
    def headers(self) -> dict[str, str]:
        """Column key → the header problems name."""
        return {column.key: column.header for column in self.columns}


@dataclass(frozen=True)
class TableRow:
    """One row of a list that holds data in at least one of the columns read."""

    number: int  # as Excel (or a text editor, for CSV) shows it: the first row is 1
    cells: dict[str, object]  # column key → the cell as read (None past a short row)
    names: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    def text(self, key: str) -> str:
        """A cell as text (``cell_text``); "" for a column the file does not have."""
        return cell_text(self.cells.get(key))

    def texts(self) -> dict[str, str]:
        """Every cell of the row as text, by column key."""
        return {key: cell_text(value) for key, value in self.cells.items()}

    def problem(self, key: str, message: str, **params) -> Problem:
        """A problem of a cell of this row, naming its column as the import's template
        heads it (a column only the file has, such as a theory module's, as the file
        heads it)."""
        return Problem(message, params, row=self.number, column=self.names.get(key, key))


@dataclass
class Table:
    """What ``read_table`` read: the rows holding data, the problems of the file as a
    whole (when there is one, no row is given), and how the header row was read."""

    rows: list[TableRow]
    problems: list[Problem]
    header: HeaderMatch = field(default_factory=HeaderMatch)


def file_problem(data: bytes, *, max_bytes: int | None = MAX_BYTES) -> Problem | None:
    """Why an upload is no list at all before anything is read: empty, larger than
    ``max_bytes`` (None: any size), or an old binary Excel file; None when none."""
    if not data:
        return Problem(N_("The file is empty."))
    if max_bytes is not None and len(data) > max_bytes:
        return Problem(N_("The file is larger than %(mb)s MB."),
                       {"mb": max_bytes // (1024 * 1024)})
    if data.startswith(OLE2_SIGNATURE):
        return Problem(N_("This is an old Excel 97–2003 file (.xls). Save it as an Excel "
                          "workbook (.xlsx) and upload it again."))
    return None


def workbook_problem(data: bytes, *, max_bytes: int | None = MAX_BYTES) -> Problem | None:
    """Why an upload that must be an .xlsx workbook is not opened (``file_problem``, not a
    ZIP archive, ``archive_problem``); None when openpyxl may open it."""
    problem = file_problem(data, max_bytes=max_bytes)
    if problem is None and not zipfile.is_zipfile(io.BytesIO(data)):
        problem = Problem(NOT_A_WORKBOOK)
    return problem or archive_problem(data)


def read_table(data: bytes, filename: str, spec: TableSpec, *,
               place: Callable[[str], str | None] | None = None,
               header_problems: Callable[[HeaderMatch], list[Problem]] | None = None,
               max_rows: int = MAX_ROWS, max_bytes: int = MAX_BYTES) -> Table:
    """The rows of an uploaded .xlsx workbook or CSV file under its header row.

    The file is refused, with no rows, when it is empty, larger than ``max_bytes``, an
    old .xls, neither a workbook nor (when ``spec.not_a_list`` allows one) a CSV file in
    UTF-8, GBK or UTF-16, a workbook that would unpack to too much (``archive_problem``,
    ``bounded_rows``), when no header row is found among the first
    ``HEADER_SEARCH_ROWS`` rows, when a required column or one of ``header_problems``
    (the import's own rules for the header, given the match) is missing, when more than
    ``max_rows`` rows hold data, or when none does. The header row is found by
    ``find_header``: a title above it is skipped, ``place`` may name the column of a
    header the columns do not declare. A row is read when a column of the header holds
    something in it; blank rows, and rows with data only in columns not read, are
    skipped, keeping the numbers of the others as Excel shows them.
    """
    problem = file_problem(data, max_bytes=max_bytes)
    table = None
    if problem is None:
        table, problem = _open_table(data, filename, spec)
    if problem is not None:
        return Table(rows=[], problems=[problem])
    try:
        return _read_rows(table, spec, place, header_problems, max_rows)
    except TooBigToRead as too_big:
        return Table(rows=[], problems=[too_big.problem])
    finally:
        close = getattr(table, "close", None)  # the workbook's rows close the workbook
        if close is not None:
            close()


def _open_table(data: bytes, filename: str, spec: TableSpec):
    """Numbered rows of the workbook or CSV file and None, or None and the problem."""
    name = (filename or "").lower()
    if spec.suffixes is not None and os.path.splitext(name)[1] not in spec.suffixes:
        return None, Problem(spec.not_a_list or NOT_A_WORKBOOK)
    if zipfile.is_zipfile(io.BytesIO(data)):
        return xlsx_rows(data, spec.sheet)
    if spec.not_a_list is None or name.endswith((".xlsx", ".xlsm")):
        return None, Problem(NOT_A_WORKBOOK)
    return csv_rows(data, Problem(spec.not_a_list))


def _read_rows(table: Iterator[tuple[int, Sequence[object]]], spec: TableSpec,
               place: Callable[[str], str | None] | None,
               header_problems: Callable[[HeaderMatch], list[Problem]] | None,
               max_rows: int) -> Table:
    header, blank = find_header(table, spec.lookup, place=place)
    if header.number is None and blank:
        return Table(rows=[], problems=[Problem(N_("The file is empty."))], header=header)
    missing = missing_columns(header, spec.columns)
    if header_problems is not None:
        missing += header_problems(header)
    if missing:
        return Table(rows=[], problems=missing, header=header)
    # Problems name a declared column as the template heads it, another as the file does.
    names = {**header.headers, **spec.headers}
    rows: list[TableRow] = []
    for number, values in table:
        cells = {key: values[index] if index < len(values) else None
                 for key, index in header.columns.items()}
        if all(cell_text(value) == "" for value in cells.values()):
            continue
        if len(rows) >= max_rows:
            return Table(rows=[], header=header,
                         problems=[Problem(spec.too_many_rows, {"n": max_rows})])
        rows.append(TableRow(number=number, cells=cells, names=names))
    if not rows:
        return Table(rows=[], header=header,
                     problems=[Problem(spec.no_rows, row=header.number + 1)])
    return Table(rows=rows, problems=[], header=header)


def template_header(sheet, columns: Iterable[TableColumn], *,
                    formats: Mapping[str, str] | None = None) -> None:
    """The header row of a list's template (or export) on ``sheet``: the columns' headers
    in bold, red for a required column, and their widths; text columns formatted as
    text ("@") and the others as ``formats`` says (key → number format) — the column's
    style is what Excel and WPS apply to cells typed in later; the header row frozen."""
    columns = list(columns)
    sheet.append([column.header for column in columns])
    fill = PatternFill("solid", fgColor="DDEBF7")
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True, color="C00000" if column.required else None)
        cell.fill = fill
        cell.alignment = Alignment(vertical="center")
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = column.width
        number_format = "@" if column.text else (formats or {}).get(column.key)
        if number_format:
            sheet.column_dimensions[letter].number_format = number_format
    sheet.freeze_panes = "A2"


def column_guide(sheet, columns: Iterable[TableColumn]) -> None:
    """The table of a template's columns on its 填写说明 sheet: 列名, 是否必填, 说明."""
    sheet.append(["列名", "是否必填", "说明"])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for column in columns:
        sheet.append([column.header, "必填" if column.required else "选填", column.explanation])


# --- People's names -------------------------------------------------------------------

# The middle dot of a name such as 阿卜杜·热合曼, as keyboards, fonts and exam systems
# write it (after NFKC: the full-width and half-width forms are among these).
NAME_DOTS = "·•‧・∙⋅⸱."
_NAME_DOT = str.maketrans(dict.fromkeys(NAME_DOTS, "·"))


def name_key(name: str | None) -> str:
    """A name as compared, never as shown or stored: two names are the same when their
    keys are.

    The rule, for people's names (a score's 姓名 against the registration's) and the
    names of what an import looks up by name (赛项, 组别, 职业):

    - full-width and other compatibility forms count as their plain form (NFKC):
      ＺＨＡＮＧ is ZHANG;
    - whitespace does not count, wherever it is and whatever its kind (full-width
      spaces U+3000, non-breaking spaces, tabs, line breaks), nor invisible format
      characters (zero-width spaces, a BOM): 张 三 is 张三;
    - every kind of middle dot (· • ‧ ・ ∙ ⋅ ⸱ and the full stop .) is one dot, but the
      dot still counts: 阿卜杜•热合曼 is 阿卜杜·热合曼, not 阿卜杜热合曼;
    - latin letters are compared in any case: Zhang Wei is ZHANG WEI.

    Nothing else is forgiven: a different character, or a dot where there is none, is
    another name.
    """
    text = unicodedata.normalize("NFKC", name or "")
    text = "".join(char for char in text
                   if not char.isspace() and unicodedata.category(char) != "Cf")
    return text.translate(_NAME_DOT).casefold()


# --- What an uploaded workbook may unpack to ----------------------------------------
#
# An .xlsx file is a ZIP archive: a few megabytes can unpack to gigabytes (a "zip
# bomb"), and a sheet can hold a million formatted but empty rows. Both are refused
# before they cost the server its memory or its time: the archive's members are
# measured from its directory before anything is unpacked, every row read counts
# against a cap whether or not it holds anything, and reading stops after a time
# budget.

MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # the members together, uncompressed
MAX_MEMBER_RATIO = 200  # uncompressed ÷ compressed, for a member above 1 MB unpacked
MAX_MEMBERS = 2000
MAX_READ_ROWS = 50_000  # rows read, empty or not (every importer caps data rows lower)
READ_SECONDS = 20.0


class TooBigToRead(Exception):
    """Reading an uploaded workbook went past a limit; ``problem`` says which."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def archive_problem(data: bytes) -> Problem | None:
    """Why an .xlsx archive may not be unpacked (None: it may). Reads the ZIP directory
    only: nothing is decompressed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return Problem(NOT_A_WORKBOOK)
    if len(members) > MAX_MEMBERS:
        return Problem(N_("The workbook holds too many parts to be a list: save it again "
                          "from Excel as a plain workbook."))
    unpacked = sum(member.file_size for member in members)
    if unpacked > MAX_UNPACKED_BYTES:
        return Problem(N_("The workbook unpacks to more than %(mb)s MB: it holds far more "
                          "than a list of rows. Copy the rows into a new workbook and "
                          "upload that."), {"mb": MAX_UNPACKED_BYTES // (1024 * 1024)})
    for member in members:
        if member.file_size > 1024 * 1024 and \
                member.file_size > MAX_MEMBER_RATIO * max(member.compress_size, 1):
            return Problem(N_("The workbook is compressed far more than any list of rows "
                              "(a “zip bomb”?): it was not opened. Copy the rows into a "
                              "new workbook and upload that."))
    return None


def bounded_rows(rows: Iterable[tuple], *, max_rows: int = MAX_READ_ROWS,
                 seconds: float = READ_SECONDS) -> Iterator[tuple]:
    """The rows of a sheet as read, stopping with ``TooBigToRead`` after ``max_rows``
    rows — empty and formatted rows count too — or after ``seconds`` of reading."""
    deadline = time.monotonic() + seconds
    for count, row in enumerate(rows, start=1):
        if count > max_rows:
            raise TooBigToRead(Problem(
                N_("The sheet has more than %(n)s rows, counting empty rows that only "
                   "carry formatting: copy the rows that hold data into a new workbook "
                   "and upload that."), {"n": max_rows}))
        if count % 500 == 0 and time.monotonic() > deadline:
            raise TooBigToRead(Problem(
                N_("Reading the file took too long (over %(seconds)s seconds): copy the "
                   "rows that hold data into a new workbook and upload that."),
                {"seconds": int(seconds)}))
        yield row
