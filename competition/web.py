"""Helpers every blueprint's views share: who may open an event, how a refusal is shown."""

from __future__ import annotations

from flask import abort, flash
from flask_login import current_user

from competition.auth.permissions import (
    organizes,
    reads,
    require_organizer_of,
    require_reader_of,
)
from competition.errors import DomainError, translate_problem
from competition.events.models import Event, PanelRole
from competition.extensions import db

MAX_FLASHED_PROBLEMS = 50


def event_for_organizer(event_id: int) -> Event:
    """The event, if the current user organizes its competition (403 otherwise, 404 if none)."""
    event = db.get_or_404(Event, event_id)
    require_organizer_of(event.competition_id)
    return event


def event_for_reader(event_id: int) -> Event:
    """The event, if the current user may read its competition's pages: its organizers,
    admins and its supervision group (403 otherwise, 404 if none)."""
    event = db.get_or_404(Event, event_id)
    require_reader_of(event.competition_id)
    return event


def flash_domain_error(error: DomainError) -> None:
    """Undo the request's changes and say why: the message, then every problem it found.

    A problem may come with where it is, as ``(where, problem)``.
    """
    db.session.rollback()
    flash(error.translated(), "error")
    for item in error.problems[:MAX_FLASHED_PROBLEMS]:
        where, problem = item if isinstance(item, tuple) else ("", item)
        text = translate_problem(problem)
        flash(f"{where}：{text}" if where else text, "error")


def event_for_organizer_or_chief(event_id: int) -> Event:
    """The event, for the organizers of its competition (and admins) and its chief
    judge; 403 for anyone else, 404 if there is none."""
    event = db.get_or_404(Event, event_id)
    if organizes(current_user, event.competition_id):
        return event
    from competition.judging.service import panel_role

    if panel_role(db.session, current_user, event.id) == PanelRole.CHIEF:
        return event
    abort(403)


def event_for_reader_or_chief(event_id: int) -> Event:
    """``event_for_organizer_or_chief``, the competition's supervisors reading too."""
    event = db.get_or_404(Event, event_id)
    if reads(current_user, event.competition_id):
        return event
    return event_for_organizer_or_chief(event_id)


def entry_by_token(token: str):
    """The entry whose private link (the QR code on its ticket, ``/r/<token>``) carries this
    secret, with what its pages show; 404 for anything else. The length is checked first,
    so a guess costs no query."""
    from sqlalchemy import select
    from sqlalchemy.orm import joinedload

    from competition.entries.models import Entry

    if not 20 <= len(token) <= 64:
        abort(404)
    entry = db.session.scalar(
        select(Entry).where(Entry.token == token)
        .options(joinedload(Entry.contestant), joinedload(Entry.division),
                 joinedload(Entry.event).joinedload(Event.competition)))
    if entry is None:
        abort(404)
    return entry
