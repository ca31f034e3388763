"""The domain error every service raises when a rule of the competition is broken, and the
messages it carries.

``message`` is an English message id marked for translation (``N_``) and ``params``
its values, so the page shows it in the user's language; ``problems`` lists
every problem when there are several (a bad file, a bad scheme), each a ``Problem``.
Every stage marks and reports its messages with these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from flask import has_request_context
from flask_babel import format_date, format_time, gettext


def N_(message: str) -> str:  # noqa: N802 — the gettext_noop convention
    """Mark a message for translation without translating it here."""
    return message


class Term(str):
    """A key of the code (e.g. a field's name) that reads, when shown, as its message id
    translated: ``Term("nominal", N_("nominal size"))`` equals and hashes as "nominal"."""

    message: str

    def __new__(cls, key: str, message: str) -> Term:
        term = super().__new__(cls, key)
        term.message = message
        return term

    def __str__(self) -> str:
        return self.message

    def __format__(self, spec: str) -> str:
        return format(self.message, spec)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input (a scheme, a file, a form): where (row, column or a
    path) and what."""

    message: str
    params: dict = field(default_factory=dict)
    row: int | None = None
    column: str = ""

    def __hash__(self) -> int:
        return hash((self.message, self.row, self.column, tuple(sorted(self.params.items()))))


class DomainError(Exception):
    def __init__(self, message: str, problems: list | None = None, **params) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params
        self.problems = problems or []

    def translated(self) -> str:
        """The message in the current user's language (needs a request or app context)."""
        return gettext(self.message, **readable_params(self.params))


class Refused(DomainError):
    """The caller may not do this at all (HTTP 403), whatever they send."""


class Conflict(DomainError):
    """The thing changed under the caller, or is in a state that does not allow this now
    (HTTP 409): another device submitted the sheet, someone typed it in at the same moment."""


class NotFound(DomainError):
    """What the caller named does not exist, or not where they looked for it (HTTP 404)."""


def status_of(error: DomainError) -> int:
    """The HTTP status that answers ``error``: 403 refused, 409 conflict, 404 not found,
    422 for any other broken rule (the input was understood but breaks it)."""
    for kind, status in ((Refused, 403), (Conflict, 409), (NotFound, 404)):
        if isinstance(error, kind):
            return status
    return 422


def translate_problem(problem) -> str:
    """A ``Problem`` (or anything with ``message`` and ``params``) in the user's language."""
    return gettext(problem.message, **readable_params(problem.params))


def readable_params(params: dict) -> dict:
    """The values of a message as people read them: a moment in the app's time zone
    (e.g. 2026年12月8日 15:59), a date in the user's format; the rest unchanged."""
    return {name: readable_value(value) for name, value in params.items()}


class Message:
    """A message id with its values used as the value of another message (e.g. the field a
    problem names): translated with the message that holds it, English in ``str()``."""

    def __init__(self, message: str, **params) -> None:
        self.message = message
        self.params = params

    def __str__(self) -> str:
        return self.message % self.params if self.params else self.message

    def __repr__(self) -> str:
        return f"Message({str(self)!r})"

    def __eq__(self, other) -> bool:
        return (isinstance(other, Message) and (self.message, self.params)
                == (other.message, other.params))

    def __hash__(self) -> int:
        return hash(self.message)


def readable_value(value):
    if isinstance(value, Message):
        return gettext(value.message, **readable_params(value.params))
    if isinstance(value, Term):
        return gettext(value.message)
    if isinstance(value, datetime):
        return f"{format_date(value, 'long')} {format_time(value, 'HH:mm')}"
    if isinstance(value, date):
        return format_date(value, "long")
    return value


def message_text(message: str, **params) -> str:
    """A message id with its values in the user's language during a request; in English
    elsewhere (the command line, a job)."""
    if has_request_context():
        return gettext(message, **params)
    return message % params if params else message
