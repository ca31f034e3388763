"""In Chromium at a tablet viewport (1024×768): judges score, offline too, and see no names."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from competition.audit.models import AuditEvent
from competition.auth.models import User
from competition.entries.models import Contestant, Entry
from competition.events.models import Event, Module
from competition.extensions import db
from competition.judging import scoring
from competition.judging.models import IdempotencyKey, Mark, ScoreSheet
from competition.judging.scoring import MarkChange
from tests.conftest import TABLET

pytestmark = pytest.mark.browser

SAVE_TIMEOUT_MS = 30_000


@pytest.fixture
def demo(seeded_demo):
    return db.session.scalar(select(Event).where(Event.name == "养老护理员"))


@pytest.fixture
def tablet(live_server, page):
    """The tablet's page, with every script error collected (there must be none)."""
    page.set_viewport_size(TABLET)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" and "net::ERR" not in message.text
            and "Failed to load resource" not in message.text else None)
    yield page, errors
    assert errors == []


def sign_in(page, live_server, username):
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(f"demo-{username}-2026")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/$"))


def module_a(event) -> Module:
    return next(m for m in event.modules if m.code == "A")


def first_offered(judge: str, event) -> Entry:
    user = db.session.scalar(select(User).where(User.username == judge))
    return scoring.assignments(db.session, user)[0].entries[0]


def counted(model, *where) -> int:
    db.session.rollback()  # read what the live server committed
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def criterion(page, code):
    return page.locator(f"[data-criterion][data-code='{code}']")


def score(page, node):
    """Give the criterion its maximum, the way its entry mode asks for."""
    mode = node.get_attribute("data-mode")
    if mode == "scale_0_3":
        node.locator("[data-choice='3']").click()
    elif mode == "pass_fail":
        node.locator("[data-choice='1']").click()
    elif mode == "measured":
        node.locator("[data-input]").fill(node.get_attribute("data-nominal"))
        node.locator("[data-input]").press("Enter")
    else:
        node.locator("[data-input]").fill(node.get_attribute("data-max"))
        node.locator("[data-input]").press("Enter")


def test_a_judge_scores_an_entry_and_submits(demo, live_server, tablet):
    page, _ = tablet
    sign_in(page, live_server, "judge1")
    page.get_by_role("link", name="开始评分").click()
    assert page.locator("h1").inner_text() == "评分"
    entry = first_offered("judge1", demo)
    tile = page.locator(f"a[data-entry-code='{entry.code}']").first
    assert "未开始" in tile.inner_text()
    assert tile.bounding_box()["height"] >= 48
    tile.click()
    page.wait_for_url(re.compile(r"/judge/entries/\d+/modules/\d+$"))
    assert entry.code in page.locator(".sheet-who").inner_text()
    assert page.locator("[data-net]").inner_text() == "在线"

    nodes = page.locator("[data-criterion]")
    codes = [nodes.nth(i).get_attribute("data-code") for i in range(nodes.count())]
    for code in codes:
        score(page, criterion(page, code))
    page.locator("[data-waiting]").filter(has_text="全部已保存").wait_for(
        timeout=SAVE_TIMEOUT_MS)
    assert page.locator("[data-total]").inner_text() == "100"
    for code in codes:
        assert criterion(page, code).locator("[data-sync]").get_attribute("data-state") == "saved"
        assert "已保存" in criterion(page, code).locator("[data-sync]").inner_text()

    page.get_by_role("button", name="提交评分表").click()
    dialog = page.locator("[data-submit-dialog]")
    dialog.wait_for()
    assert "100" in dialog.inner_text() and "裁判长" in dialog.inner_text()
    dialog.get_by_role("button", name="提交", exact=True).click()
    page.locator("[data-status-badge]").filter(has_text="已提交").wait_for(
        timeout=SAVE_TIMEOUT_MS)
    page.get_by_text("评分表已提交并锁定。").wait_for()
    first_input = page.locator("[data-input]").first
    assert first_input.is_disabled()
    assert not page.get_by_role("button", name="提交评分表").is_visible()

    sheet = db.session.scalar(select(ScoreSheet))
    db.session.refresh(sheet)
    assert sheet.status == "submitted" and sheet.entry_id == entry.id
    assert counted(Mark, Mark.sheet_id == sheet.id) == len(codes)
    marks = db.session.scalars(select(Mark).where(Mark.sheet_id == sheet.id)).all()
    assert sum(m.points for m in marks) == 100
    assert counted(AuditEvent, AuditEvent.action == "mark.write") == len(codes)
    assert counted(AuditEvent, AuditEvent.action == "sheet.submit") == 1

    # Back on the list, the entry shows as submitted.
    page.get_by_role("link", name="全部选手").click()
    assert "已提交" in page.locator(f"a[data-entry-code='{entry.code}']").first.inner_text()


