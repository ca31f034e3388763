"""Does the database still hold what the application wrote? (``flask audit verify``)

Three checks, each naming every row it finds wrong:
- the audit log's chain (``audit.log.verify_chain``): no record changed, inserted or
  deleted;
- every row a result or a certificate is computed from agrees with the last state the
  log recorded for it (``audit.state.verify_state``);
- what is derived agrees with what it is derived from: a mark's points with its value by
  the criterion's rule (``judging.integrity.wrong_points``), and every published list
  with the results its (recorded) marks, scores, penalties and attendance give now
  (``results.publishing.differences_from_notice``).
See docs/audit.md for what this catches and what it cannot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session


@dataclass
class Verdict:
    records: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def verify_database(session: Session, limit: int = 100) -> Verdict:
    """Run every check; the first ``limit`` problems of each, in words."""
    from sqlalchemy import func, select

    from competition.audit.log import verify_chain
    from competition.audit.models import AuditEvent
    from competition.audit.state import verify_state
    from competition.judging.integrity import wrong_points

    verdict = Verdict(records=session.scalar(select(func.count(AuditEvent.id))) or 0)
    broken = verify_chain(session)
    if broken is not None:
        verdict.problems.append(f"audit log record {broken.record_id}: {broken.why}")
    for row in verify_state(session, limit):
        verdict.problems.append(f"{row.table} {row.key}: {row.why}")
    for mark in wrong_points(session, limit):
        verdict.problems.append(f"marks {mark.mark_key}: {mark.why}")
    verdict.problems += _published_lists_that_differ(session)
    return verdict


def _published_lists_that_differ(session: Session) -> list[str]:
    """Each published division whose list no longer follows from its inputs."""
    from sqlalchemy import select

    from competition.events.models import Division, Event
    from competition.results.models import Publication
    from competition.results.publishing import differences_from_notice

    problems = []
    for publication in session.scalars(select(Publication).order_by(Publication.id)):
        division = session.get(Division, publication.division_id)
        event = session.get(Event, division.event_id)
        differing = differences_from_notice(session, publication, event, division)
        if differing:
            problems.append(
                f"publications {publication.id}: the published results of {len(differing)} "
                f"entries (ids {', '.join(map(str, differing[:20]))}) are not what their "
                "recorded marks, scores, penalties and attendance give")
    return problems
