"""Scoring: one judge's sheet per entry and module, its marks, and penalties.

Glossary: 评分表 ScoreSheet, 分数 Mark, 扣分 Penalty. A sheet moves
draft → submitted (locked); only the chief judge reopens it, with a reason,
and the audit log keeps every change (docs/design.md section 5, Integrity).
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from competition.dbtypes import Points, UTCDateTime, one_of, utcnow
from competition.extensions import db

if TYPE_CHECKING:
    from competition.auth.models import User
    from competition.entries.models import Entry
    from competition.events.models import Criterion, Module


class SheetStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class SheetSource(enum.StrEnum):
    TABLET = "tablet"
    PAPER = "paper"  # typed in from a paper sheet; counts once a second person confirms


class ScoreSheet(db.Model):
    __tablename__ = "score_sheets"
    __table_args__ = (
        UniqueConstraint("entry_id", "module_id", "judge_id"),
        one_of("status", SheetStatus, "status"),
        one_of("source", SheetSource, "source"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint(
            "confirmed_by_id IS NULL OR entered_by_id IS NULL OR confirmed_by_id <> entered_by_id",
            name="confirmer_differs",
        ),
        CheckConstraint("status <> 'submitted' OR submitted_at IS NOT NULL",
                        name="submitted_has_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(
        ForeignKey("modules.id", ondelete="RESTRICT"), index=True
    )
    judge_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default=SheetStatus.DRAFT)
    source: Mapped[str] = mapped_column(String(16), default=SheetSource.TABLET)
    # Raised on every change, so a device holding an old copy is told, not overwritten.
    version: Mapped[int] = mapped_column(default=1)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    confirmed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Reopened by the chief judge after the event's scores were locked, to re-score an
    # accepted appeal: the one kind of sheet a judge may change after the lock.
    reopened_for_review: Mapped[bool] = mapped_column(default=False)

    entry: Mapped[Entry] = relationship()
    module: Mapped[Module] = relationship()
    judge: Mapped[User] = relationship(foreign_keys=[judge_id])
    marks: Mapped[list[Mark]] = relationship(back_populates="sheet", cascade="all, delete-orphan")


class Mark(db.Model):
    """One value on a sheet for one criterion.

    ``value`` is what the judge entered — points, a 0–3 scale step, or a gauge
    reading — and ``points`` what it earns on the criterion, 0 to its maximum.
    """

    __tablename__ = "marks"
    __table_args__ = (
        UniqueConstraint("sheet_id", "criterion_id"),
        CheckConstraint("points >= 0", name="points_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("score_sheets.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(
        ForeignKey("criteria.id", ondelete="RESTRICT"), index=True
    )
    value: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    points: Mapped[Decimal] = mapped_column(Points)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    sheet: Mapped[ScoreSheet] = relationship(back_populates="marks")
    criterion: Mapped[Criterion] = relationship()


class ExternalScore(db.Model):
    """A module score that comes from outside the tablets, e.g. a computer-based theory exam."""

    __tablename__ = "external_scores"
    __table_args__ = (
        UniqueConstraint("entry_id", "module_id"),
        CheckConstraint("score >= 0", name="score_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(
        ForeignKey("modules.id", ondelete="RESTRICT"), index=True
    )
    score: Mapped[Decimal] = mapped_column(Points)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Penalty(db.Model):
    """A deduction for a rule breach (扣分), decided by the chief judge with a reason."""

    __tablename__ = "penalties"
    __table_args__ = (
        CheckConstraint("points > 0", name="points_positive"),
        CheckConstraint("length(reason) > 0", name="reason_given"),
        CheckConstraint("withdrawn_at IS NULL OR length(withdraw_reason) > 0",
                        name="withdraw_reason_given"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("entries.id", ondelete="CASCADE"), index=True
    )
    # Empty: deducted from the total; set: from that module's score.
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id", ondelete="RESTRICT"))
    points: Mapped[Decimal] = mapped_column(Points)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    withdraw_reason: Mapped[str] = mapped_column(Text, default="")


class IdempotencyKey(db.Model):
    """A request the tablet may retry: the key is kept with the answer it got,
    so the retry gets the same answer and writes nothing twice."""

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict] = mapped_column(JSON)
    status_code: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
