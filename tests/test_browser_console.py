"""In Chromium at a tablet viewport: the chief judge of the demo's 养老护理员 watches the
console, reopens a submitted sheet with a reason, and sees the matrix follow the judges."""

import pytest
from sqlalchemy import select

from competition.entries.models import Contestant, Entry
from competition.events.models import Event
from competition.extensions import db
from competition.judging import scoring
from competition.judging.models import ScoreSheet
from competition.judging.scoring import MarkChange
from tests.conftest import TABLET

pytestmark = pytest.mark.browser


def account(username):
    from competition.auth.models import User

    return db.session.scalar(select(User).where(User.username == username))


def score(judge, entry, module):
    sheet = scoring.open_sheet(db.session, judge, entry, module)
    scoring.save_marks(db.session, judge, sheet,
                       [MarkChange(c.id, c.max_points) for c in module.criteria])
    scoring.submit_sheet(db.session, judge, sheet)
    db.session.commit()
    return sheet


@pytest.fixture
def console_page(seeded_demo, live_server, page):
    event = db.session.scalar(select(Event).where(Event.name == "养老护理员"))
    module = next(m for m in event.modules if m.code == "A")
    judge1, judge2 = account("judge1"), account("judge2")
    entries = scoring.assignments(db.session, judge1)[0].entries
    sheets = [score(judge1, entries[0], module), score(judge1, entries[1], module),
              score(judge2, entries[0], module)]

    page.set_viewport_size(TABLET)
    errors = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill("chief1")
    page.get_by_label("密码").fill("demo-chief1-2026")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="裁判长控制台").click()
    page.locator("table.matrix").wait_for()
    return {"page": page, "event": event, "module": module, "entries": entries,
            "sheets": sheets, "judges": (judge1, judge2), "errors": errors}


def cell(page, entry, module, judge):
    return page.locator(f'td[data-cell="{entry.id}-{module.id}-{judge.id}"]')


def test_the_chief_reopens_a_sheet_and_the_matrix_follows(console_page):
    page, module, entries = console_page["page"], console_page["module"], \
        console_page["entries"]
    judge1, judge2 = console_page["judges"]
    assert page.locator("h1").inner_text() == "裁判长控制台 · 养老护理员"
    assert page.locator('[data-figure="submitted"]').inner_text() == "3"
    first = cell(page, entries[0], module, judge1)
    assert first.get_attribute("data-state") == "submitted"
    assert cell(page, entries[2], module, judge1).get_attribute("data-state") == "not_started"
    assert page.locator('td[data-state="recused"]').count() > 0
    # The matrix fits the tablet's width: no column hidden off to the right.
    width = page.evaluate("document.querySelector('.matrix-wrap').scrollWidth")
    assert width <= TABLET["width"]
    # Codes only: no contestant's name anywhere on the console.
    names = db.session.scalars(select(Contestant.name).join(Entry).where(
        Entry.event_id == console_page["event"].id)).all()
    content = page.content()
    assert names and not any(name in content for name in names)

    first.get_by_role("link").click()
    dialog = page.locator("dialog[data-reopen-dialog]")
    dialog.wait_for()
    assert entries[0].code in dialog.inner_text() and "田慧" in dialog.inner_text()
    dialog.get_by_label("重新打开的原因").fill("选手申诉，复核操作流程")
    dialog.get_by_role("button", name="重新打开").click()
    page.get_by_text("已重新打开").wait_for()
    assert cell(page, entries[0], module, judge1).get_attribute("data-state") == "draft"
    assert page.locator('[data-figure="submitted"]').inner_text() == "2"
    sheet = db.session.get(ScoreSheet, console_page["sheets"][0].id)
    db.session.refresh(sheet)
    assert sheet.status == "draft"

    # A judge submits meanwhile: the console picks it up without a reload.
    score(judge2, entries[1], module)
    page.get_by_role("button", name="立即刷新").click()
    target = cell(page, entries[1], module, judge2)
    page.wait_for_function(
        "el => el.getAttribute('data-state') === 'submitted'", arg=target.element_handle())
    assert page.locator('[data-figure="submitted"]').inner_text() == "3"
    judge_row = page.locator(f'[data-panel="summary"] tr[data-judge="{judge2.id}"]')
    assert judge_row.locator("td").nth(1).inner_text().startswith("2 / ")
    assert console_page["errors"] == []
