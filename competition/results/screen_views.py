"""The big-screen live ranking for the ceremony hall.

A full-screen page for the projector: each division's ranking in large type,
refreshed every few seconds from ``results.data`` by static/js/screen.js. The
organizers or the chief judge may freeze it at the standings of one moment
(kept in the database by ``results.standings.freeze_screen``, so every screen and
every server process shows the same) and unfreeze it to follow the live
results again. Before the scores are locked it shows anonymous codes only.
"""

from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, url_for
from flask_babel import format_time
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from competition import live
from competition.dbtypes import utcnow
from competition.errors import DomainError
from competition.events.access import event_for_organizer_or_chief
from competition.events.models import Event
from competition.extensions import db
from competition.labels import label
from competition.results import standings
from competition.results.views import bp
from competition.web import flash_domain_error

# Seconds between two refreshes of the screen (static/js/screen.js reads it).
REFRESH_SECONDS = 5


def _screen(event: Event) -> dict:
    """What the screen shows: the frozen snapshot, or the live standings; award
    labels in the viewer's language."""
    freeze = standings.screen_freeze(db.session, event.id)
    shown = freeze.snapshot if freeze else standings.screen_standings(db.session, event)
    divisions = []
    for division in shown["divisions"]:
        rows = []
        for row in division["rows"]:
            award = label(row["award"], "award")
            if row["title"] and event.title_name:
                award = f"{award} · {event.title_name}" if award else event.title_name
            rows.append({**row, "award_label": award})
        divisions.append({**division, "rows": rows})
    return {
        "event": event.name,
        "competition": event.competition.name,
        "locked": shown["locked"],
        "frozen": freeze is not None,
        "frozen_at": freeze.frozen_at.isoformat() if freeze else None,
        "frozen_label": _("Frozen at %(time)s", time=format_time(freeze.frozen_at, "HH:mm:ss"))
        if freeze else "",
        "divisions": divisions,
        "refreshed_at": format_time(utcnow(), "HH:mm:ss"),
    }


@bp.get("/events/<int:event_id>/screen")
@login_required
def screen(event_id: int):
    """大屏幕: the ranking of every division, for the ceremony hall's projector."""
    event = event_for_organizer_or_chief(event_id)
    return render_template("results/screen.html", event=event, screen=_screen(event),
                           form=FlaskForm(), refresh_seconds=REFRESH_SECONDS)


@bp.get("/events/<int:event_id>/screen.json")
@login_required
def screen_data(event_id: int):
    """What the screen's refresh needs, the same as the page shows."""
    event = event_for_organizer_or_chief(event_id)
    response = jsonify(_screen(event))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/events/<int:event_id>/screen/stream")
@login_required
def screen_stream(event_id: int):
    """Server-sent events: ``changed`` whenever the event's scores change."""
    event_for_organizer_or_chief(event_id)
    return live.stream([live.event_channel(event_id)])


@bp.post("/events/<int:event_id>/screen/freeze")
@login_required
def screen_freeze(event_id: int):
    event = event_for_organizer_or_chief(event_id)
    if FlaskForm().validate_on_submit():
        try:
            standings.freeze_screen(db.session, current_user, event)
        except DomainError as error:
            flash_domain_error(error)
        else:
            flash(_("The big screen is frozen: it keeps these standings until you unfreeze "
                    "it."), "success")
    return redirect(url_for("results.screen", event_id=event.id))


@bp.post("/events/<int:event_id>/screen/unfreeze")
@login_required
def screen_unfreeze(event_id: int):
    event = event_for_organizer_or_chief(event_id)
    if FlaskForm().validate_on_submit():
        try:
            standings.unfreeze_screen(db.session, current_user, event)
        except DomainError as error:
            flash_domain_error(error)
        else:
            flash(_("The big screen follows the live results again."), "success")
    return redirect(url_for("results.screen", event_id=event.id))
