"""In Chromium at a tablet viewport: the judge's app opens and scores without a network,
from a cold start too, and signing out clears what it keeps on the tablet.

Cache Storage and service workers do not survive in Playwright's ``storage_state``: a tablet
that is switched off and on again is a persistent browser profile, closed and launched
again on the same folder (``tablet_app``).

Offline is ``set_offline(True)``, every request aborted by the browser and, behind both, the
venue's network down at the server (``go_offline``): Chromium's emulation does not reliably
hold for a page a service worker controls in a relaunched profile, nor does request
routing, and a request that slipped through would make the test prove nothing. While the
network is down, the test server drops every connection unanswered, as an outage does.
"""

from __future__ import annotations

import re
import socket

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from competition.audit.models import AuditEvent
from competition.entries.models import Contestant, Entry
from competition.events.models import Event
from competition.extensions import db
from competition.judging.models import IdempotencyKey, Mark, ScoreSheet
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, TABLET
from tests.test_browser_judging import counted, criterion, first_offered, module_a, score

pytestmark = pytest.mark.browser

SAVE_TIMEOUT_MS = 30_000
KEEP_TIMEOUT_MS = 90_000

# Everything the tablet keeps in Cache Storage (but images) and in localStorage, as text.
DEVICE_TEXT = """async () => {
  const parts = [JSON.stringify(window.localStorage)];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      if ((response.headers.get("Content-Type") || "").startsWith("image/")) { continue; }
      parts.push(request.url + "\\n" + await response.text());
    }
  }
  return parts.join("\\n");
}"""


class VenueNetwork:
    """The network between the tablets and the server, as the server sees it."""

    def __init__(self) -> None:
        self.down = False

    def wrap(self, wsgi_app):
        def gate(environ, start_response):
            if not self.down:
                return wsgi_app(environ, start_response)
            # Nothing reaches the app: the connection ends without an answer.
            environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
            start_response("503 Service Unavailable", [])
            return []
        return gate


NETWORK = VenueNetwork()


@pytest.fixture(autouse=True)
def venue_network(_served_app):
    served = _served_app.wsgi_app
    _served_app.wsgi_app = NETWORK.wrap(served)
    yield NETWORK
    NETWORK.down = False
    _served_app.wsgi_app = served


@pytest.fixture
def demo(seeded_demo):
    return db.session.scalar(select(Event).where(Event.name == "养老护理员"))


@pytest.fixture
def tablet_app(browser, tmp_path):
    """``launch(offline=False)``: the tablet's browser on one profile folder, launched again
    after it was closed (a tablet switched off and on); every script error on its pages is
    collected (there must be none)."""
    profile = tmp_path / "tablet-profile"
    contexts = []
    errors = []

    def collect(page):
        page.set_default_timeout(15_000)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: errors.append(message.text)
                if message.type == "error" and "net::ERR" not in message.text
                and "Failed to load resource" not in message.text else None)

    def launch(offline: bool = False):
        context = browser.browser_type.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, viewport=TABLET,
            locale="zh-CN", offline=offline)
        contexts.append(context)
        if offline:
            go_offline(context)
        context.on("page", collect)
        page = context.pages[0] if context.pages else context.new_page()
        collect(page)
        return context, page

    yield launch
    for context in contexts:
        context.close()  # closing a closed context does nothing
    assert errors == []


def go_offline(context):
    NETWORK.down = True
    context.set_offline(True)
    context.route("**/*", lambda route: route.abort("internetdisconnected"))


def go_online(context):
    context.unroute_all()
    context.set_offline(False)
    NETWORK.down = False


def switch_off(context, page):
    """The tablet is switched off: its page stops first (closing the browser lifts the
    offline emulation a moment before the page is gone, which a tablet never does)."""
    page.close()
    context.close()


def sign_in(page, live_server, username):
    """Sign in, ticking "keep me signed in" as a tablet's judge does: the browser forgets its
    session cookie when it is closed."""
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(f"demo-{username}-2026")
    page.get_by_label("在此设备上保持登录").check()
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/$"))


def open_judge_app(page, live_server):
    """Open the list of entries online and wait until the worker says all is kept."""
    page.goto(f"{live_server}/judge")
    app = page.locator("#judge-app")
    expect(app).to_have_attribute("data-kept-state", "done", timeout=KEEP_TIMEOUT_MS)
    return app


