"""Sessions (场次): set-up and its rules, the draw into sessions, late additions to a draw,
the redraw confirmation, tickets, check-in and judges' lists by session, the timetable."""

from __future__ import annotations

import hashlib
import html
import io
import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import gettext
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlalchemy import func, select

from competition.audit.models import AuditEvent
from competition.entries import draws, lots, sessions
from competition.entries.models import Entry, EventSession, LotDraw, RegistrationStatus
from competition.entries.registrations import RegistrationError
from competition.events.models import Expert, PanelMember
from competition.extensions import db
from tests import builders
from tests.builders import entries_of, entry, setup_event
from tests.helpers import job_file

# 2026-11-20 08:30 China time is 00:30 UTC.
DAY = datetime(2026, 11, 20, 0, 30, tzinfo=UTC)
_names = itertools.count(1)


def zh(app, message: str, **params) -> str:
    """A message as a signed-in user reads it (Chinese by default; the msgid itself
    while the catalogue lacks it)."""
    with app.test_request_context():
        return gettext(message, **params)


def spec(name="第1场", start=DAY, hours=3, stations=3, room="实训楼A101",
         reporting=None) -> sessions.SessionSpec:
    return sessions.SessionSpec(name=name, starts_at=start,
                                ends_at=start + timedelta(hours=hours), stations=stations,
                                room=room, reporting_at=reporting)


def two_sessions(event, organizer, first=3, second=3) -> tuple[EventSession, EventSession]:
    one = sessions.add_session(db.session, event, spec("第1场", stations=first), organizer)
    two = sessions.add_session(db.session, event, spec("第2场", DAY + timedelta(hours=5),
                                                       stations=second, room="实训楼A102"),
                               organizer)
    db.session.commit()
    return one, two


def places(event) -> dict[int, tuple]:
    return {e.id: (e.session_id, e.station, e.code) for e in entries_of(event)}


def digest() -> str:
    found = hashlib.sha256()
    for table in ("entries", "event_sessions", "lot_draws"):
        rows = db.session.execute(select(db.metadata.tables[table])
                                  .order_by(*db.metadata.tables[table].primary_key.columns))
        for row in rows:
            found.update(repr(tuple(row)).encode())
    return found.hexdigest()


# --- The pure placement ------------------------------------------------------------------

def test_a_draw_spreads_entries_over_sessions_by_their_free_stations():
    rooms = [lots.SessionRoom(7, 10), lots.SessionRoom(9, 10)]
    placed = lots.session_places(rooms, 13)
    assert sorted(s for s, _ in placed).count(7) == 7
    assert [t for s, t in placed if s == 9] == list(range(1, 7))
    with pytest.raises(lots.DrawError, match="free stations"):
        lots.session_places(rooms, 21)


def test_an_addition_takes_the_next_free_places_in_the_sessions_order():
    rooms = [lots.SessionRoom(7, 3, (1, 2, 3)), lots.SessionRoom(9, 4, (1, 3))]
    assert lots.session_places(rooms, 2, lots.PLACEMENT_NEXT_FREE) == [(9, 2), (9, 4)]


@given(capacities=st.lists(st.integers(min_value=1, max_value=30), min_size=1, max_size=5),
       data=st.data())
@settings(max_examples=60, deadline=None)
def test_places_are_distinct_fit_their_sessions_and_recompute(capacities, data):
    rooms = [lots.SessionRoom(i + 1, c) for i, c in enumerate(capacities)]
    count = data.draw(st.integers(min_value=1, max_value=sum(capacities)))
    ids = list(range(100, 100 + count))
    result = lots.draw_places("seed", ids, "A", 3, places=lots.session_places(rooms, count))
    assert len({(lot.session_id, lot.station) for lot in result}) == count
    assert all(1 <= lot.station <= capacities[lot.session_id - 1] for lot in result)
    sessions_input = [[r.session_id, r.stations, []] for r in rooms]
    assert lots.verify_places("seed", ids, "A", 3, sessions=sessions_input, result=result)
    assert not lots.verify_places("other", ids, "A", 3, sessions=sessions_input,
                                  result=result)


