"""Check-in (检录) on the day: scan the admission ticket's QR code, or search, then mark.

The ticket's QR code holds the contestant's private link ``/r/<token>``; the
check-in page reads it with the camera (static/js/checkin.js, jsQR) and asks
``checkin_lookup`` for the entry. Staff use an organizer account; the screen
faces the queue, so ID numbers show their last 4 digits only.
"""

from __future__ import annotations

import re
import unicodedata

from flask import jsonify, render_template, request, url_for
from flask_babel import format_time
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from competition.entries.checkin_forms import MARKS
from competition.entries.models import (
    Attendance,
    Contestant,
    Entry,
    EventSession,
    RegistrationStatus,
)
from competition.entries.sessions import sessions_of
from competition.entries.views import bp, event_for_organizer
from competition.events.models import Event
from competition.extensions import db

# A private link's secret (models.new_entry_token: 43 URL-safe characters); the
# public page accepts 20 to 64.
LINK_KEY_CHARS = r"[A-Za-z0-9_-]{20,64}"
LINK = re.compile(r"/r/(" + LINK_KEY_CHARS + r")(?:[/?#]|$)")
BARE_TOKEN = re.compile(LINK_KEY_CHARS)
# What staff type to find someone: ticket numbers are digits; the tail of an ID
# number is digits, perhaps ending in X.
DIGITS = re.compile(r"\d+")
ID_TAIL = re.compile(r"\d{3,17}[\dX]")
SEARCH_LIMIT = 20


def token_of(text: str) -> str | None:
    """The token in what a QR code or a handheld scanner gave: a /r/<token> URL or the token."""
    text = (text or "").strip()
    found = LINK.search(text)
    if found:
        return found.group(1)
    return text if BARE_TOKEN.fullmatch(text) else None


def id_last4(number: str) -> str:
    """The ID number for a screen the queue can see: only its last 4 characters."""
    number = number.strip()
    return "*" * max(len(number) - 4, 0) + number[-4:]


def _entries():
    return select(Entry).options(joinedload(Entry.contestant), joinedload(Entry.division),
                                 joinedload(Entry.session))


