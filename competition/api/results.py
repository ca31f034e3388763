"""Results through the JSON API: live and published results, publication, appeals.

Who sees what follows the pages (docs/design.md section 5, "Integrity"):

- live (draft) results of an event — its organizers and its chief judge; names
  only after the chief judge locked the scores, anonymous codes before;
- a division's published results — anyone, once published (404 before), names
  in full or masked as the organizer chose, never an ID number or a phone;
- a contestant's own result — whoever holds the secret of their private link;
- the competition's supervision and arbitration group (监督仲裁组) reads what the
  organizers read here;
- publishing and finalizing — the organizers; deciding an appeal — the supervision
  and arbitration group after the chief judge's written opinion when the competition
  has one, else the chief judge. A refused step answers 422 with the broken rule's
  message.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import wraps

from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_smorest import Blueprint, abort
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from competition.api.results_schemas import (
    AppealDecisionSchema,
    AppealOpinionSchema,
    AppealSchema,
    AwardAcknowledgementSchema,
    AwardsSchema,
    ContestantResultSchema,
    DivisionResultsSchema,
    EventResultsSchema,
    PublicationSchema,
    RefusedSchema,
)
from competition.entries.access import entry_by_token
from competition.entries.models import Entry
from competition.errors import N_
from competition.events.access import reads, require_organizer_of
from competition.events.awards import award_rule_of
from competition.events.models import Division, Event, PanelRole
from competition.extensions import db
from competition.grades.models import Promotion
from competition.grades.promotions import kept_reasons, promotion_of
from competition.judging.scoring import panel_role
from competition.results import published, publishing
from competition.results.models import Appeal, Publication, Result
from competition.results.standings import AwardState, award_states, event_results
from competition.skill_grades import grade_label

blp = Blueprint("api_results", __name__, url_prefix="/api/v1",
                description="Results: live, published for public notice (公示) and final; "
                            "appeals (申诉); a contestant's own result.")


SIGN_IN = {"schema": RefusedSchema, "description": "Not signed in."}
UNKNOWN = {"schema": RefusedSchema, "description": "No such event, division or appeal."}


# --- Reading ---------------------------------------------------------------------------

@blp.route("/events/<int:event_id>/results")
@login_required
@blp.response(200, EventResultsSchema)
@blp.alt_response(401, **SIGN_IN)
@blp.alt_response(403, schema=RefusedSchema,
                  description="Neither an organizer of the competition nor the chief judge.")
@blp.alt_response(404, **UNKNOWN)
def live_results(event_id: int):
    """The event's results as computed now from the submitted sheets, for every division,
    with where each division's publication stands. Organizers of the competition and the
    event's chief judge only. Contestants are named only once the chief judge has locked
    the scores; before that they are their anonymous codes."""
    event = _event_for_organizer_or_chief(event_id)
    locked = event.scores_locked_at is not None
    entries = {e.id: e for e in db.session.scalars(
        select(Entry).where(Entry.event_id == event_id).options(joinedload(Entry.contestant)))}
    publications = _publications(d.id for d in event.divisions)
    by_division: dict[int, list] = {d.id: [] for d in event.divisions}
    results = event_results(db.session, event_id)
    awards = award_states(db.session, event, results)
    for result in results:
        entry = entries[result.entry_id]
        by_division.setdefault(result.division_id, []).append({
            "entry_id": entry.id, "station": entry.station, "code": entry.code,
            "name": entry.contestant.name if locked else None,
            "work_unit": entry.contestant.work_unit if locked else None,
            **_scores(event, result.module_scores, result.penalty_points, result.total,
                      result.rank, result.award, result.has_title),
        })
    return {
        "event_id": event.id, "event": event.name, "competition": event.competition.name,
        "locked": locked, "scores_locked_at": event.scores_locked_at,
        "modules": event.modules,
        "divisions": [{
            "id": d.id, "name": d.name, "kind": d.kind,
            "publication": _state(publications.get(d.id)),
            "awards": _awards_document(event, d.id, awards[d.id]),
            "results": sorted(by_division[d.id], key=_by_rank),
        } for d in event.divisions],
    }


@blp.route("/divisions/<int:division_id>/results")
@blp.doc(security=[])
@blp.response(200, DivisionResultsSchema)
@blp.alt_response(404, schema=RefusedSchema,
                  description="No such division, or its results are not published.")
def published_results(division_id: int):
    """A division's published results (公示, then final), open to anyone: rank, name as the
    organizer chose (in full or masked like 张*明), work unit, module scores, total, award
    and title. Never an ID number or a phone. 404 until the results are published."""
    shown = published.published_division(db.session, division_id)
    if shown is None:
        db.get_or_404(Division, division_id)
        abort(404, message=_("These results have not been published yet."))
    event = shown.event
    return {
        "division_id": shown.division.id, "division": shown.division.name,
        "event_id": event.id, "event": event.name, "competition": shown.competition.name,
        "publication": _state(shown.publication), "modules": event.modules,
        "results": [{
            "name": line.name, "work_unit": line.work_unit,
            **_scores(event, line.module_scores, line.penalty_points, line.total, line.rank,
                      line.award, line.has_title),
        } for line in shown.lines],
    }


# A secret as ``entries.models.new_entry_token`` makes it, of a length
# ``web.entry_by_token`` looks up; any other text answers 404.
TOKEN_PARAMETER = {"in": "path", "name": "token", "description": (
    "The secret of the contestant's private link (the QR code on the admission ticket)."),
    "schema": {"type": "string", "minLength": 20, "maxLength": 64,
               "pattern": "^[A-Za-z0-9_-]+$"}}


@blp.route("/contestant/<token>/result", parameters=[TOKEN_PARAMETER])
@blp.doc(security=[])
@blp.response(200, ContestantResultSchema)
@blp.alt_response(404, schema=RefusedSchema, description="No entry has this link.")
def contestant_result(token: str):
    """A contestant's own result, by the secret of their private link (the QR code on the
    admission ticket): their registration, and once their division's results are
    published the module scores, total, rank and award; their appeals with the chief
    judge's decisions."""
    entry = entry_by_token(token)
    event = entry.event
    own = published.contestant_result(db.session, entry)
    promotion = promotion_of(db.session, entry.id) if own.final else None
    return {
        "name": entry.contestant.name, "competition": event.competition.name,
        "event": event.name, "division": entry.division.name,
        "registration_status": entry.status, "attendance": entry.attendance,
        "ticket_number": entry.ticket_number, "station": entry.station,
        "publication": _state(own.publication), "modules": event.modules,
        "result": _published_scores(event, own.result) if own.result else None,
        "may_appeal": own.window.open,
        "appeals": [_own_appeal(a, own.decided_by_group) for a in own.appeals],
        "promotion": _own_promotion(promotion),
        "promotion_reasons": [
            {"rule": rule, "reasons": reasons}
            for rule, reasons in kept_reasons(db.session, entry.id)] if own.final else [],
    }


