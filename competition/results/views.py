"""Organizers publish results; the chief judge decides appeals."""

from decimal import Decimal, InvalidOperation

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload, subqueryload

from competition.auth.permissions import organizes, require_organizer_of
from competition.entries.models import Entry
from competition.errors import DomainError
from competition.events.models import Competition, Division, Event
from competition.extensions import db
from competition.judging.models import ScoreSheet, SheetStatus
from competition.judging.service import panel_role
from competition.results import publication
from competition.results.forms import AppealDecisionForm, PublishForm, ReopenForAppealForm
from competition.results.models import (
    Appeal,
    AppealStatus,
    Publication,
    PublicationStatus,
    Result,
)
from competition.results.ranking import median_scaled, z_scores
from competition.results.service import event_results
from competition.web import event_for_organizer, flash_domain_error

bp = Blueprint("results", __name__)


@bp.get("/events/<int:event_id>/results")
@login_required
def event_results_page(event_id: int):
    """Draft or published results of every division, for the organizers."""
    event = event_for_organizer(event_id)
    results = event_results(db.session, event_id)
    publications = {p.division_id: p for p in db.session.scalars(select(Publication).where(
        Publication.division_id.in_([d.id for d in event.divisions])))}
    entries = {e.id: e for e in db.session.scalars(
        select(Entry).where(Entry.event_id == event_id)
        .options(joinedload(Entry.contestant)))}
    by_division = {d.id: sorted((r for r in results if r.division_id == d.id),
                                key=lambda r: (r.rank is None, r.rank or 0))
                   for d in event.divisions}
    pending_appeals = db.session.scalar(
        select(func.count(Appeal.id)).join(Entry, Entry.id == Appeal.entry_id)
        .where(Entry.event_id == event_id, Appeal.status == AppealStatus.PENDING))
    return render_template("results/event.html", event=event, by_division=by_division,
                           entries=entries, publications=publications, form=PublishForm(),
                           pending_appeals=pending_appeals)


@bp.post("/divisions/<int:division_id>/publish")
@login_required
def publish(division_id: int):
    division = db.get_or_404(Division, division_id)
    event_for_organizer(division.event_id)
    if PublishForm().validate_on_submit():
        try:
            publication.publish(db.session, current_user, division)
        except DomainError as error:
            flash_domain_error(error)
        else:
            db.session.commit()
            flash(_("The results of %(division)s are on public notice.",
                    division=division.name), "success")
    return redirect(url_for("results.event_results_page", event_id=division.event_id))


@bp.post("/divisions/<int:division_id>/finalize")
@login_required
def finalize(division_id: int):
    division = db.get_or_404(Division, division_id)
    event_for_organizer(division.event_id)
    if PublishForm().validate_on_submit():
        try:
            publication.finalize(db.session, current_user, division)
        except DomainError as error:
            flash_domain_error(error)
        else:
            db.session.commit()
            flash(_("The results of %(division)s are final.", division=division.name),
                  "success")
    return redirect(url_for("results.event_results_page", event_id=division.event_id))


def _appeal_reader(event: Event) -> bool:
    """Whether the current user decides this event's appeals (its chief judge); organizers
    of the competition read them; anyone else gets 403."""
    if panel_role(db.session, current_user, event.id) == "chief":
        return True
    if organizes(current_user, event.competition_id):
        return False
    abort(403)


@bp.get("/events/<int:event_id>/appeals")
@login_required
def appeals(event_id: int):
    """申诉: every appeal of the event, pending first, for its chief judge and organizers."""
    event = db.get_or_404(Event, event_id)
    is_chief = _appeal_reader(event)
    rows = db.session.execute(
        select(Appeal, Entry).join(Entry, Entry.id == Appeal.entry_id)
        .where(Entry.event_id == event.id).options(joinedload(Entry.contestant))
        .order_by((Appeal.status == AppealStatus.PENDING).desc(), Appeal.filed_at)).all()
    return render_template("results/appeals.html", event=event, rows=rows, is_chief=is_chief)


