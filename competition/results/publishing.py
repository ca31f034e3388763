"""Publication of results for public notice (公示), appeals (申诉), and final results.

The state machine of one division's results (docs/design.md section 5):
draft (computed, seen only by organizers and chief judges) → notice (public;
appeals may be filed until the appeal deadline; the notice period runs) →
final (after the notice period, once every appeal is settled; frozen).
Publishing needs the event's scores locked by the chief judge. While in
notice, the published snapshot is refreshed after every decision that could
change it (``refresh``); once final it never changes again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from blinker import Namespace
from flask import has_request_context
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from competition.audit.log import record, seals
from competition.auth.models import Role, User
from competition.dbtypes import utcnow
from competition.entries.models import Entry
from competition.errors import N_, DomainError, Refused
from competition.events import tenancy
from competition.events.models import Division, Event, PanelRole
from competition.judging import scoring as judging
from competition.judging.models import ScoreSheet, SheetStatus
from competition.labels import label
from competition.results.models import (
    Appeal,
    AppealStatus,
    AwardAcknowledgement,
    Publication,
    PublicationStatus,
    Result,
)
from competition.results.standings import AwardState, award_states, event_results, overflow_codes

_signals = Namespace()
# Sent, with the session, ``actor``, ``division`` and ``now``, inside the transaction that
# makes a division's results final: the grades stage decides the promotions and issues
# the certificates, so a refusal there undoes the finalization too. Its receiver is
# connected by ``competition.handoffs``; ``finalize`` refuses to run without one.
results_final = _signals.signal("results-final")


class PublicationError(DomainError):
    """A rule of publication or appeals was broken."""


def publication_of(session: Session, division_id: int) -> Publication | None:
    return session.scalar(select(Publication).where(Publication.division_id == division_id))


def publish(session: Session, organizer: User, division: Division,
            now: datetime | None = None) -> Publication:
    """Post a division's results for public notice; the appeal window and notice period
    start now."""
    now = now or utcnow()
    event = session.get(Event, division.event_id)
    if event.scores_locked_at is None:
        raise PublicationError(N_("The chief judge has not locked the scores of %(event)s "
                                  "yet."), event=event.name)
    if publication_of(session, division.id) is not None:
        raise PublicationError(N_("These results are already published."))
    check_awards(session, event, division)
    publication = Publication(
        division_id=division.id, status=PublicationStatus.NOTICE, published_at=now,
        published_by_id=organizer.id, appeal_deadline=appeal_deadline(event, now),
        notice_ends_at=now + timedelta(days=event.notice_days))
    session.add(publication)
    session.flush()
    _snapshot(session, publication, event, division)
    record(session, actor_id=organizer.id, action="results.publish", object_type="division",
           object_id=division.id, event_id=event.id,
           new={"notice_ends_at": publication.notice_ends_at})
    return publication


def award_state(session: Session, event: Event, division: Division) -> AwardState:
    """The division's awards against its quotas, computed now, with the chief judge's
    acknowledgement of the current overflow (``ranking.award_check``)."""
    return award_states(session, event)[division.id]


def _band_name(band: str) -> str:
    """An award band's name in the user's language (its code outside a request: the CLI)."""
    return label(band, "award") if has_request_context() else f"{band} prize"


def check_awards(session: Session, event: Event, division: Division) -> None:
    """Refuse publication while an award band's overflow is silent: in ``tie_break`` mode
    while entries are still tied at a band's edge after the whole tie-break chain (the
    chief judge orders them); in ``share`` mode until the chief judge has acknowledged
    the division's current overflow."""
    state = award_state(session, event, division)
    check = state.check
    if check.needs_order:
        band = check.overflows[0]
        raise PublicationError(
            N_("In %(division)s, %(codes)s are still tied at the edge of the %(band)s after "
               "every tie-break rule; the chief judge must decide their order before the "
               "results are published."),
            division=division.name, codes=overflow_codes(session, band.tied),
            band=_band_name(band.band))
    if state.blocked:
        band = check.overflows[0]
        raise PublicationError(
            N_("In %(division)s, %(awarded)s entries receive the %(band)s against %(places)s "
               "places because %(codes)s are tied at its edge; the chief judge must "
               "acknowledge this before the results are published."),
            division=division.name, awarded=len(band.awarded), places=band.places,
            codes=overflow_codes(session, band.tied), band=_band_name(band.band))


