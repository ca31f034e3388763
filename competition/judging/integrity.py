"""Marks whose points do not follow from their values.

A mark keeps the value the judge entered and the points it earns by its criterion's
rule (``marks.points_for``, to four decimals); results add up the points — except a
WorldSkills event's 0–3 criteria, whose points the results compute from the values
themselves, exactly (``results.ranking.criterion_sum``). Either way the two must
agree: someone who changes a mark's points in the database, leaving its value, moves
a total (or, on the 0–3 scale, what the sheet shows); ``wrong_points`` recomputes
every mark's points from its value and names each one that differs. (That the values
themselves are the ones the judges entered is the audit log's part: ``audit.state``.)
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from competition.events.models import Criterion
from competition.judging.marks import MarkRefused, points_for
from competition.judging.models import Mark
from competition.judging.scoring import rule_of


@dataclass(frozen=True)
class MarkMismatch:
    mark_key: str  # "<sheet id>:<criterion id>", as the audit log names marks
    why: str


def wrong_points(session: Session, limit: int = 100, batch: int = 5000) -> list[MarkMismatch]:
    """Every mark (at most ``limit``) whose points are not what its value earns."""
    rules = {c.id: rule_of(c) for c in session.scalars(select(Criterion))}
    found: list[MarkMismatch] = []
    last_id = 0
    while True:
        rows = session.execute(
            select(Mark.id, Mark.sheet_id, Mark.criterion_id, Mark.value, Mark.points)
            .where(Mark.id > last_id).order_by(Mark.id).limit(batch)).all()
        if not rows:
            return found
        for mark_id, sheet_id, criterion_id, value, points in rows:
            last_id = mark_id
            try:
                expected = points_for(rules[criterion_id], Decimal(value))
            except MarkRefused:
                expected = None
            if expected is None or Decimal(points) != expected:
                found.append(MarkMismatch(
                    f"{sheet_id}:{criterion_id}",
                    f"its value {Decimal(value).normalize():f} earns "
                    f"{'nothing valid' if expected is None else f'{expected.normalize():f}'} "
                    f"by its criterion's rule, but it holds {Decimal(points).normalize():f} "
                    "points"))
                if len(found) >= limit:
                    return found