# --- Sessions: set-up and rules ------------------------------------------------------------

def test_sessions_are_added_changed_and_deleted_with_an_audit_trail(app):
    organizer, event = setup_event(entries=(2,))
    one = sessions.add_session(db.session, event, spec(), organizer)
    assert sessions.reporting_time(one) == DAY - timedelta(minutes=30)
    sessions.update_session(db.session, one, spec(stations=5, reporting=DAY - timedelta(
        minutes=45)), organizer)
    assert sessions.reporting_time(one) == DAY - timedelta(minutes=45)
    sessions.delete_session(db.session, one, organizer)
    db.session.commit()
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == "event_session").order_by(AuditEvent.id)).all()
    assert actions == ["session.add", "session.change", "session.delete"]


@pytest.mark.parametrize("bad, message", [
    (dict(hours=0), "must end after it starts"),
    (dict(hours=-1), "must end after it starts"),
    (dict(stations=0), "from 1 to"),
    (dict(name=" "), "needs a name"),
    (dict(reporting=DAY + timedelta(minutes=5)), "at or before its start"),
])
def test_a_bad_session_is_refused(app, bad, message):
    organizer, event = setup_event(entries=(1,))
    with pytest.raises(RegistrationError, match=message):
        sessions.add_session(db.session, event, spec(**bad), organizer)


def test_a_session_name_is_unique_in_the_event(app):
    organizer, event = setup_event(entries=(1,))
    sessions.add_session(db.session, event, spec(), organizer)
    with pytest.raises(RegistrationError, match="already has a session"):
        sessions.add_session(db.session, event, spec(), organizer)


def test_a_session_with_entries_cannot_be_deleted_or_shrunk_below_a_station_held(app):
    organizer, event = setup_event(entries=(6,))
    one, two = two_sessions(event, organizer)
    draws.draw_lots(db.session, event, None, organizer, "A")
    db.session.commit()
    with pytest.raises(RegistrationError, match="cannot be deleted"):
        sessions.delete_session(db.session, one, organizer)
    db.session.rollback()
    with pytest.raises(RegistrationError, match="cannot have fewer than 3 stations"):
        sessions.update_session(db.session, two, spec("第2场", stations=2), organizer)
    db.session.rollback()
    assert db.session.get(EventSession, one.id).stations == 3


def test_the_draw_refuses_sessions_too_small_for_the_entries(app):
    organizer, event = setup_event(entries=(7,))
    two_sessions(event, organizer)
    assert sessions.capacity_problem(db.session, event) is not None
    with pytest.raises(RegistrationError, match="add a session or more stations"):
        draws.draw_lots(db.session, event, None, organizer, "A")
    db.session.rollback()
    assert all(e.station is None for e in entries_of(event))


# --- The draw into sessions ----------------------------------------------------------------

def test_a_draw_places_every_entry_in_a_session_and_recomputes(app):
    organizer, event = setup_event(entries=(5,))
    one, two = two_sessions(event, organizer)
    draw = draws.draw_lots(db.session, event, None, organizer, "A")
    db.session.commit()
    drawn = entries_of(event)
    by_session = {one.id: [], two.id: []}
    for e in drawn:
        by_session[e.session_id].append(e.station)
    assert sorted(by_session[one.id]) == [1, 2, 3] and sorted(by_session[two.id]) == [1, 2]
    assert len({e.code for e in drawn}) == 5
    inputs = draw.inputs
    assert inputs["sessions"] == [[one.id, 3, []], [two.id, 3, []]]
    assert lots.verify_places(draw.seed, inputs["entry_ids"], "A", 3,
                              sessions=inputs["sessions"], result=inputs["result"])
    record = draws.draw_record(db.session, draw)
    assert record.reproducible and record.current