def acknowledge_overflow(session: Session, chief: User, division: Division,
                         overflow: str) -> AwardAcknowledgement:
    """The chief judge acknowledges that tied entries exceed the division's award quotas
    (``share`` mode). ``overflow`` is the description the chief judge was shown: it must
    still be the division's current one, so a change of scores meanwhile is never
    acknowledged unseen."""
    from competition.judging.scoring import require_chief

    event = session.get(Event, division.event_id)
    require_chief(session, chief, event)
    state = award_state(session, event, division)
    if state.check.needs_order:
        raise PublicationError(N_("The event's ties at a band's edge go by the tie-break "
                                  "rules: the chief judge decides the order of the tied "
                                  "entries of %(division)s instead of acknowledging them."),
                               division=division.name)
    if not state.check.needs_acknowledgement:
        raise PublicationError(N_("No award band of %(division)s exceeds its quota for the "
                                  "chief judge to acknowledge."), division=division.name)
    if (overflow or "").strip() != state.check.description:
        raise PublicationError(N_("The awards of %(division)s changed since the page was "
                                  "shown; look at them again before acknowledging."),
                               division=division.name)
    if state.acknowledgement is not None:
        return state.acknowledgement
    acknowledgement = AwardAcknowledgement(division_id=division.id,
                                           overflow=state.check.description,
                                           acknowledged_at=utcnow(),
                                           acknowledged_by_id=chief.id)
    session.add(acknowledgement)
    session.flush()
    record(session, actor_id=chief.id, action="awards.acknowledge", object_type="division",
           object_id=division.id, event_id=event.id,
           new={"overflow": acknowledgement.overflow})
    return acknowledgement


def _snapshot(session: Session, publication: Publication, event: Event,
              division: Division) -> dict[int, dict]:
    """Replace the published rows by freshly computed results; return what changed,
    by entry: ``{entry_id: {"old": {...}, "new": {...}}}``."""
    before = {r.entry_id: _published_values(r) for r in session.scalars(
        select(Result).where(Result.publication_id == publication.id))}
    # Through the ORM, so the audit log records each published row's removal.
    for old in session.scalars(select(Result).where(Result.publication_id == publication.id)):
        session.delete(old)
    session.flush()
    changes = {}
    for result in event_results(session, event.id):
        if result.division_id != division.id:
            continue
        row = Result(
            entry_id=result.entry_id, publication_id=publication.id,
            module_scores={str(k): str(v) for k, v in result.module_scores.items()},
            penalty_points=result.penalty_points, total=result.total, rank=result.rank,
            award=result.award, has_title=result.has_title, computed_at=utcnow())
        session.add(row)
        after = _published_values(row)
        if before and before.get(result.entry_id) != after:
            changes[result.entry_id] = {"old": before.get(result.entry_id), "new": after}
    session.flush()
    return changes


def _published_values(result: Result) -> dict:
    # The total as a number: the database keeps four places, a fresh computation two.
    return {"total": f"{Decimal(result.total).normalize():f}", "rank": result.rank,
            "award": result.award, "title": result.has_title}


