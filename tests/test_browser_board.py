"""In Chromium: the competition page's status board shows each stage of the demo's events
with its to-do list, and the pre-flight check lists what a half-prepared competition
lacks and refuses to start it."""

from __future__ import annotations

import pytest

from competition.events.models import Competition
from competition.extensions import db
from tests import builders
from tests.builders import half_prepared_competition
from tests.helpers import demo_competition

pytestmark = pytest.mark.browser


def _sign_in(page, live_server, username, password=builders.PASSWORD):
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server}/")


def test_the_board_shows_each_stage_of_the_demo(staged_demo, live_server, page):
    competition_id = demo_competition().id
    _sign_in(page, live_server, "organizer", "demo-organizer-2026")
    page.goto(f"{live_server}/competitions/{competition_id}")
    board = page.locator("#status-board")
    board.wait_for()
    for event, division, stage in (("养老护理员", "职工组", "notice"),
                                   ("养老护理员", "学生组", "locked"),
                                   ("车工", "职工组", "scoring"),
                                   ("茶艺师", "职工组", "final")):
        row = board.locator(f'tr[data-event="{event}"][data-division="{division}"]')
        assert row.get_attribute("data-stage") == stage
    assert "50%" in board.locator('tr[data-stage="scoring"]').inner_text()
    assert "公示" in board.locator('tr[data-stage="notice"]').inner_text()
    # The to-do list links to where each thing is done.
    board.locator('li[data-todo="publish"] a').click()
    page.wait_for_url(f"{live_server}/events/*/results")


def test_the_pre_flight_check_refuses_a_half_prepared_competition(app, live_server, page):
    organizer = builders.user("organizer", username="org")
    competition, _, _, _ = half_prepared_competition(organizer)
    page.on("dialog", lambda dialog: dialog.accept())
    _sign_in(page, live_server, "org")
    page.goto(f"{live_server}/competitions/{competition.id}")
    listed = page.locator("#preflight li")
    for kind in ("dates", "scheme", "panel", "accounts", "certificates", "draw"):
        assert page.locator(f'#preflight li[data-kind="{kind}"]').count() >= 1, kind
    count = listed.count()
    assert "邵志华" in page.locator("#preflight").inner_text()
    page.get_by_role("button", name="推进到：比赛中").click()
    page.locator(".flash-error").first.wait_for()
    assert page.locator("#preflight li").count() == count
    db.session.expire_all()
    assert db.session.get(Competition, competition.id).status == "registration"
