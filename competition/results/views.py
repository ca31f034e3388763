"""Organizers publish results; the chief judge decides appeals.

The ``results`` blueprint, the package's one: its other pages add their routes to it
(``screen_views``, ``export_views``, ``theory_views``, ``tie_views``, ``explain_views``,
``supervision_views``).
"""

from decimal import Decimal, InvalidOperation

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload, subqueryload

from competition import live
from competition.auth.models import User
from competition.entries.models import Entry
from competition.errors import DomainError
from competition.events.access import (
    competition_for_organizer,
    event_for_organizer,
    event_for_reader_or_chief,
    organizes,
    reads,
)
from competition.events.awards import award_rule_of
from competition.events.models import Division, Event
from competition.events.tenancy import supervises
from competition.extensions import db
from competition.judging.models import ScoreSheet, SheetStatus
from competition.judging.scoring import panel_role
from competition.results import publishing
from competition.results.forms import (
    AppealDecisionForm,
    AppealOpinionForm,
    AwardAcknowledgementForm,
    PublishForm,
    ReopenForAppealForm,
)
from competition.results.models import (
    Appeal,
    AppealStatus,
    Publication,
    PublicationStatus,
    Result,
)
from competition.results.ranking import median_scaled, z_scores
from competition.results.standings import award_states, event_results, places_text
from competition.web import flash_domain_error

bp = Blueprint("results", __name__)


@bp.app_template_filter("award_rule")
def award_rule_filter(event: Event) -> str:
    """``{{ event|award_rule }}``: the event's award rule in words, on any page."""
    return award_rule_of(event)


@bp.get("/events/<int:event_id>/results")
@login_required
def event_results_page(event_id: int):
    """Draft or published results of every division, for the organizers and the chief
    judge (who acknowledges an award overflow here); the award rule in words and, per
    division, its places and any overflow."""
    event = event_for_reader_or_chief(event_id)
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
    awards = award_states(db.session, event, results)
    return render_template("results/event.html", event=event, by_division=by_division,
                           entries=entries, publications=publications, form=PublishForm(),
                           pending_appeals=pending_appeals, awards=awards,
                           award_rule=award_rule_of(event),
                           places={d: places_text(s.check) for d, s in awards.items()},
                           codes=lambda ids: "、".join(entries[i].code or f"#{i}" for i in ids),
                           is_organizer=organizes(current_user, event.competition_id),
                           is_chief=panel_role(db.session, current_user, event.id) == "chief",
                           acknowledge_form=AwardAcknowledgementForm())


@bp.get("/events/<int:event_id>/results/stream")
@login_required
def event_results_stream(event_id: int):
    """Server-sent events: ``changed`` whenever the event's scores or results change, so
    the page above shows them without being reloaded."""
    event_for_reader_or_chief(event_id)
    return live.stream([live.event_channel(event_id)])


@bp.post("/divisions/<int:division_id>/awards/acknowledge")
@login_required
def acknowledge_awards(division_id: int):
    """The chief judge acknowledges that tied entries exceed the division's award quotas
    (the overflow as the results page showed it); audited."""
    division = db.get_or_404(Division, division_id)
    event = db.session.get(Event, division.event_id)
    if panel_role(db.session, current_user, event.id) != "chief":
        abort(403)
    form = AwardAcknowledgementForm()
    if form.validate_on_submit():
        try:
            publishing.acknowledge_overflow(db.session, current_user, division,
                                             form.overflow.data)
        except DomainError as error:
            flash_domain_error(error)
        else:
            flash(_("The award overflow of %(division)s is acknowledged; the results may be "
                    "published.", division=division.name), "success")
    return redirect(url_for("results.event_results_page", event_id=event.id))


@bp.post("/divisions/<int:division_id>/publish")
@login_required
def publish(division_id: int):
    division = db.get_or_404(Division, division_id)
    event_for_organizer(division.event_id)
    if PublishForm().validate_on_submit():
        try:
            publishing.publish(db.session, current_user, division)
        except DomainError as error:
            flash_domain_error(error)
        else:
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
            publishing.finalize(db.session, current_user, division)
        except DomainError as error:
            flash_domain_error(error)
        else:
            flash(_("The results of %(division)s are final.", division=division.name),
                  "success")
    return redirect(url_for("results.event_results_page", event_id=division.event_id))


def _appeal_reader(event: Event) -> bool:
    """Whether the current user is the event's chief judge (who writes the opinion or
    decides, and reopens sheets); the competition's organizers and its supervision and
    arbitration group read the appeals; anyone else gets 403."""
    if panel_role(db.session, current_user, event.id) == "chief":
        return True
    if reads(current_user, event.competition_id):
        return False
    abort(403)


@bp.get("/events/<int:event_id>/appeals")
@login_required
def appeals(event_id: int):
    """申诉: every appeal of the event, pending first, for its chief judge, its organizers
    and its supervision and arbitration group."""
    event = db.get_or_404(Event, event_id)
    is_chief = _appeal_reader(event)
    rows = db.session.execute(
        select(Appeal, Entry).join(Entry, Entry.id == Appeal.entry_id)
        .where(Entry.event_id == event.id).options(joinedload(Entry.contestant))
        .order_by((Appeal.status == AppealStatus.PENDING).desc(), Appeal.filed_at)).all()
    group = publishing.decided_by_group(db.session, event)
    acts = is_chief or (group and supervises(current_user, event.competition_id))
    return render_template("results/appeals.html", event=event, rows=rows, is_chief=is_chief,
                           acts=acts, group=group)


