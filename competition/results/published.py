"""What the public sees of published results (公示, then final): one read model for the
public pages, the JSON API and the printed notice list.

A division's published lines come from its ``Result`` rows, in one order everywhere: ranked
entries by rank, then the entries not ranked (absent, withdrawn); equal ranks and the
unranked by station, then registration. Names are shown as the competition chose (in full,
or masked like 张*明); never an ID number or a phone.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Integer, Select, String, bindparam, cast, func, select
from sqlalchemy.orm import Session

from competition.audit.models import AuditEvent
from competition.entries.idcard import public_name
from competition.entries.models import Contestant, Entry
from competition.events.models import Competition, Division, Event
from competition.judging.models import ScoreSheet, SheetStatus
from competition.results import publishing as publications
from competition.results.models import Appeal, Publication, PublicationStatus, Result


@dataclass(frozen=True)
class PublishedLine:
    entry_id: int
    rank: int | None
    name: str  # as the competition shows names
    work_unit: str
    module_scores: dict[int, Decimal]  # by module id, out of 100
    penalty_points: Decimal
    total: Decimal
    award: str | None
    has_title: bool


@dataclass(frozen=True)
class PublishedDivision:
    division: Division
    event: Event
    competition: Competition
    publication: Publication
    lines: tuple[PublishedLine, ...]

    @property
    def final(self) -> bool:
        return self.publication.status == PublicationStatus.FINAL


# The audit records whose chain heads the public list prints (its seals and corrections).
SEAL_ACTIONS = ("results.publish", "results.republish", "results.finalize")


def division_fingerprint(session: Session, division_id: int) -> tuple | None:
    """Everything the public results of a division are made of, in one row — the
    publication, the division, its event and competition as they are now, how many
    results and when they were last computed, the last seal — or None while they are not
    published. Two requests that get the same fingerprint show the same page: every
    change to what it shows (a republication, a finalization, a correction, a setting)
    changes it."""
    row = session.connection().execute(_division_state(),
                                       {"division_id": division_id}).first()
    return tuple(row) if row is not None else None


@functools.cache
def _division_state() -> Select:
    """The fingerprint's statement, built once per process: every visitor of a published
    division runs it, and building and keying a select of a hundred columns costs twice
    what the database takes to answer it."""
    division_id = bindparam("division_id", type_=Integer)
    of_publication = Result.publication_id == Publication.id
    counted = select(func.count(Result.id)).where(of_publication).scalar_subquery()
    computed = select(func.max(Result.computed_at)).where(of_publication).scalar_subquery()
    last_seal = (select(func.max(AuditEvent.id))
                 .where(AuditEvent.action.in_(SEAL_ACTIONS),
                        AuditEvent.object_type == "division",
                        AuditEvent.object_id == cast(division_id, String))
                 .scalar_subquery())
    return (select(*Publication.__table__.c, *Division.__table__.c, *Event.__table__.c,
                   *Competition.__table__.c, counted, computed, last_seal)
            .join(Division, Division.id == Publication.division_id)
            .join(Event, Event.id == Division.event_id)
            .join(Competition, Competition.id == Event.competition_id)
            .where(Publication.division_id == division_id))


def published_division(session: Session, division_id: int) -> PublishedDivision | None:
    """The division's published results, or None while they are not published (or there
    is no such division)."""
    division = session.get(Division, division_id)
    if division is None:
        return None
    publication = publications.publication_of(session, division_id)
    if publication is None:
        return None
    event = session.get(Event, division.event_id)
    competition = session.get(Competition, event.competition_id)
    # Plain columns, not objects: a provincial division has hundreds of lines, and this
    # is what everyone reloads the moment results are published.
    rows = session.execute(
        select(Result.entry_id, Result.rank, Contestant.name, Contestant.work_unit,
               Result.module_scores, Result.penalty_points, Result.total, Result.award,
               Result.has_title)
        .join(Entry, Entry.id == Result.entry_id)
        .join(Contestant, Contestant.id == Entry.contestant_id)
        .where(Result.publication_id == publication.id)
        .order_by(Result.rank.is_(None), Result.rank, Entry.station.is_(None), Entry.station,
                  Entry.id)).all()
    shown = competition.name_display
    lines = tuple(PublishedLine(
        entry_id=entry_id, rank=rank, name=public_name(name, shown), work_unit=work_unit,
        module_scores={int(k): Decimal(str(v)) for k, v in (module_scores or {}).items()},
        penalty_points=penalty_points or Decimal(0), total=total, award=award,
        has_title=has_title)
        for entry_id, rank, name, work_unit, module_scores, penalty_points, total, award,
        has_title in rows)
    return PublishedDivision(division=division, event=event, competition=competition,
                             publication=publication, lines=lines)


@dataclass(frozen=True)
class ContestantResult:
    """What a contestant's own page and the API show of their result: nothing before
    publication; then their ``Result`` with "rank N of M", their appeals and whether they
    may still appeal, and whether an accepted appeal has their sheets being re-scored."""

    publication: Publication | None
    result: Result | None
    ranked: int  # how many entries of the division are ranked
    appeals: tuple[Appeal, ...]
    decided_by_group: frozenset[int]  # the appeals decided by the supervision group
    window: publications.AppealWindow
    under_review: bool

    @property
    def final(self) -> bool:
        return self.publication is not None \
            and self.publication.status == PublicationStatus.FINAL


def contestant_result(session: Session, entry: Entry) -> ContestantResult:
    publication = publications.publication_of(session, entry.division_id)
    result = session.scalar(select(Result).where(Result.entry_id == entry.id)) \
        if publication else None
    # Appeals are filed against published results only.
    appeals = tuple(session.scalars(select(Appeal).where(Appeal.entry_id == entry.id)
                                    .order_by(Appeal.filed_at, Appeal.id))) \
        if publication else ()
    ranked = session.scalar(
        select(func.count(Result.id)).join(Entry, Entry.id == Result.entry_id)
        .where(Entry.division_id == entry.division_id, Result.rank.is_not(None))) \
        if result is not None and result.rank else 0
    # An accepted appeal reopens sheets for re-scoring: say so while they are open.
    under_review = publication is not None and session.scalar(
        select(func.count(ScoreSheet.id)).where(
            ScoreSheet.entry_id == entry.id, ScoreSheet.reopened_for_review.is_(True),
            ScoreSheet.status == SheetStatus.DRAFT)) > 0
    return ContestantResult(
        publication=publication, result=result, ranked=ranked or 0, appeals=appeals,
        decided_by_group=frozenset(publications.decided_by_supervisor(session, list(appeals))),
        window=publications.appeal_window(publication), under_review=under_review)
