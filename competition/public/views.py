"""Pages anyone may open: a contestant's private page by its secret link.

This package reads every stage and no stage reads it.
"""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from competition.entries.access import entry_by_token
from competition.entries.idcard import mask_id_number, mask_phone
from competition.errors import DomainError
from competition.events.models import Competition, Division, Event
from competition.extensions import db
from competition.grades.promotions import kept_reasons, promotion_of
from competition.results import published, publishing
from competition.results.exports import correction_lines, seal_lines
from competition.results.forms import AppealForm
from competition.results.models import Publication

bp = Blueprint("public", __name__)


@bp.get("/r/<token>")
def contestant_page(token: str):
    """选手本人页面: status and ticket; once published, scores, rank, award and appeals."""
    entry = entry_by_token(token)
    person = entry.contestant
    own = published.contestant_result(db.session, entry)
    promotion = promotion_of(db.session, entry.id) if own.final else None
    return render_template(
        "public/contestant.html", entry=entry, person=person, event=entry.event,
        ranked=own.ranked, under_review=own.under_review,
        competition=entry.event.competition, publication=own.publication,
        result=own.result, appeals=own.appeals, may_appeal=own.window.open,
        appeal_closes_at=own.window.closes_at, appeal_form=AppealForm(),
        by_group=own.decided_by_group,
        promotion=promotion, certificate=promotion.certificate if promotion else None,
        promotion_reasons=kept_reasons(db.session, entry.id) if own.final else [],
        masked_id=mask_id_number(person.id_number), masked_phone=mask_phone(person.phone),
    )


@bp.post("/r/<token>/appeal")
def file_appeal(token: str):
    """申诉: written, from the contestant's own page, within the window."""
    entry = entry_by_token(token)
    form = AppealForm()
    if form.validate_on_submit():
        try:
            publishing.file_appeal(db.session, entry, form.text.data)
        except DomainError as error:
            db.session.rollback()
            flash(error.translated(), "error")
        else:
            if publishing.decided_by_group(db.session, entry.event):
                flash(_("Your appeal was received. The chief judge's opinion and the decision "
                        "of the supervision and arbitration group will appear on this page."),
                      "success")
            else:
                flash(_("Your appeal was received. The chief judge's decision will appear on "
                        "this page."), "success")
    return redirect(url_for("public.contestant_page", token=token))


@bp.get("/results/divisions/<int:division_id>")
def division_results(division_id: int):
    """Published results of one division: rank, name as the organizer chose, work unit,
    total and award. Never an ID number or a phone."""
    shown = published.published_division(db.session, division_id)
    if shown is None:
        abort(404)
    return render_template("public/division_results.html", division=shown.division,
                           event=shown.event, competition=shown.competition,
                           publication=shown.publication, lines=shown.lines,
                           seals=seal_lines(db.session, division_id),
                           corrections=correction_lines(db.session, division_id))


@bp.get("/results")
def results_index():
    """公示与结果: every division whose results are published, newest first."""
    rows = db.session.execute(
        select(Publication, Division, Event, Competition)
        .join(Division, Division.id == Publication.division_id)
        .join(Event, Event.id == Division.event_id)
        .join(Competition, Competition.id == Event.competition_id)
        .order_by(Publication.published_at.desc())).all()
    return render_template("public/results_index.html", rows=rows)
