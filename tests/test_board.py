"""The competition page's status board and to-do list, and the pre-flight check that
refuses to move a competition to 比赛中 (running) while anything is missing.

Page text is read in English (the catalogue's Chinese for new strings is added
separately); the services are checked by their message ids and values.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from competition.auth.models import User
from competition.board import Stage, competition_board
from competition.entries.models import Entry, RegistrationStatus
from competition.events.models import (
    Competition,
    Criterion,
    Event,
    Module,
    PanelMember,
)
from competition.events.preflight import Kind, preflight
from competition.extensions import db
from competition.timeutil import local_today
from tests import builders
from tests.builders import half_prepared_competition
from tests.helpers import demo_competition


def _board(competition: Competition):
    events = db.session.scalars(
        select(Event).where(Event.competition_id == competition.id)
        .options(selectinload(Event.divisions),
                 selectinload(Event.modules).selectinload(Module.criteria))
        .order_by(Event.position)).all()
    return competition_board(db.session, competition, events,
                             preflight(db.session, competition))


def _stages(board) -> dict[tuple[str, str], object]:
    return {(e.name, d.name): d for e in board.events for d in e.divisions}


def _english(client):
    client.get("/lang/en")


# --- The board ----------------------------------------------------------------------

def test_the_board_shows_each_stage_of_the_demo(staged_demo):
    rows = _stages(_board(demo_competition()))

    notice = rows[("养老护理员", "职工组")]
    assert notice.stage == Stage.NOTICE and notice.notice_ends_at is not None
    students = rows[("养老护理员", "学生组")]
    assert students.stage == Stage.LOCKED
    assert (students.present, students.registered) == (7, 8)  # one did not come
    lathe = rows[("车工", "职工组")]
    assert lathe.stage == Stage.SCORING
    assert 0 < lathe.submitted < lathe.expected and lathe.percent == 50
    tea = rows[("茶艺师", "职工组")]
    assert tea.stage == Stage.FINAL and tea.finalized_at is not None
    # A finished event expects exactly the sheets submitted (recusal counted).
    assert notice.submitted == notice.expected > 0


def test_the_to_do_list_of_the_demo(staged_demo):
    todo = {(item.kind, item.where): item for item in _board(demo_competition()).todo}
    assert ("notice", "养老护理员 · 职工组") in todo
    assert todo[("notice", "养老护理员 · 职工组")].endpoint == "results.event_results_page"
    assert ("publish", "养老护理员 · 学生组") in todo
    # Final and on-notice divisions ask nothing of set-up; 车工 is still being scored.
    assert not any(item.where.startswith("茶艺师") for item in todo.values())


def test_before_scoring_the_board_counts_check_in_and_lists_what_is_left(seeded_demo):
    competition = demo_competition()
    lathe = db.session.scalar(select(Event).where(Event.name == "车工"))
    entries = db.session.scalars(select(Entry).where(Entry.event_id == lathe.id)
                                 .order_by(Entry.id)).all()
    entries[0].attendance = "present"
    entries[1].status = RegistrationStatus.PENDING
    entries[2].station = None
    judge = db.session.scalar(select(User).where(User.username == "judge6"))
    judge.expert_id = None
    db.session.commit()

    board = _board(competition)
    lathe_row = _stages(board)[("车工", "职工组")]
    assert lathe_row.stage == Stage.CHECKIN
    assert (lathe_row.present, lathe_row.registered, lathe_row.pending) == (1, 9, 1)
    todo = {(item.kind, item.where): item for item in board.todo}
    assert todo[("review", "车工")].params == {"n": 1}
    assert todo[("accounts", "车工")].params == {"n": 1}
    assert todo[("accounts", "车工")].endpoint == "auth.signin_cards"
    assert todo[("draw", "车工")].values == {"event_id": lathe.id}
    assert todo[("draw", "车工")].endpoint == "entries.draw"


def test_the_competition_page_shows_the_board_and_links_the_to_do_list(staged_demo, client,
                                                                      auth):
    auth.login("organizer", "demo-organizer-2026")
    _english(client)
    page = client.get(f"/competitions/{demo_competition().id}").get_data(as_text=True)
    assert 'id="status-board"' in page
    for stage in ("notice", "locked", "scoring", "final"):
        assert f'data-stage="{stage}"' in page
    assert "50% of sheets submitted" in page
    assert 'data-todo="publish"' in page and "/events/" in page


def test_supervisors_read_the_board_without_the_organizers_links(seeded_demo, client, auth):
    competition = demo_competition()
    lathe = db.session.scalar(select(Event).where(Event.name == "车工"))
    entry = db.session.scalar(select(Entry).where(Entry.event_id == lathe.id))
    entry.status = RegistrationStatus.PENDING
    builders.user("supervisor", username="watcher", competition_id=competition.id)
    db.session.commit()
    auth.login("watcher")
    page = client.get(f"/competitions/{competition.id}").get_data(as_text=True)
    assert 'data-todo="review"' in page
    assert f"/competitions/{competition.id}/pending" not in page


# --- The pre-flight check -----------------------------------------------------------

def _messages(missing) -> list[tuple[str, str, dict]]:
    return [(m.kind, m.problem.message, m.problem.params) for m in missing]


def test_the_pre_flight_check_names_everything_missing(app):
    organizer = builders.user("organizer")
    competition, event, judges, _ = half_prepared_competition(organizer)
    missing = preflight(db.session, competition)
    kinds = [m.kind for m in missing]
    assert kinds.count(Kind.DATES) == 1 and kinds.count(Kind.DRAW) == 1
    found = _messages(missing)
    assert any("add up to" in message and params["module"] == "A"
               for _, message, params in found)
    assert any(kind == Kind.SCHEME and params.get("module") == "模块B"
               for kind, _, params in found)
    assert (Kind.PANEL, "The panel has no chief judge.", {}) in found
    assert (Kind.ACCOUNTS, "%(name)s of the panel has no account yet.",
            {"name": "邵志华"}) in found
    assert any(kind == Kind.CERTIFICATES and params["name"] == "邵志华"
               for kind, _, params in found)
    assert not any(params.get("name") == "聂卫星" for _, _, params in found)
    # The theory module takes imported scores: no criteria needed.
    assert not any(params.get("module") == "模块T" for _, _, params in found)
    assert all(m.where == "车工" for m in missing if m.kind != Kind.DATES)


def test_moving_to_running_is_refused_with_the_list_and_changes_nothing(app, client,
                                                                      login_as):
    organizer = login_as("organizer")
    competition, event, _, _ = half_prepared_competition(organizer)
    _english(client)
    page = client.post(f"/competitions/{competition.id}/status", data={"status": "running"},
                       follow_redirects=True).get_data(as_text=True)
    assert "The competition cannot start yet" in page
    for text in ("The panel has no chief judge.", "邵志华 of the panel has no account yet.",
                 "have no station yet", "has no criteria", "add up to 90"):
        assert text in page
    assert 'id="preflight"' in page and 'data-kind="dates"' in page
    assert 'data-setup="problems"' in page and 'data-setup="ready"' not in page
    db.session.expire_all()
    assert db.session.get(Competition, competition.id).status == "registration"


def test_the_api_refuses_the_same_way(app, client, login_as):
    organizer = login_as("organizer")
    competition, _, _, _ = half_prepared_competition(organizer)
    response = client.post(f"/api/v1/competitions/{competition.id}/status",
                           json={"status": "running"})
    assert response.status_code == 422
    problems = response.get_json()["problems"]
    assert len(problems) == len(preflight(db.session, competition))
    assert {p["where"] for p in problems} == {None, "车工"}
    db.session.expire_all()
    assert db.session.get(Competition, competition.id).status == "registration"


@pytest.mark.parametrize("via_api", [False, True])
def test_once_everything_is_fixed_the_competition_runs(app, client, login_as, via_api):
    organizer = login_as("organizer")
    competition, event, judges, entry = half_prepared_competition(organizer)
    today = local_today()
    competition.starts_on, competition.ends_on = today, today + timedelta(days=1)
    module_a = next(m for m in event.modules if m.code == "A")
    module_a.criteria[0].max_points = Decimal(70)
    module_b = next(m for m in event.modules if m.code == "B")
    db.session.add(Criterion(module_id=module_b.id, code="B1", description="外观",
                             max_points=Decimal(100), kind="judgement"))
    member = db.session.scalar(select(PanelMember).where(
        PanelMember.expert_id == judges[1].id))
    member.role = "chief"
    judges[1].certificate_expires_on = today + timedelta(days=900)
    builders.user("judge", username="shaozh", expert_id=judges[1].id,
                  competition_id=competition.id)
    entry.station, entry.code = 1, "CG-001"
    db.session.commit()
    assert preflight(db.session, competition) == []
    if via_api:
        response = client.post(f"/api/v1/competitions/{competition.id}/status",
                               json={"status": "running"})
        assert response.status_code == 200, response.get_json()
    else:
        _english(client)
        page = client.get(f"/competitions/{competition.id}").get_data(as_text=True)
        assert 'data-preflight="passed"' in page and 'data-setup="ready"' in page
        client.post(f"/competitions/{competition.id}/status", data={"status": "running"})
    db.session.expire_all()
    assert db.session.get(Competition, competition.id).status == "running"


def test_the_event_page_lists_the_events_pre_flight_problems(app, client, login_as):
    organizer = login_as("organizer")
    _, event, _, _ = half_prepared_competition(organizer)
    _english(client)
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "The panel has no chief judge." in page and 'data-complete="event"' not in page
    scheme = client.get(f"/events/{event.id}/scheme").get_data(as_text=True)
    assert "has no criteria" in scheme and "chief judge" not in scheme