def _own_appeal(appeal: Appeal, by_group: set[int]) -> dict:
    return {"id": appeal.id, "text": appeal.text, "filed_at": appeal.filed_at,
            "status": appeal.status, "decided_at": appeal.decided_at,
            "decision_reason": appeal.decision_reason,
            **_opinion_and_decider(appeal, by_group)}


def _own_promotion(promotion: Promotion | None) -> dict | None:
    if promotion is None:
        return None
    certificate = promotion.certificate
    return {
        "from_grade": promotion.from_grade, "to_grade": promotion.to_grade,
        "grade_label": grade_label(promotion.to_grade), "rule": promotion.rule_text,
        "certificate_number": certificate.number if certificate else None,
        "issued_on": certificate.issued_on if certificate else None,
        "revoked": bool(certificate and certificate.revoked_at),
        "verification_url": url_for("grades.verify_certificate", number=certificate.number,
                                    c=certificate.verification_code, _external=True)
        if certificate else None,
    }


@blp.route("/events/<int:event_id>/appeals")
@login_required
@blp.response(200, AppealSchema(many=True))
@blp.alt_response(401, **SIGN_IN)
@blp.alt_response(403, schema=RefusedSchema,
                  description="Neither an organizer of the competition nor the chief judge.")
@blp.alt_response(404, **UNKNOWN)
def event_appeals(event_id: int):
    """Every appeal of the event, oldest first, with its decision. Organizers of the
    competition and the event's chief judge only."""
    event = _event_for_organizer_or_chief(event_id)
    rows = db.session.execute(
        select(Appeal, Entry).join(Entry, Entry.id == Appeal.entry_id)
        .where(Entry.event_id == event_id).options(joinedload(Entry.contestant))
        .order_by(Appeal.filed_at, Appeal.id)).all()
    return [_appeal_document(event, appeal, entry) for appeal, entry in rows]


