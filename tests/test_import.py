"""Contestants imported from Excel and CSV: every bad row reported by row and
column and nothing imported; the corrected file imported whole; the template."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta
from html import unescape

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from competition.audit.models import AuditEvent
from competition.auth.models import User
from competition.dbtypes import utcnow
from competition.entries import importer
from competition.entries.idcard import check_character, make_id_number
from competition.entries.importer import HEADERS, import_file, parse_grade, preview_file
from competition.entries.models import Contestant, Entry
from competition.entries.registrations import RegistrationError
from competition.entries.validation import PersonData
from competition.extensions import db
from tests import builders
from tests.helpers import kept_uploads, upload

TODAY = date(2026, 6, 1)
WANG = make_id_number("421202", date(1988, 5, 17), 122, "F")  # 王芳, a woman
LI = make_id_number("421281", date(1979, 11, 2), 351, "M")  # 李强
ZHAO = make_id_number("421221", date(2006, 2, 28), 48, "F")  # 赵敏, a student
SUN = make_id_number("421202", date(1990, 1, 1), 13, "M")  # 孙磊, already entered
ZHOU = make_id_number("421202", date(1992, 7, 9), 57, "M")  # 周杰
WU = make_id_number("421223", date(1985, 3, 3), 64, "F")  # 吴霞
CHEN = make_id_number("421202", date(1990, 10, 11), 231, "M")  # 陈刚
BAD_CHECK = LI[:-1] + ("0" if LI[-1] != "0" else "1")
FEB_30 = "42120219990230011"
BAD_DATE = FEB_30 + check_character(FEB_30)

# Row 1 is the header, so the first contestant is row 2.
BAD_ROWS = [
    ("王芳", WANG, "女", "13807151234", "咸宁市社会福利院", "养老护理员", "职工组", "", "", ""),
    ("李强", BAD_CHECK, "", "", "", "养老护理员", "职工组", "", "", ""),
    ("钱进", BAD_DATE, "", "", "", "养老护理员", "职工组", "", "", ""),
    ("周杰", ZHOU, "", "", "", "养老护理员", "职工组", "", "", ""),
    ("周杰", ZHOU, "", "", "", "养老护理员", "职工组", "", "", ""),
    ("孙磊", SUN, "", "", "", "养老护理员", "职工组", "", "", ""),
    ("吴霞", WU, "", "", "", "电工", "职工组", "", "", ""),
    ("陈刚", CHEN, "", "", "", "养老护理员", "教师组", "", "", ""),
    ("郑一", 421202199001011234, "", "", "", "养老护理员", "职工组", "", "", ""),
    ("冯二", 4.21202199001011e+17, "", "", "", "养老护理员", "职工组", "", "", ""),
    ("赵敏", ZHAO, "", "1234", "", "养老护理员", "学生组", "", "", "是"),
    ("王芳芳", make_id_number("421202", date(1991, 4, 4), 20, "F"), "男", "", "",
     "车工", "职工组", "", "", ""),
]
EXPECTED = {
    (3, "身份证号", "身份证号校验位不正确"),
    (4, "身份证号", "身份证号中的出生日期不存在"),
    (5, "身份证号", "同一人在第 6 行也报名了 养老护理员"),
    (6, "身份证号", "同一人在第 5 行也报名了 养老护理员"),
    (7, "身份证号", "孙磊 已报名 养老护理员，不能重复报名"),
    (8, "赛项", "本大赛没有赛项“电工”"),
    (9, "组别", "养老护理员 没有组别“教师组”"),
    (10, "身份证号", "身份证号被 Excel 存成了数字"),
    (11, "身份证号", "身份证号被 Excel 存成了数字"),
    (12, "手机号", "手机号格式不正确"),
    (13, "性别", "性别与身份证号（第 17 位）不一致"),
}
GOOD_ROWS = [
    ("王芳", WANG, "女", "13807151234", "咸宁市社会福利院", "养老护理员", "职工组", "三级/高级工",
     "S000042000001234567890", "否"),
    ("李强", LI, "男", "0715-8123456", "赤壁市人民医院", "养老护理员", "职工组", "四级", "", ""),
    ("李强", LI, "", "", "赤壁市人民医院", "车工", "职工组", "", "", ""),
    ("周杰", ZHOU, "", "", "", "车工", "职工组", "技师", "", ""),
    ("赵敏", ZHAO, "女", "13907150000", "咸宁职业技术学院", "养老护理员", "学生组", "", "", "是"),
]


# --- Building files -------------------------------------------------------------------

def xlsx(rows, headers=HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "选手名单"
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, encoding: str, headers=HEADERS) -> bytes:
    """The rows as Excel saves them as CSV: a number in the ID column as it shows it."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([f"{float(v):.5E}" if isinstance(v, int | float) else v for v in row])
    return out.getvalue().encode(encoding)


