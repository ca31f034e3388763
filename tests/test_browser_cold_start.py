"""In Chromium, a whole competition from an empty database, with no command line after the
first admin: the admin opens two organizers' accounts; organizer A sets up a competition,
imports contestants and experts from Excel, draws the panel and the lots, opens the
judges' accounts (a PDF of sign-in cards), which the pre-flight check needs before the
contest starts, and checks the contestants in; the judges sign
in by their cards on tablets and score; the chief judge locks the scores; A publishes;
a contestant appeals from their phone and the chief judge decides; A makes the results
final, which promotes and certifies; the certificate verifies. Organizer B, in the same
run and their own browser, is refused every page and action of A's and changes nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta
from io import BytesIO

import pytest
import zxingcpp
from openpyxl import Workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from competition.auth.models import AccessToken, User
from competition.entries.idcard import make_id_number
from competition.entries.models import Entry, LotDraw
from competition.events.models import Competition, Division, Event, PanelMember
from competition.extensions import db
from competition.grades.models import Certificate, Promotion
from competition.judging.models import ScoreSheet
from competition.results.models import Appeal, Publication
from tests import builders
from tests.conftest import PHONE, TABLET
from tests.helpers import sign_in

pytestmark = pytest.mark.browser

SAVE_TIMEOUT_MS = 30_000
TODAY = date.today()
COMPETITION = "咸宁市第九届职业技能大赛"
# Name, ID number, sex, phone, work unit: no judge works where a contestant does.
CONTESTANTS = [
    ("陈敏", make_id_number("421202", date(1988, 2, 3), 224, "F"), "女", "13712345678",
     "咸宁市社会福利院"),
    ("李强", make_id_number("421281", date(1979, 9, 9), 131, "M"), "男", "13698765432",
     "赤壁市康养中心"),
    ("王芳", make_id_number("421221", date(1992, 5, 17), 46, "F"), "女", "13587654321",
     "嘉鱼县中医院"),
]
NAMES = [c[0] for c in CONTESTANTS]
EXPERTS = [("田慧", "湖北职业技术学院", "KP-2026-001"),
           ("熊春华", "咸宁市中心医院", "KP-2026-002"),
           ("柯美玲", "通城县人民医院", "KP-2026-003")]
# The practical module's criteria: code, description, maximum points.
CRITERIA = [("A1", "评估老人身体状况", 40), ("A2", "协助翻身与体位转换", 30),
            ("A3", "沟通与人文关怀", 30)]


# --- Small helpers ------------------------------------------------------------------

@pytest.fixture
def new_page(browser):
    """Opens a page in a browser context of its own (its own cookies: another person's
    device), confirming every "are you sure?" dialog as its user would; closed at the end."""
    contexts = []

    def _new_page(viewport=None, **options):
        context = browser.new_context(viewport=viewport or {"width": 1280, "height": 800},
                                      locale="zh-CN", **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("dialog", lambda dialog: dialog.accept())
        return page

    yield _new_page
    for context in contexts:
        context.close()


def choose_own_password(page, old: str, new: str) -> None:
    page.wait_for_url(re.compile(r"/account/password$"))
    page.get_by_label("当前密码", exact=True).fill(old)
    page.get_by_label("新密码", exact=True).fill(new)
    page.get_by_label("再次输入新密码", exact=True).fill(new)
    page.get_by_role("button", name="修改密码").click()
    page.get_by_text("密码已修改").wait_for()


def open_organizer_account(page, username: str, name: str) -> str:
    """The admin opens an organizer's account; returns its one-time password."""
    page.get_by_role("link", name="账号管理").click()
    page.get_by_role("link", name="新建账号").click()
    page.get_by_label("用户名").fill(username)
    page.get_by_label("显示名称").fill(name)
    page.get_by_label("角色").select_option("organizer")
    page.get_by_role("button", name="创建账号").click()
    return page.locator("#one-time-password").inner_text().strip()


def new_competition(page, name: str, host: str = "") -> None:
    page.get_by_role("link", name="新建大赛").click()
    page.get_by_label("名称").fill(name)
    page.get_by_label("开始日期").fill(TODAY.isoformat())
    page.get_by_label("结束日期").fill((TODAY + timedelta(days=2)).isoformat())
    if host:
        page.get_by_label("主办单位").fill(host)
    page.get_by_role("button", name="保存").click()
    page.get_by_text("大赛已创建").wait_for()