def differences_from_notice(session: Session, publication: Publication, event: Event,
                 division: Division) -> list[int]:
    """The entries whose results, computed now, differ from those on public notice (or
    that are on one side only)."""
    # Plain rows, read afresh: the list as the database holds it now.
    published = {r.entry_id: _published_values(r) for r in session.execute(
        select(Result.entry_id, Result.total, Result.rank, Result.award, Result.has_title)
        .where(Result.publication_id == publication.id))}
    current = {}
    for result in event_results(session, event.id):
        if result.division_id == division.id:
            current[result.entry_id] = _published_values(Result(
                total=result.total, rank=result.rank, award=result.award,
                has_title=result.has_title))
    return sorted(entry_id for entry_id in published.keys() | current.keys()
                  if published.get(entry_id) != current.get(entry_id))


def _sheets_under_review(session: Session, division_id: int) -> int:
    return session.scalar(select(func.count(ScoreSheet.id)).join(
        Entry, Entry.id == ScoreSheet.entry_id).where(
        Entry.division_id == division_id, ScoreSheet.reopened_for_review.is_(True),
        ScoreSheet.status == SheetStatus.DRAFT)) or 0


def refresh(session: Session, division: Division, *, actor_id: int | None = None,
            reason: str = "") -> dict[int, dict]:
    """Recompute a division's published results after a change (an accepted appeal),
    recording every result that changed in the audit log."""
    publication = publication_of(session, division.id)
    if publication is None:
        return {}
    if publication.status == PublicationStatus.FINAL:
        raise PublicationError(N_("Final results are frozen."))
    changes = _snapshot(session, publication, session.get(Event, division.event_id), division)
    for entry_id, change in changes.items():
        record(session, actor_id=actor_id, action="results.refresh", object_type="entry",
               object_id=entry_id, event_id=division.event_id, old=change["old"],
               new=change["new"], reason=reason)
    return changes


def after_review(session: Session, *, event_id: int, entry_id: int, actor_id: int) -> None:
    """A sheet re-scored for an appeal was submitted (the judging stage's
    ``review_sheet_submitted``, connected by ``competition.handoffs``): once the division
    has no sheet left under review, the published results show the new marks."""
    entry = session.get(Entry, entry_id)
    if _sheets_under_review(session, entry.division_id):
        return
    publication = publication_of(session, entry.division_id)
    if publication is None or publication.status != PublicationStatus.NOTICE:
        return
    refresh(session, session.get(Division, entry.division_id), actor_id=actor_id,
            reason="re-scored after an accepted appeal")


def reopen_for_appeal(session: Session, chief: User, appeal: Appeal,
                      sheets: list[ScoreSheet], reason: str) -> list[ScoreSheet]:
    """The chief judge reopens sheets of an entry whose appeal was accepted, although the
    scores are locked; the judges re-score them, and when the last is submitted again the
    published results are refreshed (``after_review``). Each reopening is audited."""
    if appeal.status != AppealStatus.ACCEPTED:
        raise PublicationError(N_("Sheets are reopened after the scores are locked only for "
                               "an accepted appeal."))
    entry = session.get(Entry, appeal.entry_id)
    publication = publication_of(session, entry.division_id)
    if publication is None or publication.status != PublicationStatus.NOTICE:
        raise PublicationError(N_("Final results are frozen."))
    if not sheets:
        raise PublicationError(N_("Choose the sheets to reopen."))
    if any(sheet.entry_id != entry.id for sheet in sheets):
        raise PublicationError(N_("Only the sheets of the appealing entry can be reopened."))
    note = (reason or "").strip()
    if not note:
        raise PublicationError(N_("Give the reason for reopening the sheet."))
    return [judging.reopen_sheet(session, chief, sheet, f"appeal #{appeal.id}: {note}",
                                 for_review=True)
            for sheet in sheets]


def appeal_deadline(event: Event, start: datetime) -> datetime:
    """Until when appeals may be filed against results posted (or posted again after a
    correction) at ``start``: the event's appeal window, in hours."""
    return start + timedelta(hours=event.appeal_window_hours)


@dataclass(frozen=True)
class AppealWindow:
    """Whether a contestant may file an appeal now, and until when (None before the
    results are published)."""

    open: bool
    closes_at: datetime | None


