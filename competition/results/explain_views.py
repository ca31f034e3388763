"""Every step from judges' marks to an entry's rank.

For the organizers of the competition, its supervision and arbitration group and the
event's chief judge: the page
lays out ``results.explain.explain`` — computed by the results engine itself,
so it always agrees with the results page. Before the scores are locked the
entry (and any tied entry) is shown by its anonymous code only.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from flask import abort, render_template
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from competition.auth.models import User
from competition.entries.models import Entry
from competition.events.access import event_for_reader_or_chief
from competition.extensions import db
from competition.judging.models import Penalty
from competition.results.explain import explain
from competition.results.models import TieBreakDecision
from competition.results.standings import event_inputs
from competition.results.views import bp


def points(value: Decimal | None, places: int = 2) -> str:
    """A figure to ``places`` decimals, half up, as the results are published."""
    if value is None:
        return "—"
    return format(Decimal(value).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP), "f")


def exact(value: Decimal | None, places: int = 4) -> str:
    """A figure as computed, to at most ``places`` decimals and at least two."""
    if value is None:
        return "—"
    text = points(value, places)
    whole, _, decimals = text.partition(".")
    decimals = decimals.rstrip("0").ljust(2, "0")
    return f"{whole}.{decimals}"


@bp.get("/entries/<int:entry_id>/explanation")
@login_required
def explain_entry(entry_id: int):
    """How this entry's total and rank were computed, step by step."""
    entry = db.get_or_404(Entry, entry_id)
    event = event_for_reader_or_chief(entry.event_id)
    inputs = event_inputs(db.session, event.id, marks_of=entry_id)
    if entry_id not in {e.entry_id for e in inputs.entries}:
        abort(404)  # not an approved entry: it has no result
    explanation = explain(inputs.modules, inputs.rules, inputs.entries, entry_id)
    judge_ids = {mark.judge_id for step in explanation.modules for criterion in step.criteria
                 for mark in criterion.marks}
    judges = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(judge_ids)))}
    entries = {e.id: e for e in db.session.scalars(
        select(Entry).where(Entry.event_id == event.id)
        .options(joinedload(Entry.contestant)))}
    shown = {entry_id} | {tie.other_entry_id for tie in explanation.ties}
    decisions = {d.entry_id: d for d in db.session.scalars(
        select(TieBreakDecision).where(TieBreakDecision.entry_id.in_(shown)))}
    penalties = db.session.scalars(
        select(Penalty).where(Penalty.entry_id == entry_id, Penalty.withdrawn_at.is_(None))
        .order_by(Penalty.id)).all()
    return render_template(
        "results/explanation.html", event=event, entry=entry, entries=entries,
        explanation=explanation, judges=judges, decisions=decisions, penalties=penalties,
        modules={m.id: m for m in event.modules},
        criteria={c.id: c for m in event.modules for c in m.criteria},
        division=next(d for d in event.divisions if d.id == entry.division_id),
        locked=event.scores_locked_at is not None, points=points, exact=exact)
