"""Marking schemes (评分细则) to and from Excel: the template, the export, and an upload
that is refused whole with every problem listed by row and column."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from competition.events.models import Criterion, Event, Module
from competition.events.scheme_excel import (
    HEADERS,
    export_workbook,
    parse_workbook,
    template_workbook,
)
from competition.events.setup import SetupError, scheme_specs
from competition.extensions import db
from tests import builders

CHINESE_HEADERS = [
    "模块代码", "模块名称", "模块类型(理论/实操)", "模块权重", "模块满分", "评分项代码",
    "评分项描述", "配分", "评分类型(客观/主观)", "录入方式(分值/全对或不得分/0-3分制/实测值)",
    "单位", "基本尺寸", "下偏差", "上偏差", "扣分步长", "每步扣分", "超差限",
]
A = ("A", "实操模块A 零件车削", "实操", 80, 100)
GOOD_ROWS = [
    ("T", "理论知识", "理论", 20, 100),
    A + ("A1", "外圆Ø38(0/-0.025)", 10, "客观", "实测值", "mm", 38, -0.025, 0, 0.01, 1, 0.09),
    A + ("A2", "螺纹M24×1.5-6g", 20, "客观", "全对或不得分"),
    A + ("A3", "操作规范、安全文明生产", 70, "主观", "分值"),
]


def workbook(rows, headers=CHINESE_HEADERS, sheet="评分细则") -> bytes:
    book = Workbook()
    ws = book.active
    ws.title = sheet
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def setup_event():
    """An organizer's event with a small scheme of its own, to see that bad files keep it."""
    owner = builders.user("organizer", username="mine")
    builders.user("organizer", username="other")
    builders.user("judge", username="judge")
    competition = builders.competition("咸宁市第七届技能大赛", organizers=(owner,))
    event = builders.event(competition, "车工")
    builders.module(event, "P", weight=100, criteria=(("P1", 60, "judgement"),
                                                      ("P2", 40, "measurement")))
    db.session.commit()
    return event


def scheme_rows(event_id: int) -> list[tuple]:
    """What the database holds of the event's scheme, in order."""
    db.session.expire_all()
    modules = db.session.scalars(
        select(Module).where(Module.event_id == event_id).order_by(Module.position)).all()
    return [(m.code, m.name, m.kind, m.weight, m.max_score,
             [(c.code, c.description, c.max_points, c.kind, c.entry_mode, c.nominal,
               c.tolerance_lower, c.tolerance_upper, c.deduction_step, c.deduction_points,
               c.deduction_limit) for c in m.criteria])
            for m in modules]


def upload(client, event_id: int, data: bytes, filename: str = "评分细则.xlsx"):
    return client.post(f"/events/{event_id}/scheme/import",
                       data={"file": (BytesIO(data), filename)},
                       content_type="multipart/form-data")


def problem_table(page: str) -> set[tuple[str, str]]:
    """(row, column) of each line of the page's problem table."""
    return set(re.findall(r'<tr><td class="num">([^<]*)</td><td>([^<]*)</td><td>', page))


def problems_of(data: bytes) -> set[tuple[int | None, str]]:
    with pytest.raises(SetupError) as refused:
        parse_workbook(data)
    return {(p.row, p.column) for p in refused.value.problems}


# --- The template and the export ----------------------------------------------------

