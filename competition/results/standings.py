"""Results of an event, computed from the database by the pure engine (``ranking``).

Loading takes four queries whatever the number of entries: the event with its
modules and criteria; its entries; the marks of submitted sheets, aggregated by
the database; and the imported module scores, the penalties in force and the
chief judge's tie-break decisions together.

The big screen in the ceremony hall shows the same live results, and may be
frozen at one moment's standings: the snapshot is stored, so every screen and
every server process agrees.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session, joinedload

from competition.audit.log import record
from competition.auth.models import User
from competition.dbtypes import POINT_PLACES, Points, utcnow
from competition.entries.idcard import public_name
from competition.entries.models import Attendance, Entry, RegistrationStatus
from competition.errors import N_, DomainError, message_text
from competition.events.models import (
    Criterion,
    CriterionKind,
    EntryMode,
    Event,
    Module,
)
from competition.judging.models import ExternalScore, Mark, Penalty, ScoreSheet, SheetStatus
from competition.results import ranking
from competition.results.models import AwardAcknowledgement, ScreenFreeze, TieBreakDecision
from competition.results.ranking import (
    AwardCheck,
    CriterionInfo,
    EntryInput,
    EntryResult,
    JudgeMark,
    ModuleInfo,
    Rules,
    award_check,
    award_checks,
    compute,
)


def rules_of(event: Event) -> Rules:
    return Rules(
        aggregation=event.aggregation, trim_count=event.trim_count, decimals=event.decimals,
        tie_break=tuple(event.tie_break or ()), first_pct=Decimal(event.first_prize_pct),
        second_pct=Decimal(event.second_prize_pct), third_pct=Decimal(event.third_prize_pct),
        title_top_n=event.title_top_n, award_rounding=event.award_rounding or "cumulative",
        first_prize_min_entries=event.first_prize_min_entries,
        award_ties=event.award_ties or "share")


def modules_of(event: Event) -> list[ModuleInfo]:
    return [
        ModuleInfo(id=m.id, code=m.code, kind=m.kind, weight=Decimal(m.weight),
                   max_score=Decimal(m.max_score),
                   criteria=tuple(CriterionInfo(c.id, Decimal(c.max_points), c.kind)
                                  for c in m.criteria))
        for m in event.modules
    ]


@dataclass
class EventInputs:
    """What the engine needs for an event: ``compute(modules, rules, entries)``."""

    event: Event
    modules: list[ModuleInfo]
    rules: Rules
    entries: list[EntryInput]


def event_results(session: Session, event_id: int) -> list[EntryResult]:
    """Every approved entry's result, ranked within its division.

    Only submitted sheets count; absent and withdrawn entries are listed but
    not ranked.
    """
    inputs = event_inputs(session, event_id)
    return compute(inputs.modules, inputs.rules, inputs.entries)


def event_inputs(session: Session, event_id: int, *,
                 marks_of: int | None = None) -> EventInputs:
    """The event (its modules and criteria loaded) and the engine's inputs for every
    approved entry: its criteria's marks of submitted sheets as the event's method
    takes them (aggregated by the database, ``kept_marks``), imported scores,
    penalties in force and the chief judge's tie-break order. The judges' marks
    themselves are loaded for one entry only, ``marks_of``, to explain its result.
    """
    # One round trip each: the event with its modules and criteria (joined), the entries,
    # the kept marks and what else counts (``_extras``).
    event = session.execute(select(Event).where(Event.id == event_id).options(
        joinedload(Event.modules).joinedload(Module.criteria))).unique().scalar_one_or_none()
    rules = rules_of(event)
    entries = session.execute(select(Entry.id, Entry.division_id, Entry.attendance).where(
        Entry.event_id == event_id, Entry.status == RegistrationStatus.APPROVED)).all()
    inputs = {entry_id: EntryInput(entry_id=entry_id, division_id=division_id,
                                   ranked=attendance in (Attendance.EXPECTED,
                                                         Attendance.PRESENT), kept={})
              for entry_id, division_id, attendance in entries}
    for entry_id, modules in kept_marks(session, event, rules).items():
        if entry_id in inputs:
            inputs[entry_id].kept = modules
    if marks_of in inputs:
        on_scale = scale_criteria(event)
        marks = session.execute(
            select(ScoreSheet.judge_id, Mark.criterion_id, Mark.points, Mark.value)
            .join(Mark, Mark.sheet_id == ScoreSheet.id)
            .where(ScoreSheet.entry_id == marks_of, ScoreSheet.status == SheetStatus.SUBMITTED))
        inputs[marks_of].marks = [
            JudgeMark(judge_id, criterion_id, Decimal(points),
                      Decimal(value) if criterion_id in on_scale else None)
            for judge_id, criterion_id, points, value in marks]
    for kind, entry_id, module_id, amount in _extras(session, event_id):
        found = inputs.get(entry_id)
        if found is None:
            continue
        if kind == EXTERNAL:
            found.external[module_id] = Decimal(amount)
        elif kind == PENALTY:
            found.penalties.append((module_id, Decimal(amount)))
        else:
            found.chief_order = int(amount)
    return EventInputs(event=event, modules=modules_of(event), rules=rules,
                       entries=list(inputs.values()))


EXTERNAL, PENALTY, CHIEF_ORDER = 0, 1, 2


def _extras(session: Session, event_id: int):
    """The event's imported module scores, penalties in force and the chief judge's
    tie-break order, in one query: ``(kind, entry id, module id, amount)`` rows, the
    amount being the score, the points or the position."""
    def of(model, kind: int, module, amount, *where):
        return (select(literal_column(str(kind)).label("kind"), model.entry_id,
                       module.label("module_id"), cast(amount, Points).label("amount"))
                .join(Entry, Entry.id == model.entry_id)
                .where(Entry.event_id == event_id, *where))

    return session.execute(union_all(
        of(ExternalScore, EXTERNAL, ExternalScore.module_id, ExternalScore.score),
        of(Penalty, PENALTY, Penalty.module_id, Penalty.points,
           Penalty.withdrawn_at.is_(None)),
        of(TieBreakDecision, CHIEF_ORDER, null(), TieBreakDecision.position))).all()


def scale_criteria(event: Event) -> set[int]:
    """The event's criteria marked on the WorldSkills 0–3 scale: their marks carry the
    judge's value to the engine (``JudgeMark.value``)."""
    return {c.id for m in event.modules for c in m.criteria
            if c.entry_mode == EntryMode.SCALE_0_3 and c.kind == CriterionKind.JUDGEMENT}