def appeal_window(publication: Publication | None,
                  now: datetime | None = None) -> AppealWindow:
    """The appeal window of a division's results — the one rule for the contestant's page,
    the API and ``file_appeal``: open while the results are on public notice, up to and
    including the appeal deadline."""
    if publication is None:
        return AppealWindow(open=False, closes_at=None)
    return window_of(publication.status, publication.appeal_deadline, now)


def window_of(status: str, deadline: datetime, now: datetime | None = None) -> AppealWindow:
    """``appeal_window`` of a publication read as plain columns (its status and appeal
    deadline)."""
    now = now or utcnow()
    return AppealWindow(open=status == PublicationStatus.NOTICE and now <= deadline,
                        closes_at=deadline)


def file_appeal(session: Session, entry: Entry, text: str,
                now: datetime | None = None) -> Appeal:
    """A contestant's written appeal, within the window after publication
    (``appeal_window``)."""
    now = now or utcnow()
    publication = publication_of(session, entry.division_id)
    if publication is None or publication.status != PublicationStatus.NOTICE:
        raise PublicationError(N_("Appeals can be filed only while the results are on "
                                  "public notice."))
    if not appeal_window(publication, now).open:
        raise PublicationError(N_("The appeal window closed at %(deadline)s."),
                               deadline=publication.appeal_deadline)
    if not (text or "").strip():
        raise PublicationError(N_("Write what the appeal is about."))
    pending = session.scalar(select(func.count(Appeal.id)).where(
        Appeal.entry_id == entry.id, Appeal.status == AppealStatus.PENDING))
    if pending:
        raise PublicationError(N_("An appeal of yours is already waiting for a decision."))
    appeal = Appeal(entry_id=entry.id, text=text.strip()[:4000], filed_at=now)
    session.add(appeal)
    session.flush()
    record(session, actor_id=None, action="appeal.file", object_type="appeal",
           object_id=appeal.id, event_id=entry.event_id, new={"text": appeal.text})
    return appeal


def appeal_event(session: Session, appeal: Appeal) -> Event:
    return session.get(Event, session.get(Entry, appeal.entry_id).event_id)


def decided_by_group(session: Session, event: Event) -> bool:
    """Whether the event's appeals go to its competition's supervision and arbitration
    group (监督仲裁组): it has one when at least one supervisor's account is active."""
    return tenancy.has_supervision_group(session, event.competition_id)


def may_decide(session: Session, user: User, appeal: Appeal) -> bool:
    """Who decides an appeal — the one rule, for the pages and the API alike: a member of
    the competition's supervision and arbitration group when it has one (the chief judge
    then writes an opinion, ``give_opinion``); otherwise the event's chief judge."""
    event = appeal_event(session, appeal)
    if decided_by_group(session, event):
        return tenancy.supervises(user, event.competition_id)
    return tenancy.panel_role(session, user, event.id) == PanelRole.CHIEF


def may_give_opinion(session: Session, user: User, appeal: Appeal) -> bool:
    """The event's chief judge writes the opinion on an appeal the group decides."""
    event = appeal_event(session, appeal)
    return tenancy.panel_role(session, user, event.id) == PanelRole.CHIEF


def give_opinion(session: Session, chief: User, appeal: Appeal, opinion: str) -> None:
    """The chief judge's written opinion (裁判长书面意见) on an appeal that the supervision
    and arbitration group decides; it may be rewritten until the group decides, each
    version audited. The contestant reads it with the decision."""
    event = appeal_event(session, appeal)
    if not may_give_opinion(session, chief, appeal):
        raise Refused(N_("Only the chief judge of %(event)s may do this."), event=event.name)
    if not decided_by_group(session, event):
        raise PublicationError(N_("This competition has no supervision and arbitration "
                                  "group: the chief judge decides the appeal."))
    if appeal.status != AppealStatus.PENDING:
        raise PublicationError(N_("This appeal has already been decided."))
    text = (opinion or "").strip()
    if not text:
        raise PublicationError(N_("Write the opinion; the contestant will see it with the "
                                  "decision."))
    old = appeal.chief_opinion or None
    appeal.chief_opinion = text[:4000]
    appeal.chief_opinion_at = utcnow()
    appeal.chief_opinion_by_id = chief.id
    session.flush()
    record(session, actor_id=chief.id, action="appeal.opinion", object_type="appeal",
           object_id=appeal.id, event_id=event.id,
           old={"opinion": old} if old else None, new={"opinion": appeal.chief_opinion})