def event_tab(page, name: str) -> None:
    """Open one of the event's set-up pages from its tabs."""
    page.locator("nav.subnav").get_by_role("link", name=name, exact=True).click()


def move_on(page, status: str) -> None:
    """On the competition's page, move it on to its next status."""
    page.get_by_role("button", name=f"推进到：{status}").click()
    page.get_by_text(f"大赛状态已变为：{status}。").wait_for()


def workbook(path, headers, rows) -> str:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(list(row))
    buffer = BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())
    return str(path)


def score_sheet(page, points: dict[str, int]) -> None:
    """On the tablet's sheet: type each criterion's points, wait until every mark is
    saved, then submit the sheet and wait until the server has it."""
    nodes = page.locator("[data-criterion]")
    assert nodes.count() == len(points)
    for i in range(nodes.count()):
        node = nodes.nth(i)
        node.locator("[data-input]").fill(str(points[node.get_attribute("data-code")]))
        node.locator("[data-input]").press("Enter")
    page.locator("[data-waiting]").filter(has_text="全部已保存").wait_for(
        timeout=SAVE_TIMEOUT_MS)
    assert page.locator("[data-total]").inner_text() == str(sum(points.values()))
    page.get_by_role("button", name="提交评分表").click()
    dialog = page.locator("[data-submit-dialog]")
    dialog.wait_for()
    dialog.get_by_role("button", name="提交", exact=True).click()
    page.locator("[data-status-badge]").filter(has_text="已提交").wait_for(
        timeout=SAVE_TIMEOUT_MS)
    page.get_by_text("评分表已提交并锁定。").wait_for()


def fresh(query):
    """Read what the live server committed."""
    db.session.rollback()
    return db.session.scalar(query)


def snapshot(competition_id: int, event_id: int) -> dict:
    """The values an intruder's requests must leave as they are."""
    db.session.rollback()
    competition = db.session.get(Competition, competition_id)
    event = db.session.get(Event, event_id)
    return {
        "competition": (competition.name, competition.status),
        "event": (event.name, event.notice_days, event.scores_locked_at),
        "panel": db.session.scalar(select(func.count(PanelMember.id)).where(
            PanelMember.event_id == event_id)),
        "lots": db.session.scalar(select(func.count(LotDraw.id))),
        "entries": db.session.execute(select(Entry.id, Entry.attendance, Entry.code)
                                      .order_by(Entry.id)).all(),
        "publications": db.session.execute(select(
            Publication.id, Publication.status, Publication.finalized_at)).all(),
        "appeals": db.session.execute(select(Appeal.id, Appeal.status)).all(),
        "users": db.session.execute(select(User.id, User.session_stamp).order_by(User.id)).all(),
        "judges": db.session.scalar(select(func.count(User.id)).where(User.role == "judge")),
        "cards": db.session.execute(select(AccessToken.id, AccessToken.revoked_at).where(
            AccessToken.purpose == "signin").order_by(AccessToken.id)).all(),
    }


def intrude(page, live_server, gets=(), posts=(), fetches=()) -> None:
    """Organizer B asks for A's pages and acts on A's things: every request is refused
    with 403 and no page shows a name of A's contestants."""
    for url in gets:
        response = page.goto(f"{live_server}{url}")
        assert response.status == 403, url
        content = page.content()
        assert "您没有权限打开此页面" in content, url
        assert not any(name in content for name in NAMES), url
    for url, form in posts:
        response = page.request.post(f"{live_server}{url}", form=form)
        assert response.status == 403, url
        assert not any(name in response.text() for name in NAMES), url
    for method, url, data in fetches:
        response = page.request.fetch(f"{live_server}{url}", method=method, data=data)
        assert response.status == 403, (method, url)
        assert not any(name in response.text() for name in NAMES), url


# --- The competition ----------------------------------------------------------------