def sheet_link(page, entry, module):
    return page.locator(f"a.entry-tile[href$='/judge/entries/{entry.id}/modules/{module.id}']")


def test_the_judge_app_opens_and_scores_offline_from_a_cold_start(demo, live_server,
                                                                   tablet_app):
    audited = counted(AuditEvent)
    context, page = tablet_app()
    sign_in(page, live_server, "judge1")
    app = open_judge_app(page, live_server)
    tiles = page.locator("a.entry-tile[data-entry-id]")
    assert app.get_attribute("data-kept-sheets") == str(tiles.count()) != "0"
    assert page.locator("[data-device-kept]").is_visible()
    # Keeping every sheet opened none and changed nothing.
    assert counted(ScoreSheet) == 0 and counted(AuditEvent) == audited
    # Nothing about a contestant but what the judge sees (codes, stations) is on the tablet.
    kept = page.evaluate(DEVICE_TEXT)
    people = db.session.scalars(select(Contestant).join(Entry).where(
        Entry.event_id == demo.id)).all()
    assert people and kept.count("/judge/entries/") >= tiles.count()
    for person in people:
        assert person.name not in kept
        assert person.work_unit not in kept
        assert person.id_number not in kept

    entry = first_offered("judge1", demo)
    module = module_a(demo)
    codes = [c.code for c in module.criteria]

    # Offline, the list reloads from the tablet's copy and says so.
    go_offline(context)
    page.reload()
    expect(page.locator("[data-device-copy]")).to_be_visible()
    assert page.locator("#judge-app").get_attribute("data-copy")

    # A sheet never opened before opens from its copy: not started, no id.
    sheet_link(page, entry, module).click()
    page.wait_for_url(re.compile(rf"/judge/entries/{entry.id}/modules/{module.id}$"))
    sheet = page.locator("#sheet")
    assert sheet.get_attribute("data-sheet-id") == ""
    assert page.locator("[data-status-badge]").inner_text() == "未开始"
    assert page.locator("[data-net]").inner_text() == "离线"
    expect(page.locator("[data-device-copy]")).to_be_visible()
    score(page, criterion(page, codes[0]))
    criterion(page, codes[0]).locator("[data-sync][data-state=pending]").wait_for()
    switch_off(context, page)

    # Switched off and on again, still offline: the app opens from a cold start.
    context, page = tablet_app(offline=True)
    page.goto(f"{live_server}/judge")
    expect(page.locator("[data-device-copy]")).to_be_visible()
    sheet_link(page, entry, module).click()
    page.wait_for_url(re.compile(rf"/judge/entries/{entry.id}/modules/{module.id}$"))
    first = criterion(page, codes[0])
    assert first.locator("[data-sync]").get_attribute("data-state") == "pending"
    for code in codes[1:]:
        score(page, criterion(page, code))
    assert page.locator("[data-waiting]").inner_text() == f"{len(codes)} 项待上传"
    page.get_by_role("button", name="提交评分表").click()
    page.locator("[data-submit-dialog]").get_by_role("button", name="提交", exact=True).click()
    page.get_by_text("正在提交").wait_for()
    assert counted(ScoreSheet) == 0 and counted(Mark) == 0

    # Online again: the sheet is opened, every mark sent once, the sheet submitted.
    go_online(context)
    page.locator("[data-status-badge]").filter(has_text="已提交").wait_for(
        timeout=SAVE_TIMEOUT_MS)
    page.locator("[data-waiting]").filter(has_text="全部已保存").wait_for(
        timeout=SAVE_TIMEOUT_MS)
    sheets = db.session.scalars(select(ScoreSheet)).all()
    assert len(sheets) == 1
    assert sheets[0].status == "submitted" and sheets[0].entry_id == entry.id
    assert counted(Mark, Mark.sheet_id == sheets[0].id) == len(codes)
    assert counted(Mark) == len(codes)
    assert counted(AuditEvent, AuditEvent.action == "mark.write") == len(codes)
    assert counted(AuditEvent, AuditEvent.action == "sheet.submit") == 1
    assert counted(IdempotencyKey) == len(codes) + 1
    assert sum(m.points for m in db.session.scalars(select(Mark))) == module.max_score


