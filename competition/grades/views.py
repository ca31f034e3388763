"""Promotion preview and decisions for organizers."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from competition.events.models import Division
from competition.extensions import db
from competition.grades import service
from competition.results.models import PublicationStatus
from competition.results.publication import publication_of
from competition.web import event_for_organizer

bp = Blueprint("grades", __name__)


@bp.get("/divisions/<int:division_id>/promotions")
@login_required
def preview(division_id: int):
    """晋升: who the rules promote in a division, to what and by which rule, and why the
    others are not. Before the results are final it is a preview; afterwards it shows
    the promotions decided."""
    division = db.get_or_404(Division, division_id)
    event = event_for_organizer(division.event_id)
    published = publication_of(db.session, division.id)
    final = published is not None and published.status == PublicationStatus.FINAL
    is_decided = final and service.decided(db.session, division)
    lines = service.preview(db.session, division)
    promotions = service.promotions_of(db.session, division) if is_decided else {}
    texts = {}
    for line in lines:
        outcome = line.outcome
        if outcome.promotion is not None:
            texts[line.entry.id] = (service.rule_name(outcome.promotion.rule), [])
        else:
            texts[line.entry.id] = (None, [
                (service.rule_name(miss.rule) if miss.rule else "",
                 [service.phrase_text(reason) for reason in miss.reasons])
                for miss in outcome.misses])
    if is_decided:
        promoted = len(promotions)
    else:
        promoted = sum(1 for line in lines if line.outcome.promotion is not None)
    return render_template("grades/promotions.html", event=event, division=division,
                           published=published, final=final, is_decided=is_decided,
                           lines=lines, texts=texts, promotions=promotions,
                           promoted=promoted)