@bp.route("/appeals/<int:appeal_id>/decide", methods=["GET", "POST"])
@login_required
def decide_appeal(appeal_id: int):
    """The chief judge reads an appeal and accepts or rejects it with a reason; once it is
    accepted, reopens the entry's sheets for re-scoring. Organizers read along."""
    appeal = db.get_or_404(Appeal, appeal_id)
    entry = db.session.get(Entry, appeal.entry_id)
    event = db.session.get(Event, entry.event_id)
    is_chief = _appeal_reader(event)
    form = AppealDecisionForm()
    if request.method == "POST":
        if not is_chief:
            abort(403)
        if appeal.status == AppealStatus.PENDING and form.validate_on_submit():
            try:
                publication.decide_appeal(db.session, current_user, appeal,
                                          accept=form.accept.data == "accept",
                                          reason=form.reason.data)
            except DomainError as error:
                flash_domain_error(error)
            else:
                db.session.commit()
                flash(_("The decision was recorded; the contestant sees it on their page."),
                      "success")
                return redirect(url_for("results.decide_appeal", appeal_id=appeal.id))
    return _render_appeal(appeal, entry, event, is_chief, form=form)


def _render_appeal(appeal: Appeal, entry: Entry, event: Event, is_chief: bool, *,
                   form: AppealDecisionForm | None = None,
                   reopen_form: ReopenForAppealForm | None = None):
    sheets = db.session.scalars(
        select(ScoreSheet).where(ScoreSheet.entry_id == entry.id)
        .options(selectinload(ScoreSheet.module), selectinload(ScoreSheet.judge),
                 subqueryload(ScoreSheet.marks))
        .order_by(ScoreSheet.module_id, ScoreSheet.judge_id)).all()
    published = publication.publication_of(db.session, entry.division_id)
    may_reopen = (is_chief and appeal.status == AppealStatus.ACCEPTED and published is not None
                  and published.status == PublicationStatus.NOTICE)
    reopen_form = reopen_form or ReopenForAppealForm()
    reopen_form.sheets.choices = [
        (s.id, f"{s.module.code} · {s.judge.display_name}") for s in sheets
        if s.status == SheetStatus.SUBMITTED]
    result = db.session.scalar(select(Result).where(Result.entry_id == entry.id))
    return render_template("results/appeal.html", appeal=appeal, entry=entry, event=event,
                           form=form or AppealDecisionForm(), is_chief=is_chief,
                           sheets=sheets, may_reopen=may_reopen, reopen_form=reopen_form,
                           publication=published, result=result)


@bp.post("/appeals/<int:appeal_id>/reopen")
@login_required
def reopen_for_appeal(appeal_id: int):
    """Reopen the chosen sheets of an accepted appeal's entry, although the scores are
    locked; the judges re-score them and the published results follow."""
    appeal = db.get_or_404(Appeal, appeal_id)
    entry = db.session.get(Entry, appeal.entry_id)
    event = db.session.get(Event, entry.event_id)
    if not _appeal_reader(event):
        abort(403)
    form = ReopenForAppealForm()
    form.sheets.choices = [(s.id, "") for s in db.session.scalars(
        select(ScoreSheet).where(ScoreSheet.entry_id == entry.id))]
    if not form.validate_on_submit():
        return _render_appeal(appeal, entry, event, True, reopen_form=form), 422
    sheets = [db.session.get(ScoreSheet, sheet_id) for sheet_id in form.sheets.data]
    try:
        publication.reopen_for_appeal(db.session, current_user, appeal, sheets,
                                      form.reason.data)
    except DomainError as error:
        flash_domain_error(error)
    else:
        db.session.commit()
        flash(_("%(n)s sheets are reopened: their judges re-score them, and the published "
                "results are updated when the last one is submitted again.", n=len(sheets)),
              "success")
    return redirect(url_for("results.decide_appeal", appeal_id=appeal.id))


@bp.get("/competitions/<int:competition_id>/standardised")
@login_required
def standardised(competition_id: int):
    """Standardised scores for comparing contestants across events: each event's totals as
    z-scores, and scaled so the event's median maps to a chosen value (default 75)."""
    competition = db.get_or_404(Competition, competition_id)
    require_organizer_of(competition.id)
    try:
        target = Decimal(request.args.get("median", "75"))
    except InvalidOperation:
        target = Decimal(75)
    if not Decimal(1) <= target <= Decimal(100):
        target = Decimal(75)
    events = []
    for event in competition.events:
        ranked = [r for r in event_results(db.session, event.id) if r.rank is not None]
        totals = {r.entry_id: r.total for r in ranked}
        events.append((event, ranked, z_scores(totals), median_scaled(totals, target)))
    entries = {e.id: e for e in db.session.scalars(
        select(Entry).join(Event).where(Event.competition_id == competition.id)
        .options(joinedload(Entry.contestant), joinedload(Entry.division)))}
    return render_template("results/standardised.html", competition=competition,
                           events=events, entries=entries, target=target)