def test_a_competition_runs_from_an_empty_database_in_the_browser(
        app, live_server, page, new_page, tmp_path):
    builders.user("admin", username="root")
    builders.occupation()
    db.session.commit()
    page.on("dialog", lambda dialog: dialog.accept())

    # 1. The admin opens two organizers' accounts.
    sign_in(page, live_server, "root", builders.PASSWORD)
    password_a = open_organizer_account(page, "org_a", "甲组委会")
    password_b = open_organizer_account(page, "org_b", "乙组委会")
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile(r"/login$"))  # the sign-out clears the device first

    # 2. Organizer A chooses a password and sets up the competition, its event and scheme.
    sign_in(page, live_server, "org_a", password_a)
    choose_own_password(page, password_a, "org-a-secret-1")
    new_competition(page, COMPETITION, host="咸宁市人力资源和社会保障局")
    page.get_by_role("link", name="添加赛项").click()
    page.get_by_label("职业（工种）").select_option(label="养老护理员 4-10-01-05")
    page.get_by_label("组别（用逗号或顿号分隔）").fill("职工组")
    page.get_by_role("button", name="保存").click()
    page.get_by_text("赛项已创建").wait_for()
    add_module = page.locator("form", has=page.get_by_role("button", name="添加模块"))
    add_module.get_by_label("编号").fill("A")
    add_module.get_by_label("名称").fill("实际操作")
    add_module.get_by_label("权重（占总分 %）").fill("100")
    add_module.get_by_role("button", name="添加模块").click()
    page.get_by_text("已添加模块 A").wait_for()
    for code, description, maximum in CRITERIA:
        page.locator("section", has_text="A · 实际操作").get_by_role(
            "link", name="添加评分项").click()
        page.get_by_label("编号").fill(code)
        page.get_by_label("描述").fill(description)
        page.get_by_label("配分").fill(str(maximum))
        page.get_by_label("类型").select_option("judgement")
        page.get_by_label("录入方式").select_option("points")
        page.get_by_role("button", name="保存").click()
        page.get_by_text(f"已添加评分项 {code}").wait_for()
    page.locator("[data-complete=scheme]").wait_for()
    competition = fresh(select(Competition))
    event = db.session.scalar(select(Event))
    division = db.session.scalar(select(Division))

    # ... promotions follow a preset: the top 6 workers become 高级工.
    event_tab(page, "晋升规则")
    page.get_by_label("预设").select_option(label="市级二类竞赛（天津）")
    page.get_by_role("button", name="应用预设").click()
    page.get_by_text("已应用预设“市级二类竞赛（天津）”").wait_for()

    # 3. A opens registration and imports the contestants from Excel.
    page.goto(f"{live_server}/competitions/{competition.id}")
    move_on(page, "报名中")
    page.get_by_role("link", name="养老护理员").click()
    event_tab(page, "导入选手")
    page.get_by_label("选手名单（.xlsx 或 .csv）").set_input_files(workbook(
        tmp_path / "选手.xlsx", ["姓名", "身份证号", "性别", "手机号", "工作单位", "赛项", "组别"],
        [(*person, "养老护理员", "职工组") for person in CONTESTANTS]))
    page.get_by_role("button", name="检查文件").click()
    page.get_by_role("button", name=f"确认导入 {len(CONTESTANTS)} 人").click()
    page.get_by_text("已导入").first.wait_for()
    assert all(name in page.content() for name in NAMES)

    # ... imports the experts, draws a panel of three and makes one the chief judge.
    expires = (TODAY + timedelta(days=800)).isoformat()
    page.goto(f"{live_server}/experts/import")
    page.get_by_label("专家名单（.xlsx 或 .csv）").set_input_files(workbook(
        tmp_path / "专家.xlsx", ["姓名", "工作单位", "职业（工种）", "考评员证号", "证书有效期至"],
        [(name, unit, "养老护理员", number, expires) for name, unit, number in EXPERTS]))
    page.get_by_role("button", name="导入专家").click()
    page.get_by_text("已将 3 位专家加入专家库").wait_for()
    page.goto(f"{live_server}/events/{event.id}/panel")
    page.get_by_label("抽取裁判人数").fill("3")
    page.get_by_role("button", name="抽取").click()
    members = page.locator("table.table").first.locator("tbody tr")
    members.filter(has_text="柯美玲").wait_for()
    assert members.count() == 3
    members.filter(has_text="田慧").get_by_role("button", name="设为裁判长").click()
    # The badge, not the button "设为裁判长", which the chief's row no longer has.
    members.filter(has_text="田慧").get_by_text("裁判长", exact=True).wait_for()
    assert members.get_by_role("button", name="设为裁判长").count() == 2

    # ... draws lots for stations and codes.
    event_tab(page, "抽签")
    page.get_by_role("button", name="抽签").click()
    page.get_by_text(f"抽签完成：{len(CONTESTANTS)} 名选手已有工位号和加密号").wait_for()

    # 4. A opens the judges' accounts: one PDF of usernames, one-time passwords and cards.
    page.goto(f"{live_server}/competitions/{competition.id}")
    page.get_by_role("link", name="裁判登录卡").click()
    with page.expect_download() as download:
        page.get_by_role("button", name=re.compile("为裁判开通账号")).click()
    pdf = PdfReader(download.value.path())
    text = "".join(p.extract_text() for p in pdf.pages)
    cards = [b.text for p in pdf.pages for image in p.images
             for b in zxingcpp.read_barcodes(image.image)]
    one_time = dict(re.findall(r"用户名：\s*(\S+)\s*一次性密码：\s*(\S+)", text))
    assert len(cards) == 3 and all(name in text for name, _, _ in EXPERTS)
    db.session.rollback()
    judges = db.session.scalars(select(User).where(User.role == "judge")
                                .order_by(User.id)).all()
    assert sorted(one_time) == sorted(j.username for j in judges)
    assert all(j.competition_id == competition.id and j.check_password(one_time[j.username])
               for j in judges)

    # ... the competition starts, and the contestants are checked in at the desk.
    page.goto(f"{live_server}/competitions/{competition.id}")
    move_on(page, "比赛中")
    page.get_by_role("link", name="养老护理员").click()
    event_tab(page, "检录")
    for name in NAMES:
        page.get_by_label("姓名、准考证号或身份证号后 4 位").fill(name)
        page.get_by_role("button", name="查找").click()
        card = page.locator("[data-results] .checkin-card")
        card.get_by_role("heading", name=name).wait_for()
        card.get_by_role("button", name="到场").click()
        page.get_by_text(f"{name} 已检录到场。").wait_for()
    assert page.locator("[data-count=present]").inner_text() == str(len(CONTESTANTS))

    # Organizer B, in a browser of their own, chooses a password and builds their own
    # competition; then asks for A's pages and tries A's actions: all refused.
    other = new_page()
    sign_in(other, live_server, "org_b", password_b)
    choose_own_password(other, password_b, "org-b-secret-1")
    assert COMPETITION not in other.content()
    new_competition(other, "赤壁市第一届职业技能大赛")
    entries = db.session.scalars(select(Entry).order_by(Entry.id)).all()
    before = snapshot(competition.id, event.id)
    intrude(
        other, live_server,
        gets=[f"/competitions/{competition.id}", f"/events/{event.id}",
              f"/events/{event.id}/entries", f"/entries/{entries[0].id}",
              f"/events/{event.id}/panel", f"/competitions/{competition.id}/signin-cards",
              f"/events/{event.id}/draw", f"/events/{event.id}/checkin",
              f"/events/{event.id}/results", f"/divisions/{division.id}/promotions",
              f"/competitions/{competition.id}/certificates",
              f"/judge/events/{event.id}/console"],
        posts=[(f"/competitions/{competition.id}/judge-accounts", None),
               (f"/competitions/{competition.id}/judge-accounts/{judges[0].id}/reset", None),
               (f"/competitions/{competition.id}/signin-cards/issue", None),
               (f"/events/{event.id}/panel/draw", {"count": "1"}),
               (f"/events/{event.id}/draw", {"division_id": "0", "code_prefix": "B",
                                             "code_digits": "3", "confirm_redraw": "y"}),
               (f"/entries/{entries[0].id}/attendance", {"attendance": "absent"}),
               (f"/competitions/{competition.id}/status", {"status": "scoring_closed"})],
        fetches=[("PATCH", f"/api/v1/competitions/{competition.id}", {"name": "乙改的名字"}),
                 ("PATCH", f"/api/v1/events/{event.id}", {"notice_days": 0})])
    assert snapshot(competition.id, event.id) == before

    # 5. Each judge scans their card on a tablet. The chief judge is the one whose card
    # says so; the two others score every entry offered, codes only.
    tablets, chief = [], None
    for url in cards:
        tablet = new_page(TABLET)
        tablet.goto(url)
        seat = tablet.locator(".signin-confirm li").inner_text()
        tablet.get_by_role("button", name="在本设备上登录").click()
        tablet.get_by_text("欢迎").first.wait_for()
        if "裁判长" in seat:
            chief = tablet
        else:
            tablets.append(tablet)
    assert chief is not None and len(tablets) == 2
    for tablet in tablets:
        tablet.goto(f"{live_server}/judge")
        tiles = tablet.locator("a[data-entry-code]")
        assert tiles.count() == len(CONTESTANTS)
        assert not any(name in tablet.content() for name in NAMES)
        assert tablet.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
        for position in range(len(CONTESTANTS)):
            tablet.locator("a[data-entry-code]").nth(position).click()
            tablet.wait_for_url(re.compile(r"/judge/entries/\d+/modules/\d+$"))
            score_sheet(tablet, {code: maximum - 2 * position
                                 for code, _, maximum in CRITERIA})
            tablet.get_by_role("link", name="全部选手").click()
        assert tablet.locator(".module-count").inner_text() == \
            f"已提交 {len(CONTESTANTS)} / {len(CONTESTANTS)}"

    # ... the chief judge sees every sheet in and locks the scores.
    chief.get_by_role("link", name="裁判长控制台").click()
    chief.locator("table.matrix").wait_for()
    assert chief.locator('[data-figure="missing"]').inner_text() == "0"
    chief.get_by_label(re.compile("我已核对成绩，确认锁定")).check()
    chief.get_by_role("button", name="锁定成绩").click()
    chief.get_by_text("养老护理员 的成绩已锁定").wait_for()
    page.goto(f"{live_server}/competitions/{competition.id}")
    move_on(page, "评分已结束")

    # B can neither publish A's results nor see them.
    before = snapshot(competition.id, event.id)
    intrude(other, live_server, gets=[f"/events/{event.id}/results"],
            posts=[(f"/divisions/{division.id}/publish", None)],
            fetches=[("POST", f"/api/v1/divisions/{division.id}/publish", None)])
    assert snapshot(competition.id, event.id) == before

    # 6. A publishes the division's results for public notice.
    page.get_by_role("link", name="养老护理员").click()
    event_tab(page, "成绩")
    page.get_by_role("button", name="发布公示").click()
    page.get_by_text("职工组 的成绩已发布公示。").wait_for()
    assert "公示" in page.locator("section.card h2").first.inner_text()
    page.goto(f"{live_server}/competitions/{competition.id}")
    move_on(page, "成绩已公示")

    # ... the third-placed contestant opens their own page on a phone and appeals.
    last = fresh(select(Entry).where(Entry.code.is_not(None)).order_by(Entry.station.desc()))
    phone = new_page(PHONE, is_mobile=True, has_touch=True)
    phone.goto(f"{live_server}/r/{last.token}")
    phone.get_by_role("heading", name="我的成绩").wait_for()
    # Both judges gave 4 points less on each of A1–A3 at the third station: 88, third place.
    mine = phone.locator(".contestant-card").filter(has_text="我的成绩").inner_text()
    assert "88.00" in mine and re.search(r"名次\s*第 3 名 / 共 3 人", mine), mine
    assert last.contestant.name in phone.content()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.get_by_role("link", name="提交申诉").click()
    phone.get_by_label("申诉内容").fill("沟通与人文关怀一项评分偏低，请复核")
    phone.get_by_role("button", name="提交申诉").click()
    phone.get_by_text("已收到您的申诉").wait_for()
    appeal = fresh(select(Appeal))
    assert appeal.entry_id == last.id and appeal.status == "pending"

    # B cannot read the appeal nor decide it.
    before = snapshot(competition.id, event.id)
    intrude(other, live_server,
            gets=[f"/events/{event.id}/appeals", f"/appeals/{appeal.id}/decide"],
            posts=[(f"/appeals/{appeal.id}/decide", {"accept": "accept", "reason": "乙"})],
            fetches=[("POST", f"/api/v1/appeals/{appeal.id}/decision",
                      {"accept": True, "reason": "乙"})])
    assert snapshot(competition.id, event.id) == before

    # ... the chief judge reads the appeal and rejects it, with a reason.
    chief.reload()
    chief.locator("nav.console-tabs").get_by_role("link", name="申诉").click()
    row = chief.get_by_role("row").filter(has_text=last.code)
    assert last.contestant.name in row.inner_text() and "待处理" in row.inner_text()
    row.get_by_role("link", name="处理").click()
    chief.get_by_label("驳回").check()
    chief.get_by_label("理由（选手可见）").fill("经复核录像，评分符合评分细则，维持原成绩。")
    chief.get_by_role("button", name="记录处理结果").click()
    chief.get_by_text("处理结果已记录，选手可在本人页面查看。").wait_for()
    phone.reload()
    assert "处理意见：经复核录像，评分符合评分细则，维持原成绩。" in phone.content()

    # The notice period runs five days. To let it elapse, its timestamps are moved five
    # days and a minute into the past in the database: the only step not done in the
    # browser (the appeal window closes with it).
    publication = fresh(select(Publication))
    shift = timedelta(days=5, minutes=1)
    publication.published_at -= shift
    publication.appeal_deadline -= shift
    publication.notice_ends_at -= shift
    db.session.commit()

    # B cannot make A's results final either.
    before = snapshot(competition.id, event.id)
    intrude(other, live_server, posts=[(f"/divisions/{division.id}/finalize", None)],
            fetches=[("POST", f"/api/v1/divisions/{division.id}/finalize", None)])
    assert snapshot(competition.id, event.id) == before

    # ... A makes the results final: promotions are decided and certificates issued.
    page.get_by_role("link", name="养老护理员").click()
    event_tab(page, "成绩")
    page.get_by_role("button", name="确定最终成绩").click()
    page.get_by_text("职工组 的成绩已最终确定。").wait_for()
    page.get_by_role("link", name="晋升", exact=True).click()
    assert "已决定" in page.locator("h1").inner_text()
    for name in NAMES:
        assert "晋升为 三级/高级工" in page.get_by_role("row").filter(has_text=name).inner_text()
    page.goto(f"{live_server}/competitions/{competition.id}")
    move_on(page, "已定稿")
    page.get_by_role("link", name="证书", exact=True).click()
    assert all(name in page.content() for name in NAMES)

    # ... the contestant finds their certificate on their page; its QR link verifies it.
    phone.reload()
    phone.get_by_role("link", name="证书查验页面").click()
    phone.get_by_text("有效", exact=True).wait_for()
    # With the QR code's secret: the holder's full name and the last four of the ID.
    holder = last.contestant.name
    assert holder in phone.content()
    assert last.contestant.id_number[-4:] in phone.content()
    assert last.contestant.id_number not in phone.content()
    assert "三级/高级工" in phone.content() and "养老护理员" in phone.content()

    # And B still sees none of it.
    intrude(other, live_server,
            gets=[f"/events/{event.id}/results", f"/divisions/{division.id}/promotions",
                  f"/competitions/{competition.id}/certificates",
                  f"/appeals/{appeal.id}/decide", f"/judge/events/{event.id}/console"])

    # What the database holds.
    db.session.rollback()
    judges = db.session.scalars(select(User).where(User.role == "judge")).all()
    chief_seat = db.session.scalar(select(PanelMember).where(PanelMember.role == "chief"))
    assert chief_seat.expert.name == "田慧"
    assert len(judges) == 3 and {j.competition_id for j in judges} == {competition.id}
    scorers = {j.id for j in judges if j.expert_id != chief_seat.expert_id}
    sheets = db.session.scalars(select(ScoreSheet)).all()
    assert {s.status for s in sheets} == {"submitted"}
    assert Counter(s.judge_id for s in sheets) == {j: len(CONTESTANTS) for j in scorers}
    assert fresh(select(Publication.status)) == "final"
    assert db.session.get(Appeal, appeal.id).status == "rejected"
    assert db.session.get(Competition, competition.id).status == "final"
    assert db.session.scalar(select(func.count(Promotion.id))) == len(CONTESTANTS)
    certificate = db.session.scalar(select(Certificate).join(Promotion).where(
        Promotion.entry_id == last.id))
    assert certificate is not None and certificate.revoked_at is None
    assert phone.url.endswith(f"/v/{certificate.number}?c={certificate.verification_code}")
    assert db.session.get(Competition, competition.id).name == COMPETITION
    assert [u.username for u in db.session.get(Competition, competition.id).organizers] == [
        "org_a"]
    assert db.session.scalar(select(Competition.name).where(Competition.id != competition.id)) \
        == "赤壁市第一届职业技能大赛"
