"""Move the demo competition through its stages, so a newcomer sees each of them.

``flask demo`` seeds the competition (``demo.seed_demo``) and then calls
``advance_demo``, which goes through the real services — the judges' tablets,
the chief judge's lock, publication and finalization — as the people would:

- 茶艺师: theory scores imported, every sheet scored and submitted, scores locked,
  results published and, the notice period over, final — promotions decided and
  certificates issued;
- 养老护理员: scored and locked; the 职工组 results are on public notice (appeals
  may be filed), the 学生组 results are still a draft;
- 车工: part-way through scoring — some sheets submitted, some in draft, some
  not started.

Marks are drawn from a seeded random generator: each contestant has a skill level,
each judge a little noise, and objective measurements agree between judges.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from competition.auth.models import User
from competition.dbtypes import utcnow
from competition.demo import DEMO_COMPETITION_NAME, EVENT_PLANS
from competition.entries.models import Attendance, Entry
from competition.entries.registrations import set_attendance
from competition.events.models import (
    Competition,
    Criterion,
    CriterionKind,
    EntryMode,
    Event,
    PanelRole,
)
from competition.judging import scoring as judging
from competition.judging.scoring import MarkChange
from competition.results import publishing
from competition.results.theory_import import importable_modules, store_scores

RANDOM_SEED = 20261122
HALF = Decimal("0.5")


@dataclass(frozen=True)
class _Stage:
    occupation: str
    scored_share: float  # of the sheets each judge completes
    publish: tuple[str, ...] = ()  # divisions published for public notice
    final: bool = False
    notice_days: int | None = None  # the organizers' choice, when not the default
    absent: int = 0  # contestants who did not turn up (the last registered)


STAGES = (
    # A 3-day notice, so the results published on the contest's last evening are final.
    _Stage("茶艺师", 1.0, publish=("职工组",), final=True, notice_days=3),
    _Stage("养老护理员", 1.0, publish=("职工组",), absent=1),
    _Stage("车工", 0.5),
)


def advance_demo(session: Session, now: datetime | None = None) -> bool:
    """Score, lock, publish and finalize the demo's events as ``STAGES`` says.

    Returns False, changing nothing, when the demo is not there or marking has
    started on it already (so running ``flask demo`` again is harmless). Only
    flushes: the caller commits.
    """
    now = now or utcnow()
    competition = session.scalar(
        select(Competition).where(Competition.name == DEMO_COMPETITION_NAME))
    if competition is None:
        return False
    events = {e.name: e for e in competition.events}
    if any(e.marking_started_at is not None for e in events.values()):
        return False
    rng = random.Random(RANDOM_SEED)
    organizer = session.scalar(select(User).where(User.username == "organizer"))
    plans = {plan.occupation: plan for plan in EVENT_PLANS}
    for stage in STAGES:
        event = events[stage.occupation]
        _check_in(session, event, absent=stage.absent)
        skills = _skills(session, rng, event)
        _import_theory(session, organizer, event, skills, rng)
        _score(session, event, skills, rng, stage.scored_share)
        if stage.scored_share < 1:
            continue
        judging.lock_event(session, _chief(session, event), event)
        if stage.notice_days:
            event.notice_days = stage.notice_days
        published_at = _publication_time(plans[stage.occupation].starts_at, event, stage, now)
        for division in event.divisions:
            if division.name in stage.publish:
                publishing.publish(session, organizer, division, now=published_at)
                if stage.final:
                    publishing.finalize(session, organizer, division, now=now)
    session.flush()
    return True


def _publication_time(starts_at: datetime, event: Event, stage: _Stage,
                      now: datetime) -> datetime:
    """The evening of the contest day when that leaves the notice period over for a final
    event; otherwise now (a published event stays on notice for its full period)."""
    if not stage.final:
        return now
    evening = starts_at.replace(hour=18, minute=0)
    return min(evening, now - timedelta(days=event.notice_days, hours=1))


def _check_in(session: Session, event: Event, absent: int) -> None:
    """检录 on the day: everyone present but the last ``absent`` registered."""
    entries = session.scalars(select(Entry).where(Entry.event_id == event.id)
                              .order_by(Entry.id)).all()
    for number, entry in enumerate(entries, start=1):
        set_attendance(session, entry, Attendance.ABSENT if number > len(entries) - absent
                       else Attendance.PRESENT)


def _skills(session: Session, rng: random.Random, event: Event) -> dict[int, float]:
    """Each entry's skill: the share of the marks a judge gives them, about 0.55–0.97."""
    entries = session.scalars(select(Entry).where(Entry.event_id == event.id)
                              .order_by(Entry.id)).all()
    return {entry.id: rng.uniform(0.55, 0.97) for entry in entries}


