"""Use cases of sessions (场次): an event's sittings of its practical exam.

A session has a name (第1场), a start and an end, a reporting time (检录时间), a
room or workshop and a number of stations. The draw places each entry in a session
and at one of its stations (``draw_service``).

Functions take the session and plain values, ``flush()``, record what changed in
the audit log and raise ``SessionError`` when a rule is broken; the request commits once.

Rules:
- A session ends after it starts; its reporting time is at or before the start. Left
  empty, the reporting time is ``REPORTING_LEAD`` (30 minutes) before the start, and
  follows the start when it moves.
- A session has at least one station; its name is unique within the event.
- A session where entries are placed cannot be deleted, nor shrunk below the highest
  station an entry holds in it.
- Before the draw, the sessions' stations must hold the event's entries taking part
  (``capacity_problem``; the draw refuses otherwise).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from competition.audit.log import record
from competition.auth.models import User
from competition.entries.models import Attendance, Entry, EventSession, RegistrationStatus
from competition.entries.registrations import RegistrationError
from competition.errors import N_
from competition.events.models import Competition, Event

REPORTING_LEAD = timedelta(minutes=30)
MAX_STATIONS = 9999
MAX_NAME = 50
# The years a session may fall in. A time near the ends of what a datetime holds (year 1
# or 9999) cannot be moved to UTC, or 30 minutes earlier for its reporting time.
FIRST_YEAR, LAST_YEAR = 2000, 2100


class SessionError(RegistrationError):
    """A rule of sessions was broken."""


@dataclass(frozen=True)
class SessionSpec:
    """A session's settings; times are aware datetimes (UTC or any zone)."""

    name: str
    starts_at: datetime
    ends_at: datetime
    stations: int
    room: str = ""
    reporting_at: datetime | None = None


def local_datetime(day: date, at: time, zone: tzinfo) -> datetime:
    """A date and a wall-clock time in ``zone`` (China time by default) as an aware
    datetime."""
    naive = datetime.combine(day, at)
    localize = getattr(zone, "localize", None)  # pytz zones need localize()
    return localize(naive) if localize else naive.replace(tzinfo=zone)


def reporting_time(event_session: EventSession) -> datetime:
    """When contestants report (检录): as set, else ``REPORTING_LEAD`` before the start."""
    return event_session.reporting_at or event_session.starts_at - REPORTING_LEAD


def sessions_of(session: Session, event: Event | int) -> list[EventSession]:
    """The event's sessions in their order."""
    event_id = event if isinstance(event, int) else event.id
    return list(session.scalars(select(EventSession).where(EventSession.event_id == event_id)
                                .order_by(EventSession.position, EventSession.starts_at,
                                          EventSession.id)))


def placed_counts(session: Session, event_id: int) -> dict[int, tuple[int, int]]:
    """Per session of the event: how many entries are placed in it, and the highest
    station one holds."""
    rows = session.execute(
        select(Entry.session_id, func.count(Entry.id), func.max(Entry.station))
        .where(Entry.event_id == event_id, Entry.session_id.is_not(None))
        .group_by(Entry.session_id)).all()
    return {session_id: (count, highest or 0) for session_id, count, highest in rows}


def taking_part_count(session: Session, event_id: int) -> int:
    """Approved entries of the event that have not withdrawn."""
    return session.scalar(select(func.count(Entry.id)).where(
        Entry.event_id == event_id, Entry.status == RegistrationStatus.APPROVED,
        Entry.attendance != Attendance.WITHDRAWN)) or 0


def capacity_problem(session: Session, event: Event) -> str | None:
    """Why the sessions cannot hold the entries taking part (an ``N_`` message with
    ``stations`` and ``count``), or None; None too for an event without sessions."""
    rows = sessions_of(session, event)
    if not rows:
        return None
    stations = sum(s.stations for s in rows)
    count = taking_part_count(session, event.id)
    if stations < count:
        return N_("The sessions have %(stations)s stations in all, fewer than the %(count)s "
                  "approved entries: add a session or more stations before the draw.")
    return None


def add_session(session: Session, event: Event, spec: SessionSpec,
                actor: User | None) -> EventSession:
    """Add a session at the end of the event's sessions."""
    _check(session, event, spec, None)
    position = (session.scalar(select(func.max(EventSession.position))
                               .where(EventSession.event_id == event.id)) or 0) + 1
    row = EventSession(event_id=event.id, position=position)
    _apply(row, spec)
    session.add(row)
    session.flush()
    record(session, actor_id=actor.id if actor else None, action="session.add",
           object_type="event_session", object_id=row.id, event_id=event.id,
           new=_state(row))
    return row


