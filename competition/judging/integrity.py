"""Do the marks in the database agree with the audit log?

Every mark is written through ``service.save_marks``, which logs its new value.
A mark changed, added or deleted directly in the database therefore no longer
agrees with the last value the log holds for it; ``flask audit verify`` reports
the first such mark, alongside the hash-chain check of the log itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from competition.audit.models import AuditEvent
from competition.judging.models import Mark


@dataclass(frozen=True)
class MarkMismatch:
    mark_key: str  # "<sheet id>:<criterion id>"
    why: str


def _logged_values(session: Session) -> dict[str, Decimal | None]:
    """The last logged value of every mark, by "<sheet id>:<criterion id>"."""
    logged: dict[str, Decimal | None] = {}
    rows = session.execute(
        select(AuditEvent.object_id, AuditEvent.new_value)
        .where(AuditEvent.action == "mark.write").order_by(AuditEvent.id))
    for object_id, new_value in rows:
        logged[object_id] = Decimal(json.loads(new_value)["value"]) if new_value else None
    return logged


def verify_marks(session: Session) -> MarkMismatch | None:
    """The first mark that disagrees with the audit log, or None when all agree."""
    logged = _logged_values(session)
    seen = set()
    rows = session.execute(select(Mark.sheet_id, Mark.criterion_id, Mark.value)
                           .order_by(Mark.sheet_id, Mark.criterion_id))
    for sheet_id, criterion_id, value in rows:
        key = f"{sheet_id}:{criterion_id}"
        seen.add(key)
        if key not in logged or logged[key] is None:
            return MarkMismatch(key, "the mark has no record in the audit log")
        if Decimal(value) != logged[key]:
            return MarkMismatch(key, f"the mark holds {value} but the audit log last "
                                     f"recorded {logged[key]}")
    for key, value in logged.items():
        if value is not None and key not in seen:
            return MarkMismatch(key, "the audit log records a mark that is missing")
    return None
