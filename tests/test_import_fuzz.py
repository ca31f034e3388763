"""The three importers fed malformed files: whatever the bytes, a clear refusal
with problems a person can read — never a crash, never part of a file imported.

Property-based (hypothesis): bytes that are no spreadsheet at all, spreadsheets cut
short or with bytes changed, CSV text in encodings other than UTF-8 and GBK, and
workbooks with the right header over cells of every type — formulas never
calculated, huge numbers, dates, booleans, merged cells, empty sheets in front.
After each, the database holds no new row (contestants, entries, theory scores,
audit events, modules, criteria).
"""

from __future__ import annotations

import io
import os
import zipfile
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import func, select

from competition.audit.models import AuditEvent
from competition.entries import importer
from competition.entries.models import Contestant, Entry
from competition.entries.registrations import RegistrationError
from competition.errors import translate_problem
from competition.events import scheme_excel
from competition.events.models import Criterion, Module
from competition.events.setup import SetupError, replace_marking_scheme
from competition.extensions import db
from competition.judging.models import ExternalScore
from competition.results import theory_import
from competition.results.theory_import import TheoryImportError
from tests import builders

TODAY = date(2026, 6, 1)
# Repeatable in CI; IMPORT_FUZZ_EXAMPLES=500 IMPORT_FUZZ_RANDOM=1 explores further.
FUZZ = settings(max_examples=int(os.environ.get("IMPORT_FUZZ_EXAMPLES", "40")),
                derandomize=not os.environ.get("IMPORT_FUZZ_RANDOM"),
                deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
TABLES = (Contestant, Entry, ExternalScore, AuditEvent, Module, Criterion)

# --- What files are made of --------------------------------------------------------

# Text openpyxl can write (no control characters, no lone surrogates).
TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=40)
CELL = st.one_of(
    st.none(), TEXT,
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(9999, 12, 31)),
    st.dates(min_value=date(1900, 3, 1)),
    st.sampled_from([
        "=1+1", "=A1*2", "=SUM(A1:A9)", '=HYPERLINK("http://example.invalid","x")',
        "=1/0", "#DIV/0!", "#N/A", " ", "\u3000", "１２３", "421202198805171222",
        "4.21202199001011e+17", "一级", "高级工", "男", "女", "职工组", "理论", "实操",
        "客观", "主观", "-0", "1e400", "NaN", "Infinity", "100.00001", "=\"\"",
    ]),
)


@st.composite
def workbooks(draw, sheet: str, headers: tuple[str, ...]) -> bytes:
    """A workbook whose sheet has the importer's header (some columns dropped or moved)
    over rows of any cells, perhaps merged, perhaps behind empty sheets."""
    book = Workbook()
    first = book.active
    if draw(st.booleans()):
        first.title = "Sheet"
        target = book.create_sheet(draw(st.sampled_from([sheet, "Sheet2", "名单"])))
    else:
        first.title = draw(st.sampled_from([sheet, sheet, "Sheet1"]))
        target = first
    columns = draw(st.permutations(headers))
    columns = columns[:draw(st.integers(0, len(columns)))] if draw(st.booleans()) else columns
    if draw(st.booleans()):
        target.append([draw(CELL)])  # a title line above the header
    target.append(list(columns) + draw(st.lists(CELL, max_size=2)))
    width = max(len(columns), 1)
    for _ in range(draw(st.integers(0, 6))):
        target.append(draw(st.lists(CELL, min_size=0, max_size=width + 2)))
    for _ in range(draw(st.integers(0, 2))):
        row, column = draw(st.integers(1, 8)), draw(st.integers(1, width))
        target.merge_cells(start_row=row, start_column=column,
                           end_row=row + draw(st.integers(0, 2)),
                           end_column=column + draw(st.integers(0, 2)))
    if draw(st.booleans()):
        book.create_sheet("空表")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


_GOOD: dict[str, bytes] = {}


