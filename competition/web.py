"""What every blueprint's views share: one transaction per request, and how a broken rule
is shown — a flashed message on a page, a JSON refusal in the API.

A view changes the database through the services (which flush, never commit) and returns.
``CompetitionApp.dispatch_request`` then commits once. A view that raises — a
``DomainError`` from a service, ``abort``, a bug — commits nothing: its error handler
rolls back and answers. A view that catches a ``DomainError`` itself (to show the form
again with what was typed) calls ``flash_domain_error``, which rolls back.
"""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import urlsplit

from flask import Flask, flash, jsonify, redirect, render_template, request, url_for

from competition.errors import DomainError, status_of, translate_problem
from competition.extensions import db

MAX_FLASHED_PROBLEMS = 50


class CompetitionApp(Flask):
    def dispatch_request(self):
        """Run the view, then commit what it changed: all of it or, when it raises, none."""
        answer = super().dispatch_request()
        db.session.commit()
        return answer


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


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def domain_error_response(error: DomainError):
    """The answer to a broken rule no view caught, after undoing the request's changes.

    The API answers JSON with the message and every problem, with the status its kind
    says (``errors.status_of``). A page that was sent a form goes back where the form was,
    with the message flashed; a page that was only opened shows the message with the status.
    """
    db.session.rollback()
    status = status_of(error)
    if wants_json():
        problems = []
        for item in error.problems:
            where, problem = item if isinstance(item, tuple) else ("", item)
            problems.append({
                "where": where or None,
                "row": getattr(problem, "row", None),
                "column": getattr(problem, "column", "") or None,
                "message": translate_problem(problem),
            })
        return jsonify(code=status, status=HTTPStatus(status).phrase,
                       message=error.translated(), problems=problems), status
    if request.method == "GET":
        return render_template("error.html", status=status,
                               message=error.translated()), status
    flash_domain_error(error)
    return redirect(_same_site_referrer() or url_for("events.dashboard"))


def _same_site_referrer() -> str | None:
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc and parts.netloc != request.host:
        return None
    return referrer


def register_error_handling(app: Flask) -> None:
    app.register_error_handler(DomainError, domain_error_response)