def test_marks_entered_offline_reach_the_server_exactly_once(demo, live_server, tablet):
    page, _ = tablet
    sign_in(page, live_server, "judge1")
    entry = first_offered("judge1", demo)
    page.goto(f"{live_server}/judge/entries/{entry.id}/modules/{module_a(demo).id}")
    nodes = page.locator("[data-criterion]")
    codes = [nodes.nth(i).get_attribute("data-code") for i in range(4)]

    page.context.set_offline(True)
    for code in codes:
        score(page, criterion(page, code))
    page.locator("[data-net]").filter(has_text="离线").wait_for()
    assert page.locator("[data-waiting]").inner_text() == f"{len(codes)} 项待上传"
    for code in codes:
        sync = criterion(page, code).locator("[data-sync]")
        assert sync.get_attribute("data-state") == "pending"
        assert "待上传" in sync.inner_text()
    assert counted(Mark) == 0

    # The first answer is lost on the way back: the server wrote the marks, the tablet
    # never heard. Its retry carries the same Idempotency-Key, so nothing is written twice.
    lost = []

    def lose_first_answer(route):
        if lost:
            route.continue_()
            return
        lost.append(route.request.headers.get("idempotency-key"))
        route.fetch()
        route.abort()

    page.route("**/api/v1/judge/sheets/*/marks", lose_first_answer)
    page.context.set_offline(False)
    page.locator("[data-waiting]").filter(has_text="全部已保存").wait_for(
        timeout=SAVE_TIMEOUT_MS)
    assert lost and page.locator("[data-net]").inner_text() == "在线"
    for code in codes:
        assert criterion(page, code).locator("[data-sync]").get_attribute("data-state") == "saved"

    assert counted(Mark) == len(codes)
    assert counted(AuditEvent, AuditEvent.action == "mark.write") == len(codes)
    assert counted(IdempotencyKey) == len(codes)
    assert db.session.scalar(select(ScoreSheet.version)) == 1 + len(codes)


def test_waiting_marks_survive_a_reload(demo, live_server, tablet):
    page, _ = tablet
    sign_in(page, live_server, "judge1")
    entry = first_offered("judge1", demo)
    page.goto(f"{live_server}/judge/entries/{entry.id}/modules/{module_a(demo).id}")
    first = page.locator("[data-criterion]").first
    code = first.get_attribute("data-code")
    # The server cannot be reached for saving, though pages still load.
    page.route("**/api/v1/judge/sheets/*/marks", lambda route: route.abort())
    first.locator("[data-input]").fill("1.5")
    first.locator("[data-input]").press("Enter")
    page.locator("[data-waiting]").filter(has_text="1 项待上传").wait_for()

    page.reload()
    first = criterion(page, code)
    assert first.locator("[data-input]").input_value() == "1.5"
    assert first.locator("[data-sync]").get_attribute("data-state") == "pending"
    assert counted(Mark) == 0

    page.unroute("**/api/v1/judge/sheets/*/marks")
    page.locator("[data-waiting]").filter(has_text="全部已保存").wait_for(
        timeout=SAVE_TIMEOUT_MS)
    assert counted(Mark) == 1 and counted(AuditEvent, AuditEvent.action == "mark.write") == 1
    assert db.session.scalar(select(Mark.value)) == 1.5


