"""An entry found by the secret of its private link, for the pages that open it."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from competition.entries.models import Entry
from competition.events.models import Event
from competition.extensions import db


def plausible_token(token: str) -> bool:
    """Whether ``token`` could be a private link's secret at all (checked before any
    query, so a guess of the wrong shape costs nothing)."""
    return 20 <= len(token) <= 64


def entry_by_token(token: str) -> Entry:
    """The entry whose private link (the QR code on its ticket, ``/r/<token>``) carries this
    secret, with what its pages show; 404 for anything else. The length is checked first,
    so a guess costs no query."""
    if not plausible_token(token):
        abort(404)
    entry = db.session.scalar(
        select(Entry).where(Entry.token == token)
        .options(joinedload(Entry.contestant), joinedload(Entry.division),
                 joinedload(Entry.event).joinedload(Event.competition)))
    if entry is None:
        abort(404)
    return entry
