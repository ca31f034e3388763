"""Locked means locked: after the chief judge locks an event, its registrations are closed,
attendance changes only as a correction with a reason, a correction republishes results
on public notice (a new notice period and a dated 更正 note), and finalizing refuses
results that differ from what was on notice."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from competition.audit.models import AuditEvent
from competition.auth.credentials import issue_api_token
from competition.auth.models import User
from competition.corrections import registration_changes as corrections
from competition.entries import registrations as entries
from competition.entries.idcard import make_id_number
from competition.entries.models import Attendance, Entry
from competition.entries.registrations import RegistrationError
from competition.entries.validation import PersonData
from competition.extensions import db
from competition.judging.models import ExternalScore
from competition.results import publishing
from competition.results.models import Publication, Result
from competition.results.publishing import PublicationError
from tests import builders


@pytest.fixture
def on_notice(tea_on_notice):
    """The small competition's 茶艺师 (``builders.tea_competition``), locked and its
    职工组 on public notice."""
    return tea_on_notice, tea_on_notice.divisions[0]


def _organizer() -> User:
    return db.session.scalar(select(User).where(User.username == builders.ORGANIZER))


def _ranked(division) -> list[Entry]:
    published = publishing.publication_of(db.session, division.id)
    return [db.session.get(Entry, r.entry_id) for r in db.session.scalars(
        select(Result).where(Result.publication_id == published.id, Result.rank.is_not(None))
        .order_by(Result.rank))]


def test_registrations_are_closed_after_the_lock(on_notice):
    event, division = on_notice
    count = len(db.session.scalars(select(Entry.id).where(Entry.event_id == event.id)).all())
    person = PersonData(name="迟到者", id_number=make_id_number("421202", date(1990, 1, 2), 22,
                                                                "F"))
    with pytest.raises(RegistrationError, match="locked"):
        entries.register(db.session, event, division, person, today=date.today())
    with pytest.raises(RegistrationError, match="locked"):
        entries.register_many(db.session, [entries.Registration(event, division, person)],
                              today=date.today())
    db.session.rollback()
    assert len(db.session.scalars(select(Entry.id).where(
        Entry.event_id == event.id)).all()) == count


def test_attendance_after_the_lock_needs_a_reason_and_republishes(on_notice, client):
    event, division = on_notice
    organizer = _organizer()
    winner = _ranked(division)[0]
    before = publishing.publication_of(db.session, division.id)
    old_end = before.notice_ends_at
    token = issue_api_token(db.session, organizer)
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}

    # Through the API, without a reason: refused, nothing changed, nothing published.
    response = client.post(f"/api/v1/entries/{winner.id}/attendance",
                           json={"attendance": "withdrawn"}, headers=headers)
    assert response.status_code == 422
    assert "更正" in response.get_json()["message"]
    db.session.expire_all()
    assert db.session.get(Entry, winner.id).attendance != Attendance.WITHDRAWN

    # With a reason: recorded with it, and the results are republished.
    response = client.post(f"/api/v1/entries/{winner.id}/attendance",
                           json={"attendance": "withdrawn", "reason": "赛后查实冒名顶替"},
                           headers=headers)
    assert response.status_code == 200, response.get_json()
    db.session.expire_all()
    assert winner.id not in [e.id for e in _ranked(division)]
    corrected = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "entry.correct"))
    assert corrected.reason == "赛后查实冒名顶替" and corrected.actor_id == organizer.id
    republished = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "results.republish"))
    assert republished.reason == "赛后查实冒名顶替"
    after = db.session.get(Publication, before.id)
    assert after.notice_ends_at > old_end  # the notice period starts again
    page = client.get(f"/results/divisions/{division.id}").get_data(as_text=True)
    assert "更正（" in page and "赛后查实冒名顶替" in page


def test_final_results_are_not_corrected(on_notice):
    event, division = on_notice
    published = publishing.publication_of(db.session, division.id)
    publishing.finalize(db.session, _organizer(), division,
                         now=published.notice_ends_at + timedelta(minutes=1))
    db.session.commit()
    entry = _ranked(division)[0]
    with pytest.raises(PublicationError, match="frozen"):
        corrections.change_attendance(db.session, entry, Attendance.ABSENT,
                                      actor=_organizer(), reason="迟到")
    db.session.rollback()
    assert db.session.get(Entry, entry.id).attendance != Attendance.ABSENT


def test_finalizing_refuses_results_that_differ_from_the_notice(on_notice):
    """A theory score changed after publication without a correction: the results computed
    now differ from those on notice, and they are not made final."""
    event, division = on_notice
    entry = _ranked(division)[-1]
    score = db.session.scalars(select(ExternalScore).where(
        ExternalScore.entry_id == entry.id)).first()
    score.score = Decimal(100)
    db.session.commit()
    later = publishing.publication_of(db.session, division.id).notice_ends_at \
        + timedelta(minutes=1)
    with pytest.raises(PublicationError, match="differ from those on public notice"):
        publishing.finalize(db.session, _organizer(), division, now=later)
    db.session.rollback()
    assert publishing.publication_of(db.session, division.id).status == "notice"