def test_divisions_drawn_apart_share_the_sessions_without_clashing(app):
    organizer, event = setup_event(divisions=("职工组", "学生组"), entries=(3, 3))
    two_sessions(event, organizer)
    workers, students = event.divisions
    draws.draw_lots(db.session, event, workers, organizer, "A")
    second = draws.draw_lots(db.session, event, students, organizer, "A")
    db.session.commit()
    held = [(e.session_id, e.station) for e in entries_of(event)]
    assert len(set(held)) == 6 and None not in {s for s, _ in held}
    assert draws.draw_record(db.session, second).reproducible


# --- Late additions ----------------------------------------------------------------------

def test_a_late_entry_is_added_without_changing_anyone_else(app):
    organizer, event = setup_event(entries=(4,))
    one, two = two_sessions(event, organizer)
    draws.draw_lots(db.session, event, None, organizer, "A")
    db.session.commit()
    before = places(event)
    late = entry(event, "晚报名")
    db.session.commit()
    addition = draws.add_late_entries(db.session, event, organizer)
    db.session.commit()
    after = places(event)
    assert {k: v for k, v in after.items() if k != late.id} == before
    assert addition.kind == "addition" and late.draw_id == addition.id
    assert late.session_id == one.id and late.station == 3  # first session with room
    assert late.code not in {code for _, _, code in before.values()}
    assert draws.draw_record(db.session, addition).reproducible
    # Nobody waits any longer.
    with pytest.raises(RegistrationError, match="no one to add"):
        draws.add_late_entries(db.session, event, organizer)


def test_a_late_entry_without_sessions_gets_the_next_station_number(app):
    organizer, event = setup_event(entries=(3,))
    draws.draw_lots(db.session, event, None, organizer, "YL-", code_digits=4)
    db.session.commit()
    before = places(event)
    late = entry(event)
    addition = draws.add_late_entries(db.session, event, organizer)
    db.session.commit()
    assert late.station == 4 and late.session_id is None
    assert late.code.startswith("YL-") and len(late.code) == 7
    assert {k: v for k, v in places(event).items() if k != late.id} == before
    assert draws.draw_record(db.session, addition).reproducible


def test_an_addition_never_reuses_a_code_an_earlier_draw_handed_out(app):
    organizer, event = setup_event(entries=(3,))
    first = draws.draw_lots(db.session, event, None, organizer, "A")
    draws.draw_lots(db.session, event, None, organizer, "A", redraw=True)
    late = entry(event)
    addition = draws.add_late_entries(db.session, event, organizer)
    db.session.commit()
    assert late.code not in {row[-1] for row in first.inputs["result"]}
    assert set(first.inputs["result"][0][-1:]) <= set(addition.inputs["taken_codes"])


def test_an_addition_before_the_draw_or_without_room_is_refused(app):
    organizer, event = setup_event(entries=(3,))
    with pytest.raises(RegistrationError, match="draw lots for every entry first"):
        draws.add_late_entries(db.session, event, organizer)
    db.session.rollback()
    sessions.add_session(db.session, event, spec(stations=3), organizer)
    draws.draw_lots(db.session, event, None, organizer, "A")
    db.session.commit()
    entry(event)
    with pytest.raises(RegistrationError, match="add a session or more stations"):
        draws.add_late_entries(db.session, event, organizer)


# --- Pages ---------------------------------------------------------------------------------

