"""Promotions to a skill grade (晋升) and the certificates that record them (证书)."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from competition.dbtypes import UTCDateTime, grade_check, utcnow
from competition.extensions import db

if TYPE_CHECKING:
    from competition.entries.models import Entry


class Promotion(db.Model):
    """A decided grade change for one entry, with the rule that applied."""

    __tablename__ = "promotions"
    __table_args__ = (
        grade_check("from_grade", "from_grade"),
        grade_check("to_grade", "to_grade"),
        CheckConstraint("to_grade IS NOT NULL", name="to_grade_set"),
        CheckConstraint("from_grade IS NULL OR to_grade < from_grade", name="is_a_promotion"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="RESTRICT"),
                                          unique=True)
    # Kept for the once-a-year limit across every competition (matched by ID number).
    contestant_id: Mapped[int] = mapped_column(
        ForeignKey("contestants.id", ondelete="RESTRICT"), index=True
    )
    # The contest year the promotion counts in for the once-a-year limit.
    year: Mapped[int]
    rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("promotion_rules.id", ondelete="SET NULL")
    )
    # The rule as it read when it applied, in words: rules may be edited later.
    rule_text: Mapped[str] = mapped_column(Text, default="")
    from_grade: Mapped[int | None]
    to_grade: Mapped[int]
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the certificate is revoked: the person no longer holds the grade.
    reverted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reverted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    entry: Mapped[Entry] = relationship()
    certificate: Mapped[Certificate | None] = relationship(back_populates="promotion")


def new_verification_code() -> str:
    """The secret printed in a certificate's QR code, proving the link came from it."""
    return secrets.token_urlsafe(12)


class CertificateSerial(db.Model):
    """The last serial issued for a certificate series, year and grade.

    Issuing locks this row, so serials stay unique and without gaps when
    certificates are issued in parallel.
    """

    __tablename__ = "certificate_serials"
    __table_args__ = (
        grade_check("grade", "grade"),
        CheckConstraint("last_serial >= 0", name="last_serial"),
    )

    # evaluator type + evaluator code + province + site sequence, 13 characters.
    series: Mapped[str] = mapped_column(String(13), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    grade: Mapped[int] = mapped_column(primary_key=True)
    last_serial: Mapped[int] = mapped_column(default=0)


class Certificate(db.Model):
    """A skill-grade certificate; its 22-character number is described in docs/design.md §5."""

    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("series", "year", "grade", "serial"),
        grade_check("grade", "grade"),
        CheckConstraint("serial >= 1 AND serial <= 999999", name="serial_range"),
        CheckConstraint("length(number) = 22", name="number_length"),
        CheckConstraint("revoked_at IS NULL OR length(revoke_reason) > 0",
                        name="revoke_reason_given"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    promotion_id: Mapped[int] = mapped_column(
        ForeignKey("promotions.id", ondelete="RESTRICT"), unique=True
    )
    number: Mapped[str] = mapped_column(String(22), unique=True)
    series: Mapped[str] = mapped_column(String(13))
    year: Mapped[int]
    grade: Mapped[int]
    serial: Mapped[int]
    verification_code: Mapped[str] = mapped_column(String(32), default=new_verification_code)
    issuer: Mapped[str] = mapped_column(String(200))
    issued_on: Mapped[date] = mapped_column(Date)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoke_reason: Mapped[str] = mapped_column(Text, default="")

    promotion: Mapped[Promotion] = relationship(back_populates="certificate")


class PromotionOutcome(db.Model):
    """What the rules decided for one entry when its results became final, with why.

    Kept for every entry of the division, promoted or not: the rule that decided
    and its words, the grade the decision started from and where that grade came
    from, and for each rule that did not promote the conditions that failed (as
    message ids and params, translated when shown).
    """

    __tablename__ = "promotion_outcomes"
    __table_args__ = (
        grade_check("from_grade", "from_grade"),
        grade_check("to_grade", "to_grade"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id", ondelete="RESTRICT"),
                                          unique=True)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    promoted: Mapped[bool] = mapped_column(default=False)
    rule_id: Mapped[int | None] = mapped_column(
        ForeignKey("promotion_rules.id", ondelete="SET NULL")
    )
    rule_text: Mapped[str] = mapped_column(Text, default="")
    from_grade: Mapped[int | None]
    to_grade: Mapped[int | None]
    # The grade the rules saw: {"grade": 3, "source": "granted" | "declared" | "checked"
    # | "registry", "certificate_number": "..."}; empty when the person held none.
    grade_basis: Mapped[dict] = mapped_column(JSON, default=dict)
    # [{"rule": rule text or "", "reasons": [{"message": id, "params": {...}}]}]
    misses: Mapped[list] = mapped_column(JSON, default=list)

    entry: Mapped[Entry] = relationship()


class GradeCheck(db.Model):
    """An organizer's check of a declared grade against the paper certificate (核验).

    ``confirmed`` says whether the certificate was seen and matches; a grade
    that could not be confirmed is not used by the promotion rules.
    """

    __tablename__ = "grade_checks"
    __table_args__ = (
        UniqueConstraint("contestant_id", "occupation_id"),
        grade_check("grade", "grade"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contestant_id: Mapped[int] = mapped_column(
        ForeignKey("contestants.id", ondelete="CASCADE"), index=True
    )
    occupation_id: Mapped[int] = mapped_column(ForeignKey("occupations.id"))
    grade: Mapped[int]
    certificate_number: Mapped[str] = mapped_column(String(40), default="")
    confirmed: Mapped[bool]
    note: Mapped[str] = mapped_column(Text, default="")
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