def test_a_mark_changed_elsewhere_is_shown_as_a_conflict_and_the_judge_chooses(
        demo, live_server, tablet):
    page, _ = tablet
    sign_in(page, live_server, "judge1")
    entry = first_offered("judge1", demo)
    page.goto(f"{live_server}/judge/entries/{entry.id}/modules/{module_a(demo).id}")
    first = page.locator("[data-criterion]").first
    # Meanwhile another tablet of the same judge saved 2 for that criterion.
    judge = db.session.scalar(select(User).where(User.username == "judge1"))
    sheet = scoring.open_sheet(db.session, judge, entry, module_a(demo))
    criterion_id = int(first.get_attribute("data-id"))
    scoring.save_marks(db.session, judge, sheet, [MarkChange(criterion_id, Decimal(2))])
    db.session.commit()

    first.locator("[data-input]").fill("1")
    first.locator("[data-input]").press("Enter")
    first.locator("[data-sync][data-state=conflict]").wait_for(timeout=SAVE_TIMEOUT_MS)
    assert "服务器上为 2，本机为 1" in first.locator("[data-conflict]").inner_text()
    assert first.locator("[data-input]").input_value() == "1"
    assert db.session.scalar(select(Mark.value)) == 2  # not overwritten
    assert "1 项待处理（红框）" in page.locator("[data-waiting]").inner_text()

    # Submitting while the conflict shows is refused: the judge must choose first.
    page.locator("[data-submit]").click()
    assert "提交前请先处理红框标出的评分项" in page.locator("[data-notice]").inner_text()
    assert not page.locator("[data-submit-dialog]").is_visible()
    page.wait_for_timeout(1500)  # time for anything wrongly queued to be sent
    db.session.rollback()
    assert db.session.scalar(select(Mark.value)) == 2
    assert first.locator("[data-sync][data-state=conflict]").count() == 1

    first.get_by_role("button", name="保留本机的值").click()
    first.locator("[data-sync][data-state=saved]").wait_for(timeout=SAVE_TIMEOUT_MS)
    db.session.rollback()
    assert db.session.scalar(select(Mark.value)) == 1


def test_a_sheet_submitted_meanwhile_is_not_overwritten(demo, live_server, tablet):
    page, _ = tablet
    sign_in(page, live_server, "judge1")
    entry = first_offered("judge1", demo)
    page.goto(f"{live_server}/judge/entries/{entry.id}/modules/{module_a(demo).id}")
    judge = db.session.scalar(select(User).where(User.username == "judge1"))
    sheet = scoring.open_sheet(db.session, judge, entry, module_a(demo))
    scoring.save_marks(db.session, judge, sheet, [
        MarkChange(c.id, c.max_points) for c in module_a(demo).criteria])
    scoring.submit_sheet(db.session, judge, sheet)
    db.session.commit()

    first = page.locator("[data-criterion]").first
    first.locator("[data-input]").fill("0")
    first.locator("[data-input]").press("Enter")
    banner = page.locator("[data-banner]")
    banner.wait_for(timeout=SAVE_TIMEOUT_MS)
    assert "已提交" in banner.inner_text() and "裁判长" in banner.inner_text()
    assert first.locator("[data-input]").input_value() == "0"
    assert page.locator("[data-status-badge]").inner_text() == "已提交"
    db.session.rollback()
    assert db.session.scalar(select(Mark.points).where(
        Mark.criterion_id == int(first.get_attribute("data-id")))) > 0

    page.once("dialog", lambda dialog: dialog.accept())
    banner.get_by_role("button", name="放弃未上传的修改").click()
    expect(first.locator("[data-input]")).to_have_value(first.get_attribute("data-max"))
    assert page.locator("[data-waiting]").inner_text() == "全部已保存"
    assert first.locator("[data-sync]").get_attribute("data-state") == "saved"


def test_a_recused_entry_is_not_offered(demo, live_server, tablet):
    page, _ = tablet
    sign_in(page, live_server, "judge3")  # 柯美玲, 咸宁市社会福利院
    page.goto(f"{live_server}/judge")
    shown = page.locator("a[data-entry-code]")
    codes = {shown.nth(i).get_attribute("data-entry-code") for i in range(shown.count())}
    own_unit = db.session.scalars(select(Entry).join(Entry.contestant).where(
        Entry.event_id == demo.id, Contestant.work_unit == "咸宁市社会福利院")).all()
    assert codes and len(own_unit) == 2
    for entry in own_unit:
        assert entry.code not in codes
        assert entry.code not in page.inner_text("body")
    # Typing the address of the sheet does not help.
    page.goto(f"{live_server}/judge/entries/{own_unit[0].id}/modules/{module_a(demo).id}")
    page.wait_for_url(re.compile(r"/judge$"))
    assert "回避" in page.locator(".flash-error").inner_text()
    assert counted(ScoreSheet) == 0


