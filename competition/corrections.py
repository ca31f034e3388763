"""Corrections after the lock: one change, across the stages it touches, in one place.

Once an event's scores are locked, what decides its results changes only as a correction:
the organizer gives a reason, the entries stage records the change with it, and when the
division's results are on public notice they are republished — recomputed, with the
notice period and the appeal window started again and a dated 更正 note on the public page
and the notice. Final results are not corrected here.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from competition.auth.models import User
from competition.entries.models import Entry
from competition.entries.service import set_attendance
from competition.events.models import Division
from competition.events.scheme import N_
from competition.results.models import PublicationStatus
from competition.results.publication import PublicationError, publication_of, republish


def change_attendance(session: Session, entry: Entry, attendance: str, *, actor: User,
                      reason: str = "") -> None:
    """检录 on the day; after the lock, a correction with ``reason`` that republishes."""
    locked = entry.event.scores_locked_at is not None
    publication = publication_of(session, entry.division_id) if locked else None
    if publication is not None and publication.status == PublicationStatus.FINAL:
        raise PublicationError(N_("Final results are frozen."))
    set_attendance(session, entry, attendance, actor_id=actor.id, reason=reason)
    if publication is not None:
        republish(session, session.get(Division, entry.division_id), actor=actor,
                  reason=reason)
