"""Who may do what, by role. Permissions per competition (organizers) or per event (panel)
are ``events.access``'s, which applies ``events.tenancy``.

A supervisor (监督仲裁组) reads their one competition and changes nothing but what is
theirs to do; a bureau account (人社局) reads the statistics of every competition and
changes nothing: ``supervisor_guard`` refuses every other write of both before any view
runs."""

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

# Every write a bureau account may send: signing in (by password or a sign-in card) and
# out, its own password and the public certificate check. It has no act of its own.
BUREAU_WRITES = frozenset({
    "auth.login", "auth.logout", "auth.change_password", "auth.signin_with_token",
    "grades.verify_certificate",
})

# The read-only roles and the writes each may still send.
READ_ONLY_WRITES = {Role.SUPERVISOR: SUPERVISOR_WRITES, Role.BUREAU: BUREAU_WRITES}


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
    """A supervisor writes nothing but ``SUPERVISOR_WRITES``, a bureau account nothing but
    ``BUREAU_WRITES``: any other state-changing request of a page or of the API is refused
    (403) before its view runs, whatever the view would check. Registered by
    ``create_app`` for every request."""
    if request.method in SAFE_METHODS or not current_user.is_authenticated:
        return None
    allowed = READ_ONLY_WRITES.get(current_user.role)
    if allowed is None or request.endpoint in allowed:
        return None
    abort(403)
