"""Routes of the events blueprint; see the module docstring once written."""

from competition.events.views import bp  # noqa: F401
