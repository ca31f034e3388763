"""Who may open a competition's pages, for the views of every stage: the rules of
``events.tenancy`` applied to the signed-in user, answering 403 (or 404 for nothing
there) instead of the page."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from competition.auth.models import User
from competition.events import tenancy
from competition.events.models import Competition, Event, PanelRole
from competition.extensions import db


def organizes(user: User, competition_id: int) -> bool:
    """True for admins and for the organizers linked to the competition
    (``tenancy.organizes``)."""
    return tenancy.organizes(db.session, user, competition_id)


def reads(user: User, competition_id: int) -> bool:
    """True for the competition's organizers, admins and its supervisors
    (``tenancy.reads``)."""
    return tenancy.reads(db.session, user, competition_id)


def require_organizer_of(competition_id: int) -> None:
    if not organizes(current_user, competition_id):
        abort(403)


def require_reader_of(competition_id: int) -> None:
    """403 unless the current user may read the competition's pages."""
    if not reads(current_user, competition_id):
        abort(403)


def competition_for_organizer(competition_id: int) -> Competition:
    """The competition, if the current user organizes it (403 otherwise, 404 if none)."""
    competition = db.get_or_404(Competition, competition_id)
    require_organizer_of(competition.id)
    return competition


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


def event_for_organizer_or_chief(event_id: int) -> Event:
    """The event, for the organizers of its competition (and admins) and its chief
    judge; 403 for anyone else, 404 if there is none."""
    event = db.get_or_404(Event, event_id)
    if organizes(current_user, event.competition_id):
        return event
    if tenancy.panel_role(db.session, current_user, event.id) == PanelRole.CHIEF:
        return event
    abort(403)


def event_for_reader_or_chief(event_id: int) -> Event:
    """``event_for_organizer_or_chief``, the competition's supervisors reading too."""
    event = db.get_or_404(Event, event_id)
    if reads(current_user, event.competition_id):
        return event
    return event_for_organizer_or_chief(event_id)
