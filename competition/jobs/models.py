"""Long print runs and exports done in the background: the job and its finished file.

A job belongs to one competition (deleted with it) and to the user who asked for it. Its
file is kept in the database, in parts of at most 1 MiB (``JobFilePart``), so that any
app server can serve it and neither the worker writing it nor the download reading it
ever holds the whole file.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from competition.dbtypes import UTCDateTime, one_of, utcnow
from competition.extensions import db

PART_BYTES = 1024 * 1024  # the largest part of a file kept in one row


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(db.Model):
    """One print run or export: what was asked for, how far it is, and its file."""

    __tablename__ = "jobs"
    __table_args__ = (
        one_of("status", JobStatus, "status"),
        Index("ix_jobs_requested_by_id_created_at", "requested_by_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the job makes (``registry.register``), e.g. ``tickets.event``.
    kind: Mapped[str] = mapped_column(String(40))
    competition_id: Mapped[int] = mapped_column(
        ForeignKey("competitions.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The selection (event, division, size …), the requester's language and the address
    # the request came to (absolute links, e.g. the tickets' QR codes, are made with it).
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default=JobStatus.QUEUED)
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int] = mapped_column(default=0)
    # Why it failed, in the requester's language.
    error: Mapped[str] = mapped_column(Text, default="")
    file_name: Mapped[str] = mapped_column(String(255), default="")
    mimetype: Mapped[str] = mapped_column(String(100), default="")
    file_size: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)


class JobFilePart(db.Model):
    """One part of a finished file, in order (``position`` from 0)."""

    __tablename__ = "job_file_parts"

    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"),
                                        primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