def _good(name: str, make) -> bytes:
    """A well-made file of each importer, made once: the bytes to break must not change
    between examples (a workbook records when it was saved)."""
    if name not in _GOOD:
        _GOOD[name] = make()
    return _GOOD[name]


def _valid_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook><sheets/></workbook>")
    return out.getvalue()


@st.composite
def broken_files(draw, good: bytes) -> bytes:
    """Bytes that are no usable spreadsheet: random, cut short, changed in places, an old
    .xls header, a zip without a workbook in it, or an empty file."""
    kind = draw(st.sampled_from(["random", "truncated", "flipped", "xls", "zip", "empty"]))
    if kind == "random":
        return draw(st.binary(min_size=1, max_size=3000))
    if kind == "truncated":
        return good[:draw(st.integers(1, len(good) - 1))]
    if kind == "flipped":
        data = bytearray(good)
        for _ in range(draw(st.integers(1, 20))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return bytes(data)
    if kind == "xls":
        return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + draw(st.binary(max_size=200))
    if kind == "zip":
        return _valid_zip()
    return b""


@st.composite
def foreign_csv(draw, headers: tuple[str, ...]) -> bytes:
    """A CSV of the right columns saved in an encoding the importer does not read."""
    rows = [",".join(headers)] + [
        ",".join(draw(st.lists(st.text(st.characters(blacklist_categories=("Cs",)),
                                       max_size=12), max_size=len(headers))))
        for _ in range(draw(st.integers(0, 4)))]
    text = "\n".join(rows)
    encoding = draw(st.sampled_from(["utf-16-le", "utf-16-be", "big5", "shift_jis",
                                     "euc-kr", "utf-32"]))
    return text.encode(encoding, errors="replace")


# --- The database before and after --------------------------------------------------

def _counts() -> dict[str, int]:
    return {table.__name__: db.session.scalar(select(func.count()).select_from(table))
            for table in TABLES}


def _readable(problems) -> None:
    """Every problem says something in words, in the default language."""
    assert problems
    for problem in problems:
        assert translate_problem(problem).strip()


@pytest.fixture
def setting(app):
    """A competition with 养老护理员 (theory module 理论知识 + practical module A) and one
    contestant entered, committed, so each example can be rolled back to it."""
    from competition.entries import registrations as entries
    from competition.entries.idcard import make_id_number
    from competition.entries.validation import PersonData

    organizer = builders.user("organizer")
    competition = builders.competition("咸宁市第七届技能大赛", organizers=(organizer,))
    care = builders.event(competition, "养老护理员", divisions=("职工组", "学生组"))
    theory = builders.module(care, code="T", weight=20, kind="theory", criteria=())
    theory.name = "理论知识"
    builders.module(care, code="A", weight=80)
    entries.register(db.session, care, care.divisions[0], PersonData(
        name="王芳", id_number=make_id_number("421202", date(1988, 5, 17), 122, "F")),
        today=TODAY)
    db.session.commit()
    with app.test_request_context():  # problems are read in the default language
        yield organizer, competition, care


# --- Contestants (entries/importer.py) ----------------------------------------------

def _import_contestants(competition, filename: str, data: bytes) -> None:
    before = _counts()
    preview = importer.preview_file(db.session, competition, filename, data, TODAY)
    try:
        importer.import_file(db.session, competition, filename, data, TODAY)
    except RegistrationError as refused:
        # The preview showed why: its problems, or the columns it would leave out (the
        # import refuses those until the organizer confirms).
        assert preview.problems or preview.unknown_columns, "the preview let it through"
        _readable(refused.problems)
        # Refused whole: not even a flushed row is left in the session.
        assert _counts() == before
    else:
        assert preview.ok
    db.session.rollback()
    assert _counts() == before


@FUZZ
@given(data=st.data())
def test_contestant_import_refuses_any_broken_file(setting, data):
    _, competition, _ = setting
    good = _good("contestants", lambda: importer.template_workbook(competition))
    body = data.draw(st.one_of(broken_files(good), foreign_csv(importer.HEADERS)))
    name = data.draw(st.sampled_from(["选手名单.xlsx", "名单.csv", "名单", "a.xlsm"]))
    _import_contestants(competition, name, body)


@FUZZ
@given(body=workbooks(importer.SHEET, importer.HEADERS))
def test_contestant_import_of_any_workbook_is_all_or_nothing(setting, body):
    _, competition, _ = setting
    _import_contestants(competition, "选手名单.xlsx", body)


@FUZZ
@given(text=st.text(max_size=400), encoding=st.sampled_from(["utf-8", "utf-8-sig",
                                                            "gb18030"]))
def test_contestant_import_of_any_csv_text_is_all_or_nothing(setting, text, encoding):
    _, competition, _ = setting
    body = (",".join(importer.HEADERS) + "\n" + text).encode(encoding, errors="replace")
    _import_contestants(competition, "名单.csv", body)


def test_a_huge_contestant_file_is_refused_in_words(setting):
    _, competition, _ = setting
    too_big = b"0" * (importer.MAX_BYTES + 1)
    preview = importer.preview_file(db.session, competition, "名单.csv", too_big, TODAY)
    assert [translate_problem(p) for p in preview.problems] == ["文件超过 10 MB。"]
    rows = ",".join(importer.HEADERS) + "\n" + "王芳,421202198805171222\n" * (
        importer.MAX_ROWS + 1)
    preview = importer.preview_file(db.session, competition, "名单.csv",
                                    rows.encode(), TODAY)
    assert "20000" in translate_problem(preview.problems[0])
    assert _counts()["Entry"] == 1


# --- Theory scores (results/theory_import.py) ---------------------------------------

THEORY_HEADERS = ("序号", "准考证号", "身份证号", "姓名", "理论知识", "理论成绩")


def _import_theory(event, organizer, data: bytes) -> None:
    before = _counts()
    preview = theory_import.preview_file(db.session, event, data)
    try:
        theory_import.import_file(db.session, event, organizer, "理论成绩.xlsx", data)
    except TheoryImportError as refused:
        # A file with unknown columns is shown in the preview, and refused until confirmed.
        assert preview.problems or preview.unknown_columns, "the preview let it through"
        _readable(refused.problems)
        assert _counts() == before
    else:
        assert preview.ok
    db.session.rollback()
    assert _counts() == before


@FUZZ
@given(data=st.data())
def test_theory_import_refuses_any_broken_file(setting, data):
    organizer, _, care = setting
    good = _good("theory", lambda: theory_import.template_workbook(db.session, care))
    body = data.draw(st.one_of(broken_files(good), foreign_csv(THEORY_HEADERS)))
    _import_theory(care, organizer, body)


@FUZZ
@given(body=workbooks(theory_import.SHEET, THEORY_HEADERS))
def test_theory_import_of_any_workbook_is_all_or_nothing(setting, body):
    organizer, _, care = setting
    _import_theory(care, organizer, body)


# --- Marking schemes (events/scheme_excel.py) ---------------------------------------

def _import_scheme(event, data: bytes) -> None:
    before = _counts()
    try:
        specs = scheme_excel.parse_workbook(data)
        replace_marking_scheme(db.session, event, specs)
    except SetupError as refused:
        _readable(refused.problems or [refused])
        db.session.rollback()
        assert _counts() == before
    db.session.rollback()
    assert _counts() == before


@FUZZ
@given(data=st.data())
def test_scheme_import_refuses_any_broken_file(setting, data):
    _, _, care = setting
    good = _good("scheme", scheme_excel.template_workbook)
    body = data.draw(st.one_of(broken_files(good), foreign_csv(scheme_excel.HEADERS)))
    _import_scheme(care, body)


@FUZZ
@given(body=workbooks(scheme_excel.SHEET, scheme_excel.HEADERS))
def test_scheme_import_of_any_workbook_is_refused_in_words_or_taken_whole(setting, body):
    _, _, care = setting
    _import_scheme(care, body)