# --- Writing -----------------------------------------------------------------------------

@blp.route("/divisions/<int:division_id>/publish", methods=["POST"])
@login_required
@blp.response(200, PublicationSchema)
@blp.alt_response(401, **SIGN_IN)
@blp.alt_response(403, schema=RefusedSchema,
                  description="Not an organizer of the competition.")
@blp.alt_response(404, **UNKNOWN)
@blp.alt_response(422, schema=RefusedSchema, description="Refused: the scores are not "
                  "locked, or the results are already published.")
def publish(division_id: int):
    """Post the division's results for public notice (公示): the published results are a
    snapshot of the live ones, and the appeal window and the notice period start now."""
    division = _division_for_organizer(division_id)
    published = publishing.publish(db.session, current_user, division)
    return _publication_document(division, published)


@blp.route("/divisions/<int:division_id>/finalize", methods=["POST"])
@login_required
@blp.response(200, PublicationSchema)
@blp.alt_response(401, **SIGN_IN)
@blp.alt_response(403, schema=RefusedSchema,
                  description="Not an organizer of the competition.")
@blp.alt_response(404, **UNKNOWN)
@blp.alt_response(422, schema=RefusedSchema, description="Refused: not published, already "
                  "final, the notice period still runs, or appeals wait for a decision.")
def finalize(division_id: int):
    """Make the division's results final: once the notice period is over and no appeal is
    pending. Final results are frozen."""
    division = _division_for_organizer(division_id)
    published = publishing.finalize(db.session, current_user, division)
    return _publication_document(division, published)


