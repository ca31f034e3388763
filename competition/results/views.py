"""Organizers publish results; the chief judge decides appeals."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from competition.errors import DomainError
from competition.events.models import Division
from competition.extensions import db
from competition.judging.service import panel_role
from competition.results import publication
from competition.results.forms import AppealDecisionForm, PublishForm
from competition.results.models import Appeal, AppealStatus, Publication
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
    from competition.entries.models import Entry

    entries = {e.id: e for e in db.session.scalars(
        select(Entry).where(Entry.event_id == event_id)
        .options(selectinload(Entry.contestant)))}
    by_division = {d.id: sorted((r for r in results if r.division_id == d.id),
                                key=lambda r: (r.rank is None, r.rank or 0))
                   for d in event.divisions}
    return render_template("results/event.html", event=event, by_division=by_division,
                           entries=entries, publications=publications, form=PublishForm())


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


@bp.route("/appeals/<int:appeal_id>/decide", methods=["GET", "POST"])
@login_required
def decide_appeal(appeal_id: int):
    """The chief judge reads an appeal and accepts or rejects it with a reason."""
    appeal = db.get_or_404(Appeal, appeal_id)
    from competition.entries.models import Entry

    entry = db.session.get(Entry, appeal.entry_id)
    if panel_role(db.session, current_user, entry.event_id) != "chief":
        abort(403)
    form = AppealDecisionForm()
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
    return render_template("results/appeal.html", appeal=appeal, entry=entry, form=form)
