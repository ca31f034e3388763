"""Publication of results (公示), appeals (申诉) and the frozen final results.

Results are computed from the marks by the pure engine in ``results.ranking``;
the ``Result`` rows hold the snapshot taken when a division's results are
published and updated until they become final, after which they are frozen.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from competition.dbtypes import Points, UTCDateTime, one_of, utcnow
from competition.extensions import db


class PublicationStatus(enum.StrEnum):
    NOTICE = "notice"  # 公示: public, appeals may be filed
    FINAL = "final"  # frozen


class Publication(db.Model):
    """The results of one division, posted for public notice and later final."""

    __tablename__ = "publications"
    __table_args__ = (
        one_of("status", PublicationStatus, "status"),
        CheckConstraint("notice_ends_at >= published_at", name="notice_after_publish"),
        CheckConstraint("status <> 'final' OR finalized_at IS NOT NULL", name="final_has_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    division_id: Mapped[int] = mapped_column(
        ForeignKey("divisions.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[str] = mapped_column(String(16), default=PublicationStatus.NOTICE)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    appeal_deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    notice_ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finalized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finalized_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class Award(enum.StrEnum):
    FIRST = "first"  # 一等奖
    SECOND = "second"  # 二等奖
    THIRD = "third"  # 三等奖


class Result(db.Model):
    """An entry's published result: module scores, total, rank and award."""

    __tablename__ = "results"
    __table_args__ = (
        one_of("award", Award, "award"),
        CheckConstraint("rank IS NULL OR rank >= 1", name="rank_positive"),
        CheckConstraint("total >= 0", name="total_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"),
                                          unique=True)
    publication_id: Mapped[int] = mapped_column(
        ForeignKey("publications.id", ondelete="CASCADE"), index=True
    )
    # {module_id: score out of 100}, as published.
    module_scores: Mapped[dict] = mapped_column(JSON)
    penalty_points: Mapped[Decimal] = mapped_column(Points, default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(Points)
    # Empty for an entry that is not ranked (absent or withdrawn).
    rank: Mapped[int | None]
    award: Mapped[str | None] = mapped_column(String(8))
    has_title: Mapped[bool] = mapped_column(default=False)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    publication: Mapped[Publication] = relationship()


class TieBreakDecision(db.Model):
    """The order the chief judge decides for entries still tied after every other rule."""

    __tablename__ = "tie_break_decisions"
    __table_args__ = (CheckConstraint("position >= 1", name="position_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"),
                                          unique=True)
    position: Mapped[int]
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class AppealStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Appeal(db.Model):
    """A contestant's written appeal and its decision.

    Decided by the chief judge; when the competition has a supervision and
    arbitration group, the chief judge writes an opinion and the group decides.
    """

    __tablename__ = "appeals"
    __table_args__ = (
        one_of("status", AppealStatus, "status"),
        CheckConstraint("length(text) > 0", name="text_given"),
        CheckConstraint(
            "status = 'pending' OR (decided_at IS NOT NULL AND length(decision_reason) > 0)",
            name="decision_complete",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("entries.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=AppealStatus.PENDING)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    chief_opinion: Mapped[str] = mapped_column(Text, default="")
    chief_opinion_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    chief_opinion_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )




class AwardAcknowledgement(db.Model):
    """The chief judge's acknowledgement that tied entries exceed an award quota.

    ``overflow`` describes the overflow acknowledged (band, quota, entries); a
    different overflow after a change of scores needs a new acknowledgement.
    """

    __tablename__ = "award_acknowledgements"
    __table_args__ = (UniqueConstraint("division_id", "overflow"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    division_id: Mapped[int] = mapped_column(ForeignKey("divisions.id", ondelete="CASCADE"),
                                             index=True)
    overflow: Mapped[str] = mapped_column(String(500))
    acknowledged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class Countersignature(db.Model):
    """A supervisor's countersignature (监督签字) of a lot draw or of the lock of scores.

    ``subject`` is ``lot_draw`` (``reference``: the draw's id) or ``score_lock``
    (``reference``: the moment of the lock, so a lock after a reopening needs
    signing again).
    """

    __tablename__ = "countersignatures"
    __table_args__ = (
        UniqueConstraint("event_id", "subject", "reference", "user_id"),
        CheckConstraint("subject IN ('lot_draw', 'score_lock')", name="subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"),
                                          index=True)
    subject: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")


class ScreenFreeze(db.Model):
    """The big screen of an event held at the standings of one moment.

    The standings are kept here, not in a process's memory, so every screen and
    every server process shows the same frozen list; unfreezing deletes the row.
    """

    __tablename__ = "screen_freezes"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"),
                                          unique=True)
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    frozen_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The standings as the screen showed them: {"locked": bool, "divisions": [...]}.
    snapshot: Mapped[dict] = mapped_column(JSON)