def test_template_downloads_with_the_chinese_headers(app, client, login_as):
    login_as("organizer")
    response = client.get("/events/scheme-template.xlsx")
    assert response.status_code == 200
    assert response.mimetype == ("application/vnd.openxmlformats-officedocument."
                                 "spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(BytesIO(response.data))
    assert book.sheetnames == ["评分细则", "填写说明"]
    sheet = book["评分细则"]
    assert [cell.value for cell in sheet[1]] == CHINESE_HEADERS
    assert 2 <= sheet.max_row - 1 <= 4  # a few example rows
    guide = "\n".join(str(cell.value) for row in book["填写说明"].iter_rows() for cell in row
                      if cell.value)
    for header in CHINESE_HEADERS:
        assert header in guide
    # The examples are a valid scheme: a theory module without criteria and a practical one.
    specs = parse_workbook(response.data)
    assert [(m.code, m.kind, m.criteria == []) for m in specs] == [
        ("T", "theory", True), ("A", "practical", False)]


def test_export_then_parse_gives_the_same_scheme(app, client, auth):
    event = setup_event()
    upload_data = workbook(GOOD_ROWS)
    auth.login("mine")
    assert upload(client, event.id, upload_data).status_code == 302
    event = db.session.get(Event, event.id)
    response = client.get(f"/events/{event.id}/scheme.xlsx")
    assert response.status_code == 200
    assert [c.value for c in load_workbook(BytesIO(response.data))["评分细则"][1]] == \
        CHINESE_HEADERS

    def plain(specs):
        for module in specs:
            module.row = None
            for criterion in module.criteria:
                criterion.row = None
        return specs

    assert plain(parse_workbook(response.data)) == plain(scheme_specs(event))
    assert plain(parse_workbook(export_workbook(event))) == plain(parse_workbook(upload_data))


# --- A bad file ---------------------------------------------------------------------

def test_a_file_with_several_errors_lists_all_of_them_and_changes_nothing(app, client, auth):
    event = setup_event()
    before = scheme_rows(event.id)
    a70 = ("A", "实操模块A", "实操", 70, 100)
    rows = [
        ("T", "理论知识", "理论", 20, 100),  # row 2
        a70 + ("A1", "外圆", 10, "客观", "分值"),  # row 3
        a70 + ("A1", "内孔", 10, "客观", "分值"),  # row 4: duplicate code
        a70 + ("A3", "表面粗糙度", "abc", "客观", "分值"),  # row 5: not a number
        a70 + ("A4", "倒角", -5, "客观", "分值"),  # row 6: negative
        a70 + ("A5", "外观", 10, "半主观", "分值"),  # row 7: unknown kind
        a70 + ("A6", "台阶长度", 10, "客观", "实测值", "mm", 40, None, 0.05, 0.01, 1),  # row 8
    ]
    expected = {
        (4, "评分项代码"),
        (5, "配分"),
        (6, "配分"),
        (7, "评分类型(客观/主观)"),
        (8, "下偏差"),  # a measured value needs its lower deviation
        (None, "模块权重"),  # 20 + 70 = 90, not 100
    }
    assert problems_of(workbook(rows)) == expected

    auth.login("mine")
    response = upload(client, event.id, workbook(rows))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "6 个问题" in page and "未导入任何内容" in page
    assert "<th class=\"num\">行</th><th>列</th><th>问题</th>" in page
    assert problem_table(page) == {(str(row) if row else "—", column)
                                   for row, column in expected}
    assert "“abc”不是数字" in page
    assert "“半主观”不是以下之一：客观、主观" in page
    assert scheme_rows(event.id) == before


def test_a_corrected_file_imports_exactly_its_modules_and_criteria(app, client, auth):
    event = setup_event()
    auth.login("mine")
    response = upload(client, event.id, workbook(GOOD_ROWS))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/events/{event.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "评分细则已导入：2 个模块，3 个评分项" in page
    assert scheme_rows(event.id) == [
        ("T", "理论知识", "theory", Decimal(20), Decimal(100), []),
        ("A", "实操模块A 零件车削", "practical", Decimal(80), Decimal(100), [
            ("A1", "外圆Ø38(0/-0.025)", Decimal(10), "measurement", "measured", Decimal(38),
             Decimal("-0.025"), Decimal(0), Decimal("0.01"), Decimal(1), Decimal("0.09")),
            ("A2", "螺纹M24×1.5-6g", Decimal(20), "measurement", "pass_fail") + (None,) * 6,
            ("A3", "操作规范、安全文明生产", Decimal(70), "judgement", "points") + (None,) * 6,
        ]),
    ]
    assert db.session.scalar(select(Criterion).where(Criterion.code == "P1")) is None


@pytest.mark.parametrize("data, filename, message", [
    (b"module,code\nA,A1\n", "scheme.csv", "不是 Excel 工作簿（.xlsx）"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "scheme.xls", "Excel 97–2003"),
    (b"", "empty.xlsx", "文件是空的"),
])
def test_a_file_that_is_not_an_xlsx_gets_a_clear_message(app, client, auth, data, filename,
                                                          message):
    event = setup_event()
    before = scheme_rows(event.id)
    auth.login("mine")
    response = upload(client, event.id, data, filename)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert scheme_rows(event.id) == before


def test_no_file_chosen_is_asked_for(app, client, auth):
    event = setup_event()
    auth.login("mine")
    response = client.post(f"/events/{event.id}/scheme/import", data={},
                           content_type="multipart/form-data")
    assert "请选择要上传的文件" in response.get_data(as_text=True)


def test_missing_sheet_and_missing_headers_are_reported():
    assert problems_of(workbook(GOOD_ROWS, sheet="Sheet1")) == {(None, "")}
    headers = [h for h in CHINESE_HEADERS if h not in ("配分", "模块权重")]
    assert problems_of(workbook([], headers=headers)) == {(1, "配分"), (1, "模块权重")}
    assert problems_of(workbook([])) == {(2, "")}


def test_english_codes_numbers_as_text_and_merged_module_cells_are_read():
    rows = [
        ("T", "Theory", "theory", "30", "100"),
        ("B", "Practical", "practical", "70", "100", "B1", "Trim", "12.5", "judgement",
         "scale_0_3"),
        (None, None, None, None, None, "B2", "Diameter", 87.5, "measurement", "measured", "mm",
         "24", "0", "0.021", "0.01", "1"),
    ]
    specs = parse_workbook(workbook(rows))
    assert [(m.code, m.weight, [c.code for c in m.criteria]) for m in specs] == [
        ("T", Decimal(30), []), ("B", Decimal(70), ["B1", "B2"])]
    b1, b2 = specs[1].criteria
    assert (b1.max_points, b1.kind, b1.entry_mode) == (Decimal("12.5"), "judgement", "scale_0_3")
    assert (b2.entry_mode, b2.tolerance_upper, b2.deduction_limit) == (
        "measured", Decimal("0.021"), None)


def test_module_columns_that_disagree_between_rows_are_reported():
    rows = [
        ("T", "理论知识", "理论", 20, 100),
        A + ("A1", "外圆", 50, "客观"),
        ("A", "实操模块A 零件车削", "实操", 70, 100, "A2", "外观", 50, "主观"),
        ("A", "实操模块B", "实操", 80, 100, "A3", "安全", 0.5, "主观"),
    ]
    problems = problems_of(workbook(rows))
    assert (4, "模块权重") in problems and (5, "模块名称") in problems


def test_a_formula_without_a_computed_value_is_an_error_for_its_cell():
    rows = [("T", "理论知识", "理论", 20, 100),
            A + ("A1", "外圆", "=50+50", "客观")]
    assert problems_of(workbook(rows)) == {(3, "配分")}


def test_too_many_decimals_and_too_long_codes_are_refused():
    rows = [("T", "理论知识", "理论", 20.125, 100),
            ("A" * 17, "实操", "实操", 79.875, 100)]
    assert problems_of(workbook(rows)) == {(2, "模块权重"), (3, "模块代码"), (3, "模块权重")}


# --- After marking started ----------------------------------------------------------

def _started_event(client, auth):
    event = setup_event()
    auth.login("mine")
    assert upload(client, event.id, workbook(GOOD_ROWS)).status_code == 302
    event = db.session.get(Event, event.id)
    event.marking_started_at = datetime.now(UTC)
    db.session.commit()
    return event


def test_after_marking_started_a_changed_maximum_is_refused(app, client, auth):
    event = _started_event(client, auth)
    before = scheme_rows(event.id)
    rows = [GOOD_ROWS[0], GOOD_ROWS[1],
            A + ("A2", "螺纹M24×1.5-6g", 25, "客观", "全对或不得分"),
            A + ("A3", "操作规范、安全文明生产", 65, "主观", "分值")]
    response = upload(client, event.id, workbook(rows))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "flash-error" in page and "已开始评分" in page
    assert scheme_rows(event.id) == before


def test_after_marking_started_new_descriptions_are_accepted(app, client, auth):
    event = _started_event(client, auth)
    rows = [GOOD_ROWS[0], GOOD_ROWS[1], GOOD_ROWS[2],
            A + ("A3", "安全文明生产、工位整洁", 70, "主观", "分值")]
    assert upload(client, event.id, workbook(rows)).status_code == 302
    assert scheme_rows(event.id)[1][5][2][1] == "安全文明生产、工位整洁"


# --- Who may ------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["other", "judge"])
def test_others_cannot_export_or_import_a_scheme(app, client, auth, who):
    event = setup_event()
    before = scheme_rows(event.id)
    auth.login(who)
    assert client.get(f"/events/{event.id}/scheme.xlsx").status_code == 403
    assert client.get(f"/events/{event.id}/scheme/import").status_code == 403
    assert upload(client, event.id, workbook(GOOD_ROWS)).status_code == 403
    assert scheme_rows(event.id) == before


def test_judges_cannot_download_the_template(app, client, login_as):
    login_as("judge")
    assert client.get("/events/scheme-template.xlsx").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(app, client):
    event = setup_event()
    for url in ("/events/scheme-template.xlsx", f"/events/{event.id}/scheme.xlsx",
                f"/events/{event.id}/scheme/import"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_import_page_offers_the_template_and_the_current_scheme(app, client, auth):
    event = setup_event()
    auth.login("mine")
    page = client.get(f"/events/{event.id}/scheme/import").get_data(as_text=True)
    assert "下载模板" in page and "下载当前评分细则" in page
    assert f"/events/{event.id}/scheme.xlsx" in page and 'type="file"' in page


def test_headers_constant_matches_the_spec():
    assert list(HEADERS) == CHINESE_HEADERS
    assert parse_workbook(template_workbook())


def test_every_demo_scheme_survives_export_and_parse(seeded_demo):
    events = db.session.scalars(select(Event)).all()
    assert len(events) == 3
    for event in events:
        specs = parse_workbook(export_workbook(event))
        for module in specs:
            module.row = None
            for criterion in module.criteria:
                criterion.row = None
        assert specs == scheme_specs(event)