def _appeal_act_required(may, refusal: str):
    """A decorator: only a caller ``may(session, user, appeal)`` lets act on the appeal gets
    past (403 with ``refusal``; 404 for no such appeal), before the body is read: a
    caller without the right is refused whatever they sent."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            appeal = db.get_or_404(Appeal, kwargs["appeal_id"])
            if not may(db.session, current_user, appeal):
                event = publishing.appeal_event(db.session, appeal)
                abort(403, message=_(refusal, event=event.name,
                                     competition=event.competition.name))
            return view(*args, **kwargs)

        return login_required(wrapped)

    return decorator


# Who decides is the one rule of ``publication.may_decide``: the supervision and
# arbitration group when the competition has one, else the chief judge.
decider_of_the_appeal_required = _appeal_act_required(
    publishing.may_decide,
    N_("Only whoever decides the appeals of %(event)s may do this: the supervision and "
       "arbitration group of %(competition)s when it has one, else the chief judge."))
chief_of_the_appeal_required = _appeal_act_required(
    publishing.may_give_opinion, N_("Only the chief judge of %(event)s may do this."))


@blp.route("/appeals/<int:appeal_id>/decision", methods=["POST"])
@decider_of_the_appeal_required
@blp.arguments(AppealDecisionSchema)
@blp.response(200, AppealSchema)
@blp.alt_response(401, **SIGN_IN)
@blp.alt_response(403, schema=RefusedSchema, description="Not the one who decides the "
                  "event's appeals: a member of the competition's supervision and "
                  "arbitration group when it has one, else the event's chief judge.")
@blp.alt_response(404, **UNKNOWN)
@blp.alt_response(422, schema=RefusedSchema, description="Refused: a bad body, the appeal "
                  "is already decided, no reason is given, or (with a supervision and "
                  "arbitration group) the chief judge has not written an opinion yet.")
def decide_appeal(data, appeal_id: int):
    """Accept (受理) or reject (驳回) an appeal, with the reason the contestant will read:
    the competition's supervision and arbitration group (监督仲裁组) does, after the chief
    judge's written opinion, when it has one; otherwise the event's chief judge.
    Refused (422) when it is already decided or no reason is given. Accepting changes no
    mark by itself: the chief judge reopens the sheets concerned."""
    appeal = db.session.get(Appeal, appeal_id)
    entry = db.session.scalar(select(Entry).where(Entry.id == appeal.entry_id)
                              .options(joinedload(Entry.contestant)))
    event = db.session.get(Event, entry.event_id)
    publishing.decide_appeal(db.session, current_user, appeal, accept=data["accept"],
                              reason=data["reason"])
    return _appeal_document(event, appeal, entry)


@blp.route("/appeals/<int:appeal_id>/opinion", methods=["POST"])
@chief_of_the_appeal_required
@blp.arguments(AppealOpinionSchema)
@blp.response(200, AppealSchema)
@blp.alt_response(401, **SIGN_IN)
@blp.alt_response(403, schema=RefusedSchema, description="Not the event's chief judge.")
@blp.alt_response(404, **UNKNOWN)
@blp.alt_response(422, schema=RefusedSchema, description="Refused: a bad body, no "
                  "opinion, the appeal is already decided, or the competition has no "
                  "supervision and arbitration group (the chief judge then decides).")
def appeal_opinion(data, appeal_id: int):
    """The chief judge's written opinion (书面意见) on an appeal that the competition's
    supervision and arbitration group decides; it may be rewritten until the group
    decides. The contestant reads it with the decision."""
    appeal = db.session.get(Appeal, appeal_id)
    entry = db.session.scalar(select(Entry).where(Entry.id == appeal.entry_id)
                              .options(joinedload(Entry.contestant)))
    event = db.session.get(Event, entry.event_id)
    publishing.give_opinion(db.session, current_user, appeal, data["opinion"])
    return _appeal_document(event, appeal, entry)


def chief_of_the_division_required(view):
    """Only the chief judge of the division's event gets past (403; 404 for no such
    division), before the body is read."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        division = db.get_or_404(Division, kwargs["division_id"])
        event = db.session.get(Event, division.event_id)
        if panel_role(db.session, current_user, event.id) != PanelRole.CHIEF:
            abort(403, message=_("Only the chief judge of %(event)s may do this.",
                                 event=event.name))
        return view(*args, **kwargs)

    return login_required(wrapped)


@blp.route("/divisions/<int:division_id>/awards/acknowledgement", methods=["POST"])
@chief_of_the_division_required
@blp.arguments(AwardAcknowledgementSchema)
@blp.response(200, AwardsSchema)
@blp.alt_response(401, **SIGN_IN)
@blp.alt_response(403, schema=RefusedSchema, description="Not the event's chief judge.")
@blp.alt_response(404, **UNKNOWN)
@blp.alt_response(422, schema=RefusedSchema, description="Refused: no overflow to "
                  "acknowledge (or the event's ties go by the tie-break rules), or the "
                  "overflow sent is no longer the current one.")
def acknowledge_awards(data, division_id: int):
    """The chief judge acknowledges that entries tied across an award band's edge exceed
    the division's quota (share mode): ``overflow`` is the division's ``awards.overflow``
    as read from the live results. The division's results may be published after it; a
    change of scores that changes the overflow needs a new acknowledgement. Audited."""
    division = db.session.get(Division, division_id)
    publishing.acknowledge_overflow(db.session, current_user, division, data["overflow"])
    event = db.session.get(Event, division.event_id)
    return _awards_document(event, division.id, publishing.award_state(
        db.session, event, division))


# --- Who may see what --------------------------------------------------------------------

def _event_for_organizer_or_chief(event_id: int) -> Event:
    event = db.session.scalar(select(Event).where(Event.id == event_id).options(
        selectinload(Event.competition), selectinload(Event.divisions),
        selectinload(Event.modules)))
    if event is None:
        abort(404)
    if not reads(current_user, event.competition_id) \
            and panel_role(db.session, current_user, event.id) != PanelRole.CHIEF:
        abort(403, message=_("Only the organizers and the chief judge of %(event)s may see "
                             "this.", event=event.name))
    return event


