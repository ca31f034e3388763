"""Pages anyone may open: a contestant's private page by its secret link.

This package reads every stage and no stage reads it.
"""

from flask import Blueprint, abort, render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from competition.entries.idcard import mask_id_number, mask_phone
from competition.entries.models import Entry
from competition.events.models import Event
from competition.extensions import db

bp = Blueprint("public", __name__)


@bp.get("/r/<token>")
def contestant_page(token: str):
    """选手本人页面: status and ticket before results. The token is the only key."""
    if not 20 <= len(token) <= 64:
        abort(404)
    entry = db.session.scalar(
        select(Entry).where(Entry.token == token)
        .options(selectinload(Entry.contestant), selectinload(Entry.division),
                 selectinload(Entry.event).selectinload(Event.competition)))
    if entry is None:
        abort(404)
    person = entry.contestant
    return render_template(
        "public/contestant.html", entry=entry, person=person, event=entry.event,
        competition=entry.event.competition,
        masked_id=mask_id_number(person.id_number), masked_phone=mask_phone(person.phone),
    )