def setup_competition():
    """An organizer's competition with two events, and one contestant already entered."""
    owner = builders.user("organizer", username="mine")
    builders.user("organizer", username="other")
    builders.user("judge", username="judge")
    competition = builders.competition("咸宁市第七届技能大赛", organizers=(owner,))
    care = builders.event(competition, "养老护理员", divisions=("职工组", "学生组"))
    builders.event(competition, "车工", divisions=("职工组",),
                   occupation=builders.occupation("车工", "6-18-01-01"))
    from competition.entries import registrations

    registrations.register(db.session, care, care.divisions[0],
                           PersonData(name="孙磊", id_number=SUN),
                     today=TODAY)
    db.session.commit()
    return competition, care


def counts() -> tuple[int, int]:
    return (db.session.scalar(select(func.count()).select_from(Contestant)),
            db.session.scalar(select(func.count()).select_from(Entry)))


def problem_table(page: str) -> list[tuple[int, str, str]]:
    table = re.search(r'<table class="table compact" id="import-problems">(.*?)</table>', page,
                      re.S)
    assert table, "the page has no table of problems"
    return [(int(row), unescape(column), unescape(message)) for row, column, message in
            re.findall(r'<tr><td class="num">(\d+)</td><td>(.*?)</td><td>(.*?)</td></tr>',
                       table.group(1))]


def assert_reported(found: list[tuple[int, str, str]], expected) -> None:
    for row, column, text in expected:
        assert any(r == row and c == column and text in m for r, c, m in found), \
            f"row {row} {column}: {text!r} not in {found}"
    assert {(r, c) for r, c, _ in found} == {(r, c) for r, c, _ in expected}


def confirm_token(page: str) -> str:
    match = re.search(r'name="upload" type="hidden" value="([^"]+)"', page) or \
        re.search(r'id="upload" name="upload" type="hidden" value="([^"]+)"', page)
    assert match, "the page has no confirmation form"
    return match.group(1)


# --- A bad file -----------------------------------------------------------------------

def test_a_file_with_bad_rows_reports_every_problem_and_imports_nothing(
        app, client, auth):
    _, care = setup_competition()
    before = counts()
    auth.login("mine")

    response = upload(client, care.id, xlsx(BAD_ROWS), "报名表.xlsx")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "未导入任何数据，请修改后重新上传" in page
    assert "文件中有 11 个问题，未导入任何内容" in page
    assert_reported(problem_table(page), EXPECTED)
    assert "确认导入" not in page
    assert "4.21202E+17" in page  # the mangled cells are shown as Excel shows them
    assert counts() == before
    assert kept_uploads() == []  # nothing kept for a bad file


def test_the_same_data_as_gbk_csv_gives_the_same_report(app, client, auth):
    _, care = setup_competition()
    before = counts()
    auth.login("mine")
    data = csv_bytes(BAD_ROWS, "gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")

    page = upload(client, care.id, data, "报名表.csv").get_data(as_text=True)

    # In a CSV, Excel writes the mangled numbers as text (4.21202E+17): the rule of ID
    # characters catches them, in the same rows and column.
    expected = {item for item in EXPECTED if item[0] not in (10, 11)} | {
        (10, "身份证号", "可能被表格软件存成了数字"), (11, "身份证号", "可能被表格软件存成了数字")}
    assert "未导入任何数据" in page
    assert_reported(problem_table(page), expected)
    assert counts() == before


