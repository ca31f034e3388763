"""API of sessions (场次): an event's sessions, late additions to its draw (补充抽签), and
the competition's timetable. Organizers write; the competition's supervisors read."""

from __future__ import annotations

from datetime import datetime
from functools import wraps

from flask.views import MethodView
from flask_babel import get_timezone
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from competition.api.sessions_schemas import (
    AdditionRequestSchema,
    EventSessionPatchSchema,
    EventSessionSchema,
    LotDrawSchema,
    TimetableRowSchema,
)
from competition.api.setup import organizer_required, read_back, readers_required
from competition.entries import draws, sessions
from competition.entries.models import EventSession
from competition.events.access import require_organizer_of
from competition.events.models import Competition, Event
from competition.extensions import db

blp = Blueprint("api_sessions", __name__, url_prefix="/api/v1",
                description="Sessions, late additions to the draw, timetable (organizers).")


def _aware(value: datetime | None) -> datetime | None:
    """A time without an offset is read in the app's time zone (China time)."""
    if value is None or value.tzinfo is not None:
        return value
    zone = get_timezone()
    localize = getattr(zone, "localize", None)
    return localize(value) if localize else value.replace(tzinfo=zone)


def _document(row: EventSession, placed: dict[int, tuple[int, int]]) -> dict:
    return {"id": row.id, "event_id": row.event_id, "position": row.position,
            "name": row.name, "starts_at": row.starts_at, "ends_at": row.ends_at,
            "reporting_at": row.reporting_at, "reporting_time": sessions.reporting_time(row),
            "room": row.room, "stations": row.stations,
            "placed": placed.get(row.id, (0, 0))[0]}


def _spec(data: dict, current: EventSession | None = None) -> sessions.SessionSpec:
    def value(name):
        return data[name] if name in data else getattr(current, name)

    return sessions.SessionSpec(
        name=value("name"), starts_at=_aware(value("starts_at")),
        ends_at=_aware(value("ends_at")), reporting_at=_aware(value("reporting_at")),
        room=value("room") or "", stations=value("stations"))


def session_organizer_required(view):
    """Only the organizers of the session's competition (or an admin) get past, before
    the request body is read."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        row = db.get_or_404(EventSession, kwargs["session_id"])
        require_organizer_of(db.session.get(Event, row.event_id).competition_id)
        return view(*args, **kwargs)

    return login_required(wrapped)


@blp.route("/events/<int:event_id>/sessions")
class EventSessions(MethodView):
    decorators = [readers_required]

    @blp.response(200, EventSessionSchema(many=True))
    def get(self, event_id: int):
        """The event's sessions in order, with the entries placed in each."""
        placed = sessions.placed_counts(db.session, event_id)
        return [_document(row, placed) for row in sessions.sessions_of(db.session, event_id)]

    @blp.arguments(EventSessionSchema)
    @blp.response(201, EventSessionSchema)
    def post(self, data, event_id: int):
        """Add a session; refused (422) with the reason."""
        event = db.session.get(Event, event_id)
        row = sessions.add_session(db.session, event, _spec(data), current_user)
        read_back()
        return _document(row, {})


@blp.route("/event-sessions/<int:session_id>")
class EventSessionItem(MethodView):
    decorators = [session_organizer_required]

    @blp.arguments(EventSessionPatchSchema(partial=True))
    @blp.response(200, EventSessionSchema)
    def patch(self, data, session_id: int):
        """Change some of a session's settings; it cannot shrink below a station held."""
        row = db.session.get(EventSession, session_id)
        sessions.update_session(db.session, row, _spec(data, row), current_user)
        read_back()
        return _document(row, sessions.placed_counts(db.session, row.event_id))

    @blp.response(204)
    def delete(self, session_id: int):
        """Delete a session where no entry is placed."""
        row = db.session.get(EventSession, session_id)
        sessions.delete_session(db.session, row, current_user)


@blp.route("/events/<int:event_id>/draw/additions", methods=["POST"])
@organizer_required
@blp.arguments(AdditionRequestSchema)
@blp.response(201, LotDrawSchema)
def add_late_entries(data, event_id: int):
    """补充抽签: place the entries approved after the draw at the next free stations with
    new codes; no other entry's station or code changes. Refused (422) before the draw,
    when nobody waits or when no session has room."""
    event = db.session.get(Event, event_id)
    record = draws.add_late_entries(db.session, event, current_user, note=data["note"])
    inputs = draws.read_inputs(record)
    placed = [{"entry_id": row[0], "session_id": row[1] if len(row) == 4 else None,
               "station": row[-2], "code": row[-1]} for row in inputs["result"]]
    return {"id": record.id, "event_id": record.event_id, "kind": record.kind,
            "seed": record.seed, "drawn_at": record.drawn_at, "inputs": record.inputs,
            "verified": draws.recompute(record, inputs), "placed": placed}


@blp.route("/competitions/<int:competition_id>/timetable", methods=["GET"])
@readers_required
@blp.response(200, TimetableRowSchema(many=True))
def timetable(competition_id: int):
    """Every session of the competition's events by start time (场次安排)."""
    competition = db.session.get(Competition, competition_id)
    rows = sessions.timetable(db.session, competition)
    return [{"event_id": row.event.id, "event": row.event.name,
             "session": {**_document(row.sitting, {}), "placed": row.placed}}
            for row in rows]
