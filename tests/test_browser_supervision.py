"""In Chromium: the supervision and arbitration group (监督仲裁组) at work.

An organizer opens a supervisor's account in the browser; a contestant appeals from their
own page on a phone; the chief judge writes an opinion; the group accepts the appeal; the
chief judge reopens a sheet and its judge re-scores it on the tablet; the contestant's page
finally shows the opinion and the group's decision. And a supervisor who browses every
page of the competition finds no way to write: no form to send, and a forged request with
a valid CSRF token is refused.

Steps are found by element ids and form fields rather than by the words of the new
strings, which the Chinese catalogue learns separately.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from competition.audit.models import AuditEvent
from competition.auth.models import User
from competition.entries.models import Entry
from competition.extensions import db
from competition.judging import scoring as judging
from competition.judging.models import ScoreSheet
from competition.results import publishing
from competition.results.models import Appeal, Countersignature, Result
from tests import builders
from tests.conftest import PHONE, TABLET, make_app
from tests.helpers import serve

pytestmark = pytest.mark.browser

SAVE_TIMEOUT_MS = 30_000


@pytest.fixture
def new_page(browser):
    """A page in a browser context of its own (another person's device), confirming every
    "are you sure?" dialog as its user would."""
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


@pytest.fixture
def csrf_server(app, database_url):
    """The app served with CSRF protection on, as in production."""
    served = make_app(database_url, WTF_CSRF_ENABLED=True)
    with serve(served) as url:
        yield url
    with served.app_context():
        db.engine.dispose()


def sign_in(page, live_server, username, password):
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def fresh(query):
    """Read what the live server committed."""
    db.session.rollback()
    return db.session.scalar(query)


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def score_in_full(page) -> None:
    """On the tablet's sheet: every criterion at its maximum, saved, then submitted."""
    nodes = page.locator("[data-criterion]")
    for i in range(nodes.count()):
        node = nodes.nth(i)
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
    page.locator("[data-waiting]").filter(has_text="全部已保存").wait_for(
        timeout=SAVE_TIMEOUT_MS)
    page.get_by_role("button", name="提交评分表").click()
    dialog = page.locator("[data-submit-dialog]")
    dialog.wait_for()
    dialog.get_by_role("button", name="提交", exact=True).click()
    page.locator("[data-status-badge]").filter(has_text="已提交").wait_for(
        timeout=SAVE_TIMEOUT_MS)


def test_an_appeal_through_the_opinion_and_the_groups_decision_to_a_rescore(
        locked_tea, live_server, new_page):
    event = locked_tea
    division = event.divisions[0]
    publishing.publish(db.session, _user(builders.ORGANIZER), division)
    db.session.commit()
    last = db.session.scalars(select(Result).where(Result.rank.is_not(None))
                              .order_by(Result.rank.desc())).first()
    entry = db.session.get(Entry, last.entry_id)
    old_total = last.total
    module = judging.scored_modules(event)[0]
    sheet = db.session.scalar(select(ScoreSheet).where(
        ScoreSheet.entry_id == entry.id, ScoreSheet.module_id == module.id,
        ScoreSheet.judge_id == _user(builders.JUDGES[0]).id))

    # The organizer opens a supervisor's account: a one-time password, shown once.
    organizer = new_page()
    sign_in(organizer, live_server, builders.ORGANIZER, builders.PASSWORD)
    organizer.goto(f"{live_server}/competitions/{event.competition_id}")
    organizer.locator(f"a[href='/competitions/{event.competition_id}/supervisors']").click()
    organizer.locator("#display_name").fill("监督员王立")
    organizer.locator("#open-supervisor").click()
    username = organizer.locator("#username").inner_text().strip()
    password = organizer.locator("#one-time-password").inner_text().strip()
    organizer.goto(f"{live_server}/competitions/{event.competition_id}")
    assert "监督员王立" in organizer.locator("#supervision-group").inner_text()

    # The supervisor signs in and chooses their own password.
    supervisor = new_page()
    sign_in(supervisor, live_server, username, password)
    supervisor.wait_for_url(re.compile(r"/account/password$"))
    supervisor.get_by_label("当前密码", exact=True).fill(password)
    supervisor.get_by_label("新密码", exact=True).fill("supervise-2026-ok")
    supervisor.get_by_label("再次输入新密码", exact=True).fill("supervise-2026-ok")
    supervisor.get_by_role("button", name="修改密码").click()
    supervisor.get_by_text("密码已修改").wait_for()

    # The contestant appeals from their own page, on a phone.
    phone = new_page(PHONE, is_mobile=True, has_touch=True)
    phone.goto(f"{live_server}/r/{entry.token}")
    phone.get_by_role("link", name="提交申诉").click()
    phone.get_by_label("申诉内容").fill("茶汤品质一项评分偏低，请复核")
    phone.get_by_role("button", name="提交申诉").click()
    phone.locator(".flash-success").wait_for()
    appeal = fresh(select(Appeal))
    assert appeal.entry_id == entry.id and appeal.status == "pending"

    # The chief judge finds it from the console and writes an opinion; no decision form.
    chief = new_page()
    sign_in(chief, live_server, builders.CHIEF, builders.PASSWORD)
    chief.goto(f"{live_server}/judge/events/{event.id}/console")
    chief.locator("nav.console-tabs").get_by_role("link", name="申诉").click()
    chief.locator(f"a[href='/appeals/{appeal.id}/decide']").click()
    assert chief.locator("#appeal-decision").count() == 0
    chief.locator("#opinion").fill("该项评分与录像不符，建议受理并复核。")
    chief.locator("#record-opinion").click()
    chief.locator("#chief-opinion .opinion-text").filter(
        has_text="建议受理并复核").wait_for()
    assert fresh(select(Appeal.chief_opinion)) == "该项评分与录像不符，建议受理并复核。"

    # The group reads the appeal with the opinion and accepts it, with a reason.
    supervisor.goto(f"{live_server}/events/{event.id}/results")
    supervisor.locator(f"a[href='/events/{event.id}/appeals']").first.click()
    supervisor.locator(f"a[href='/appeals/{appeal.id}/decide']").click()
    assert "建议受理并复核" in supervisor.locator("#chief-opinion").inner_text()
    decision = supervisor.locator("#appeal-decision")
    decision.locator("input[name=accept][value=accept]").check()
    decision.locator("#reason").fill("仲裁组审议：受理，复核茶汤品质一项。")
    decision.get_by_role("button").click()
    supervisor.locator("#appeal-decided").filter(has_text="复核茶汤品质一项").wait_for()
    stored = fresh(select(Appeal))
    assert stored.status == "accepted" and stored.decided_by_id == fresh(
        select(User.id).where(User.username == username))

    # The chief judge reopens the sheet for re-scoring; the judge re-scores it.
    chief.reload()
    reopen = chief.locator("form[action$='/reopen']")
    reopen.locator(f"input[name=sheets][value='{sheet.id}']").check()
    reopen.locator("textarea[name=reason]").fill("按仲裁组决定复核茶汤品质")
    reopen.locator("button[type=submit]").click()
    chief.locator(".flash-success").wait_for()
    assert fresh(select(ScoreSheet.status).where(ScoreSheet.id == sheet.id)) == "draft"

    judge = new_page(TABLET)
    sign_in(judge, live_server, builders.JUDGES[0], builders.PASSWORD)
    judge.goto(f"{live_server}/judge/entries/{entry.id}/modules/{module.id}")
    score_in_full(judge)
    assert fresh(select(ScoreSheet.status).where(ScoreSheet.id == sheet.id)) == "submitted"
    new_total = fresh(select(Result.total).where(Result.entry_id == entry.id))
    assert new_total > old_total
    assert fresh(select(AuditEvent.id).where(AuditEvent.action == "results.refresh",
                                            AuditEvent.object_id == str(entry.id)))

    # The contestant's page shows the chief judge's opinion and the group's decision.
    phone.reload()
    opinion = phone.locator(".appeal-opinion").inner_text()
    decided = phone.locator(".appeal-decision").inner_text()
    assert "该项评分与录像不符，建议受理并复核。" in opinion
    assert "仲裁组审议：受理，复核茶汤品质一项。" in decided
    assert f"{new_total:.2f}" in phone.content()


def test_a_supervisor_browses_everything_and_finds_no_way_to_write(
        locked_tea, csrf_server, new_page):
    event = locked_tea
    publishing.publish(db.session, _user(builders.ORGANIZER), event.divisions[0])
    supervisor = builders.user("supervisor", username="jiandu", display_name="监督员李敏",
                               competition_id=event.competition_id)
    db.session.commit()
    entry = db.session.scalars(select(Entry).where(Entry.event_id == event.id,
                                                   Entry.code.is_not(None))).first()
    page = new_page()
    sign_in(page, csrf_server, supervisor.username, builders.PASSWORD)

    # From the start page to the competition, then every tab of the event.
    page.get_by_role("link", name=event.competition.name).click()
    assert "监督员李敏" in page.locator("#supervision-group").inner_text()
    page.get_by_role("link", name=event.name).first.click()
    tabs = page.locator("nav.subnav a")
    tabs.first.wait_for()  # the event page has loaded
    hrefs = [tabs.nth(i).get_attribute("href") for i in range(tabs.count())]
    assert len(hrefs) == 7, hrefs  # including the sessions (场次) tab
    visited = []
    for href in [*hrefs, f"/judge/events/{event.id}/console/audit",
                 f"/events/{event.id}/appeals", f"/entries/{entry.id}",
                 f"/judge/events/{event.id}/console/decode"]:
        response = page.goto(f"{csrf_server}{href}")
        assert response.status == 200, href
        visited.append(href)
        # The only forms that send anything: signing out, and a countersignature.
        forms = page.locator("form[method=post]")
        for i in range(forms.count()):
            form = forms.nth(i)
            action = form.get_attribute("action") or ""
            assert action.endswith("/logout") or "countersign" in action, (href, action)
        assert entry.contestant.id_number not in page.content(), href
    assert f"/judge/events/{event.id}/console" in visited

    # A forged request, carrying the session's valid CSRF token, is refused by the guard;
    # the same token does let the supervisor countersign the lock, their own act.
    token = page.locator("form[action$='/logout'] input[name=csrf_token]").get_attribute(
        "value")
    forge = """async ([url, body]) => {
        const response = await fetch(url, {method: "POST", body: new URLSearchParams(body),
                                            redirect: "manual"});
        return response.status;
    }"""
    division = event.divisions[0]
    for url, body in (
            (f"/competitions/{event.competition_id}/status", {"status": "final"}),
            (f"/divisions/{division.id}/finalize", {}),
            (f"/events/{event.id}/panel/draw", {"count": "1"}),
            (f"/judge/events/{event.id}/console/penalties",
             {"entry_id": str(entry.id), "points": "5", "reason": "伪造"}),
            (f"/r/{entry.token}/appeal", {"text": "伪造申诉"})):
        status = page.evaluate(forge, [f"{csrf_server}{url}", {**body, "csrf_token": token}])
        assert status == 403, url
    # Without the token the CSRF check refuses first (400): the token above was valid.
    assert page.evaluate(forge, [f"{csrf_server}/events/{event.id}/panel/draw",
                                 {"count": "1"}]) == 400
    patched = page.evaluate("""async (url) => (await fetch(url, {method: "PATCH",
        headers: {"Content-Type": "application/json"},
        body: JSON.stringify({name: "改名"})})).status""",
        f"{csrf_server}/api/v1/competitions/{event.competition_id}")
    assert patched == 403
    db.session.rollback()
    assert db.session.scalar(select(Appeal.id)) is None
    assert event.competition.name != "改名"

    page.goto(f"{csrf_server}/judge/events/{event.id}/console")
    page.locator("[data-countersign='score_lock'] textarea").fill("核对无误")
    page.locator("[data-countersign='score_lock'] [data-countersign-button]").click()
    page.locator("[data-countersign='score_lock'] li").filter(has_text="监督员李敏").wait_for()
    signed = fresh(select(Countersignature))
    assert signed.user_id == supervisor.id and signed.note == "核对无误"