def test_the_report_is_also_available_without_the_pages(app):
    competition, _ = setup_competition()
    before = counts()

    preview = preview_file(db.session, competition, "报名表.xlsx", xlsx(BAD_ROWS), TODAY)
    assert len(preview.rows) == len(BAD_ROWS)
    assert {(p.row, p.column) for p in preview.problems} == {(r, c) for r, c, _ in EXPECTED}
    assert preview.bad_rows == {r for r, _, _ in EXPECTED}
    assert [p.row for p in preview.problems] == sorted(p.row for p in preview.problems)

    with pytest.raises(RegistrationError) as refused:
        import_file(db.session, competition, "报名表.xlsx", xlsx(BAD_ROWS), TODAY)
    assert len(refused.value.problems) == 11
    db.session.commit()
    assert counts() == before


# --- The corrected file ---------------------------------------------------------------

def test_the_corrected_file_is_previewed_then_imported_whole(app, client, auth):
    competition, care = setup_competition()
    auth.login("mine")

    page = upload(client, care.id, xlsx(GOOD_ROWS), "报名表.xlsx").get_data(as_text=True)
    assert "全部 5 行都正确" in page and "确认导入 5 人" in page
    assert "未导入任何数据" not in page
    assert WANG in page and "13807151234" in page  # organizers see full data
    assert counts() == (1, 1)  # the preview saves nothing
    [kept] = kept_uploads()  # but keeps the file, in the database, for the confirmation
    mine = db.session.scalar(select(User.id).where(User.username == "mine"))
    assert (kept.token, kept.user_id, kept.scope_id, kept.kind, kept.filename) == (
        confirm_token(page), mine, competition.id, "contestants", "报名表.xlsx")

    token = confirm_token(page)
    response = client.post(f"/events/{care.id}/import/confirm", data={"upload": token},
                           follow_redirects=True)

    page = response.get_data(as_text=True)
    assert response.request.path == f"/events/{care.id}/entries"
    assert "已导入 5 名选手" in page
    assert kept_uploads() == []
    again = client.post(f"/events/{care.id}/import/confirm", data={"upload": token},
                        follow_redirects=True).get_data(as_text=True)  # a second click
    assert "请重新上传" in again and "已导入" not in again
    contestants = {c.name: c for c in db.session.scalars(select(Contestant))}
    assert set(contestants) == {"孙磊", "王芳", "李强", "周杰", "赵敏"}
    wang = contestants["王芳"]
    assert (wang.id_number, wang.sex, wang.birth_date, wang.phone, wang.work_unit,
            wang.current_grade, wang.current_certificate_no) == (
        WANG, "F", date(1988, 5, 17), "13807151234", "咸宁市社会福利院", 3,
        "S000042000001234567890")
    assert contestants["李强"].phone == "0715-8123456" and contestants["李强"].current_grade == 4
    assert contestants["周杰"].current_grade == 2
    imported = db.session.scalars(select(Entry).where(Entry.source == "import")).all()
    assert len(imported) == 5
    assert {(e.contestant.name, e.event.name, e.division.name) for e in imported} == {
        ("王芳", "养老护理员", "职工组"), ("李强", "养老护理员", "职工组"),
        ("李强", "车工", "职工组"), ("周杰", "车工", "职工组"), ("赵敏", "养老护理员", "学生组")}
    assert all(e.status == "approved" and e.ticket_number for e in imported)
    tickets = sorted(db.session.scalars(select(Entry.ticket_number)).all())
    assert tickets == [f"2026{competition.id:03d}{n:05d}" for n in range(1, 7)]
    assert len({e.token for e in imported}) == 5 and all(len(e.token) >= 43 for e in imported)
    # One audit record per event, naming who imported how many.
    audited = db.session.execute(select(AuditEvent.event_id, AuditEvent.actor_id,
                                        AuditEvent.new_value)
                                 .where(AuditEvent.action == "entries.register")).all()
    mine = db.session.scalar(select(User.id).where(User.username == "mine"))
    by_event = {event_id: (actor, json.loads(new)["entries"]) for event_id, actor, new in audited}
    lathe = next(e.event_id for e in imported if e.event.name == "车工")
    assert by_event == {care.id: (mine, 3), lathe: (mine, 2)}


