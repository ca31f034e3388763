"""In Chromium: an organizer uploads a contestant list with mistakes, reads the report,
uploads the corrected list and imports it."""

from datetime import date
from io import BytesIO

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from competition.entries.idcard import make_id_number
from competition.entries.models import Entry
from competition.extensions import db
from tests import builders

pytestmark = pytest.mark.browser

HEADERS = ["姓名", "身份证号", "性别", "手机号", "工作单位", "赛项", "组别"]


def _workbook(path, rows):
    book = Workbook()
    sheet = book.active
    sheet.title = "选手名单"
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())
    return str(path)


def test_organizer_imports_a_corrected_list_after_reading_the_report(app, live_server, page,
                                                                     tmp_path):
    organizer = builders.user("organizer", username="saiwu")
    competition = builders.competition(organizers=(organizer,))
    event = builders.event(competition, "养老护理员", divisions=("职工组",))
    db.session.commit()
    good = ["陈敏", make_id_number("421202", date(1988, 2, 3), 224, "F"), "女", "13712345678",
            "咸宁市社会福利院", "养老护理员", "职工组"]
    typo = ["李强", make_id_number("421281", date(1979, 9, 9), 131, "M")[:-1] + "Y", "男",
            "13698765432", "赤壁市康养中心", "养老护理员", "职工组"]
    fixed = typo[:1] + [make_id_number("421281", date(1979, 9, 9), 131, "M")] + typo[2:]

    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill("saiwu")
    page.get_by_label("密码").fill(builders.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(f"{live_server}/events/{event.id}/import")

    page.get_by_label("选手名单（.xlsx 或 .csv）").set_input_files(
        _workbook(tmp_path / "名单.xlsx", [good, typo]))
    page.get_by_role("button", name="检查文件").click()
    report = page.locator("section.problems")
    report.wait_for()
    assert "未导入任何数据" in report.inner_text()
    row = report.get_by_role("row").filter(has_text="身份证号")
    assert row.count() == 1 and "3" in row.inner_text()
    assert db.session.scalar(select(func.count(Entry.id))) == 0

    page.get_by_label("选手名单（.xlsx 或 .csv）").set_input_files(
        _workbook(tmp_path / "名单2.xlsx", [good, fixed]))
    page.get_by_role("button", name="检查文件").click()
    page.get_by_role("button", name="确认导入 2 人").click()
    page.get_by_text("已导入").first.wait_for()
    assert "陈敏" in page.content() and "李强" in page.content()
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Entry.id))) == 2
