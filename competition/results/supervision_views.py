"""The supervision and arbitration group's own acts on the pages (监督仲裁组): it
countersigns each lot draw and the lock of the scores.

The pages that show a countersignature (the draw record, the chief judge's console,
the results page) read it through the template global ``countersigned``, so the stages
before this one need not import it. Only an active supervisor of the competition
countersigns (``results.countersign``); everyone else is refused (403).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from competition.entries.models import LotDraw
from competition.errors import DomainError, Refused
from competition.events import tenancy
from competition.events.models import Event
from competition.extensions import db
from competition.results import countersign
from competition.results.forms import CountersignForm
from competition.results.views import bp
from competition.web import flash_domain_error


@dataclass
class Countersigning:
    """What a page shows of the countersignatures of one thing."""

    subject: str
    action: str  # the URL that countersigns it
    signed: list[countersign.Signed]
    has_group: bool
    may_sign: bool  # the current user is a supervisor who has not signed it yet
    form: CountersignForm


def _state(event: Event, subject: str, reference: str | None, action: str) -> Countersigning:
    signed = countersign.signatures(db.session, event.id, subject, reference)
    supervisor = tenancy.supervises(current_user, event.competition_id)
    return Countersigning(
        subject=subject, action=action, signed=signed,
        has_group=tenancy.has_supervision_group(db.session, event.competition_id),
        may_sign=reference is not None and supervisor
        and all(s.signature.user_id != current_user.id for s in signed),
        form=CountersignForm(formdata=None))


@bp.app_template_global()
def countersigned_draw(lot_draw: LotDraw) -> Countersigning:
    """``{% set cs = countersigned_draw(draw) %}``: the countersignatures of a lot draw."""
    event = db.session.get(Event, lot_draw.event_id)
    return _state(event, countersign.LOT_DRAW, str(lot_draw.id),
                  url_for("results.countersign_draw", draw_id=lot_draw.id))


@bp.app_template_global()
def countersigned_lock(event: Event, back: str = "console") -> Countersigning:
    """``{% set cs = countersigned_lock(event) %}``: the countersignatures of the lock of the
    event's scores as it stands now (none before the lock)."""
    return _state(event, countersign.SCORE_LOCK,
                  countersign.lock_reference(event.scores_locked_at),
                  url_for("results.countersign_lock", event_id=event.id, back=back))


def _signed(call, *args) -> None:
    form = CountersignForm()
    if not form.validate_on_submit():
        flash(_("A note has at most %(count)s characters.", count=countersign.MAX_NOTE),
              "error")
        return
    try:
        call(db.session, current_user, *args, form.note.data or "")
    except Refused:
        abort(403)
    except DomainError as error:
        flash_domain_error(error)
        return
    flash(_("Your countersignature was recorded."), "success")


@bp.post("/draws/<int:draw_id>/countersign")
@login_required
def countersign_draw(draw_id: int):
    """A supervisor countersigns a lot draw, from its record."""
    lot_draw = db.get_or_404(LotDraw, draw_id)
    event = db.session.get(Event, lot_draw.event_id)
    if not tenancy.supervises(current_user, event.competition_id):
        abort(403)
    _signed(countersign.countersign_draw, lot_draw)
    return redirect(url_for("entries.draw_record", draw_id=lot_draw.id))


@bp.post("/events/<int:event_id>/countersign-lock")
@login_required
def countersign_lock(event_id: int):
    """A supervisor countersigns the lock of the event's scores, from the console or the
    results page."""
    event = db.get_or_404(Event, event_id)
    if not tenancy.supervises(current_user, event.competition_id):
        abort(403)
    _signed(countersign.countersign_lock, event)
    if request.args.get("back") == "results":
        return redirect(url_for("results.event_results_page", event_id=event.id))
    return redirect(url_for("judging.console", event_id=event.id))