def test_a_csv_in_utf8_with_bom_is_imported(app, client, auth):
    _, care = setup_competition()
    auth.login("mine")
    data = csv_bytes(GOOD_ROWS, "utf-8-sig")
    assert data.startswith(b"\xef\xbb\xbf")

    page = upload(client, care.id, data, "报名表.csv").get_data(as_text=True)
    assert "确认导入 5 人" in page
    page = client.post(f"/events/{care.id}/import/confirm", data={"upload": confirm_token(page)},
                       follow_redirects=True).get_data(as_text=True)

    assert "已导入 5 名选手" in page
    assert counts() == (5, 6)


def test_headers_are_found_by_name_in_any_order_under_a_title(app):
    competition, _ = setup_competition()
    book = Workbook()
    sheet = book.active
    sheet.append(["咸宁市第七届技能大赛报名表"])
    sheet.append(["序号", " 赛项 ", "组别", "身份证号码", "*姓名", "手机号码", "现有职业技能等级"])
    sheet.append([1, "养老护理员", "职工组", WANG, "王芳", 13807151234, "高级工"])
    sheet.append([])
    sheet.append([2, "车工 ", "职工组", LI.lower().replace("x", "x"), "李强", None, 3])
    buffer = io.BytesIO()
    book.save(buffer)

    entries = import_file(db.session, competition, "list.xlsx", buffer.getvalue(), TODAY)

    assert [(e.contestant.name, e.event.name) for e in entries] == [("王芳", "养老护理员"),
                                                                    ("李强", "车工")]
    assert entries[0].contestant.phone == "13807151234"
    assert [e.contestant.current_grade for e in entries] == [3, 3]


@pytest.mark.parametrize("cell, grade", [
    ("三级/高级工", 3), ("三级（高级工）", 3), ("高级技师", 1), ("五级", 5), ("初级工", 5),
    ("2", 2), (4, 4), (4.0, 4), ("3级", 3), ("无", None), ("六级", None), ("三级/技师", None),
    (7, None),
])
def test_skill_grades_are_read_in_every_usual_spelling(cell, grade):
    assert parse_grade(cell) == grade


def test_an_unknown_grade_sex_or_student_word_is_reported(app):
    competition, _ = setup_competition()
    rows = [("王芳", WANG, "F?", "", "", "养老护理员", "职工组", "特级", "", "也许")]

    preview = preview_file(db.session, competition, "a.xlsx", xlsx(rows), TODAY)

    assert {(p.row, p.column) for p in preview.problems} == {
        (2, "性别"), (2, "现有职业技能等级"), (2, "是否在校学生")}


def test_one_id_number_under_two_names_in_the_file_is_reported(app):
    competition, _ = setup_competition()
    rows = [("李强", LI, "", "", "", "养老护理员", "职工组", "", "", ""),
            ("李刚", LI, "", "", "", "车工", "职工组", "", "", "")]

    preview = preview_file(db.session, competition, "a.xlsx", xlsx(rows), TODAY)

    assert [(p.row, p.column, p.params) for p in preview.problems] == [
        (3, "身份证号", {"row": 2, "name": "李强"})]


# --- All or nothing -------------------------------------------------------------------