def _division_for_organizer(division_id: int) -> Division:
    division = db.get_or_404(Division, division_id)
    require_organizer_of(division.event.competition_id)
    return division




# --- Documents ---------------------------------------------------------------------------

def _publications(division_ids) -> dict[int, Publication]:
    return {p.division_id: p for p in db.session.scalars(
        select(Publication).where(Publication.division_id.in_(list(division_ids))))}


def _state(published: Publication | None) -> dict:
    if published is None:
        return {"status": "draft", "published_at": None, "appeal_deadline": None,
                "notice_ends_at": None, "finalized_at": None}
    return {"status": published.status, "published_at": published.published_at,
            "appeal_deadline": published.appeal_deadline,
            "notice_ends_at": published.notice_ends_at,
            "finalized_at": published.finalized_at}


def _publication_document(division: Division, published: Publication) -> dict:
    return {"division_id": division.id, "division": division.name,
            "event_id": division.event_id, **_state(published)}


def _scores(event: Event, module_scores: dict, penalty_points, total, rank, award,
            has_title: bool) -> dict:
    """Scores as the result lists show them: module scores to 2 decimals (more when the
    event keeps more), the total as computed."""
    places = Decimal(1).scaleb(-max(2, event.decimals))
    return {
        "module_scores": [{
            "module_id": m.id, "code": m.code,
            "score": Decimal(module_scores.get(m.id, 0)).quantize(places, ROUND_HALF_UP),
        } for m in event.modules],
        "penalty_points": Decimal(penalty_points),
        "total": Decimal(total), "rank": rank, "award": award,
        "title": (event.title_name or None) if has_title else None,
    }


def _published_scores(event: Event, result: Result) -> dict:
    """A published ``Result`` row; its module scores are kept by module id as text."""
    module_scores = {int(k): v for k, v in (result.module_scores or {}).items()}
    return _scores(event, module_scores, result.penalty_points, result.total, result.rank,
                   result.award, result.has_title)


def _appeal_document(event: Event, appeal: Appeal, entry: Entry) -> dict:
    return {
        "id": appeal.id, "entry_id": entry.id, "division_id": entry.division_id,
        "station": entry.station, "code": entry.code,
        "name": entry.contestant.name if event.scores_locked_at else None,
        "text": appeal.text, "filed_at": appeal.filed_at, "status": appeal.status,
        "decided_at": appeal.decided_at, "decision_reason": appeal.decision_reason,
        **_opinion_and_decider(appeal, publishing.decided_by_supervisor(db.session,
                                                                         [appeal])),
    }


def _opinion_and_decider(appeal: Appeal, by_group: set[int]) -> dict:
    """The chief judge's opinion and who decided: ``supervision_group``, ``chief_judge``
    or None while pending."""
    decided_by = None
    if appeal.status != "pending":
        decided_by = "supervision_group" if appeal.id in by_group else "chief_judge"
    return {"chief_opinion": appeal.chief_opinion or None,
            "chief_opinion_at": appeal.chief_opinion_at, "decided_by": decided_by}


def _awards_document(event: Event, division_id: int, state: AwardState) -> dict:
    check = state.check
    return {
        "division_id": division_id, "rule": award_rule_of(event),
        "award_rounding": event.award_rounding,
        "first_prize_min_entries": event.first_prize_min_entries,
        "award_ties": event.award_ties, "ranked": check.ranked,
        "bands": [{"band": b.band, "places": b.places, "awarded": list(b.awarded),
                   "tied": list(b.tied), "excess": b.excess} for b in check.bands],
        "overflow": check.description or None, "needs_order": check.needs_order,
        "needs_acknowledgement": check.needs_acknowledgement,
        "acknowledged_at": state.acknowledgement.acknowledged_at
        if state.acknowledgement else None,
        "may_publish": not state.blocked,
    }


def _by_rank(line: dict) -> tuple:
    return (line["rank"] is None, line["rank"] or 0, line["station"] or 0, line["entry_id"])
