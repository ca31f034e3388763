"""Routes of the auth blueprint; see the module docstring once written."""

from competition.auth.views import bp  # noqa: F401
