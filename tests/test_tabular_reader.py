"""The one reader of imported lists (``spreadsheet.read_table``) and the one rule for
comparing names (``spreadsheet.name_key``), apart from any import that uses them.

Pure: no app, no database.
"""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from openpyxl import Workbook

from competition.errors import Problem
from competition.spreadsheet import (
    GUIDE_SHEET,
    OLE2_SIGNATURE,
    HeaderMatch,
    TableColumn,
    TableSpec,
    column_guide,
    name_key,
    read_table,
    template_header,
    workbook_problem,
)

COLUMNS = (
    TableColumn("name", "姓名", True, aliases=("选手姓名",)),
    TableColumn("id_number", "身份证号", True, aliases=("身份证号码", "证件号码")),
    TableColumn("work_unit", "工作单位", False, aliases=("单位名称", "所在单位")),
    TableColumn("score", "成绩", False),
)
SPEC = TableSpec(
    sheet="名单", columns=COLUMNS,
    too_many_rows="The file has more than %(n)s people.",
    no_rows="The file has no people under its header row.",
    not_a_list="Neither a workbook nor a CSV file.")
WORKBOOK_ONLY = TableSpec(sheet="名单", columns=COLUMNS, too_many_rows="Too many: %(n)s.",
                          no_rows="None.")
NOT_A_WORKBOOK = "The file is not an Excel workbook (.xlsx)."
WANG = "421202198805171222"
LI = "42128119900101001X"


