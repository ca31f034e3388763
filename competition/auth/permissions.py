"""Who may do what, by role. Permissions per competition (organizers) or per event (panel)
are ``events.access``'s, which applies ``events.tenancy``.

A supervisor (监督仲裁组) reads their one competition and changes nothing but what is
theirs to do: ``supervisor_guard`` refuses every other write before any view runs."""

from __future__ import annotations

from functools import wraps

from flask import abort, request
from flask_login import current_user, login_required

from competition.auth.models import Role

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Every write a supervisor may send: signing in and out, their own password, the
# public certificate check (a form that changes nothing), and the group's own acts —
# deciding appeals and countersigning draws and locks. Any other POST, PUT, PATCH or
# DELETE of the pages or the API answers 403 (``supervisor_guard``).
SUPERVISOR_WRITES = frozenset({
    "auth.login", "auth.logout", "auth.change_password", "auth.signin_with_token",
    "grades.verify_certificate",
    "results.decide_appeal", "api_results.decide_appeal",
    "results.countersign_draw", "results.countersign_lock",
})


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


def supervisor_guard():
    """A supervisor writes nothing but ``SUPERVISOR_WRITES``: any other state-changing
    request of a page or of the API is refused (403) before its view runs, whatever the
    view would check. Registered by ``create_app`` for every request."""
    if request.method in SAFE_METHODS:
        return None
    if not current_user.is_authenticated or current_user.role != Role.SUPERVISOR:
        return None
    if request.endpoint in SUPERVISOR_WRITES:
        return None
    abort(403)
