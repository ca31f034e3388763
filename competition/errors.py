"""The domain error every service raises when a rule of the competition is broken.

``message`` is an English message id marked for translation and ``params``
its values, so the page shows it in the user's language; ``problems`` lists
every problem when there are several (a bad file, a bad scheme).
"""

from __future__ import annotations

from flask_babel import gettext


class DomainError(Exception):
    def __init__(self, message: str, problems: list | None = None, **params) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params
        self.problems = problems or []

    def translated(self) -> str:
        """The message in the current user's language (needs a request or app context)."""
        return gettext(self.message, **self.params)


class Refused(DomainError):
    """The caller may not do this at all (HTTP 403), whatever they send."""


def translate_problem(problem) -> str:
    """A ``scheme.Problem`` (or anything with ``message`` and ``params``) in the user's language."""
    return gettext(problem.message, **problem.params)