def decide_appeal(session: Session, user: User, appeal: Appeal, *, accept: bool,
                  reason: str) -> None:
    """Accept (受理) or reject (驳回) an appeal, with a reason the contestant sees.

    Who decides is ``may_decide``: the supervision and arbitration group, once the
    chief judge has written an opinion, when the competition has one; else the chief
    judge. Accepting does not change marks by itself: the chief judge reopens the
    sheets concerned (audited, ``reopen_for_appeal``), judges re-score, and the
    published results are refreshed when they are submitted again (``refresh``).
    """
    event = appeal_event(session, appeal)
    group = decided_by_group(session, event)
    if not may_decide(session, user, appeal):
        if group:
            raise Refused(N_("The supervision and arbitration group of %(competition)s "
                             "decides this appeal."), competition=event.competition.name)
        raise Refused(N_("Only the chief judge of %(event)s may do this."), event=event.name)
    if appeal.status != AppealStatus.PENDING:
        raise PublicationError(N_("This appeal has already been decided."))
    if group and not appeal.chief_opinion:
        raise PublicationError(N_("The chief judge has not written an opinion on this "
                                  "appeal yet: the group decides after reading it."))
    if not (reason or "").strip():
        raise PublicationError(N_("Give the reason for the decision; the contestant will "
                                  "see it."))
    appeal.status = AppealStatus.ACCEPTED if accept else AppealStatus.REJECTED
    appeal.decided_at = utcnow()
    appeal.decided_by_id = user.id
    appeal.decision_reason = reason.strip()
    session.flush()
    record(session, actor_id=user.id, action="appeal.decide", object_type="appeal",
           object_id=appeal.id, event_id=event.id,
           new={"status": appeal.status,
                "by": "supervision_group" if group else "chief_judge"},
           reason=appeal.decision_reason)


def decided_by_supervisor(session: Session, appeals: list[Appeal]) -> set[int]:
    """The ids of the appeals, among ``appeals``, that a supervisor decided."""
    ids = {a.decided_by_id for a in appeals if a.decided_by_id}
    if not ids:
        return set()
    supervisors = set(session.scalars(select(User.id).where(
        User.id.in_(ids), User.role == Role.SUPERVISOR)))
    return {a.id for a in appeals if a.decided_by_id in supervisors}


def republish(session: Session, division: Division, *, actor: User, reason: str,
              now: datetime | None = None) -> dict[int, dict]:
    """A correction after publication (更正): the published results are recomputed, the
    notice period and the appeal window start again, and the correction is recorded with
    its reason, which the public page and the notice show with its date."""
    publication = publication_of(session, division.id)
    if publication is None:
        return {}
    if publication.status == PublicationStatus.FINAL:
        raise PublicationError(N_("Final results are frozen."))
    if not (reason or "").strip():
        raise PublicationError(N_("Give the reason for the correction; it is published."))
    now = now or utcnow()
    event = session.get(Event, division.event_id)
    # A correction publishes again: an overflow it makes is not silent either.
    check_awards(session, event, division)
    changes = refresh(session, division, actor_id=actor.id, reason=reason.strip())
    publication.appeal_deadline = appeal_deadline(event, now)
    publication.notice_ends_at = now + timedelta(days=event.notice_days)
    session.flush()
    record(session, actor_id=actor.id, action="results.republish", object_type="division",
           object_id=division.id, event_id=event.id,
           new={"notice_ends_at": publication.notice_ends_at, "changed": len(changes)},
           reason=reason.strip())
    return changes