def test_a_kept_page_shows_what_the_tablet_last_heard(demo, live_server, tablet_app):
    """The copy of a sheet kept when it was opened is older than the marks saved since:
    offline, the sheet shows the saved marks, and the list the sheet as started."""
    context, page = tablet_app()
    sign_in(page, live_server, "judge1")
    open_judge_app(page, live_server)
    entry = first_offered("judge1", demo)
    module = module_a(demo)
    sheet_link(page, entry, module).click()
    page.wait_for_url(re.compile(rf"/modules/{module.id}$"))
    codes = [c.code for c in module.criteria][:2]
    for code in codes:
        score(page, criterion(page, code))
    page.locator("[data-waiting]").filter(has_text="全部已保存").wait_for(
        timeout=SAVE_TIMEOUT_MS)
    values = [criterion(page, code).locator("[data-input]").input_value() for code in codes]

    go_offline(context)
    page.goto(f"{live_server}/judge")
    expect(page.locator("[data-device-copy]")).to_be_visible()
    assert "草稿" in sheet_link(page, entry, module).inner_text()
    sheet_link(page, entry, module).click()
    page.wait_for_url(re.compile(rf"/modules/{module.id}$"))
    for code, value in zip(codes, values, strict=True):
        node = criterion(page, code)
        assert node.locator("[data-input]").input_value() == value
        assert node.locator("[data-sync]").get_attribute("data-state") == "saved"
    assert page.locator("[data-status-badge]").inner_text() == "草稿"


def test_signing_out_clears_the_tablet_but_keeps_waiting_marks_after_a_warning(
        demo, live_server, tablet_app):
    context, page = tablet_app()
    sign_in(page, live_server, "judge1")
    open_judge_app(page, live_server)
    assert page.evaluate("caches.keys()")
    entries = scoring_entries(demo)
    module = module_a(demo)
    # One sheet saved: its queue holds nothing to upload.
    page.goto(f"{live_server}/judge/entries/{entries[0].id}/modules/{module.id}")
    score(page, page.locator("[data-criterion]").first)
    page.locator("[data-waiting]").filter(has_text="全部已保存").wait_for(
        timeout=SAVE_TIMEOUT_MS)
    # Another with a mark the server cannot be reached for.
    page.goto(f"{live_server}/judge/entries/{entries[1].id}/modules/{module.id}")
    page.route("**/api/v1/judge/sheets/*/marks", lambda route: route.abort())
    score(page, page.locator("[data-criterion]").first)
    page.locator("[data-waiting]").filter(has_text="1 项待上传").wait_for()
    queues = page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('judging.'))")
    assert len(queues) == 2

    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="退出").click()
    page.wait_for_timeout(500)
    assert asked and "1" in asked[0]
    assert "/judge/entries/" in page.url  # still signed in, nothing cleared
    assert page.evaluate("caches.keys()")
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('judging.'))") \
        == queues

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile(r"/login$"))
    assert page.evaluate("caches.keys()") == []
    assert page.evaluate("navigator.serviceWorker.getRegistrations()"
                         ".then(r => r.length)") == 0
    left = page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('judging.'))")
    assert len(left) == 1
    waiting = page.evaluate(f"JSON.parse(localStorage.getItem({left[0]!r})).items.length")
    assert waiting == 1
    assert counted(Mark) == 1


def test_signing_out_with_nothing_waiting_asks_nothing_and_clears_everything(
        demo, live_server, tablet_app):
    context, page = tablet_app()
    sign_in(page, live_server, "judge1")
    open_judge_app(page, live_server)
    entry = first_offered("judge1", demo)
    page.goto(f"{live_server}/judge/entries/{entry.id}/modules/{module_a(demo).id}")
    score(page, page.locator("[data-criterion]").first)
    page.locator("[data-waiting]").filter(has_text="全部已保存").wait_for(
        timeout=SAVE_TIMEOUT_MS)
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile(r"/login$"))
    assert asked == []
    assert page.evaluate("caches.keys()") == []
    assert page.evaluate("Object.keys(localStorage)") == []


def scoring_entries(event) -> list[Entry]:
    from competition.auth.models import User
    from competition.judging import scoring

    judge = db.session.scalar(select(User).where(User.username == "judge1"))
    return scoring.assignments(db.session, judge)[0].entries