def kept_marks(session: Session, event: Event,
               rules: Rules) -> dict[int, dict[int, dict[int, Decimal]]]:
    """Entry → module → ``{divisor: sum}``, as ``ranking.module_sums`` makes it from
    the marks of submitted sheets, for every approved entry of the event — but done by
    the database, so that a provincial event's hundreds of thousands of marks are not
    carried to Python one by one (bench/RESULTS.md). A criterion's points are its sum
    ÷ its divisor, and the sums of criteria with one divisor are added up.

    A WorldSkills event's 0–3 criteria add their judges' values × the maximum, over
    3 × how many judges: the mean of the values ÷ 3 × the maximum, with nothing
    rounded (a mark's points are kept to four decimals). Other criteria add the marks
    their method takes, over how many it took.

    Measurement criteria and the mean (WorldSkills too) take every mark. Which marks
    a trimmed mean or the median takes is ``ranking.takes``, applied here to the marks
    ranked by points in a window. Which of equal marks is dropped does not change the
    sum. The usual trimmed mean, one dropped at each end (with more than two marks), is
    the same as the sum less the highest and the lowest: a plain GROUP BY, much faster.
    ``tests/test_results_sql.py`` checks every method against the engine.
    """
    measured = sorted(c.id for m in event.modules for c in m.criteria
                      if c.kind == CriterionKind.MEASUREMENT)
    method, trim = rules.aggregation, rules.trim_count
    on_scale = sorted(scale_criteria(event)) if method == "worldskills" else []
    query = _kept_query(method, trim, bool(measured), bool(on_scale))
    sums: dict[int, dict[int, dict[int, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    # Core, not the ORM: plain rows, nothing to map.
    for entry_id, module_id, divisor, units in session.connection().execute(
            query, {"event_id": event.id, "measured": measured, "on_scale": on_scale}).all():
        sums[entry_id][module_id][divisor] = Decimal(int(units)).scaleb(-POINT_PLACES)
    return sums


@functools.lru_cache(maxsize=64)
def _kept_query(method: str, trim: int, measured: bool, on_scale: bool) -> Select:
    """``kept_marks``'s query for a method, a trim and whether the event has measurement
    and 0–3 criteria; the event and those criteria are its parameters (``event_id``,
    ``measured``, ``on_scale``). Built once per process: building it and keying it for
    the statement cache cost a recompute more than its rows."""
    measured_ids = bindparam("measured", expanding=True)
    marks = (select(ScoreSheet.entry_id, ScoreSheet.module_id, Mark.criterion_id, Mark.points)
             .join(Mark, Mark.sheet_id == ScoreSheet.id)
             .join(Entry, Entry.id == ScoreSheet.entry_id)
             .where(Entry.event_id == bindparam("event_id"),
                    Entry.status == RegistrationStatus.APPROVED,
                    ScoreSheet.status == SheetStatus.SUBMITTED))
    if on_scale:
        marks = (marks.add_columns((Mark.value * Criterion.max_points).label("scaled"))
                 .join(Criterion, Criterion.id == Mark.criterion_id))
    if method not in ("median", "trimmed_mean") or (method == "trimmed_mean" and trim <= 1):
        rows = marks.subquery()
        total, count = func.sum(rows.c.points), func.count()
        if on_scale:
            valued = rows.c.criterion_id.in_(bindparam("on_scale", expanding=True))
            total = case((valued, func.sum(rows.c.scaled)), else_=total)
            count = case((valued, 3 * count), else_=count)
        if method == "trimmed_mean" and trim == 1:
            trimmed = count > 2
            if measured:
                trimmed = and_(trimmed, rows.c.criterion_id.not_in(measured_ids))
            total = case((trimmed, total - func.min(rows.c.points) - func.max(rows.c.points)),
                         else_=total)
            count = case((trimmed, count - 2), else_=count)
    else:
        each = (ScoreSheet.entry_id, Mark.criterion_id)
        ranked = marks.add_columns(
            func.row_number().over(partition_by=each, order_by=Mark.points).label("place"),
            func.count().over(partition_by=each).label("n")).subquery()
        taken = ranking.takes(ranked.c.place, ranked.c.n, method, trim, and_, or_)
        if measured:
            taken = or_(ranked.c.criterion_id.in_(measured_ids), taken)
        rows = select(ranked).where(taken).subquery()
        total, count = func.sum(rows.c.points), func.count()
    per_criterion = (select(rows.c.entry_id, rows.c.module_id, _units(total).label("units"),
                            count.label("divisor"))
                     .group_by(rows.c.entry_id, rows.c.module_id, rows.c.criterion_id)
                     .subquery())
    return (select(per_criterion.c.entry_id, per_criterion.c.module_id,
                   per_criterion.c.divisor, func.sum(per_criterion.c.units))
            .group_by(per_criterion.c.entry_id, per_criterion.c.module_id,
                      per_criterion.c.divisor))


def _units(points: ColumnElement) -> ColumnElement:
    """Points as a whole number of 1/10,000ths: exact from either database's sum (SQLite
    adds them as floating point), and no decimal conversion per row. (A 0–3 value ×
    a maximum of four decimals has four decimals too.)"""
    return cast(func.round(points * 10 ** POINT_PLACES), BigInteger)


# --- The big screen -------------------------------------------------------------------

class ScreenError(DomainError):
    """A rule of the big screen was broken."""


def screen_standings(session: Session, event: Event) -> dict:
    """What the big screen shows now: each division's ranked entries by rank — rank,
    name, work unit, published total, award and title.

    Before the chief judge locks the scores the screen shows anonymous codes and no
    work unit (which would point to the person); after the lock, names as the
    competition shows them on public lists (in full or masked like 张*明).
    Entries that are not ranked (absent, withdrawn) are left off.
    """
    locked = event.scores_locked_at is not None
    entries = {e.id: e for e in session.scalars(
        select(Entry).where(Entry.event_id == event.id)
        .options(joinedload(Entry.contestant)))}
    by_division = defaultdict(list)
    for result in event_results(session, event.id):
        if result.rank is not None:
            by_division[result.division_id].append(result)
    divisions = []
    for division in event.divisions:
        rows = []
        for result in sorted(by_division[division.id],
                             key=lambda r: (r.rank, entries[r.entry_id].code or "")):
            entry = entries[result.entry_id]
            if locked:
                name = public_name(entry.contestant.name, event.competition.name_display)
            rows.append({
                "rank": result.rank,
                "name": name if locked else (entry.code or "—"),
                "work_unit": entry.contestant.work_unit if locked else "",
                "total": str(result.total),
                "award": result.award,
                "title": result.has_title,
            })
        divisions.append({"id": division.id, "name": division.name, "rows": rows})
    return {"locked": locked, "divisions": divisions}


def screen_freeze(session: Session, event_id: int) -> ScreenFreeze | None:
    return session.scalar(select(ScreenFreeze).where(ScreenFreeze.event_id == event_id))


def _lock_event(session: Session, event: Event) -> None:
    """Two people pressing freeze at once take turns: the second is told it is frozen."""
    session.execute(select(Event.id).where(Event.id == event.id).with_for_update())


def freeze_screen(session: Session, user: User, event: Event) -> ScreenFreeze:
    """Hold the big screen at the standings of this moment, until it is unfrozen."""
    _lock_event(session, event)
    if screen_freeze(session, event.id) is not None:
        raise ScreenError(N_("The big screen of %(event)s is already frozen."),
                          event=event.name)
    freeze = ScreenFreeze(event_id=event.id, frozen_at=utcnow(), frozen_by_id=user.id,
                          snapshot=screen_standings(session, event))
    session.add(freeze)
    session.flush()
    record(session, actor_id=user.id, action="screen.freeze", object_type="event",
           object_id=event.id, event_id=event.id, new={"frozen_at": freeze.frozen_at})
    return freeze


def unfreeze_screen(session: Session, user: User, event: Event) -> None:
    """Let the big screen follow the live results again."""
    _lock_event(session, event)
    freeze = screen_freeze(session, event.id)
    if freeze is None:
        raise ScreenError(N_("The big screen of %(event)s is not frozen."), event=event.name)
    record(session, actor_id=user.id, action="screen.unfreeze", object_type="event",
           object_id=event.id, event_id=event.id, old={"frozen_at": freeze.frozen_at})
    session.delete(freeze)
    session.flush()


# --- Award rules -------------------------------------------------------------------------

def places_text(check: AwardCheck) -> str:
    """A division's places in words: how the quotas came out for its size."""
    first, second, third = (band.places for band in check.bands)
    return message_text(N_("%(n)s ranked entries: %(first)s first, %(second)s second and "
                           "%(third)s third prizes."), n=check.ranked, first=first,
                        second=second, third=third)


@dataclass
class AwardState:
    """A division's awards against its quotas, with what the chief judge has done."""

    check: AwardCheck
    acknowledgement: AwardAcknowledgement | None  # of the current overflow

    @property
    def blocked(self) -> bool:
        """Publication is refused: an unordered edge tie, or an overflow not acknowledged."""
        return self.check.needs_order or (self.check.needs_acknowledgement
                                          and self.acknowledgement is None)


def award_states(session: Session, event: Event,
                 results: list[EntryResult] | None = None) -> dict[int, AwardState]:
    """Every division's ``AwardState``, by division id (``results``: the event's results
    when the caller has them already)."""
    if results is None:
        results = event_results(session, event.id)
    checks = award_checks(results, rules_of(event))
    division_ids = [d.id for d in event.divisions]
    acknowledged = {}
    for row in session.scalars(select(AwardAcknowledgement).where(
            AwardAcknowledgement.division_id.in_(division_ids))):
        acknowledged[(row.division_id, row.overflow)] = row
    states = {}
    for division_id in division_ids:
        check = checks.get(division_id) or award_check([], rules_of(event), division_id)
        states[division_id] = AwardState(
            check, acknowledged.get((division_id, check.description))
            if check.description else None)
    return states


def overflow_codes(session: Session, entry_ids) -> str:
    """The entries' anonymous codes (加密号), for messages: "CY-101、CY-102"."""
    codes = dict(session.execute(select(Entry.id, Entry.code).where(
        Entry.id.in_(list(entry_ids)))).all())
    return "、".join(codes.get(i) or f"#{i}" for i in entry_ids)