def corrections_of(session: Session, division_id: int) -> list:
    """The corrections published for a division (更正), oldest first: when, and why."""
    return seals(session, "division", division_id, ("results.republish",))


def final_refusal(notice_ends_at: datetime, pending_appeals: int, sheets_under_review: int,
                  now: datetime) -> PublicationError | None:
    """Why results on public notice may not become final yet, or None when they may: the
    notice period runs until ``notice_ends_at``, then no appeal may wait for a decision
    and no sheet reopened for one may still be out. The rule from the counts, for
    ``check_final_ready`` and the competition's status board (``competition.board``,
    which counts every division at once)."""
    if now < notice_ends_at:
        return PublicationError(N_("The public notice runs until %(end)s."),
                                end=notice_ends_at)
    if pending_appeals:
        return PublicationError(N_("%(n)s appeals are still waiting for a decision."),
                                n=pending_appeals)
    if sheets_under_review:
        return PublicationError(N_("%(n)s sheets reopened for an appeal are not submitted "
                                   "again yet."), n=sheets_under_review)
    return None


def check_final_ready(session: Session, division: Division,
                      now: datetime | None = None) -> Publication:
    """The checks before a division's results may become final — the one rule for
    ``finalize`` and for the grades stage deciding promotions: the results are published,
    and unless they are final already, ``final_refusal`` finds nothing. Returns the
    publication.

    ``finalize`` checks one thing more as it freezes the snapshot on notice: that the
    results computed now still equal it (``differences_from_notice``). Promotions are
    decided from that snapshot itself, so they do not depend on it."""
    now = now or utcnow()
    publication = publication_of(session, division.id)
    if publication is None:
        raise PublicationError(N_("These results have not been published yet."))
    if publication.status == PublicationStatus.FINAL:
        return publication
    pending = session.scalar(select(func.count(Appeal.id)).join(
        Entry, Entry.id == Appeal.entry_id).where(
        Entry.division_id == division.id, Appeal.status == AppealStatus.PENDING))
    refusal = final_refusal(publication.notice_ends_at, pending or 0,
                            _sheets_under_review(session, division.id), now)
    if refusal is not None:
        raise refusal
    return publication


def finalize(session: Session, organizer: User, division: Division,
             now: datetime | None = None) -> Publication:
    """Make the results final: ``check_final_ready``, and the results computed now are
    still those on public notice. In the same transaction the grades stage decides the
    promotions and issues the certificates (``results_final``)."""
    now = now or utcnow()
    publication = check_final_ready(session, division, now)
    if publication.status == PublicationStatus.FINAL:
        raise PublicationError(N_("These results are already final."))
    event = session.get(Event, division.event_id)
    differing = differences_from_notice(session, publication, event, division)
    if differing:
        codes = [session.get(Entry, entry_id).code or str(entry_id) for entry_id in differing]
        raise PublicationError(
            N_("The results of %(n)s entries (%(codes)s) differ from those on public notice. "
               "Results change after publication only through an accepted appeal or a "
               "correction, which republishes them; nothing was made final."),
            n=len(differing), codes="、".join(codes[:20]))
    if not results_final.receivers:
        raise RuntimeError("Nothing answers results_final, so no promotion would be decided: "
                           "competition.handoffs.connect_all connects the grades stage "
                           "(create_app calls it).")
    publication.status = PublicationStatus.FINAL
    publication.finalized_at = now
    publication.finalized_by_id = organizer.id
    session.flush()
    # 以赛代评: final results decide the promotions (the grades stage answers).
    results_final.send(session, actor=organizer, division=division, now=now)
    record(session, actor_id=organizer.id, action="results.finalize",
           object_type="division", object_id=division.id, event_id=division.event_id)
    return publication
