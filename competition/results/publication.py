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

from datetime import datetime, timedelta
from decimal import Decimal

from blinker import Namespace
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from competition.audit.log import record, seals
from competition.auth.models import User
from competition.dbtypes import utcnow
from competition.entries.models import Entry
from competition.errors import DomainError
from competition.events.models import Division, Event
from competition.events.scheme import N_
from competition.judging import service as judging
from competition.judging.models import ScoreSheet, SheetStatus
from competition.results.models import (
    Appeal,
    AppealStatus,
    Publication,
    PublicationStatus,
    Result,
)
from competition.results.service import event_results

_signals = Namespace()
# Sent, with the session, ``actor``, ``division`` and ``now``, inside the transaction that
# makes a division's results final: the grades stage decides the promotions and issues
# the certificates, so a refusal there undoes the finalization too.
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
    publication = Publication(
        division_id=division.id, status=PublicationStatus.NOTICE, published_at=now,
        published_by_id=organizer.id,
        appeal_deadline=now + timedelta(hours=event.appeal_window_hours),
        notice_ends_at=now + timedelta(days=event.notice_days))
    session.add(publication)
    session.flush()
    _snapshot(session, publication, event, division)
    record(session, actor_id=organizer.id, action="results.publish", object_type="division",
           object_id=division.id, event_id=event.id,
           new={"notice_ends_at": publication.notice_ends_at})
    return publication


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


@judging.review_sheet_submitted.connect
def _after_review(session: Session, *, event_id: int, entry_id: int, actor_id: int) -> None:
    """A sheet re-scored for an appeal was submitted: once the division has no sheet
    left under review, the published results show the new marks."""
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
    published results are refreshed (``_after_review``). Each reopening is audited."""
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


def file_appeal(session: Session, entry: Entry, text: str,
                now: datetime | None = None) -> Appeal:
    """A contestant's written appeal, within the window after publication."""
    now = now or utcnow()
    publication = publication_of(session, entry.division_id)
    if publication is None or publication.status != PublicationStatus.NOTICE:
        raise PublicationError(N_("Appeals can be filed only while the results are on "
                                  "public notice."))
    if now > publication.appeal_deadline:
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


def decide_appeal(session: Session, chief: User, appeal: Appeal, *, accept: bool,
                  reason: str) -> None:
    """The chief judge accepts or rejects an appeal, with a reason the contestant sees.

    Accepting does not change marks by itself: the chief judge reopens the
    sheets concerned (audited), judges re-score, and the published results
    are refreshed when they are submitted again (``refresh``).
    """
    from competition.judging.service import require_chief

    entry = session.get(Entry, appeal.entry_id)
    event = session.get(Event, entry.event_id)
    require_chief(session, chief, event)
    if appeal.status != AppealStatus.PENDING:
        raise PublicationError(N_("This appeal has already been decided."))
    if not (reason or "").strip():
        raise PublicationError(N_("Give the reason for the decision; the contestant will "
                                  "see it."))
    appeal.status = AppealStatus.ACCEPTED if accept else AppealStatus.REJECTED
    appeal.decided_at = utcnow()
    appeal.decided_by_id = chief.id
    appeal.decision_reason = reason.strip()
    session.flush()
    record(session, actor_id=chief.id, action="appeal.decide", object_type="appeal",
           object_id=appeal.id, event_id=event.id, new={"status": appeal.status},
           reason=appeal.decision_reason)


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
    changes = refresh(session, division, actor_id=actor.id, reason=reason.strip())
    publication.appeal_deadline = now + timedelta(hours=event.appeal_window_hours)
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


def finalize(session: Session, organizer: User, division: Division,
             now: datetime | None = None) -> Publication:
    """Make the results final: the notice period is over and no appeal is pending."""
    now = now or utcnow()
    publication = publication_of(session, division.id)
    if publication is None:
        raise PublicationError(N_("These results have not been published yet."))
    if publication.status == PublicationStatus.FINAL:
        raise PublicationError(N_("These results are already final."))
    if now < publication.notice_ends_at:
        raise PublicationError(N_("The public notice runs until %(end)s."),
                               end=publication.notice_ends_at)
    pending = session.scalar(select(func.count(Appeal.id)).join(
        Entry, Entry.id == Appeal.entry_id).where(
        Entry.division_id == division.id, Appeal.status == AppealStatus.PENDING))
    if pending:
        raise PublicationError(N_("%(n)s appeals are still waiting for a decision."),
                               n=pending)
    reviewing = _sheets_under_review(session, division.id)
    if reviewing:
        raise PublicationError(N_("%(n)s sheets reopened for an appeal are not submitted "
                                  "again yet."), n=reviewing)
    event = session.get(Event, division.event_id)
    differing = differences_from_notice(session, publication, event, division)
    if differing:
        codes = [session.get(Entry, entry_id).code or str(entry_id) for entry_id in differing]
        raise PublicationError(
            N_("The results of %(n)s entries (%(codes)s) differ from those on public notice. "
               "Results change after publication only through an accepted appeal or a "
               "correction, which republishes them; nothing was made final."),
            n=len(differing), codes="、".join(codes[:20]))
    publication.status = PublicationStatus.FINAL
    publication.finalized_at = now
    publication.finalized_by_id = organizer.id
    session.flush()
    # 以赛代评: final results decide the promotions (the grades stage listens).
    results_final.send(session, actor=organizer, division=division, now=now)
    record(session, actor_id=organizer.id, action="results.finalize",
           object_type="division", object_id=division.id, event_id=division.event_id)
    return publication