def test_a_failure_midway_rolls_back_every_row(app, monkeypatch):
    competition, _ = setup_competition()
    real_insert = importer.registrations._insert
    calls = []

    def insert_then_fail(session, table, rows):
        # The new contestants are written; the entries' insert then fails.
        calls.append(table.name)
        if table.name == "entries":
            raise IntegrityError("INSERT INTO entries", {}, Exception("duplicate key"))
        return real_insert(session, table, rows)

    monkeypatch.setattr(importer.registrations, "_insert", insert_then_fail)

    with pytest.raises(RegistrationError) as refused:
        import_file(db.session, competition, "a.xlsx", xlsx(GOOD_ROWS), TODAY)
    assert "nothing was imported" in str(refused.value)
    assert calls == ["contestants", "entries"]
    db.session.commit()  # even a careless caller's commit saves none of it
    assert counts() == (1, 1)


def test_someone_registered_between_preview_and_confirmation(app, client, auth):
    _, care = setup_competition()
    auth.login("mine")
    page = upload(client, care.id, xlsx(GOOD_ROWS), "报名表.xlsx").get_data(as_text=True)
    from competition.entries import registrations

    registrations.register(db.session, care, care.divisions[0],
                           PersonData(name="王芳", id_number=WANG),
                     today=TODAY)
    db.session.commit()

    page = client.post(f"/events/{care.id}/import/confirm", data={"upload": confirm_token(page)},
                       follow_redirects=True).get_data(as_text=True)

    assert "未导入任何数据" in page
    assert_reported(problem_table(page), [(2, "身份证号", "王芳 已报名 养老护理员")])
    assert counts() == (2, 2)
    assert kept_uploads() == []


def test_a_kept_file_expires_after_an_hour(app, client, auth):
    _, care = setup_competition()
    auth.login("mine")
    page = upload(client, care.id, xlsx(GOOD_ROWS), "报名表.xlsx").get_data(as_text=True)
    [kept] = kept_uploads()
    kept.created_at = utcnow() - timedelta(seconds=3601)
    db.session.commit()

    page = client.post(f"/events/{care.id}/import/confirm", data={"upload": confirm_token(page)},
                       follow_redirects=True).get_data(as_text=True)

    assert "请重新上传" in page
    assert counts() == (1, 1)
    assert kept_uploads() == []


def test_only_the_uploader_can_import_a_kept_file(app, client, auth):
    competition, care = setup_competition()
    colleague = builders.user("organizer", username="colleague")
    from competition.events.models import CompetitionOrganizer

    db.session.add(CompetitionOrganizer(competition_id=competition.id, user_id=colleague.id))
    db.session.commit()
    auth.login("mine")
    token = confirm_token(upload(client, care.id, xlsx(GOOD_ROWS), "a.xlsx").get_data(
        as_text=True))
    auth.logout()
    auth.login("colleague")

    page = client.post(f"/events/{care.id}/import/confirm", data={"upload": token},
                       follow_redirects=True).get_data(as_text=True)

    assert "请重新上传" in page
    assert counts() == (1, 1)
    assert [kept.token for kept in kept_uploads()] == [token]  # still the uploader's
    auth.logout()
    auth.login("mine")
    page = client.post(f"/events/{care.id}/import/confirm", data={"upload": token},
                       follow_redirects=True).get_data(as_text=True)
    assert "已导入 5 名选手" in page
    assert kept_uploads() == []


# --- Files that are not lists ---------------------------------------------------------

