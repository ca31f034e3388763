"""What every blueprint's views share: how a refusal is shown."""

from __future__ import annotations

from flask import flash

from competition.errors import DomainError, translate_problem
from competition.extensions import db

MAX_FLASHED_PROBLEMS = 50


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
