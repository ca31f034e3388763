"""In Chromium: contestant lists with other headers than the template's — a variant
(单位名称) is read as its column, an unknown column is shown and imported only once
the organizer confirms, a list without a required column is refused naming it."""

from datetime import date
from io import BytesIO

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from competition.entries.idcard import make_id_number
from competition.entries.models import Contestant, Entry
from competition.extensions import db
from tests import builders

pytestmark = pytest.mark.browser

CHEN = make_id_number("421202", date(1988, 2, 3), 224, "F")
LI = make_id_number("421281", date(1979, 9, 9), 131, "M")
FILE_LABEL = "选手名单（.xlsx 或 .csv）"


def _workbook(path, headers, rows):
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())
    return str(path)


def _entries() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Entry.id)))


@pytest.fixture
def import_page(app, live_server, page):
    organizer = builders.user("organizer", username="saiwu")
    competition = builders.competition(organizers=(organizer,))
    event = builders.event(competition, "养老护理员", divisions=("职工组",))
    db.session.commit()
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill("saiwu")
    page.get_by_label("密码").fill(builders.PASSWORD)
    page.get_by_role("button", name="登录").click()
    url = f"{live_server}/events/{event.id}/import"
    page.goto(url)
    return page, url


def test_a_list_headed_with_variants_is_imported(import_page, tmp_path):
    page, _ = import_page
    path = _workbook(tmp_path / "单位名单.xlsx",
                     ["序号", "选手姓名", "证件号码", "单位名称", "赛项", "参赛组别", "备注"],
                     [[1, "陈敏", CHEN, "咸宁市社会福利院", "养老护理员", "职工组", ""]])

    page.get_by_label(FILE_LABEL).set_input_files(path)
    page.get_by_role("button", name="检查文件").click()
    columns = page.locator("#recognized-columns")
    columns.wait_for()
    assert columns.get_by_role("row").filter(has_text="单位名称").inner_text().startswith(
        "工作单位")
    assert page.locator("#unknown-columns").count() == 0
    assert "序号" not in page.locator("#import-columns").inner_text()
    page.get_by_role("button", name="确认导入 1 人").click()
    page.get_by_text("已导入").first.wait_for()
    db.session.expire_all()
    assert db.session.scalar(select(Contestant.work_unit)) == "咸宁市社会福利院"


def test_an_unknown_column_is_shown_before_the_organizer_confirms(import_page, tmp_path):
    page, url = import_page
    path = _workbook(tmp_path / "名单.xlsx", ["姓名", "身份证号", "籍贯", "赛项", "组别"],
                     [["李强", LI, "湖北咸宁", "养老护理员", "职工组"]])

    page.get_by_label(FILE_LABEL).set_input_files(path)
    page.get_by_role("button", name="检查文件").click()
    notice = page.locator("#unknown-columns")
    notice.wait_for()
    assert "籍贯" in notice.inner_text()
    button = page.get_by_role("button", name="确认导入 1 人")
    button.click()  # the box is not ticked: the browser does not send the form
    assert page.url == url and _entries() == 0
    page.locator('input[name="ignore_unknown_columns"]').check()
    button.click()
    page.get_by_text("已导入").first.wait_for()
    assert _entries() == 1


def test_a_list_without_a_required_column_is_refused_naming_it(import_page, tmp_path):
    page, _ = import_page
    path = _workbook(tmp_path / "名单.xlsx", ["姓名", "身份证号", "赛项"],
                     [["陈敏", CHEN, "养老护理员"]])

    page.get_by_label(FILE_LABEL).set_input_files(path)
    page.get_by_role("button", name="检查文件").click()
    report = page.locator("section.problems")
    report.wait_for()
    assert "未导入任何数据" in report.inner_text()
    row = report.get_by_role("row").filter(has_text="参赛组别")
    assert row.count() == 1 and "组别" in row.inner_text()
    assert page.get_by_role("button", name="确认导入 1 人").count() == 0
    assert _entries() == 0
