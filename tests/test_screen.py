"""The big screen: what its data says before and after the lock, freezing and unfreezing,
who may open it, and (in Chromium) the screen following a changed mark."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from competition.audit.models import AuditEvent
from competition.auth.models import User
from competition.entries.idcard import mask_name
from competition.entries.models import Entry
from competition.extensions import db
from competition.judging import scoring as judging
from competition.judging.models import ScoreSheet
from competition.judging.scoring import MarkChange
from competition.results.models import ScreenFreeze
from tests import builders


def _user(name):
    return db.session.scalar(select(User).where(User.username == name))


def _entries(event):
    return {e.id: e for e in db.session.scalars(select(Entry).where(Entry.event_id == event.id))}


def _unlock(event):
    event.scores_locked_at = None
    db.session.commit()


def _rows(client, event):
    response = client.get(f"/events/{event.id}/screen.json")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    answer = response.get_json()
    [division] = answer["divisions"]
    return answer, division["rows"]


def test_codes_before_the_lock_and_names_as_the_competition_shows_them_after(
        locked_tea, client, auth):
    entries = _entries(locked_tea)
    by_code = {e.code: e for e in entries.values()}
    auth.login(builders.ORGANIZER)

    _unlock(locked_tea)
    answer, rows = _rows(client, locked_tea)
    assert answer["locked"] is False and answer["frozen"] is False
    assert [r["rank"] for r in rows] == sorted(r["rank"] for r in rows) and rows[0]["rank"] == 1
    assert {r["name"] for r in rows} <= set(by_code)
    assert all(r["work_unit"] == "" for r in rows)
    text = client.get(f"/events/{locked_tea.id}/screen").get_data(as_text=True)
    for entry in entries.values():
        assert entry.contestant.name not in text and entry.contestant.name not in str(answer)
    assert rows[0]["award_label"].startswith("一等奖")

    locked_tea.scores_locked_at = locked_tea.marking_started_at
    db.session.commit()
    answer, rows = _rows(client, locked_tea)
    people = {mask_name(e.contestant.name): e.contestant for e in entries.values()}
    assert answer["locked"] is True
    assert all(r["name"] in people and r["work_unit"] == people[r["name"]].work_unit
               for r in rows)
    assert builders.TEA_TITLE in rows[0]["award_label"]  # the event's title for the top 3

    locked_tea.competition.name_display = "full"
    db.session.commit()
    _, rows = _rows(client, locked_tea)
    assert {r["name"] for r in rows} == {e.contestant.name for e in entries.values()
                                         if e.attendance in ("expected", "present")}
    page = client.get(f"/events/{locked_tea.id}/screen").get_data(as_text=True)
    assert rows[0]["name"] in page and "实时排名" in page


def test_freezing_keeps_the_standings_until_unfrozen(locked_tea, client, auth):
    _unlock(locked_tea)
    auth.login(builders.CHIEF)
    _, before = _rows(client, locked_tea)
    leader = next(e for e in _entries(locked_tea).values() if e.code == before[0]["name"])

    page = client.post(f"/events/{locked_tea.id}/screen/freeze",
                       follow_redirects=True).get_data(as_text=True)
    assert "大屏幕已定格" in page and "定格于" in page
    freeze = db.session.scalar(select(ScreenFreeze))
    assert freeze.event_id == locked_tea.id and freeze.frozen_by_id == _user(builders.CHIEF).id

    # The leader is penalised: the live ranking changes, the frozen screen does not.
    judging.add_penalty(db.session, _user(builders.CHIEF), leader, Decimal(50), "违规操作")
    db.session.commit()
    answer, frozen = _rows(client, locked_tea)
    assert answer["frozen"] is True and answer["frozen_label"].startswith("定格于")
    assert frozen == before

    again = client.post(f"/events/{locked_tea.id}/screen/freeze", follow_redirects=True)
    assert "已经定格" in again.get_data(as_text=True)
    assert db.session.scalar(select(ScreenFreeze.id)) == freeze.id

    page = client.post(f"/events/{locked_tea.id}/screen/unfreeze",
                       follow_redirects=True).get_data(as_text=True)
    assert "恢复显示实时成绩" in page
    assert db.session.scalar(select(ScreenFreeze)) is None
    answer, after = _rows(client, locked_tea)
    assert answer["frozen"] is False and after[0]["name"] != leader.code
    assert next(r for r in after if r["name"] == leader.code)["rank"] > 1
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.action.like("screen.%")).order_by(AuditEvent.id)).all()
    assert actions == ["screen.freeze", "screen.unfreeze"]


def test_organizers_and_the_chief_judge_only(locked_tea, client, auth):
    urls = (f"/events/{locked_tea.id}/screen", f"/events/{locked_tea.id}/screen.json")
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    for username, status in ((builders.JUDGES[0], 403), (builders.OTHER_CHIEF, 403),
                             (builders.CHIEF, 200), (builders.ORGANIZER, 200)):
        auth.login(username)
        assert [client.get(url).status_code for url in urls] == [status, status], username
        for action in ("freeze", "unfreeze"):
            response = client.post(f"/events/{locked_tea.id}/screen/{action}")
            assert response.status_code == (302 if status == 200 else status)
            assert (db.session.scalar(select(ScreenFreeze)) is not None) == (
                status == 200 and action == "freeze")
        auth.logout()


def test_freezing_needs_the_csrf_token(app, locked_tea):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    client.post("/login", data={"username": builders.ORGANIZER, "password": builders.PASSWORD})
    client.post(f"/events/{locked_tea.id}/screen/freeze")
    assert db.session.scalar(select(ScreenFreeze)) is None


# --- In Chromium ------------------------------------------------------------------------

@pytest.mark.browser
def test_the_screen_follows_a_changed_mark(locked_tea, live_server, page):
    """Scoring still open: judges raise the last entry's marks, and the screen puts it
    first without a reload."""
    _unlock(locked_tea)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill(builders.ORGANIZER)
    page.get_by_label("密码").fill(builders.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(f"{live_server}/events/{locked_tea.id}/screen")
    first = page.locator(".screen-table tbody tr").first.locator("td.name")
    last = page.locator(".screen-table tbody tr").last.locator("td.name")
    leader, trailer = first.inner_text(), last.inner_text()
    assert leader != trailer
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(11, 20, 32)"

    entry = db.session.scalar(select(Entry).where(Entry.code == trailer))
    chief = _user(builders.CHIEF)
    for name in builders.JUDGES[:2]:
        judge = _user(name)
        for sheet in db.session.scalars(select(ScoreSheet).where(
                ScoreSheet.entry_id == entry.id, ScoreSheet.judge_id == judge.id)):
            judging.reopen_sheet(db.session, chief, sheet, "复核")
            held = {m.criterion_id: m.value for m in sheet.marks}
            judging.save_marks(db.session, judge, sheet, [
                MarkChange(c.id, c.max_points, previous=held.get(c.id))
                for c in sheet.module.criteria])
            judging.submit_sheet(db.session, judge, sheet)
    db.session.commit()

    page.wait_for_function(
        "code => document.querySelector('.screen-table tbody td.name').textContent === code",
        arg=trailer)
    assert page.locator(".frozen-mark").is_hidden()
    assert errors == []
