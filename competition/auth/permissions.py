"""Who may do what. Permissions are per competition (organizers) or per event (panel)."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from competition.auth.models import Role, User
from competition.extensions import db


def role_required(*roles: Role):
    """The view needs a signed-in user with one of ``roles`` (admins always pass)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role != Role.ADMIN and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def organizes(user: User, competition_id: int) -> bool:
    """True for admins and for the organizers linked to the competition
    (``events.tenancy.organizes``)."""
    from competition.events import tenancy

    return tenancy.organizes(db.session, user, competition_id)


def require_organizer_of(competition_id: int) -> None:
    if not organizes(current_user, competition_id):
        abort(403)
