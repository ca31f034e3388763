"""Pages anyone may open: a contestant's private page by its secret link.

This package reads every stage and no stage reads it.
"""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from competition.entries.access import entry_by_token
from competition.entries.idcard import mask_id_number, mask_phone, public_name
from competition.entries.models import Contestant, Entry
from competition.errors import DomainError
from competition.events.models import Competition, Division, Event
from competition.extensions import db
from competition.grades.models import Promotion
from competition.grades.service import kept_reasons
from competition.judging.models import ScoreSheet, SheetStatus
from competition.results import publication
from competition.results.exports import correction_lines, seal_lines
from competition.results.forms import AppealForm
from competition.results.models import Appeal, Publication, PublicationStatus, Result

bp = Blueprint("public", __name__)




@bp.get("/r/<token>")
def contestant_page(token: str):
    """选手本人页面: status and ticket; once published, scores, rank, award and appeals."""
    entry = entry_by_token(token)
    person = entry.contestant
    published = publication.publication_of(db.session, entry.division_id)
    result = db.session.scalar(select(Result).where(Result.entry_id == entry.id)) \
        if published else None
    # Appeals are filed against published results only.
    appeals = db.session.scalars(select(Appeal).where(Appeal.entry_id == entry.id)
                                 .order_by(Appeal.filed_at)).all() if published else []
    window = publication.appeal_window(published)
    promotion = db.session.scalar(
        select(Promotion).where(Promotion.entry_id == entry.id)
        .options(selectinload(Promotion.certificate))) \
        if published and published.status == PublicationStatus.FINAL else None
    # The division's ranked entries, for "rank N of M".
    ranked = db.session.scalar(
        select(func.count(Result.id)).join(Entry, Entry.id == Result.entry_id)
        .where(Entry.division_id == entry.division_id, Result.rank.is_not(None))) \
        if result is not None and result.rank else 0
    # An accepted appeal reopens sheets for re-scoring: say so while they are open.
    under_review = bool(published) and db.session.scalar(
        select(func.count(ScoreSheet.id)).where(
            ScoreSheet.entry_id == entry.id, ScoreSheet.reopened_for_review.is_(True),
            ScoreSheet.status == SheetStatus.DRAFT)) > 0
    return render_template(
        "public/contestant.html", entry=entry, person=person, event=entry.event,
        ranked=ranked, under_review=under_review,
        competition=entry.event.competition, publication=published, result=result,
        appeals=appeals, may_appeal=window.open, appeal_closes_at=window.closes_at,
        appeal_form=AppealForm(),
        by_group=publication.decided_by_supervisor(db.session, appeals),
        promotion=promotion, certificate=promotion.certificate if promotion else None,
        promotion_reasons=kept_reasons(db.session, entry.id)
        if published and published.status == PublicationStatus.FINAL else [],
        masked_id=mask_id_number(person.id_number), masked_phone=mask_phone(person.phone),
    )


@bp.post("/r/<token>/appeal")
def file_appeal(token: str):
    """申诉: written, from the contestant's own page, within the window."""
    entry = entry_by_token(token)
    form = AppealForm()
    if form.validate_on_submit():
        try:
            publication.file_appeal(db.session, entry, form.text.data)
        except DomainError as error:
            db.session.rollback()
            flash(error.translated(), "error")
        else:
            db.session.commit()
            if publication.decided_by_group(db.session, entry.event):
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
    division = db.get_or_404(Division, division_id)
    published = publication.publication_of(db.session, division_id)
    if published is None:
        abort(404)
    event = db.session.get(Event, division.event_id)
    competition = event.competition
    # Plain columns, not objects: a provincial division has hundreds of lines, and this
    # is the page everyone reloads the moment results are published.
    rows = db.session.execute(
        select(Result.rank, Result.total, Result.award, Result.has_title,
               Contestant.work_unit, Contestant.name)
        .join(Entry, Entry.id == Result.entry_id)
        .join(Contestant, Contestant.id == Entry.contestant_id)
        .where(Result.publication_id == published.id)
        .order_by(Result.rank.is_(None), Result.rank, Entry.station)).all()
    lines = [{"rank": rank, "total": total, "award": award, "has_title": has_title,
              "work_unit": work_unit, "name": public_name(name, competition.name_display)}
             for rank, total, award, has_title, work_unit, name in rows]
    return render_template("public/division_results.html", division=division, event=event,
                           competition=competition, publication=published, lines=lines,
                           seals=seal_lines(db.session, division.id),
                           corrections=correction_lines(db.session, division.id))


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
