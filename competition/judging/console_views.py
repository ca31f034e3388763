"""Routes of the judging blueprint; see the module docstring once written."""

from competition.judging.views import bp  # noqa: F401
