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
and expert imports: the rows of an uploaded workbook or CSV file (``xlsx_rows``,
``csv_rows``) within the limits of a list, a cell as text (``cell_text``) and the header
row (``find_header``).

Pure: no request, no database.
"""

from __future__ import annotations

import csv
import io
import re
import time
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

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
        return None, Problem(N_("The file is not an Excel workbook (.xlsx)."))
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
        return Problem(N_("The file is not an Excel workbook (.xlsx)."))
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