def test_organizer_sets_up_sessions_on_the_event_page(app, client, login_as):
    organizer = login_as("organizer")
    _, event = setup_event(organizer, entries=(4,))
    url = f"/events/{event.id}/sessions"
    page = client.get(url).text
    assert 'name="stations"' in page
    response = client.post(url, data={"name": "第1场", "day": "2026-11-20", "starts": "08:30",
                                      "ends": "11:30", "room": "实训楼A101", "stations": "2"},
                           follow_redirects=True)
    page = response.text
    row = db.session.scalar(select(EventSession).where(EventSession.event_id == event.id))
    assert row.starts_at == DAY and row.reporting_at is None
    assert "08:00" in page  # reporting: 30 minutes before
    assert zh(app, sessions.capacity_problem(db.session, event), stations=2, count=4) in page

    page = client.post(url, data={"name": "第2场", "day": "2026-11-20", "starts": "14:00",
                                  "ends": "13:00", "stations": "2"},
                       follow_redirects=True).text
    assert zh(app, "%(session)s must end after it starts.", session="第2场") in page
    page = client.post(f"/event-sessions/{row.id}/edit", data={
        "name": "第1场", "day": "2026-11-20", "starts": "08:30", "ends": "11:30",
        "reporting": "07:50", "stations": "0"}).text
    assert db.session.get(EventSession, row.id).stations == 2
    client.post(f"/event-sessions/{row.id}/edit", data={
        "name": "第1场", "day": "2026-11-20", "starts": "08:30", "ends": "11:30",
        "reporting": "07:50", "room": "B201", "stations": "4"})
    db.session.expire_all()
    row = db.session.get(EventSession, row.id)
    assert row.stations == 4 and row.room == "B201"
    assert row.reporting_at == DAY - timedelta(minutes=40)
    client.post(f"/event-sessions/{row.id}/delete")
    assert db.session.scalar(select(func.count()).select_from(EventSession)) == 0


def test_the_draw_page_puts_the_form_first_and_says_what_a_redraw_changes(
        app, client, login_as):
    organizer = login_as("organizer")
    _, event = setup_event(organizer, entries=(3,))
    url = f"/events/{event.id}/draw"
    page = client.get(url).text
    assert page.index('name="code_prefix"') < page.index('class="card draw-division"')
    # Nothing drawn: the form asks nothing about codes changing.
    assert "data-confirm" not in page.split('id="draw-form"')[1].split("</form>")[0]
    assert "data-redraw-messages='{}'" in page

    client.post(url, data={"division_id": "0", "code_prefix": "A", "code_digits": "3"})
    page = client.get(url).text
    warning = zh(app, "Draw again for %(scope)s? %(count)s entries will get a new station "
                      "and a new code, and their admission tickets already printed become "
                      "invalid: print them again. The earlier draw stays on record.",
                 scope=zh(app, "the whole event"), count=3)
    form = page.split('id="draw-form"')[1].split("</form>")[0]
    assert "data-confirm=" not in form  # the box unticked: no warning
    messages = json.loads(html.unescape(
        form.split("data-redraw-messages='", 1)[1].split("'", 1)[0]))
    assert warning in messages.values()
    assert zh(app, "Drawing again for the whole event changes the station and code of "
                   "%(count)s entries, and the admission tickets already printed become "
                   "invalid.", count=3) in page


def test_the_addition_button_places_a_late_entry_and_the_record_says_so(
        app, client, login_as):
    organizer = login_as("organizer")
    _, event = setup_event(organizer, entries=(4,))
    two_sessions(event, organizer)
    client.post(f"/events/{event.id}/draw",
                data={"division_id": "0", "code_prefix": "A", "code_digits": "3"})
    db.session.expire_all()
    before = places(event)
    late = entry(event, "后来者")
    db.session.commit()
    page = client.get(f"/events/{event.id}/draw").text
    button = zh(app, "Add the new entries to the draw")
    assert button in page and "后来者" in page
    page = client.post(f"/events/{event.id}/draw/addition", data={},
                       follow_redirects=True).text
    db.session.expire_all()
    assert {k: v for k, v in places(event).items() if k != late.id} == before
    late = db.session.get(Entry, late.id)
    assert late.station is not None and late.code in page
    assert zh(app, "Late addition") in page
    assert zh(app, "Verifiable: recomputing from the seed gives the same result") in page
    assert button not in client.get(f"/events/{event.id}/draw").text


def _pdf_text(response) -> str:
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)


