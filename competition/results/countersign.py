"""Countersignatures of the supervision and arbitration group (监督签字).

A member of a competition's group countersigns, with an optional note, each lot draw
of an event (``LotDraw``: the draw's id is the reference) and the lock of its scores
(the moment of the lock is the reference, so a lock made again after a reopening needs
signing again). Each countersignature is audited; the public-notice list names who
countersigned (``results.exports``). Functions flush; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from competition.audit.log import record
from competition.auth.models import User
from competition.dbtypes import utcnow
from competition.entries.models import LotDraw
from competition.errors import N_, DomainError, Refused
from competition.events import tenancy
from competition.events.models import Event
from competition.results.models import Countersignature

LOT_DRAW = "lot_draw"
SCORE_LOCK = "score_lock"
MAX_NOTE = 1000


class CountersignError(DomainError):
    """A rule of countersigning was broken."""


@dataclass(frozen=True)
class Signed:
    """One countersignature with its signer."""

    signature: Countersignature
    signer: User | None


def lock_reference(locked_at: datetime | None) -> str | None:
    """What a countersignature of a lock refers to: the moment of the lock, in UTC."""
    if locked_at is None:
        return None
    return locked_at.astimezone(UTC).isoformat(timespec="microseconds")


def signatures(session: Session, event_id: int, subject: str,
               reference: str | None) -> list[Signed]:
    """The countersignatures of one thing, oldest first."""
    if reference is None:
        return []
    rows = session.execute(
        select(Countersignature, User).outerjoin(User, User.id == Countersignature.user_id)
        .where(Countersignature.event_id == event_id, Countersignature.subject == subject,
               Countersignature.reference == reference)
        .order_by(Countersignature.signed_at, Countersignature.id)).all()
    return [Signed(signature, signer) for signature, signer in rows]


def _sign(session: Session, user: User, event: Event, subject: str, reference: str,
          object_type: str, object_id: object, note: str) -> Countersignature:
    if not tenancy.supervises(user, event.competition_id):
        raise Refused(N_("Only the supervision and arbitration group of %(competition)s may "
                         "countersign."), competition=event.competition.name)
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise CountersignError(N_("A note has at most %(count)s characters."), count=MAX_NOTE)
    if session.scalar(select(Countersignature.id).where(
            Countersignature.event_id == event.id, Countersignature.subject == subject,
            Countersignature.reference == reference, Countersignature.user_id == user.id)):
        raise CountersignError(N_("You have already countersigned this."))
    signature = Countersignature(event_id=event.id, subject=subject, reference=reference,
                                 user_id=user.id, signed_at=utcnow(), note=note)
    session.add(signature)
    session.flush()
    record(session, actor_id=user.id, action=f"countersign.{subject}",
           object_type=object_type, object_id=object_id, event_id=event.id,
           new={"reference": reference, "note": note})
    return signature


def countersign_draw(session: Session, user: User, lot_draw: LotDraw,
                     note: str = "") -> Countersignature:
    """A supervisor countersigns a lot draw of their competition."""
    event = session.get(Event, lot_draw.event_id)
    return _sign(session, user, event, LOT_DRAW, str(lot_draw.id), "lot_draw", lot_draw.id,
                 note)


def countersign_lock(session: Session, user: User, event: Event,
                     note: str = "") -> Countersignature:
    """A supervisor countersigns the lock of an event's scores, as it stands now."""
    reference = lock_reference(event.scores_locked_at)
    if reference is None:
        raise CountersignError(N_("The scores of %(event)s are not locked yet."),
                               event=event.name)
    return _sign(session, user, event, SCORE_LOCK, reference, "event", event.id, note)