@pytest.mark.parametrize("filename, data, message", [
    ("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200),
     "文件既不是 Excel 工作簿（.xlsx），也不是 CSV 文件"),
    ("名单.xlsx", "姓名,身份证号".encode(), "不是 Excel 工作簿（.xlsx）"),
    ("名单.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "Excel 97–2003"),
    ("名单.csv", b"", "文件是空的"),
    ("名单.csv", "姓名,身份证号,赛项,组别\n".encode() + b"\xff\xfe\xff,1,2,3\n",
     "既不是 UTF-8 也不是 GBK"),
    # Each missing column is named, with the headers accepted for it.
    ("名单.csv", "姓名,手机号\n张三,13800000000\n".encode(), "证件号码"),
    ("名单.csv", "姓名,身份证号,赛项,组别\n".encode(), "表头下面没有选手"),
])
def test_a_file_that_is_not_a_list_gets_a_clear_message(app, client, auth, filename,
                                                        data, message):
    _, care = setup_competition()
    auth.login("mine")

    page = upload(client, care.id, data, filename).get_data(as_text=True)

    assert message in unescape(page)
    assert "未导入任何数据" in page
    assert counts() == (1, 1)


def test_too_many_rows_or_bytes_are_refused(app, monkeypatch):
    competition, _ = setup_competition()
    data = xlsx(GOOD_ROWS)
    monkeypatch.setattr(importer, "MAX_ROWS", 4)
    preview = preview_file(db.session, competition, "a.xlsx", data, TODAY)
    assert [(p.message, p.params) for p in preview.problems] == [
        ("The file has more than %(n)s contestants: split it into several files.", {"n": 4})]
    monkeypatch.setattr(importer, "MAX_ROWS", 20_000)
    monkeypatch.setattr(importer, "MAX_BYTES", len(data) - 1)
    preview = preview_file(db.session, competition, "a.xlsx", data, TODAY)
    assert [p.message for p in preview.problems] == ["The file is larger than %(mb)s MB."]
    assert not preview.rows


# --- The template ---------------------------------------------------------------------

def test_the_template_has_the_headers_and_keeps_id_numbers_as_text(app, client, auth):
    competition, _ = setup_competition()
    auth.login("mine")

    response = client.get(f"/competitions/{competition.id}/contestants-template.xlsx")

    assert response.status_code == 200
    assert response.mimetype == importer.XLSX_MIMETYPE
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["选手名单", "填写说明"]
    sheet = book["选手名单"]
    assert [c.value for c in sheet[1]] == [
        "姓名", "身份证号", "性别", "手机号", "工作单位", "赛项", "组别", "现有职业技能等级",
        "现有证书编号", "是否在校学生"]
    assert sheet.max_row == 1  # headers only; the examples are in 填写说明
    assert sheet.column_dimensions["B"].number_format == "@"
    guide = "\n".join(str(c.value) for row in book["填写说明"].iter_rows() for c in row
                      if c.value is not None)
    assert "养老护理员" in guide and "职工组、学生组" in guide and "车工" in guide
    assert "三级/高级工" in guide and "男、女" in guide


def test_the_filled_in_template_imports(app):
    competition, _ = setup_competition()
    book = load_workbook(io.BytesIO(importer.template_workbook(competition)))
    for row in GOOD_ROWS:
        book["选手名单"].append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)

    entries = import_file(db.session, competition, "t.xlsx", buffer.getvalue(), TODAY)

    assert len(entries) == 5


# --- Who may import -------------------------------------------------------------------

def _urls(competition_id: int, event_id: int):
    return [("get", f"/competitions/{competition_id}/contestants-template.xlsx"),
            ("get", f"/events/{event_id}/import"),
            ("post", f"/events/{event_id}/import"),
            ("post", f"/events/{event_id}/import/confirm")]


@pytest.mark.parametrize("who", ["other", "judge"])
def test_only_the_competitions_organizers_may_import(app, client, auth, who):
    competition, care = setup_competition()
    auth.login(who)
    for method, url in _urls(competition.id, care.id):
        response = getattr(client, method)(url, data={"file": (io.BytesIO(xlsx(GOOD_ROWS)),
                                                               "a.xlsx")}
                                           if url.endswith("/import") and method == "post"
                                           else None)
        assert response.status_code == 403, url
    assert counts() == (1, 1)


def test_anonymous_visitors_are_sent_to_sign_in(app, client):
    competition, care = setup_competition()
    for method, url in _urls(competition.id, care.id):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_the_page_says_one_file_covers_the_whole_competition(app, client, auth):
    competition, care = setup_competition()
    auth.login("mine")

    page = client.get(f"/events/{care.id}/import").get_data(as_text=True)

    assert "导入选手" in page
    assert "整个大赛" in page and "车工" in page
    assert f"/competitions/{competition.id}/contestants-template.xlsx" in page


# --- Headers as real lists write them -------------------------------------------------