def test_tickets_checkin_and_judges_show_the_session(app, client, login_as):
    organizer = login_as("organizer")
    _, event = setup_event(organizer, entries=(4,))
    one, two = two_sessions(event, organizer, first=2, second=2)
    draws.draw_lots(db.session, event, None, organizer, "A")
    db.session.commit()
    first = next(e for e in entries_of(event) if e.session_id == two.id)
    text = _pdf_text(client.get(f"/entries/{first.id}/ticket.pdf"))
    for expected in ("第2场", "实训楼A102", "13:30", "16:30", "13:00",
                     zh(app, "Reporting time")):
        assert expected in text, expected
    text = _pdf_text(job_file(client, f"/events/{event.id}/tickets/print",
                              {"session_id": one.id}))
    assert "第1场" in text and "第2场" not in text

    page = client.get(f"/events/{event.id}/checkin?session_id={two.id}").text
    in_two = [e for e in entries_of(event) if e.session_id == two.id]
    in_one = [e for e in entries_of(event) if e.session_id == one.id]
    assert all(e.contestant.name in page for e in in_two)
    assert not any(e.contestant.name in page for e in in_one)
    counts = client.get(f"/events/{event.id}/checkin/counts?session_id={two.id}").json
    assert counts["counts"]["total"] == 2


def test_a_judge_filters_their_list_by_session(app, client, auth):
    organizer, event = setup_event(entries=(4,))
    builders.module(event)
    one, two = two_sessions(event, organizer, first=2, second=2)
    draws.draw_lots(db.session, event, None, organizer, "A")
    expert = Expert(name="田慧", work_unit="湖北职业技术学院")
    db.session.add(expert)
    db.session.flush()
    db.session.add(PanelMember(event_id=event.id, expert_id=expert.id, role="judge"))
    judge = builders.user("judge", expert_id=expert.id)
    db.session.commit()
    auth.login(judge.username)
    page = client.get(f"/judge?session_id={two.id}").text
    for e in entries_of(event):
        assert (e.code in page) == (e.session_id == two.id)


def test_the_timetable_page_and_pdf(app, client, login_as):
    organizer = login_as("organizer")
    _, event = setup_event(organizer, entries=(3,))
    two_sessions(event, organizer)
    draws.draw_lots(db.session, event, None, organizer, "A")
    db.session.commit()
    competition_id = event.competition_id
    assert f"/competitions/{competition_id}/timetable" in client.get(
        f"/competitions/{competition_id}").text
    page = client.get(f"/competitions/{competition_id}/timetable").text
    assert "第1场" in page and "第2场" in page and "2 / 3" in page and "1 / 3" in page
    text = _pdf_text(client.get(f"/competitions/{competition_id}/timetable.pdf"))
    for expected in ("养老护理员", "第1场", "第2场", "实训楼A101", "08:30", "08:00",
                     "2 / 3", zh(app, "Timetable")):
        assert expected in text, expected


# --- The API -------------------------------------------------------------------------------

