"""Results of an event, computed from the database by the pure engine (``ranking``).

Loading takes a fixed number of queries whatever the number of entries: the
marks of submitted sheets, the imported module scores, the penalties in force
and the chief judge's tie-break decisions, each in one query.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from competition.entries.models import Attendance, Entry, RegistrationStatus
from competition.events.models import Event, Module
from competition.judging.models import ExternalScore, Mark, Penalty, ScoreSheet, SheetStatus
from competition.results.models import TieBreakDecision
from competition.results.ranking import (
    CriterionInfo,
    EntryInput,
    EntryResult,
    JudgeMark,
    ModuleInfo,
    Rules,
    compute,
)


def rules_of(event: Event) -> Rules:
    return Rules(
        aggregation=event.aggregation, trim_count=event.trim_count, decimals=event.decimals,
        tie_break=tuple(event.tie_break or ()), first_pct=Decimal(event.first_prize_pct),
        second_pct=Decimal(event.second_prize_pct), third_pct=Decimal(event.third_prize_pct),
        title_top_n=event.title_top_n)


def modules_of(event: Event) -> list[ModuleInfo]:
    return [
        ModuleInfo(id=m.id, code=m.code, kind=m.kind, weight=Decimal(m.weight),
                   max_score=Decimal(m.max_score),
                   criteria=tuple(CriterionInfo(c.id, Decimal(c.max_points), c.kind)
                                  for c in m.criteria))
        for m in event.modules
    ]


def event_results(session: Session, event_id: int) -> list[EntryResult]:
    """Every approved entry's result, ranked within its division.

    Only submitted sheets count; absent and withdrawn entries are listed but
    not ranked.
    """
    event = session.scalar(select(Event).where(Event.id == event_id).options(
        selectinload(Event.modules).selectinload(Module.criteria)))
    entries = session.scalars(select(Entry).where(
        Entry.event_id == event_id, Entry.status == RegistrationStatus.APPROVED)).all()
    inputs = {e.id: EntryInput(entry_id=e.id, division_id=e.division_id,
                               ranked=e.attendance in (Attendance.EXPECTED,
                                                       Attendance.PRESENT))
              for e in entries}
    marks = session.execute(
        select(ScoreSheet.entry_id, ScoreSheet.judge_id, Mark.criterion_id, Mark.points)
        .join(Mark, Mark.sheet_id == ScoreSheet.id)
        .join(Entry, Entry.id == ScoreSheet.entry_id)
        .where(Entry.event_id == event_id, ScoreSheet.status == SheetStatus.SUBMITTED))
    for entry_id, judge_id, criterion_id, points in marks:
        if entry_id in inputs:
            inputs[entry_id].marks.append(JudgeMark(judge_id, criterion_id, Decimal(points)))
    external = session.execute(
        select(ExternalScore.entry_id, ExternalScore.module_id, ExternalScore.score)
        .join(Entry, Entry.id == ExternalScore.entry_id).where(Entry.event_id == event_id))
    for entry_id, module_id, score in external:
        if entry_id in inputs:
            inputs[entry_id].external[module_id] = Decimal(score)
    penalties = session.execute(
        select(Penalty.entry_id, Penalty.module_id, Penalty.points)
        .join(Entry, Entry.id == Penalty.entry_id)
        .where(Entry.event_id == event_id, Penalty.withdrawn_at.is_(None)))
    by_entry = defaultdict(list)
    for entry_id, module_id, points in penalties:
        by_entry[entry_id].append((module_id, Decimal(points)))
    for entry_id, items in by_entry.items():
        if entry_id in inputs:
            inputs[entry_id].penalties = items
    decisions = session.execute(
        select(TieBreakDecision.entry_id, TieBreakDecision.position)
        .join(Entry, Entry.id == TieBreakDecision.entry_id).where(Entry.event_id == event_id))
    for entry_id, position in decisions:
        if entry_id in inputs:
            inputs[entry_id].chief_order = position
    return compute(modules_of(event), rules_of(event), list(inputs.values()))