def search_entries(event: Event, text: str, session_id: int | None = None) -> list[Entry]:
    """Entries of the event by name, ticket number, or the last digits of the ID number;
    with ``session_id``, of that session only."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    if not text:
        return []
    conditions = [Contestant.name.contains(text, autoescape=True)]
    if DIGITS.fullmatch(text):
        conditions.append(Entry.ticket_number == text)
        if len(text) >= 3:
            conditions.append(Entry.ticket_number.endswith(text, autoescape=True))
    if ID_TAIL.fullmatch(text.upper()):
        conditions.append(Contestant.id_number.endswith(text.upper(), autoescape=True))
    query = (_entries().join(Contestant, Contestant.id == Entry.contestant_id)
             .where(Entry.event_id == event.id, or_(*conditions)))
    if session_id:
        query = query.where(Entry.session_id == session_id)
    return list(db.session.scalars(query.order_by(Contestant.name, Entry.id)
                                   .limit(SEARCH_LIMIT)))


def chosen_session(event: Event) -> EventSession | None:
    """The session of the event named by ``?session_id=``, if any (else every session)."""
    session_id = request.args.get("session_id", type=int)
    if not session_id:
        return None
    sitting = db.session.get(EventSession, session_id)
    return sitting if sitting is not None and sitting.event_id == event.id else None


def attendance_counts(event_id: int, session_id: int | None = None) -> dict[str, int]:
    """Approved entries by attendance, and ``total``: how many are expected at all; with
    ``session_id``, of that session only."""
    query = (select(Entry.attendance, func.count(Entry.id))
             .where(Entry.event_id == event_id, Entry.status == RegistrationStatus.APPROVED))
    if session_id:
        query = query.where(Entry.session_id == session_id)
    rows = db.session.execute(query.group_by(Entry.attendance)).all()
    counts = {attendance.value: 0 for attendance in Attendance}
    counts.update({attendance: number for attendance, number in rows})
    counts["total"] = sum(number for _, number in rows)
    return counts


def checked_in_time(entry: Entry) -> str:
    return format_time(entry.checked_in_at, "HH:mm") if entry.checked_in_at else ""


def entry_notice(entry: Entry) -> str:
    """What the desk must notice before marking: checked in already, or not approved."""
    if entry.status != RegistrationStatus.APPROVED:
        return _("Only approved entries can be checked in.")
    if entry.attendance == Attendance.PRESENT and entry.checked_in_at:
        return _("Already checked in at %(time)s.", time=checked_in_time(entry))
    return ""


def entry_json(entry: Entry) -> dict:
    from competition.labels import label

    return {
        "id": entry.id,
        "name": entry.contestant.name,
        "division": entry.division.name,
        "ticket_number": entry.ticket_number or "",
        "id_number": id_last4(entry.contestant.id_number),
        "station": entry.station,
        "session": entry.session.name if entry.session else "",
        "status": entry.status,
        "status_label": label(entry.status, "registration_status"),
        "attendance": entry.attendance,
        "attendance_label": label(entry.attendance, "attendance"),
        "checked_in_at": checked_in_time(entry),
        "can_check_in": entry.status == RegistrationStatus.APPROVED,
        "notice": entry_notice(entry),
        "mark_url": url_for("entries.checkin_mark", entry_id=entry.id),
        # Contestants have no photo page yet; the box is for staff to compare faces.
        "photo_url": None,
    }


def find_by_token(event: Event, text: str) -> tuple[Entry | None, str, int]:
    """The entry a scanned ticket belongs to, or why not (a message and an HTTP status)."""
    token = token_of(text)
    if token is None:
        return None, _("This QR code is not an admission ticket of this competition."), 404
    entry = db.session.scalar(_entries().where(Entry.token == token))
    if entry is None:
        return None, _("No entry has this ticket. Search by name instead."), 404
    if entry.event_id != event.id:
        other = db.session.get(Event, entry.event_id)
        if other.competition_id == event.competition_id:
            return None, _("This ticket is for another event: %(event)s. Send the contestant "
                           "to its check-in desk.", event=other.name), 409
        return None, _("This ticket is for another competition."), 409
    return entry, "", 200


@bp.get("/events/<int:event_id>/checkin")
@login_required
def checkin(event_id: int):
    """The check-in desk: camera scanner, search, counts. Works without JS through ``q``."""
    event = event_for_organizer(event_id)
    query = request.args.get("q", "").strip()
    sitting = chosen_session(event)
    session_id = sitting.id if sitting else None
    results, message = None, ""
    if query:
        if "/r/" in query:
            entry, message, _status = find_by_token(event, query)
            results = [entry] if entry else []
        else:
            results = search_entries(event, query, session_id)
            if not results:
                message = _("No one in this event matches “%(query)s”.", query=query)
    roll = list(db.session.scalars(
        _entries().where(Entry.session_id == session_id,
                         Entry.status == RegistrationStatus.APPROVED)
        .order_by(Entry.station, Entry.id))) if sitting else []
    return render_template("entries/checkin.html", event=event, query=query,
                           results=results, message=message,
                           counts=attendance_counts(event.id, session_id), marks=MARKS,
                           id_last4=id_last4, entry_notice=entry_notice,
                           sittings=sessions_of(db.session, event), sitting=sitting,
                           roll=roll)


@bp.get("/events/<int:event_id>/checkin/lookup")
@login_required
def checkin_lookup(event_id: int):
    """JSON for the check-in page: ``?token=`` (what the scanner read) or ``?q=`` (search)."""
    event = event_for_organizer(event_id)
    token = request.args.get("token")
    query = (request.args.get("q") or "").strip()
    if token is not None or "/r/" in query:
        entry, message, status = find_by_token(event, token if token is not None else query)
        if entry is None:
            return jsonify(error=message, entries=[]), status
        return jsonify(match="token", entries=[entry_json(entry)],
                       counts=attendance_counts(event.id))
    if not query:
        return jsonify(error=_("Type a name, a ticket number or the last digits of an "
                               "ID number."), entries=[]), 400
    sitting = chosen_session(event)
    entries = search_entries(event, query, sitting.id if sitting else None)
    return jsonify(
        match="search", entries=[entry_json(entry) for entry in entries],
        message="" if entries else _("No one in this event matches “%(query)s”.",
                                     query=query),
        counts=attendance_counts(event.id))


@bp.get("/events/<int:event_id>/checkin/counts")
@login_required
def checkin_counts(event_id: int):
    """The live counts, polled by every device at the desk."""
    event = event_for_organizer(event_id)
    sitting = chosen_session(event)
    return jsonify(counts=attendance_counts(event.id, sitting.id if sitting else None))