def test_sessions_and_additions_through_the_api(app, client, login_as):
    organizer = login_as("organizer")
    _, event = setup_event(organizer, entries=(3,))
    base = f"/api/v1/events/{event.id}/sessions"
    response = client.post(base, json={"name": "第1场", "starts_at": "2026-11-20T08:30:00",
                                       "ends_at": "2026-11-20T11:30:00", "stations": 2})
    assert response.status_code == 201, response.json
    first = response.json
    assert first["reporting_time"].startswith("2026-11-20T00:00")
    response = client.post(base, json={"name": "第2场", "starts_at": "2026-11-20T14:00:00+08:00",
                                       "ends_at": "2026-11-20T13:00:00+08:00", "stations": 2})
    assert response.status_code == 422
    assert response.json["message"] == zh(app, "%(session)s must end after it starts.",
                                          session="第2场")
    response = client.post(base, json={"name": "第2场", "starts_at": "2026-11-20T14:00:00+08:00",
                                       "ends_at": "2026-11-20T17:00:00+08:00", "stations": 0})
    assert response.status_code == 422
    response = client.patch(f"/api/v1/event-sessions/{first['id']}", json={"stations": 3})
    assert response.status_code == 200 and response.json["stations"] == 3
    assert [s["name"] for s in client.get(base).json] == ["第1场"]

    draws.draw_lots(db.session, event, None, organizer, "A")
    db.session.commit()
    before = places(event)
    assert client.delete(f"/api/v1/event-sessions/{first['id']}").status_code == 422
    late = entry(event)
    db.session.commit()
    response = client.post(f"/api/v1/events/{event.id}/draw/additions", json={})
    assert response.status_code == 422  # the one session is full
    client.patch(f"/api/v1/event-sessions/{first['id']}", json={"stations": 4})
    response = client.post(f"/api/v1/events/{event.id}/draw/additions",
                           json={"note": "监督人：李四"})
    assert response.status_code == 201, response.json
    assert response.json["kind"] == "addition" and response.json["verified"]
    assert [p["entry_id"] for p in response.json["placed"]] == [late.id]
    db.session.expire_all()
    assert {k: v for k, v in places(event).items() if k != late.id} == before
    timetable = client.get(f"/api/v1/competitions/{event.competition_id}/timetable").json
    assert timetable[0]["session"]["placed"] == 4


def test_another_competitions_organizer_is_refused_and_nothing_changes(
        app, client, login_as):
    owner, event = setup_event(entries=(3,))
    one, _ = two_sessions(event, owner)
    draws.draw_lots(db.session, event, None, owner, "A")
    entry(event)
    db.session.commit()
    login_as("organizer")
    before = digest()
    form = {"name": "第9场", "day": "2026-11-21", "starts": "08:00", "ends": "09:00",
            "stations": "9"}
    for method, url, kwargs in (
            ("GET", f"/events/{event.id}/sessions", {}),
            ("POST", f"/events/{event.id}/sessions", {"data": form}),
            ("POST", f"/event-sessions/{one.id}/edit", {"data": form}),
            ("POST", f"/event-sessions/{one.id}/delete", {}),
            ("POST", f"/events/{event.id}/draw/addition", {}),
            ("GET", f"/competitions/{event.competition_id}/timetable", {}),
            ("GET", f"/competitions/{event.competition_id}/timetable.pdf", {}),
            ("POST", f"/api/v1/events/{event.id}/sessions", {"json": {"name": "x"}}),
            ("PATCH", f"/api/v1/event-sessions/{one.id}", {"json": {"stations": 1}}),
            ("DELETE", f"/api/v1/event-sessions/{one.id}", {}),
            ("POST", f"/api/v1/events/{event.id}/draw/additions", {"json": {}})):
        assert client.open(url, method=method, **kwargs).status_code == 403, (method, url)
    db.session.expire_all()
    assert digest() == before
    assert db.session.scalar(select(func.count()).select_from(LotDraw)) == 1
    assert db.session.scalar(select(func.count(Entry.id)).where(
        Entry.status == RegistrationStatus.APPROVED, Entry.station.is_(None))) == 1


@pytest.mark.parametrize("day", ["0001-01-01", "1999-12-31", "9999-12-31"])
def test_a_session_outside_the_years_it_may_fall_in_is_refused_on_the_page(
        app, client, login_as, day):
    """A day near the ends of what a date holds cannot have its reporting time moved 30
    minutes earlier: refused with the same years as the API, nothing saved."""
    organizer = login_as("organizer")
    _, event = setup_event(organizer, entries=(2,))
    response = client.post(f"/events/{event.id}/sessions", data={
        "name": "第1场", "day": day, "starts": "00:10", "ends": "11:30", "stations": "2"})
    assert response.status_code == 200
    assert zh(app, "Give a date in the years %(first)s to %(last)s.",
              first=2000, last=2100) in response.text
    assert db.session.scalar(select(func.count()).select_from(EventSession)) == 0
