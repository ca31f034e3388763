"""Dates as the competition's people see them (China time by default)."""

from datetime import date

from flask_babel import to_user_timezone

from competition.dbtypes import utcnow


def local_today() -> date:
    """Today in the app's time zone (certificates and ages go by local dates)."""
    return to_user_timezone(utcnow()).date()