def _import_theory(session: Session, organizer: User, event: Event, skills: dict[int, float],
                   rng: random.Random) -> None:
    """The computer-based theory exam's scores, stored as the .xlsx import stores them."""
    entries = {e.id: e for e in session.scalars(select(Entry).where(Entry.event_id == event.id))}
    scores = []
    for module in importable_modules(session, event):
        for row, (entry_id, skill) in enumerate(skills.items(), start=2):
            score = min(Decimal(100), _round(Decimal(100) * Decimal(
                str(skill + rng.uniform(-0.12, 0.08))), Decimal(1)))
            scores.append((row, entries[entry_id], module, score))
    store_scores(session, event, organizer, scores, source="理论考试成绩.xlsx")


def _score(session: Session, event: Event, skills: dict[int, float], rng: random.Random,
           share: float) -> None:
    judges = session.scalars(select(User).where(User.expert_id.in_(
        [m.expert_id for m in event.panel if m.role == PanelRole.JUDGE])).order_by(User.id)).all()
    modules = judging.scored_modules(event)
    # Objective measurements read the same on every judge's sheet.
    measured = {(entry_id, c.id): _measurement(c, skill, rng)
                for entry_id, skill in skills.items()
                for m in modules for c in m.criteria}
    for judge in judges:
        assignment = next(a for a in judging.assignments(session, judge)
                          if a.event.id == event.id)
        bias = rng.uniform(-0.04, 0.04)
        for module in modules:
            for position, entry in enumerate(assignment.entries):
                if entry.attendance not in (Attendance.EXPECTED, Attendance.PRESENT):
                    continue
                if share < 1 and position >= len(assignment.entries) * share:
                    # Part-way: the next entry is opened and half marked, the rest wait.
                    if position == int(len(assignment.entries) * share) and module == modules[0]:
                        sheet = judging.open_sheet(session, judge, entry, module)
                        half = module.criteria[:len(module.criteria) // 2]
                        judging.save_marks(session, judge, sheet, [
                            MarkChange(c.id, measured[(entry.id, c.id)]) for c in half])
                    continue
                sheet = judging.open_sheet(session, judge, entry, module)
                judging.save_marks(session, judge, sheet, [
                    MarkChange(c.id, measured[(entry.id, c.id)]
                               if c.kind == CriterionKind.MEASUREMENT
                               else _judgement(c, skills[entry.id] + bias, rng))
                    for c in module.criteria])
                judging.submit_sheet(session, judge, sheet)


def _judgement(criterion: Criterion, skill: float, rng: random.Random) -> Decimal:
    share = max(0.0, min(1.0, skill + rng.uniform(-0.06, 0.06)))
    if criterion.entry_mode == EntryMode.SCALE_0_3:
        return Decimal(round(share * 3))
    if criterion.entry_mode == EntryMode.PASS_FAIL:
        return Decimal(1 if share >= 0.5 else 0)
    return min(Decimal(criterion.max_points),
               _round(Decimal(criterion.max_points) * Decimal(str(share)), HALF))


def _measurement(criterion: Criterion, skill: float, rng: random.Random) -> Decimal:
    if criterion.entry_mode == EntryMode.PASS_FAIL:
        return Decimal(1 if rng.random() < skill + 0.1 else 0)
    if criterion.entry_mode == EntryMode.MEASURED:
        nominal = Decimal(criterion.nominal or 0)
        lower = Decimal(criterion.tolerance_lower or 0)
        upper = Decimal(criterion.tolerance_upper or 0)
        # A skilled turner lands inside the tolerance band; others drift out of it.
        spread = float(upper - lower) or 0.02
        off = rng.uniform(-0.3, 1.3 - skill) * spread
        return (nominal + lower + Decimal(str(spread / 2 + off))).quantize(
            Decimal("0.001"), ROUND_HALF_UP)
    if criterion.entry_mode == EntryMode.SCALE_0_3:
        return Decimal(round(skill * 3))
    return min(Decimal(criterion.max_points),
               _round(Decimal(criterion.max_points) * Decimal(str(skill)), HALF))


def _round(value: Decimal, step: Decimal) -> Decimal:
    return max(Decimal(0), (value / step).quantize(Decimal(1), ROUND_HALF_UP) * step)


def _chief(session: Session, event: Event) -> User:
    expert_id = next(m.expert_id for m in event.panel if m.role == PanelRole.CHIEF)
    return session.scalar(select(User).where(User.expert_id == expert_id))

