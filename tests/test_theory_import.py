"""Theory scores imported from a computer-based exam: all or nothing, every bad
row listed by row and column, the template round trip, refused after the lock, audited."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal
from html import unescape

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from competition.audit.models import AuditEvent
from competition.dbtypes import utcnow
from competition.entries import registrations as entries
from competition.entries.idcard import make_id_number
from competition.entries.models import Entry
from competition.entries.validation import PersonData
from competition.extensions import db
from competition.judging.models import ExternalScore
from competition.results.standings import event_results
from competition.results.theory_import import TheoryImportError, store_scores
from tests import builders
from tests.helpers import kept_uploads

TODAY = date(2026, 6, 1)
WANG = make_id_number("421202", date(1988, 5, 17), 122, "F")
LI = make_id_number("421281", date(1979, 11, 2), 351, "M")
ZHOU = make_id_number("421202", date(1992, 7, 9), 57, "M")
# The same first 15 digits as ZHOU (region, birth date, first sequence digit).
ZHOU_TWIN = make_id_number("421202", date(1992, 7, 9), 59, "M")
SUN = make_id_number("421202", date(1990, 1, 1), 13, "M")
HEADERS = ("序号", "准考证号", "身份证号", "姓名", "理论知识")


@pytest.fixture
def setup(app, login_as):
    """The signed-in organizer's 养老护理员 event (theory 20% + practical 80%) with
    王芳, 李强 and 周杰 entered, and 孙磊 entered in 车工 of the same competition."""
    me = login_as("organizer")
    competition = builders.competition("咸宁市第七届技能大赛", organizers=(me,))
    care = builders.event(competition, "养老护理员", divisions=("职工组", "学生组"))
    theory = builders.module(care, code="T", weight=20, kind="theory", criteria=())
    theory.name = "理论知识"
    builders.module(care, code="A", weight=80)
    lathe = builders.event(competition, "车工",
                           occupation=builders.occupation("车工", "6-18-01-01"))
    people = {}
    for name, number in (("王芳", WANG), ("李强", LI), ("周杰", ZHOU)):
        people[name] = entries.register(db.session, care, care.divisions[0],
                                        PersonData(name=name, id_number=number), today=TODAY)
    people["孙磊"] = entries.register(db.session, lathe, lathe.divisions[0],
                                      PersonData(name="孙磊", id_number=SUN), today=TODAY)
    db.session.commit()
    return me, care, theory, people


def xlsx(rows, headers=HEADERS, title="理论成绩") -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(client, event_id: int, data: bytes, filename: str = "理论成绩.xlsx", **kwargs):
    return client.post(f"/events/{event_id}/theory-scores",
                       data={"file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data", **kwargs)


def confirm(client, event_id: int, page: str):
    token = re.search(r'name="upload" type="hidden" value="([^"]+)"', page).group(1)
    filename = re.search(r'name="filename" type="hidden" value="([^"]*)"', page).group(1)
    return client.post(f"/events/{event_id}/theory-scores",
                       data={"upload": token, "filename": unescape(filename)},
                       follow_redirects=True)


def table(page: str, table_id: str) -> list[list[str]]:
    found = re.search(rf'<table[^>]*id="{table_id}">(.*?)</table>', page, re.S)
    assert found, f"no table {table_id}"
    body = found.group(1).split("</thead>")[-1]
    return [[unescape(re.sub(r"<[^>]+>", "", cell)).strip()
             for cell in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
            for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)]


def held(theory) -> dict[int, Decimal]:
    return {row.entry_id: row.score for row in db.session.scalars(
        select(ExternalScore).where(ExternalScore.module_id == theory.id))}


def test_a_good_file_is_previewed_then_imported_and_the_results_follow(client, setup):
    me, care, theory, people = setup
    wang, li, zhou = people["王芳"], people["李强"], people["周杰"]
    data = xlsx([(1, wang.ticket_number, "", "王芳", 88.5),
                 (2, "", LI, " 李强 ", "92"),
                 (3, zhou.ticket_number, ZHOU, "周杰", 0)])
    response = upload(client, care.id, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    # The preview: every score that will change, nothing stored yet.
    assert table(page, "theory-changes") == [
        ["2", wang.ticket_number, "王芳", "理论知识", "—", "88.50"],
        ["3", li.ticket_number, "李强", "理论知识", "—", "92.00"],
        ["4", zhou.ticket_number, "周杰", "理论知识", "—", "0.00"],
    ]
    assert held(theory) == {}
    [kept] = kept_uploads()  # kept in the database until the confirmation
    assert (kept.user_id, kept.scope_id, kept.kind, kept.data) == (me.id, care.id, "theory",
                                                                   data)

    page = confirm(client, care.id, page).get_data(as_text=True)
    assert "3 个理论成绩已导入" in page
    assert kept_uploads() == []
    assert held(theory) == {wang.id: Decimal("88.5"), li.id: Decimal(92), zhou.id: Decimal(0)}
    stored = db.session.scalar(select(ExternalScore).where(ExternalScore.entry_id == wang.id))
    assert stored.imported_by_id == me.id
    # The page lists the scores held.
    assert [wang.ticket_number, "王芳", "职工组", "88.50"] in table(page, "theory-scores")
    # Theory is 20% of the total; nothing is marked on the practical module yet.
    totals = {r.entry_id: r.total for r in event_results(db.session, care.id)}
    assert totals == {wang.id: Decimal("17.70"), li.id: Decimal("18.40"), zhou.id: Decimal(0)}
    # The same file again changes nothing, and nothing more is audited.
    audited = db.session.scalar(select(func.count()).select_from(AuditEvent))
    again = confirm(client, care.id, upload(client, care.id, data).get_data(as_text=True))
    assert "新增 0 个，更改 0 个，3 个无变化" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == audited


def test_one_bad_row_imports_nothing_and_every_bad_row_is_listed(client, setup):
    _, care, theory, people = setup
    wang, li, zhou, sun = (people[n] for n in ("王芳", "李强", "周杰", "孙磊"))
    data = xlsx([
        (1, wang.ticket_number, "", "王芳", 90),  # row 2: good
        (2, "209900100001", "", "张三", 80),  # row 3: no such ticket
        (3, sun.ticket_number, "", "孙磊", 80),  # row 4: an entry of 车工
        (4, li.ticket_number, "", "李四", 80),  # row 5: not 李强
        (5, zhou.ticket_number, "", "周杰", ""),  # row 6: empty score
        (6, "", ZHOU, "周杰", "八十"),  # row 7: not a number (and 周杰 again)
        (7, "", SUN, "孙磊", 70),  # row 8: not entered in 养老护理员
        (8, wang.ticket_number, "", "王芳", 101),  # row 9: out of range (and 王芳 again)
        (9, li.ticket_number, "", "李强", 85.555),  # row 10: three decimals
        (10, li.ticket_number, LI, "李强", -1),  # row 11: out of range
    ])
    response = upload(client, care.id, data)
    page = response.get_data(as_text=True)
    assert "文件中有 15 个问题，未导入任何内容" in page
    assert table(page, "import-problems") == [
        ["2", "准考证号", "同一选手在第 9 行也有成绩。"],
        ["3", "准考证号", "养老护理员 没有准考证号为 209900100001 的选手。"],
        ["4", "准考证号",
         f"准考证号 {sun.ticket_number} 属于其他赛项的选手，不是 养老护理员 的选手。"],
        ["5", "姓名", "姓名与报名信息不一致：报名姓名为 李强。"],
        ["6", "准考证号", "同一选手在第 7 行也有成绩。"],
        ["6", "理论知识", "成绩未填写：请填写成绩；没有成绩的选手请删除该行。"],
        ["7", "身份证号", "同一选手在第 6 行也有成绩。"],
        ["7", "理论知识", "“八十”不是数字：成绩应为 0 到 100 之间的数字。"],
        ["8", "身份证号", "此人未报名 养老护理员。"],
        ["9", "准考证号", "同一选手在第 2 行也有成绩。"],
        ["9", "理论知识", "成绩 101 超出范围：理论成绩按百分制，应在 0 到 100 之间。"],
        ["10", "准考证号", "同一选手在第 11 行也有成绩。"],
        ["10", "理论知识", "成绩 85.555 超过两位小数。"],
        ["11", "准考证号", "同一选手在第 10 行也有成绩。"],
        ["11", "理论知识", "成绩 -1 超出范围：理论成绩按百分制，应在 0 到 100 之间。"],
    ]
    assert held(theory) == {}
    assert "theory-changes" not in page


def test_duplicate_rows_for_one_entry_are_refused_on_each_row(client, setup):
    _, care, theory, people = setup
    wang = people["王芳"]
    data = xlsx([(1, wang.ticket_number, "", "王芳", 90), (2, "", WANG, "王芳", 91)])
    page = upload(client, care.id, data).get_data(as_text=True)
    assert table(page, "import-problems") == [
        ["2", "准考证号", "同一选手在第 3 行也有成绩。"],
        ["3", "身份证号", "同一选手在第 2 行也有成绩。"],
    ]
    assert held(theory) == {}


def test_matched_by_ticket_or_id_number_and_by_a_mangled_numeric_id(client, setup):
    _, care, theory, people = setup
    wang, li, zhou = people["王芳"], people["李强"], people["周杰"]
    # Excel keeps 15 significant digits of an ID number typed into a number cell.
    mangled = float(f"{int(ZHOU):.14e}")
    data = xlsx([(1, int(wang.ticket_number), "", "王芳", 75),  # a ticket stored as a number
                 (2, "", LI.lower()[:-1] + LI[-1].lower(), "李强", 76.25),
                 (3, "", mangled, "周杰", 77)])
    page = upload(client, care.id, data).get_data(as_text=True)
    assert [row[2] for row in table(page, "theory-changes")] == ["王芳", "李强", "周杰"]
    confirm(client, care.id, page)
    assert held(theory) == {wang.id: Decimal(75), li.id: Decimal("76.25"), zhou.id: Decimal(77)}


def test_a_mangled_id_that_fits_two_entries_is_refused(client, setup):
    _, care, theory, _ = setup
    entries.register(db.session, care, care.divisions[0],
                     PersonData(name="周杰", id_number=ZHOU_TWIN), today=TODAY)
    db.session.commit()
    data = xlsx([(1, "", float(f"{int(ZHOU):.14e}"), "周杰", 77)])
    page = upload(client, care.id, data).get_data(as_text=True)
    assert table(page, "import-problems") == [["2", "身份证号", (
        "身份证号被 Excel 存成了数字，后几位数字和末位的 X 已丢失："
        "请把该列设为文本后重新输入身份证号。")]]
    assert held(theory) == {}


def test_the_template_round_trip(client, setup):
    _, care, theory, people = setup
    response = client.get(f"/events/{care.id}/theory-scores/template.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    sheet = book["理论成绩"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["准考证号", "身份证号", "姓名", "理论知识"]
    assert sorted((r[0], r[2]) for r in rows[1:]) == sorted(
        (people[n].ticket_number, n) for n in ("王芳", "李强", "周杰"))
    assert sheet.column_dimensions["B"].number_format == "@"
    assert all(sheet.cell(row=r, column=2).number_format == "@" for r in range(2, 5))
    assert "填写说明" in book.sheetnames
    for number, row in enumerate(sheet.iter_rows(min_row=2), start=60):
        row[3].value = number
    filled = io.BytesIO()
    book.save(filled)
    page = upload(client, care.id, filled.getvalue()).get_data(as_text=True)
    confirm(client, care.id, page)
    assert sorted(held(theory).values()) == [Decimal(60), Decimal(61), Decimal(62)]


def test_refused_once_the_scores_are_locked(client, setup):
    me, care, theory, people = setup
    data = xlsx([(1, people["王芳"].ticket_number, "", "王芳", 90)])
    page = upload(client, care.id, data).get_data(as_text=True)  # previewed before the lock
    care.scores_locked_at = utcnow()
    db.session.commit()
    response = confirm(client, care.id, page)
    text = response.get_data(as_text=True)
    assert "裁判长已锁定 养老护理员 的成绩" in text
    assert 'name="file"' not in text and "theory-closed" in text
    assert held(theory) == {}
    # The refusal rolled the request back, the claim with it; the file is deleted anyway.
    assert kept_uploads() == []
    again = upload(client, care.id, data, follow_redirects=True).get_data(as_text=True)
    assert "裁判长已锁定 养老护理员 的成绩：理论成绩须在锁定前导入，本次未导入任何成绩" in again
    with pytest.raises(TheoryImportError):
        store_scores(db.session, care, me, [(None, people["王芳"], theory, Decimal(90))])
    assert held(theory) == {}


def test_refused_for_an_event_without_a_theory_module(client, setup):
    me, care, theory, people = setup
    theory.kind = "practical"
    db.session.commit()
    response = client.get(f"/events/{care.id}/theory-scores")
    assert "没有可导入成绩的理论模块" in response.get_data(as_text=True)
    assert client.get(f"/events/{care.id}/theory-scores/template.xlsx").status_code == 302
    with pytest.raises(TheoryImportError):
        store_scores(db.session, care, me, [(None, people["王芳"], theory, Decimal(90))])


def test_every_changed_score_is_audited_with_old_new_and_who(client, setup):
    me, care, theory, people = setup
    wang, li = people["王芳"], people["李强"]
    first = xlsx([(1, wang.ticket_number, "", "王芳", 80), (2, li.ticket_number, "", "李强", 70)])
    confirm(client, care.id, upload(client, care.id, first).get_data(as_text=True))
    second = xlsx([(1, wang.ticket_number, "", "王芳", 85), (2, li.ticket_number, "", "李强", 70)])
    page = upload(client, care.id, second, "更正.xlsx").get_data(as_text=True)
    assert table(page, "theory-changes") == [
        ["2", wang.ticket_number, "王芳", "理论知识", "80.00", "85.00"]]
    confirm(client, care.id, page)
    records = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "theory_score.import").order_by(AuditEvent.id)).all()
    assert [(r.object_id, r.actor_id, r.event_id) for r in records] == [
        (f"{wang.id}:{theory.id}", me.id, care.id), (f"{li.id}:{theory.id}", me.id, care.id),
        (f"{wang.id}:{theory.id}", me.id, care.id)]
    assert records[-1].old_value == '{"score":"80"}'
    assert '"score":"85"' in records[-1].new_value and records[-1].reason == "更正.xlsx"
    assert held(theory)[wang.id] == Decimal(85)


@pytest.mark.parametrize("who", ["judge", "other organizer", "anonymous"])
def test_only_the_event_s_organizers_may_import(app, client, auth, setup, who):
    _, care, theory, people = setup
    auth.logout()
    if who != "anonymous":
        user = builders.user("judge" if who == "judge" else "organizer")
        db.session.commit()
        auth.login(user.username)
    for url in (f"/events/{care.id}/theory-scores",
                f"/events/{care.id}/theory-scores/template.xlsx"):
        response = client.get(url)
        if who == "anonymous":
            assert response.status_code == 302 and "/login" in response.headers["Location"]
        else:
            assert response.status_code == 403
    data = xlsx([(1, people["王芳"].ticket_number, "", "王芳", 90)])
    assert upload(client, care.id, data).status_code == (302 if who == "anonymous" else 403)
    assert held(theory) == {}
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 4


def test_a_file_without_the_columns_or_not_a_workbook_is_refused(client, setup):
    _, care, theory, people = setup
    page = upload(client, care.id, xlsx([(people["王芳"].ticket_number, "王芳", 90)],
                                        headers=("准考证号", "姓名", "实操成绩")))
    # 实操成绩 is no theory module's: the score column is missing, named with the
    # headers accepted for it.
    [[row, column, message]] = table(page.get_data(as_text=True), "import-problems")
    assert (row, column) == ("1", "理论知识/理论成绩")
    assert all(header in message for header in ("T", "理论知识成绩", "理论分数", "成绩"))
    page = upload(client, care.id, "准考证号,姓名,理论成绩\n".encode(), "scores.csv")
    assert "import-problems" in page.get_data(as_text=True)
    # The module's code and 理论成绩 stand for the only theory module.
    wang = people["王芳"]
    for header in ("T", "理论成绩（百分制）"):
        data = xlsx([(wang.ticket_number, "王芳", 66)], headers=("准考证号", "姓名", header))
        rows = table(upload(client, care.id, data).get_data(as_text=True), "theory-changes")
        assert rows == [["2", wang.ticket_number, "王芳", "理论知识", "—", "66.00"]]
    assert held(theory) == {}


# --- Headers as exam systems write them -----------------------------------------------

def test_header_variants_are_read_and_numbering_columns_skipped_quietly(client, setup):
    _, care, theory, people = setup
    wang, li = people["王芳"], people["李强"]
    data = xlsx([(1, wang.ticket_number, "", "王芳", 71, ""), (2, "", LI, "李强", 82.5, "补考")],
                headers=("序号", "准考证", "证件号码", "考生姓名", "理论知识成绩", "备注"))

    page = upload(client, care.id, data).get_data(as_text=True)

    assert 'id="unknown-columns"' not in page and "ignore_unknown_columns" not in page
    read = table(page, "recognized-columns")
    assert ["准考证号", "准考证"] in read and ["身份证号", "证件号码"] in read
    assert ["理论知识", "理论知识成绩"] in read and len(read) == 4
    confirm(client, care.id, page)
    assert held(theory) == {wang.id: Decimal("71.00"), li.id: Decimal("82.50")}


def test_an_unknown_column_is_shown_and_nothing_stored_until_confirmed(client, setup):
    _, care, theory, people = setup
    wang = people["王芳"]
    data = xlsx([(wang.ticket_number, "王芳", "咸宁市社会福利院", 90)],
                headers=("准考证号", "姓名", "单位", "成绩"))

    page = upload(client, care.id, data).get_data(as_text=True)

    notice = re.search(r'<p class="unknown-columns"[^>]*>(.*?)</p>', page, re.S)
    assert notice and "单位" in notice.group(1)
    assert page.index('id="unknown-columns"') < page.index('id="theory-changes"')
    assert re.search(r'<input[^>]*name="ignore_unknown_columns"[^>]*required', page)
    # Confirmed without ticking the box: refused, nothing stored.
    refused = confirm(client, care.id, page).get_data(as_text=True)
    assert "未导入任何内容" in refused and "单位" in refused
    assert held(theory) == {}

    page = upload(client, care.id, data).get_data(as_text=True)
    token = re.search(r'name="upload" type="hidden" value="([^"]+)"', page).group(1)
    client.post(f"/events/{care.id}/theory-scores",
                data={"upload": token, "filename": "理论成绩.xlsx",
                      "ignore_unknown_columns": "y"}, follow_redirects=True)
    assert held(theory) == {wang.id: Decimal("90.00")}


def test_a_file_without_the_name_column_is_refused_naming_it(client, setup):
    _, care, theory, people = setup
    data = xlsx([(people["王芳"].ticket_number, 90)], headers=("准考证号", "理论成绩"))
    [[row, column, message]] = table(upload(client, care.id, data).get_data(as_text=True),
                                     "import-problems")
    assert (row, column) == ("1", "姓名") and "考生姓名" in message
    data = xlsx([("王芳", 90)], headers=("姓名", "理论成绩"))
    [[row, column, message]] = table(upload(client, care.id, data).get_data(as_text=True),
                                     "import-problems")
    assert column == "准考证号/身份证号" and "准考证" in message and "证件号码" in message
    assert held(theory) == {}
