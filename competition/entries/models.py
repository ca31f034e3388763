"""Contestants and their entries: registration, check-in and drawing lots.

Glossary: 选手 Contestant, 报名 Entry, 工位号 station, 加密号 code. A contestant
is one person *as registered for one competition*: name, phone, work unit and
declared grade are what that competition was given, and only its organizers
read or change them (docs/tenancy.md). The same person in another competition
is another row; rules that look across competitions (once a year) match people
by ID type and number.
"""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from competition.dbtypes import UTCDateTime, grade_check, one_of, utcnow
from competition.extensions import db

if TYPE_CHECKING:
    from competition.events.models import Division, Event


class IdType(enum.StrEnum):
    RESIDENT_ID = "resident_id"  # 居民身份证 (GB 11643)
    OTHER = "other"  # 港澳台居民居住证、护照 …


class Sex(enum.StrEnum):
    MALE = "M"
    FEMALE = "F"


class Contestant(db.Model):
    """A person. ID number and phone are sensitive: only organizers see them whole."""

    __tablename__ = "contestants"
    __table_args__ = (
        UniqueConstraint("competition_id", "id_type", "id_number"),
        # The same person across competitions (the once-a-year limit).
        Index("ix_contestants_person", "id_type", "id_number"),
        one_of("id_type", IdType, "id_type"),
        one_of("sex", Sex, "sex"),
        grade_check("current_grade", "current_grade"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    competition_id: Mapped[int] = mapped_column(
        ForeignKey("competitions.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(50))
    id_type: Mapped[str] = mapped_column(String(16), default=IdType.RESIDENT_ID)
    id_number: Mapped[str] = mapped_column(String(32))
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(20), default="")
    work_unit: Mapped[str] = mapped_column(String(200), default="")
    # 现有职业技能等级 and 证书编号, before this competition.
    current_grade: Mapped[int | None]
    current_certificate_no: Mapped[str] = mapped_column(String(40), default="")
    photo_path: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    entries: Mapped[list[Entry]] = relationship(back_populates="contestant")

    def __repr__(self) -> str:
        return f"<Contestant {self.id}>"


class RegistrationStatus(enum.StrEnum):
    PENDING = "pending"  # self-registered, awaiting the organizer
    APPROVED = "approved"
    REJECTED = "rejected"


class Attendance(enum.StrEnum):
    """检录: set on the day of the contest."""

    EXPECTED = "expected"
    PRESENT = "present"
    ABSENT = "absent"
    WITHDRAWN = "withdrawn"


class EntrySource(enum.StrEnum):
    MANUAL = "manual"
    IMPORT = "import"
    SELF = "self"


def new_entry_token() -> str:
    """The secret in a contestant's private link /r/<token>: 256 random bits."""
    return secrets.token_urlsafe(32)


class EventSession(db.Model):
    """A session (场次) of an event's practical exam: when and where, and how many stations.

    The draw places each entry in a session and at one of its stations; a session's
    stations are numbered 1..``stations`` (the workshop's own stations, used again in
    the next session).
    """

    __tablename__ = "event_sessions"
    __table_args__ = (
        CheckConstraint("stations >= 1", name="stations_positive"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("reporting_at IS NULL OR reporting_at <= starts_at",
                        name="reporting_before_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"),
                                          index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(50))  # e.g. 第1场
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # 检录时间: when contestants report; empty: the event's usual lead time before the start.
    reporting_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    room: Mapped[str] = mapped_column(String(200), default="")  # room or workshop
    stations: Mapped[int]


class DrawKind(enum.StrEnum):
    DRAW = "draw"  # stations and codes for every entry not yet placed (抽签)
    ADDITION = "addition"  # a late registration placed after the draw (补充抽签)
    SUBSTITUTION = "substitution"  # a substitute in a withdrawn contestant's place (替补)


class LotDraw(db.Model):
    """A draw of stations and anonymous codes (抽签), with the seed that reproduces it."""

    __tablename__ = "lot_draws"
    __table_args__ = (one_of("kind", DrawKind, "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    division_id: Mapped[int | None] = mapped_column(
        ForeignKey("divisions.id", ondelete="CASCADE")
    )
    seed: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default=DrawKind.DRAW)
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Everything needed to recompute the draw from its seed (``entries.lots.verify``):
    # the entry ids, stations offered, code prefix and digits, codes already taken,
    # and the result.
    inputs: Mapped[dict] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")


class Entry(db.Model):
    """A contestant in one event and division (参赛), with station and anonymous code."""

    __tablename__ = "entries"
    __table_args__ = (
        UniqueConstraint("event_id", "contestant_id"),
        # One entry per station: per session when the event has sessions, else per event.
        Index("uq_entries_event_station", "event_id", "station", unique=True,
              sqlite_where=text("session_id IS NULL"),
              postgresql_where=text("session_id IS NULL")),
        Index("uq_entries_session_station", "session_id", "station", unique=True,
              sqlite_where=text("session_id IS NOT NULL"),
              postgresql_where=text("session_id IS NOT NULL")),
        UniqueConstraint("event_id", "code"),
        # The division must belong to the entry's event.
        ForeignKeyConstraint(
            ["division_id", "event_id"], ["divisions.id", "divisions.event_id"],
            ondelete="CASCADE",
        ),
        one_of("status", RegistrationStatus, "status"),
        one_of("attendance", Attendance, "attendance"),
        one_of("source", EntrySource, "source"),
        CheckConstraint("station IS NULL OR station >= 1", name="station_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    division_id: Mapped[int] = mapped_column(index=True)
    contestant_id: Mapped[int] = mapped_column(
        ForeignKey("contestants.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default=RegistrationStatus.APPROVED)
    attendance: Mapped[str] = mapped_column(String(16), default=Attendance.EXPECTED)
    source: Mapped[str] = mapped_column(String(16), default=EntrySource.MANUAL)
    # What the registration said (是否在校学生); empty when it did not say.
    is_student: Mapped[bool | None] = mapped_column()
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_entry_token)
    ticket_number: Mapped[str | None] = mapped_column(String(32), unique=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("event_sessions.id", ondelete="RESTRICT"), index=True)
    station: Mapped[int | None]
    code: Mapped[str | None] = mapped_column(String(16))
    # The withdrawn entry whose place a substitute (替补) took.
    replaces_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("entries.id", ondelete="SET NULL"))
    draw_id: Mapped[int | None] = mapped_column(ForeignKey("lot_draws.id", ondelete="SET NULL"))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    review_note: Mapped[str] = mapped_column(Text, default="")

    event: Mapped[Event] = relationship()
    division: Mapped[Division] = relationship(
        foreign_keys=[division_id], primaryjoin="Entry.division_id == Division.id",
        viewonly=True,
    )
    contestant: Mapped[Contestant] = relationship(back_populates="entries")
    session: Mapped[EventSession | None] = relationship()

    def __repr__(self) -> str:
        return f"<Entry {self.id} event={self.event_id} code={self.code}>"


class Conflict(db.Model):
    """A declared conflict of interest (回避): a judge must not score these entries.

    Either one contestant or a whole work unit; a judge's own work unit is a
    conflict without being declared.
    """

    __tablename__ = "conflicts"
    __table_args__ = (
        CheckConstraint(
            "(contestant_id IS NOT NULL AND work_unit IS NULL) OR "
            "(contestant_id IS NULL AND work_unit IS NOT NULL)",
            name="one_target",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    competition_id: Mapped[int] = mapped_column(
        ForeignKey("competitions.id", ondelete="CASCADE"), index=True
    )
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id", ondelete="CASCADE"),
                                           index=True)
    contestant_id: Mapped[int | None] = mapped_column(
        ForeignKey("contestants.id", ondelete="CASCADE")
    )
    work_unit: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