def xlsx(rows: list[list | tuple], *, title: str = "名单", guide_first: bool = False) -> bytes:
    """A workbook whose sheet ``title`` holds ``rows`` from row 1 (None: an empty row)."""
    book = Workbook()
    sheet = book.active
    if guide_first:
        sheet.title = GUIDE_SHEET
        sheet.append(["请在“名单”表中填写"])
        sheet = book.create_sheet(title)
    else:
        sheet.title = title
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row or (), start=1):
            sheet.cell(row=number, column=column, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read(data: bytes, filename: str = "名单.xlsx", spec: TableSpec = SPEC, **kwargs):
    return read_table(data, filename, spec, **kwargs)


def problems(table) -> list[tuple]:
    return [(p.message, p.params, p.row, p.column) for p in table.problems]


def numbered(table) -> list[tuple[int, dict[str, str]]]:
    return [(row.number, row.texts()) for row in table.rows]


# --- The header row --------------------------------------------------------------------

def test_the_header_is_found_under_a_title_and_rows_keep_their_excel_numbers():
    table = read(xlsx([
        ["2026年咸宁市技能大赛报名表"],
        None,
        ["序号", "姓名", "身份证号", "工作单位"],
        [1, "王芳", WANG, "咸宁市社会福利院"],
        [2, "李强", LI],
    ]))
    assert not table.problems
    assert table.header.number == 3
    assert table.header.ignored == ["序号"] and table.header.unknown == []
    assert numbered(table) == [
        (4, {"name": "王芳", "id_number": WANG, "work_unit": "咸宁市社会福利院"}),
        (5, {"name": "李强", "id_number": LI, "work_unit": ""}),
    ]


def test_a_header_is_read_under_any_of_its_names_and_problems_name_the_template_header():
    table = read(xlsx([["证件号码", "选手姓名（必填）", "单位名称", "考试时间"],
                       [WANG, "王芳", "福利院", "上午"]]))
    assert not table.problems
    assert table.header.columns == {"id_number": 0, "name": 1, "work_unit": 2}
    assert table.header.headers["name"] == "选手姓名（必填）"
    assert table.header.unknown == ["考试时间"]
    assert table.header.recognized({c.key: c.header for c in COLUMNS}) == [
        ("身份证号", "证件号码"), ("姓名", "选手姓名（必填）"), ("工作单位", "单位名称")]
    [row] = table.rows
    problem = row.problem("id_number", "Bad %(x)s.", x=1)
    assert (problem.message, problem.params, problem.row, problem.column) == (
        "Bad %(x)s.", {"x": 1}, 2, "身份证号")


def test_a_missing_required_column_refuses_the_file_naming_what_it_may_be_headed():
    table = read(xlsx([["报名表"], ["姓名", "工作单位"], ["王芳", "福利院"]]))
    assert problems(table) == [(
        "The header row has no %(column)s column; it may also be headed %(variants)s.",
        {"column": "身份证号", "variants": "身份证号码、证件号码"}, 2, "身份证号")]
    assert table.rows == [] and table.header.number == 2


def test_without_a_header_row_every_required_column_is_missing_on_row_1():
    table = read(xlsx([["甲", "乙"], ["丙", "丁"]]))
    assert [(p.params["column"], p.row) for p in table.problems] == [("姓名", 1), ("身份证号", 1)]


def test_a_column_the_import_places_itself_and_its_own_header_rules():
    def place(text: str) -> str | None:
        return "module:7" if text == "理论知识" else None

    seen: list[HeaderMatch] = []

    def no_problems(header: HeaderMatch) -> list[Problem]:
        seen.append(header)
        return []

    table = read(xlsx([["姓名", "身份证号", "理论知识"], ["王芳", WANG, "abc"]]),
                 place=place, header_problems=no_problems)
    assert [header.columns for header in seen] == [
        {"name": 0, "id_number": 1, "module:7": 2}]
    [row] = table.rows
    assert row.cells["module:7"] == "abc"
    # A column only the file has is named as the file heads it.
    assert row.problem("module:7", "Not a number.").column == "理论知识"

    refused = read(xlsx([["姓名", "身份证号"], ["王芳", WANG]]), place=place,
                   header_problems=lambda header: [] if "module:7" in header.columns else [
                       Problem("No score column.", row=header.number)])
    assert problems(refused) == [("No score column.", {}, 1, "")]
    assert refused.rows == [] and refused.header.number == 1


# --- The rows --------------------------------------------------------------------------

def test_blank_rows_and_rows_with_data_only_in_columns_not_read_are_skipped():
    table = read(xlsx([
        ["序号", "姓名", "身份证号", "备注"],
        [1, "王芳", WANG],
        None,
        [2, None, "  ", "调走了"],  # only 序号 and 备注, which are not read
        ["", "\u3000", None],
        [3, "李强", LI],
    ]))
    assert [row.number for row in table.rows] == [2, 6]


def test_cells_keep_their_values_and_read_as_text_as_excel_shows_them():
    table = read(xlsx([["姓名", "身份证号", "成绩", "工作单位"],
                       ["\u3000王芳 ", 4.21202198805171e17, 85.0, datetime(2026, 5, 1)]]))
    [row] = table.rows
    assert isinstance(row.cells["id_number"], float)  # an import may refuse it as such
    assert row.texts() == {"name": "王芳", "id_number": "421202198805171008",
                           "score": "85", "work_unit": "2026-05-01"}
    assert row.text("phone") == ""


def test_a_sheet_is_read_by_its_name_else_the_first_that_is_not_the_guide():
    assert numbered(read(xlsx([["姓名", "身份证号"], ["王芳", WANG]], guide_first=True)))
    assert numbered(read(xlsx([["姓名", "身份证号"], ["王芳", WANG]], title="Sheet1",
                              guide_first=True))) == [(2, {"name": "王芳", "id_number": WANG})]


def test_more_rows_than_the_limit_refuse_the_file_and_empty_rows_do_not_count():
    rows = [["姓名", "身份证号"], ["王芳", WANG], None, ["李强", LI]]
    assert [row.number for row in read(xlsx(rows), max_rows=2).rows] == [2, 4]
    table = read(xlsx([*rows, ["周杰", WANG]]), max_rows=2)
    assert problems(table) == [("The file has more than %(n)s people.", {"n": 2}, None, "")]
    assert table.rows == [] and table.header.number == 1


def test_a_header_with_nothing_under_it_is_refused_on_the_row_below():
    table = read(xlsx([["名单"], ["姓名", "身份证号"], None, [None, None]]))
    assert problems(table) == [("The file has no people under its header row.", {}, 3, "")]


# --- CSV files -------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_a_csv_file_is_read_in_utf8_with_or_without_bom_gbk_and_utf16(encoding):
    text = ("报名表,,\r\n姓名,证件号码,单位名称\r\n"
            "王芳,421202198805171222,咸宁市社会福利院\r\n,,\r\n"
            "阿卜杜·热合曼,42128119900101001X,\"单位,有逗号\"\r\n")
    table = read(text.encode(encoding), "名单.csv")
    assert not table.problems
    assert table.header.number == 2
    assert numbered(table) == [
        (3, {"name": "王芳", "id_number": WANG, "work_unit": "咸宁市社会福利院"}),
        (5, {"name": "阿卜杜·热合曼", "id_number": LI, "work_unit": "单位,有逗号"}),
    ]


def test_a_tab_separated_file_is_read_too():
    table = read(f"姓名\t身份证号\n王芳\t{WANG}\n".encode(), "名单.txt")
    assert numbered(table) == [(2, {"name": "王芳", "id_number": WANG})]


def test_a_text_in_neither_utf8_nor_gbk_is_refused():
    table = read(b"\xff\xff\xff\xfa,\x80\n", "名单.csv")
    assert [p.message for p in table.problems] == [
        "The file's text is neither UTF-8 nor GBK: save it from Excel as “CSV UTF-8” or as "
        "an Excel workbook (.xlsx) and upload it again."]


# --- Files that are no list ------------------------------------------------------------

@pytest.mark.parametrize(("data", "filename", "spec", "message"), [
    (b"", "名单.xlsx", SPEC, "The file is empty."),
    (xlsx([]), "名单.xlsx", SPEC, "The file is empty."),
    (b"\n\n,,\n", "名单.csv", SPEC, "The file is empty."),
    (OLE2_SIGNATURE + b"\0" * 600, "名单.xls", SPEC,
     "This is an old Excel 97–2003 file (.xls). Save it as an Excel workbook (.xlsx) and "
     "upload it again."),
    (b"%PDF-1.7\0\0\0binary", "名单.pdf", SPEC, "Neither a workbook nor a CSV file."),
    ("姓名,身份证号\n".encode(), "名单.xlsx", SPEC, NOT_A_WORKBOOK),
    ("姓名,身份证号\n王芳,1\n".encode(), "名单.csv", WORKBOOK_ONLY, NOT_A_WORKBOOK),
    (b"PK\x03\x04broken", "名单.xlsx", SPEC, NOT_A_WORKBOOK),
])
def test_what_is_no_list_is_refused_with_no_rows(data, filename, spec, message):
    table = read(data, filename, spec)
    assert [p.message for p in table.problems] == [message]
    assert table.rows == [] and table.header == HeaderMatch()


def test_a_file_larger_than_the_limit_is_refused_before_it_is_read():
    data = xlsx([["姓名", "身份证号"], ["王芳", WANG]])
    table = read(data, max_bytes=len(data) - 1)
    assert problems(table) == [("The file is larger than %(mb)s MB.", {"mb": 0}, None, "")]
    assert not read(data, max_bytes=len(data)).problems


def test_a_workbook_that_must_be_one_is_refused_before_it_is_opened():
    data = xlsx([["姓名"]])
    assert workbook_problem(data) is None
    assert workbook_problem(data, max_bytes=None) is None
    assert workbook_problem(data, max_bytes=10).message == "The file is larger than %(mb)s MB."
    assert workbook_problem(b"").message == "The file is empty."
    assert workbook_problem("姓名\n".encode()).message == NOT_A_WORKBOOK
    assert workbook_problem(OLE2_SIGNATURE).message.startswith("This is an old Excel")


def test_an_import_may_accept_only_some_file_names():
    spec = TableSpec(sheet="名单", columns=COLUMNS, too_many_rows="", no_rows="",
                     not_a_list="Not a list.", suffixes=("", ".csv", ".xlsx"))
    data = f"姓名,身份证号\n王芳,{WANG}\n".encode()
    assert [p.message for p in read(data, "名单.doc", spec).problems] == ["Not a list."]
    assert len(read(data, "名单.CSV", spec).rows) == len(read(data, "名单", spec).rows) == 1


# --- The template's columns ------------------------------------------------------------

def test_the_template_header_and_the_guide_come_from_the_declared_columns():
    book = Workbook()
    sheet = book.active
    columns = (*COLUMNS, TableColumn("phone", "手机号", text=True, explanation="11位"))
    template_header(sheet, columns, formats={"score": "0.00"})
    assert [cell.value for cell in sheet[1]] == ["姓名", "身份证号", "工作单位", "成绩", "手机号"]
    assert sheet["A1"].font.color.rgb.endswith("C00000") and sheet["C1"].font.color is None
    assert sheet.column_dimensions["E"].number_format == "@"
    assert sheet.column_dimensions["D"].number_format == "0.00"
    assert sheet.freeze_panes == "A2"
    guide = book.create_sheet(GUIDE_SHEET)
    column_guide(guide, columns)
    assert [cell.value for cell in guide[1]] == ["列名", "是否必填", "说明"]
    assert [cell.value for cell in guide[2]][:2] == ["姓名", "必填"]
    assert [cell.value for cell in guide[6]] == ["手机号", "选填", "11位"]


# --- Names -----------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "registered"), [
    ("张 三", "张三"),
    ("\u3000张三\u3000", "张三"),
    ("张\u00a0三\t", "张三"),
    ("张\u200b三", "张三"),
    ("\ufeff张三", "张三"),
    ("阿卜杜•热合曼", "阿卜杜·热合曼"),
    ("阿卜杜・热合曼", "阿卜杜·热合曼"),
    ("阿卜杜‧热合曼", "阿卜杜·热合曼"),
    ("阿卜杜∙热合曼", "阿卜杜·热合曼"),
    ("阿卜杜⋅热合曼", "阿卜杜·热合曼"),
    ("阿卜杜･热合曼", "阿卜杜·热合曼"),
    ("阿卜杜.热合曼", "阿卜杜·热合曼"),
    ("阿卜杜．热合曼", "阿卜杜·热合曼"),
    ("阿卜杜 · 热合曼", "阿卜杜·热合曼"),
    ("zhang wei", "ZHANG WEI"),
    ("ＺＨＡＮＧ　Ｗｅｉ", "Zhang Wei"),
    ("Müller", "MÜLLER"),
])
def test_names_are_the_same_whatever_the_spaces_dots_and_case(typed, registered):
    assert name_key(typed) == name_key(registered)


@pytest.mark.parametrize(("one", "other"), [
    ("张三", "张山"),
    ("张三", "张三丰"),
    ("阿卜杜·热合曼", "阿卜杜热合曼"),  # the dot counts: only its kind does not
    ("阿卜杜·热合曼", "阿卜杜-热合曼"),
    ("Li Na", "Li Na Na"),
    ("王芳", ""),
])
def test_names_that_differ_in_anything_else_are_different(one, other):
    assert name_key(one) != name_key(other)


def test_a_missing_name_is_empty():
    assert name_key(None) == name_key("") == name_key(" \u3000 ") == ""