def test_headers_are_compared_without_spaces_marks_or_case():
    from competition.spreadsheet import header_key

    written = ("工作单位", " 工作 单位 ", "工作单位（必填）", "＊工作单位", "工作单位*",
               "工作单位(选填)", "工作\u3000单位：")
    assert {header_key(h) for h in written} == {"工作单位"}
    assert header_key("ID（身份证号）") == header_key("id") == "id"


def _page_columns(page: str) -> list[tuple[str, str]]:
    table = re.search(r'<table[^>]*id="recognized-columns">(.*?)</table>', page, re.S)
    assert table, "the page does not say how the columns were read"
    return [(unescape(a), unescape(b)) for a, b in
            re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td></tr>", table.group(1))]


VARIANT_HEADERS = ("序号", "选手姓名", "证件号码", "单位名称", "联系电话", "赛项", "参赛组别",
                   "现职业技能等级", "等级证书编号", "出生年月", "备注")
VARIANT_ROW = (1, "王芳", WANG, "咸宁市社会福利院", "13807151234", "养老护理员", "职工组",
               "三级", "S0001", "1988.05", "组长")


def test_a_list_with_other_headers_is_imported_into_the_right_fields(app, client, auth):
    _, care = setup_competition()
    auth.login("mine")

    page = upload(client, care.id, xlsx([VARIANT_ROW], headers=VARIANT_HEADERS),
                  "单位报名表.xlsx").get_data(as_text=True)

    assert "确认导入 1 人" in page
    assert 'id="unknown-columns"' not in page and "ignore_unknown_columns" not in page
    columns = _page_columns(page)
    assert ("工作单位", "单位名称") in columns and ("身份证号", "证件号码") in columns
    assert ("组别", "参赛组别") in columns and ("出生日期", "出生年月") in columns
    assert not any("序号" in c or "备注" in c for pair in columns for c in pair)  # quietly
    page = client.post(f"/events/{care.id}/import/confirm", data={"upload": confirm_token(page)},
                       follow_redirects=True).get_data(as_text=True)
    assert "已导入 1 名选手" in page
    wang = db.session.scalar(select(Contestant).where(Contestant.name == "王芳"))
    assert (wang.work_unit, wang.phone, wang.current_grade, wang.current_certificate_no) == (
        "咸宁市社会福利院", "13807151234", 3, "S0001")


def test_a_birth_date_that_is_not_the_id_numbers_is_reported(app):
    competition, _ = setup_competition()
    rows = [VARIANT_ROW, (2, "李强", LI, "", "", "养老护理员", "职工组", "", "", "1979-11-03", ""),
            (3, "周杰", ZHOU, "", "", "车工", "职工组", "", "", "去年", "")]
    preview = preview_file(db.session, competition, "a.xlsx",
                           xlsx(rows, headers=VARIANT_HEADERS), TODAY)
    assert [(p.row, p.column) for p in preview.problems] == [(3, "出生日期"), (4, "出生日期")]
    assert preview.problems[0].params == {"date": "1979-11-02"}


def test_an_unknown_column_is_shown_and_nothing_imported_until_confirmed(app, client, auth):
    _, care = setup_competition()
    auth.login("mine")
    headers = (*HEADERS, "籍贯", "政治面貌")
    data = xlsx([(*GOOD_ROWS[0], "湖北咸宁", "群众")], headers=headers)

    page = upload(client, care.id, data, "报名表.xlsx").get_data(as_text=True)

    notice = re.search(r'<p class="unknown-columns"[^>]*>(.*?)</p>', page, re.S)
    assert notice and "籍贯、政治面貌" in unescape(notice.group(1))
    assert page.index('id="unknown-columns"') < page.index('id="import-counts"')  # on top
    assert ("工作单位", "工作单位") in _page_columns(page)
    assert re.search(r'<input[^>]*name="ignore_unknown_columns"[^>]*required', page)
    token = confirm_token(page)
    # Confirmed without ticking the box: refused, nothing imported.
    page = client.post(f"/events/{care.id}/import/confirm", data={"upload": token},
                       follow_redirects=True).get_data(as_text=True)
    assert "未导入任何数据" in page and "籍贯" in page
    assert counts() == (1, 1)

    page = upload(client, care.id, data, "报名表.xlsx").get_data(as_text=True)
    page = client.post(f"/events/{care.id}/import/confirm",
                       data={"upload": confirm_token(page), "ignore_unknown_columns": "y"},
                       follow_redirects=True).get_data(as_text=True)
    assert "已导入 1 名选手" in page
    assert counts() == (2, 2)


def test_import_file_refuses_unknown_columns_unless_told_to_leave_them_out(app):
    competition, _ = setup_competition()
    data = xlsx([(*GOOD_ROWS[0], "湖北")], headers=(*HEADERS, "籍贯"))
    preview = preview_file(db.session, competition, "a.xlsx", data, TODAY)
    assert preview.ok and preview.unknown_columns == ["籍贯"]
    with pytest.raises(RegistrationError) as refused:
        import_file(db.session, competition, "a.xlsx", data, TODAY)
    [problem] = refused.value.problems
    assert problem.params == {"columns": "籍贯"} and problem.row == 1
    assert counts() == (1, 1)
    entries = import_file(db.session, competition, "a.xlsx", data, TODAY,
                          ignore_unknown_columns=True)
    assert len(entries) == 1


def test_a_second_column_of_one_kind_is_not_read(app):
    competition, _ = setup_competition()
    headers = ("姓名", "身份证号", "手机", "联系电话", "赛项", "组别")
    data = xlsx([("王芳", WANG, "13807151234", "0715-8123456", "养老护理员", "职工组")],
                headers=headers)
    preview = preview_file(db.session, competition, "a.xlsx", data, TODAY)
    assert preview.unknown_columns == ["联系电话"]
    assert preview.rows[0].person.phone == "13807151234"


def test_a_missing_required_column_is_named_with_its_variants(app, client, auth):
    _, care = setup_competition()
    auth.login("mine")
    headers = ("姓名", "身份证号", "单位名称", "赛项")
    data = xlsx([("王芳", WANG, "咸宁市社会福利院", "养老护理员")], headers=headers)

    page = upload(client, care.id, data, "报名表.xlsx").get_data(as_text=True)

    [(row, column, message)] = problem_table(page)
    assert (row, column) == (1, "组别") and "参赛组别" in message
    assert "未导入任何数据" in page and "确认导入" not in page
    assert counts() == (1, 1)
    assert kept_uploads() == []


def test_the_api_refuses_unknown_columns_unless_told_to_leave_them_out(app, client, auth):
    competition, _ = setup_competition()
    auth.login("mine")
    url = f"/api/v1/competitions/{competition.id}/contestants/import"
    data = xlsx([(*GOOD_ROWS[0], "湖北")], headers=(*HEADERS, "籍贯"))

    def post(query=""):
        return client.post(url + query, data={"file": (io.BytesIO(data), "a.xlsx")},
                           content_type="multipart/form-data")

    response = post()
    assert response.status_code == 422
    body = response.get_json()
    assert body["imported"] == 0 and body["unknown_columns"] == ["籍贯"]
    assert [(p["row"], p["column"]) for p in body["problems"]] == [(1, None)]
    assert "籍贯" in body["problems"][0]["message"]
    assert counts() == (1, 1)

    assert post("?dry_run=true&ignore_unknown_columns=true").status_code == 200
    assert counts() == (1, 1)
    response = post("?ignore_unknown_columns=true")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["imported"] == 1 and response.get_json()["unknown_columns"] == [
        "籍贯"]
    assert counts() == (2, 2)

    headers = [h for h in HEADERS if h != "组别"]
    response = client.post(url, data={"file": (io.BytesIO(xlsx([GOOD_ROWS[0][:6]],
                                                               headers=headers)), "b.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert [(p["row"], p["column"]) for p in response.get_json()["problems"]] == [(1, "组别")]