@bp.route("/appeals/<int:appeal_id>/decide", methods=["GET", "POST"])
@login_required
def decide_appeal(appeal_id: int):
    """An appeal, the chief judge's opinion and the decision. Whoever decides
    (``publication.may_decide``: the supervision and arbitration group when the
    competition has one, else the chief judge) accepts or rejects it with a reason; once
    it is accepted, the chief judge reopens the entry's sheets for re-scoring.
    Organizers read along."""
    appeal = db.get_or_404(Appeal, appeal_id)
    entry = db.session.get(Entry, appeal.entry_id)
    event = db.session.get(Event, entry.event_id)
    is_chief = _appeal_reader(event)
    form = AppealDecisionForm()
    if request.method == "POST":
        if not publishing.may_decide(db.session, current_user, appeal):
            abort(403)
        if appeal.status == AppealStatus.PENDING and form.validate_on_submit():
            try:
                publishing.decide_appeal(db.session, current_user, appeal,
                                          accept=form.accept.data == "accept",
                                          reason=form.reason.data)
            except DomainError as error:
                flash_domain_error(error)
            else:
                flash(_("The decision was recorded; the contestant sees it on their page."),
                      "success")
                return redirect(url_for("results.decide_appeal", appeal_id=appeal.id))
    return _render_appeal(appeal, entry, event, is_chief, form=form)


@bp.post("/appeals/<int:appeal_id>/opinion")
@login_required
def appeal_opinion(appeal_id: int):
    """The chief judge's written opinion on an appeal that the supervision and
    arbitration group decides (``publication.give_opinion``)."""
    appeal = db.get_or_404(Appeal, appeal_id)
    entry = db.session.get(Entry, appeal.entry_id)
    event = db.session.get(Event, entry.event_id)
    if not _appeal_reader(event) or not publishing.may_give_opinion(
            db.session, current_user, appeal):
        abort(403)
    form = AppealOpinionForm()
    if not form.validate_on_submit():
        return _render_appeal(appeal, entry, event, True, opinion_form=form), 422
    try:
        publishing.give_opinion(db.session, current_user, appeal, form.opinion.data)
    except DomainError as error:
        flash_domain_error(error)
    else:
        flash(_("Your opinion was recorded; the supervision and arbitration group decides "
                "the appeal after reading it."), "success")
    return redirect(url_for("results.decide_appeal", appeal_id=appeal.id))


def _render_appeal(appeal: Appeal, entry: Entry, event: Event, is_chief: bool, *,
                   form: AppealDecisionForm | None = None,
                   reopen_form: ReopenForAppealForm | None = None,
                   opinion_form: AppealOpinionForm | None = None):
    sheets = db.session.scalars(
        select(ScoreSheet).where(ScoreSheet.entry_id == entry.id)
        .options(selectinload(ScoreSheet.module), selectinload(ScoreSheet.judge),
                 subqueryload(ScoreSheet.marks))
        .order_by(ScoreSheet.module_id, ScoreSheet.judge_id)).all()
    published = publishing.publication_of(db.session, entry.division_id)
    may_reopen = (is_chief and appeal.status == AppealStatus.ACCEPTED and published is not None
                  and published.status == PublicationStatus.NOTICE)
    reopen_form = reopen_form or ReopenForAppealForm()
    reopen_form.sheets.choices = [
        (s.id, f"{s.module.code} · {s.judge.display_name}") for s in sheets
        if s.status == SheetStatus.SUBMITTED]
    result = db.session.scalar(select(Result).where(Result.entry_id == entry.id))
    group = publishing.decided_by_group(db.session, event)
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(
        [i for i in (appeal.decided_by_id, appeal.chief_opinion_by_id) if i])))}
    return render_template(
        "results/appeal.html", appeal=appeal, entry=entry, event=event,
        form=form or AppealDecisionForm(), is_chief=is_chief, sheets=sheets,
        may_reopen=may_reopen, reopen_form=reopen_form, publication=published,
        result=result, group=group, people=people,
        may_decide=publishing.may_decide(db.session, current_user, appeal),
        may_opine=is_chief and group,
        opinion_form=opinion_form or AppealOpinionForm(formdata=None,
                                                       opinion=appeal.chief_opinion))


@bp.post("/appeals/<int:appeal_id>/reopen")
@login_required
def reopen_for_appeal(appeal_id: int):
    """Reopen the chosen sheets of an accepted appeal's entry, although the scores are
    locked; the judges re-score them and the published results follow. Only an appeal
    accepted (by the chief judge, or by the supervision and arbitration group) allows it
    (``publication.reopen_for_appeal``); only the chief judge reopens."""
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
        publishing.reopen_for_appeal(db.session, current_user, appeal, sheets,
                                      form.reason.data)
    except DomainError as error:
        flash_domain_error(error)
    else:
        flash(_("%(n)s sheets are reopened: their judges re-score them, and the published "
                "results are updated when the last one is submitted again.", n=len(sheets)),
              "success")
    return redirect(url_for("results.decide_appeal", appeal_id=appeal.id))


@bp.get("/competitions/<int:competition_id>/standardised")
@login_required
def standardised(competition_id: int):
    """Standardised scores for comparing contestants across events: each event's totals as
    z-scores, and scaled so the event's median maps to a chosen value (default 75)."""
    competition = competition_for_organizer(competition_id)
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


# The package's other pages, in their own modules on this blueprint: the big screen, the
# exports, the theory scores, the tie order, the explanation of a rank and the
# supervision and arbitration group's countersignatures.
from competition.results import (  # noqa: E402, F401
    explain_views,
    export_views,
    screen_views,
    supervision_views,
    theory_views,
    tie_views,
)
