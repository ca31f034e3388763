"""In Chromium, from an empty database and no command line after the first admin: the admin
opens two organizers' accounts; organizer A builds a competition, imports its experts from
Excel, draws a panel and opens the judges' accounts (a PDF of one-time passwords and QR
cards); a judge signs in on a tablet by the card; organizer B, in the same run, is refused
A's pages and actions and changes nothing."""

from __future__ import annotations

import re
from datetime import date, timedelta
from io import BytesIO

import pytest
import zxingcpp
from openpyxl import Workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from competition.auth.models import User
from competition.events.models import Competition, Event, Expert, PanelMember
from competition.extensions import db
from tests import builders
from tests.conftest import TABLET

pytestmark = pytest.mark.browser


def _sign_in(page, live_server, username, password):
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def _choose_own_password(page, old: str, new: str) -> None:
    page.wait_for_url(re.compile(r"/account/password$"))
    page.get_by_label("当前密码", exact=True).fill(old)
    page.get_by_label("新密码", exact=True).fill(new)
    page.get_by_label("再次输入新密码", exact=True).fill(new)
    page.get_by_role("button", name="修改密码").click()
    page.get_by_text("密码已修改").wait_for()


def _new_organizer(page, live_server, username: str, name: str) -> str:
    page.goto(f"{live_server}/")
    page.get_by_role("link", name="账号管理").click()
    page.get_by_role("link", name="新建账号").click()
    page.get_by_label("用户名").fill(username)
    page.get_by_label("显示名称").fill(name)
    page.get_by_label("角色").select_option("organizer")
    page.get_by_role("button", name="创建账号").click()
    return page.locator("#one-time-password").inner_text().strip()


def _experts_workbook(path) -> str:
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "工作单位", "职业（工种）", "考评员证号", "证书有效期至"])
    expires = (date.today() + timedelta(days=800)).isoformat()
    sheet.append(["田慧", "湖北职业技术学院", "养老护理员", "KP-2026-001", expires])
    sheet.append(["熊春华", "咸宁市中心医院", "养老护理员", "KP-2026-002", expires])
    buffer = BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())
    return str(path)


def test_a_competition_is_set_up_from_the_browser_while_another_organizer_is_kept_out(
        app, live_server, browser, page, tmp_path):
    builders.user("admin", username="root")
    builders.occupation()
    db.session.commit()

    # The admin opens two organizers' accounts.
    _sign_in(page, live_server, "root", builders.PASSWORD)
    password_a = _new_organizer(page, live_server, "org_a", "甲组委会")
    password_b = _new_organizer(page, live_server, "org_b", "乙组委会")
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile(r"/login$"))  # the sign-out clears the device first

    # Organizer A chooses a password, builds a competition and an event.
    _sign_in(page, live_server, "org_a", password_a)
    _choose_own_password(page, password_a, "org-a-secret-1")
    page.get_by_role("link", name="新建大赛").click()
    page.get_by_label("名称").fill("咸宁市第八届职业技能大赛")
    page.get_by_label("开始日期").fill((date.today() + timedelta(days=10)).isoformat())
    page.get_by_label("结束日期").fill((date.today() + timedelta(days=12)).isoformat())
    page.get_by_role("button", name="保存").click()
    page.get_by_text("大赛已创建").wait_for()
    page.get_by_role("link", name="添加赛项").click()
    page.get_by_label("职业（工种）").select_option(label="养老护理员 4-10-01-05")
    page.get_by_label("组别（用逗号或顿号分隔）").fill("职工组")
    page.get_by_role("button", name="保存").click()
    page.get_by_text("赛项已创建").wait_for()
    competition = db.session.scalar(select(Competition))
    event = db.session.scalar(select(Event))

    # ... imports two experts from Excel and draws them onto the panel.
    page.goto(f"{live_server}/experts/import")
    page.get_by_label("专家名单（.xlsx 或 .csv）").set_input_files(
        _experts_workbook(tmp_path / "专家.xlsx"))
    page.get_by_role("button", name="导入专家").click()
    page.get_by_text("已将 2 位专家加入专家库").wait_for()
    page.goto(f"{live_server}/events/{event.id}/panel")
    page.get_by_label("抽取裁判人数").fill("2")
    page.get_by_role("button", name="抽取").click()
    page.get_by_role("cell", name="熊春华").first.wait_for()
    db.session.rollback()
    assert db.session.scalar(select(func.count(PanelMember.id))) == 2

    # ... opens the judges' accounts: one PDF of usernames, one-time passwords and cards.
    page.goto(f"{live_server}/competitions/{competition.id}")
    page.get_by_role("link", name="裁判登录卡").click()
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile("为裁判开通账号")).click()
    pdf = PdfReader(download.value.path())
    text = "".join(p.extract_text() for p in pdf.pages)
    cards = [b.text for p in pdf.pages for image in p.images
             for b in zxingcpp.read_barcodes(image.image)]
    db.session.rollback()
    judges = db.session.scalars(select(User).where(User.role == "judge")
                                .order_by(User.id)).all()
    assert len(judges) == 2 and len(cards) == 2
    assert all(j.competition_id == competition.id and j.must_change_password for j in judges)
    assert all(j.username in text for j in judges)
    assert "田慧" in text and "熊春华" in text

    # A judge scans a card on a tablet and is signed in for this competition.
    tablet = browser.new_context(viewport=TABLET, locale="zh-CN").new_page()
    tablet.goto(cards[0])
    tablet.get_by_role("button", name="在本设备上登录").click()
    tablet.wait_for_url(re.compile(r"/(judge)?$"))
    assert "咸宁市第八届职业技能大赛" in tablet.content() or "养老护理员" in tablet.content()
    assert tablet.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    tablet.context.close()

    # Organizer B, in another browser, is refused everything of A's and changes nothing.
    other = browser.new_context(locale="zh-CN").new_page()
    _sign_in(other, live_server, "org_b", password_b)
    _choose_own_password(other, password_b, "org-b-secret-1")
    assert "咸宁市第八届职业技能大赛" not in other.content()
    expert = db.session.scalar(select(Expert).order_by(Expert.id))
    for url in (f"/competitions/{competition.id}", f"/competitions/{competition.id}/signin-cards",
                f"/events/{event.id}/panel", f"/events/{event.id}/entries",
                f"/experts/{expert.id}/edit"):
        response = other.goto(f"{live_server}{url}")
        assert response.status == 403, url
        assert "您没有权限打开此页面" in other.content()
    stamps = {j.id: j.session_stamp for j in judges}
    for url in (f"/competitions/{competition.id}/judge-accounts",
                f"/competitions/{competition.id}/judge-accounts/{judges[0].id}/reset",
                f"/competitions/{competition.id}/judge-accounts/{judges[0].id}/active",
                f"/competitions/{competition.id}/signin-cards/issue",
                f"/events/{event.id}/panel/draw"):
        assert other.request.post(f"{live_server}{url}").status == 403, url
    for method, url in (("GET", f"/api/v1/events/{event.id}/entries"),
                        ("GET", f"/api/v1/events/{event.id}/panel"),
                        ("PATCH", f"/api/v1/competitions/{competition.id}")):
        response = other.request.fetch(f"{live_server}{url}", method=method,
                                       data={"name": "乙改的名字"})
        assert response.status == 403, url
    other.context.close()
    db.session.rollback()
    assert {j.id: j.session_stamp for j in db.session.scalars(select(User).where(
        User.role == "judge"))} == stamps
    assert db.session.scalar(select(func.count(PanelMember.id))) == 2
    assert db.session.get(Competition, competition.id).name == "咸宁市第八届职业技能大赛"