def update_session(session: Session, event_session: EventSession, spec: SessionSpec,
                   actor: User | None) -> EventSession:
    """Change a session's settings; it keeps the entries placed in it."""
    event = session.get(Event, event_session.event_id)
    _check(session, event, spec, event_session)
    _, highest = placed_counts(session, event.id).get(event_session.id, (0, 0))
    if spec.stations < highest:
        raise SessionError(N_("An entry holds station %(station)s in %(session)s: it cannot "
                              "have fewer than %(station)s stations."),
                           station=highest, session=event_session.name)
    old = _state(event_session)
    _apply(event_session, spec)
    session.flush()
    new = _state(event_session)
    if new != old:
        record(session, actor_id=actor.id if actor else None, action="session.change",
               object_type="event_session", object_id=event_session.id, event_id=event.id,
               old=old, new=new)
    return event_session


def delete_session(session: Session, event_session: EventSession, actor: User | None) -> None:
    """Delete a session where no entry is placed."""
    count, _ = placed_counts(session, event_session.event_id).get(event_session.id, (0, 0))
    if count:
        raise SessionError(N_("%(count)s entries are placed in %(session)s: it cannot be "
                              "deleted. Draw lots again without it first."),
                           count=count, session=event_session.name)
    record(session, actor_id=actor.id if actor else None, action="session.delete",
           object_type="event_session", object_id=event_session.id,
           event_id=event_session.event_id, old=_state(event_session))
    session.delete(event_session)
    session.flush()


def _check(session: Session, event: Event, spec: SessionSpec,
           current: EventSession | None) -> None:
    name = (spec.name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise SessionError(N_("A session needs a name of at most %(n)s characters, "
                              "e.g. 第1场."), n=MAX_NAME)
    if spec.ends_at <= spec.starts_at:
        raise SessionError(N_("%(session)s must end after it starts."), session=name)
    if spec.reporting_at is not None and spec.reporting_at > spec.starts_at:
        raise SessionError(N_("The reporting time of %(session)s must be at or before its "
                              "start."), session=name)
    if not 1 <= spec.stations <= MAX_STATIONS:
        raise SessionError(N_("A session has from 1 to %(n)s stations."), n=MAX_STATIONS)
    same_name = select(EventSession.id).where(EventSession.event_id == event.id,
                                              EventSession.name == name)
    if current is not None:
        same_name = same_name.where(EventSession.id != current.id)
    if session.scalar(same_name) is not None:
        raise SessionError(N_("%(event)s already has a session named %(session)s."),
                           event=event.name, session=name)


def _apply(row: EventSession, spec: SessionSpec) -> None:
    row.name = spec.name.strip()
    row.starts_at, row.ends_at, row.reporting_at = spec.starts_at, spec.ends_at, \
        spec.reporting_at
    row.room = (spec.room or "").strip()[:200]
    row.stations = spec.stations


def _state(row: EventSession) -> dict:
    return {"name": row.name, "starts_at": row.starts_at, "ends_at": row.ends_at,
            "reporting_at": row.reporting_at, "room": row.room, "stations": row.stations,
            "position": row.position}


# --- The competition's timetable ----------------------------------------------------------

@dataclass
class TimetableRow:
    """One session on the competition's timetable."""

    event: Event
    sitting: EventSession
    placed: int

    @property
    def reporting_at(self) -> datetime:
        return reporting_time(self.sitting)


def timetable(session: Session, competition: Competition) -> list[TimetableRow]:
    """Every session of the competition's events, by start time, with the entries placed."""
    rows = session.execute(
        select(EventSession, Event).join(Event, Event.id == EventSession.event_id)
        .where(Event.competition_id == competition.id)
        .order_by(EventSession.starts_at, Event.position, EventSession.position)).all()
    placed: dict[int, int] = defaultdict(int)
    for session_id, count in session.execute(
            select(Entry.session_id, func.count(Entry.id))
            .join(Event, Event.id == Entry.event_id)
            .where(Event.competition_id == competition.id, Entry.session_id.is_not(None),
                   Entry.attendance != Attendance.WITHDRAWN)
            .group_by(Entry.session_id)):
        placed[session_id] = count
    return [TimetableRow(event=event, sitting=sitting, placed=placed[sitting.id])
            for sitting, event in rows]