def test_no_judge_page_shows_a_contestant_name(demo, live_server, tablet):
    page, _ = tablet
    sign_in(page, live_server, "judge1")
    page.goto(f"{live_server}/judge")
    texts = [page.inner_text("body"), page.content()]
    for module in demo.modules:
        if not module.criteria:
            continue
        page.goto(f"{live_server}/judge")
        page.locator(f"a[href$='/modules/{module.id}']").first.click()
        page.wait_for_url(re.compile(rf"/modules/{module.id}$"))
        texts += [page.inner_text("body"), page.content()]
    page.goto(f"{live_server}/")
    texts.append(page.inner_text("body"))
    people = db.session.scalars(select(Contestant).join(Entry).where(
        Entry.event_id == demo.id)).all()
    assert len(people) == 22
    for text in texts:
        for person in people:
            assert person.name not in text
            assert person.work_unit not in text
            assert person.id_number not in text


def test_a_reopened_sheet_shows_the_chief_judges_reason_and_the_criteria_named(
        demo, live_server, tablet):
    page, _ = tablet
    judge = db.session.scalar(select(User).where(User.username == "judge1"))
    chief = db.session.scalar(select(User).where(User.username == "chief1"))
    entry = first_offered("judge1", demo)
    module = module_a(demo)
    sheet = scoring.open_sheet(db.session, judge, entry, module)
    scoring.save_marks(db.session, judge, sheet, [
        MarkChange(c.id, c.max_points) for c in module.criteria])
    scoring.submit_sheet(db.session, judge, sheet)
    named = module.criteria[1]
    scoring.reopen_sheet(db.session, chief, sheet, "A2 与其他裁判差异较大，请复核",
                         criteria_ids=[named.id])
    db.session.commit()

    sign_in(page, live_server, "judge1")
    page.goto(f"{live_server}/judge/entries/{entry.id}/modules/{module.id}")
    notice = page.locator("#reopened")
    assert "裁判长已退回此评分表" in notice.inner_text()
    assert "A2 与其他裁判差异较大，请复核" in notice.inner_text()
    assert "请重新评判下方标出的评分项" in notice.inner_text()
    flagged = page.locator("[data-criterion].is-named")
    assert flagged.count() == 1 and flagged.get_attribute("data-code") == named.code
    assert page.locator("[data-status-badge]").inner_text() == "草稿"


def test_a_gauge_reading_says_what_the_tolerance_costs_and_a_slipped_decimal_is_asked(
        demo, live_server, tablet):
    from competition.events.models import Criterion

    page, _ = tablet
    lathe = db.session.scalar(select(Event).where(Event.name == "车工", Event.competition_id
                                                  == demo.competition_id))
    measured = db.session.scalars(select(Criterion).join(Module).where(
        Module.event_id == lathe.id, Criterion.entry_mode == "measured")
        .order_by(Module.position, Criterion.position)).first()
    entry = first_offered("judge6", lathe)
    sign_in(page, live_server, "judge6")
    page.goto(f"{live_server}/judge/entries/{entry.id}/modules/{measured.module_id}")
    node = criterion(page, measured.code)
    high = measured.nominal + measured.tolerance_upper
    step = measured.deduction_step
    reading = high + step / 2  # half a step out: one started step
    node.locator("[data-input]").fill(f"{reading.normalize():f}")
    node.locator("[data-input]").press("Enter")
    node.locator("[data-sync][data-state=saved]").wait_for(timeout=SAVE_TIMEOUT_MS)
    words = node.locator("[data-earned]").inner_text()
    off = f"{measured.deduction_points.normalize():f}"
    assert f"超差 {(step / 2).normalize():f} {measured.unit}，扣 {off} 分" in words

    # 3.8 typed for 38: the tablet asks before it counts as zero; Cancel keeps the old value.
    slipped = f"{(measured.nominal / 10).normalize():f}"
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    node.locator("[data-input]").fill(slipped)
    node.locator("[data-input]").press("Enter")
    page.wait_for_timeout(500)
    assert asked and "小数点" in asked[0]
    assert "请核对读数" in node.locator("[data-error]").inner_text()
    page.wait_for_timeout(1000)
    db.session.rollback()
    assert db.session.scalar(select(Mark.value).where(
        Mark.criterion_id == measured.id)) == reading
    # Confirmed, it counts (as zero).
    page.once("dialog", lambda dialog: dialog.accept())
    node.locator("[data-input]").fill(slipped)
    node.locator("[data-input]").press("Enter")
    node.locator("[data-sync][data-state=saved]").wait_for(timeout=SAVE_TIMEOUT_MS)
    page.wait_for_timeout(500)
    db.session.rollback()
    mark = db.session.scalar(select(Mark).where(Mark.criterion_id == measured.id))
    assert mark.value == Decimal(slipped) and mark.points == 0
