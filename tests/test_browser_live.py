"""In Chromium: the chief judge's console follows a judge scoring on another tablet the
moment the sheet is saved and submitted — by the server's stream, not by a poll (the
console's poll is set to ten minutes here)."""

import re

import pytest
from sqlalchemy import select

from competition.auth.models import User
from competition.events.models import Event
from competition.extensions import db
from competition.judging import console_views, scoring
from tests.conftest import TABLET

pytestmark = pytest.mark.browser


def account(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def sign_in(page, live_server: str, username: str) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(f"demo-{username}-2026")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/$"))


def give_maximum(node) -> None:
    mode = node.get_attribute("data-mode")
    if mode == "scale_0_3":
        node.locator("[data-choice='3']").click()
    elif mode == "pass_fail":
        node.locator("[data-choice='1']").click()
    else:
        value = node.get_attribute("data-nominal" if mode == "measured" else "data-max")
        node.locator("[data-input]").fill(value)
        node.locator("[data-input]").press("Enter")


def test_the_console_follows_a_save_made_on_another_tablet_without_a_poll(
        seeded_demo, live_server, browser, page, monkeypatch):
    monkeypatch.setattr(console_views, "REFRESH_SECONDS", 600)
    event = db.session.scalar(select(Event).where(Event.name == "养老护理员"))
    module = next(m for m in event.modules if m.code == "A")
    judge = account("judge2")
    entry = scoring.assignments(db.session, judge)[0].entries[0]
    db.session.rollback()

    page.set_viewport_size(TABLET)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, live_server, "chief1")
    page.goto(f"{live_server}/judge/events/{event.id}/console")
    cell = page.locator(f'td[data-cell="{entry.id}-{module.id}-{judge.id}"]')
    assert cell.get_attribute("data-state") == "not_started"
    page.wait_for_function("document.documentElement.dataset.live === 'on'")

    tablet = browser.new_context(viewport=TABLET, locale="zh-CN")
    try:
        judge_page = tablet.new_page()
        sign_in(judge_page, live_server, "judge2")
        judge_page.goto(f"{live_server}/judge/entries/{entry.id}/modules/{module.id}")
        first = judge_page.locator("[data-criterion]").first
        give_maximum(first)
        # The first mark saved: the console shows the sheet as a draft, at once.
        page.wait_for_function("el => el.getAttribute('data-state') === 'draft'",
                               arg=cell.element_handle(), timeout=5_000)
        nodes = judge_page.locator("[data-criterion]")
        for i in range(1, nodes.count()):
            give_maximum(nodes.nth(i))
        judge_page.locator("[data-waiting]").filter(has_text="全部已保存").wait_for(
            timeout=15_000)
        judge_page.get_by_role("button", name="提交评分表").click()
        judge_page.locator("[data-submit-dialog]").get_by_role(
            "button", name="提交", exact=True).click()
        judge_page.locator("[data-status-badge]").filter(has_text="已提交").wait_for(
            timeout=15_000)
    finally:
        tablet.close()
    page.wait_for_function("el => el.getAttribute('data-state') === 'submitted'",
                           arg=cell.element_handle(), timeout=5_000)
    assert errors == []
