"""What a contestant's own page (``/r/<token>``) is made of, read in one statement: the
fingerprint that keys the page in the shared cache.

The page shows the entry, the person, the division, the event with its modules, the
competition, the publication and the entry's result with "rank N of M", its appeals with
their decisions (and whether a supervisor made them), whether its sheets are reopened
for review, its promotion, certificate and the rules' reasons. The fingerprint holds all
of those rows as they are now, so any change to what the page shows gives a new key and
nothing is ever invalidated by hand. A key built from rows read in another order (the
modules and appeals are aggregated without a guaranteed order on every database) only
costs a fresh render, never a stale page.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, String, bindparam, cast, func, literal, select
from sqlalchemy.orm import Session, aliased

from competition.auth.models import User
from competition.entries.models import Contestant, Entry
from competition.events.models import Competition, Division, Event, Module
from competition.grades.models import Certificate, Promotion, PromotionOutcome
from competition.judging.models import ScoreSheet, SheetStatus
from competition.results import publishing
from competition.results.models import Appeal, Publication, Result


@dataclass(frozen=True)
class ContestantPageState:
    entry_id: int
    rows: tuple  # every column the page is made of
    appeal_window_open: bool  # depends on the clock as well as on the rows

    @property
    def key(self) -> tuple:
        return (self.rows, self.appeal_window_open)


def contestant_page_state(session: Session, token: str,
                          now: datetime | None = None) -> ContestantPageState | None:
    """The state of the page behind a private link, or None when no entry has it."""
    row = session.connection().execute(_state(), {"token": token}).first()
    if row is None:
        return None
    window_open = row.publication_status is not None and publishing.window_of(
        row.publication_status, row.appeal_deadline, now).open
    return ContestantPageState(entry_id=row.entry_id, rows=tuple(row),
                               appeal_window_open=window_open)


def _joined(*columns) -> object:
    """The columns as one string (NULL as empty), for aggregating child rows."""
    text = literal("")
    for column in columns:
        text = text + "|" + func.coalesce(cast(column, String), "")
    return text


@functools.cache
def _state() -> Select:
    """Built once per process: everyone looks at their page the moment results are
    published, and building this select costs more than the database's answer."""
    token = bindparam("token", type_=String)
    others = aliased(Entry)
    ranked = aliased(Result)
    decider = aliased(User)
    ranked_count = (select(func.count(ranked.id))
                    .join(others, others.id == ranked.entry_id)
                    .where(others.division_id == Entry.division_id, ranked.rank.is_not(None))
                    .scalar_subquery())
    under_review = (select(func.count(ScoreSheet.id))
                    .where(ScoreSheet.entry_id == Entry.id,
                           ScoreSheet.reopened_for_review.is_(True),
                           ScoreSheet.status == SheetStatus.DRAFT)
                    .scalar_subquery())
    modules = (select(func.aggregate_strings(
        _joined(*Module.__table__.c), ";"))
        .where(Module.event_id == Event.id).scalar_subquery())
    appeals = (select(func.aggregate_strings(
        _joined(*Appeal.__table__.c, decider.role), ";"))
        .select_from(Appeal)
        .outerjoin(decider, decider.id == Appeal.decided_by_id)
        .where(Appeal.entry_id == Entry.id).scalar_subquery())
    return (select(Entry.id.label("entry_id"),
                   Publication.status.label("publication_status"),
                   Publication.appeal_deadline.label("appeal_deadline"),
                   *Entry.__table__.c, *Contestant.__table__.c, *Division.__table__.c,
                   *Event.__table__.c, *Competition.__table__.c, *Publication.__table__.c,
                   *Result.__table__.c, *Promotion.__table__.c, *Certificate.__table__.c,
                   *PromotionOutcome.__table__.c,
                   ranked_count, under_review, modules, appeals)
            .join(Contestant, Contestant.id == Entry.contestant_id)
            .join(Division, Division.id == Entry.division_id)
            .join(Event, Event.id == Entry.event_id)
            .join(Competition, Competition.id == Event.competition_id)
            .outerjoin(Publication, Publication.division_id == Entry.division_id)
            .outerjoin(Result, Result.entry_id == Entry.id)
            .outerjoin(Promotion, Promotion.entry_id == Entry.id)
            .outerjoin(Certificate, Certificate.promotion_id == Promotion.id)
            .outerjoin(PromotionOutcome, PromotionOutcome.entry_id == Entry.id)
            .where(Entry.token == token))
