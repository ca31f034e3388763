"""The competition's status board and to-do list, read from every stage.

The board says where each event and division stands — setting up; registration (how
many registered, how many self-registrations wait for review); check-in (present of
those taking part); scoring (the share of the expected sheets submitted); locked;
on public notice until a date; final — and the to-do list says what is left, each
item with the page where it is done. Both are computed from a constant number of
aggregate queries, however many entries, sheets and marks there are.

This module sits above the stages (events → entries → judging → results → grades):
it reads them all and none of them imports it. It also adds the entries stage's part
of the pre-flight check (``events.preflight``): entries that have no station yet.
``competition.handoffs`` connects both to the events stage's signals.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from competition.auth.models import User
from competition.dbtypes import utcnow
from competition.entries.models import (
    Attendance,
    Conflict,
    Contestant,
    Entry,
    RegistrationStatus,
)
from competition.errors import N_, Problem
from competition.events.models import (
    Competition,
    CompetitionStatus,
    Event,
    Expert,
    Module,
    PanelMember,
    PanelRole,
)
from competition.events.preflight import Kind, Missing
from competition.judging.models import ExternalScore, ScoreSheet, SheetStatus
from competition.results.models import Appeal, AppealStatus, Publication, PublicationStatus
from competition.results.publishing import final_refusal


class Stage(enum.StrEnum):
    """Where a division stands, in the order a competition goes through them."""

    SETUP = "setup"
    REGISTRATION = "registration"
    CHECKIN = "checkin"
    SCORING = "scoring"
    LOCKED = "locked"
    NOTICE = "notice"
    FINAL = "final"


@dataclass
class DivisionRow:
    """One division on the board: its stage and the numbers that go with it."""

    division_id: int
    name: str
    stage: Stage = Stage.SETUP
    registered: int = 0  # approved and not withdrawn: taking part
    pending: int = 0  # self-registrations waiting for review
    present: int = 0  # checked in
    undrawn: int = 0  # taking part without a station or code
    submitted: int = 0  # sheets submitted
    expected: int = 0  # sheets the panel's judges are to submit
    reopened: int = 0  # sheets reopened for an appeal, not submitted again
    appeals: int = 0  # appeals waiting for a decision
    notice_ends_at: datetime | None = None
    finalized_at: datetime | None = None

    @property
    def percent(self) -> int:
        """The share of the expected sheets submitted, rounded down (100 only when all)."""
        if not self.expected:
            return 0
        return min(100, self.submitted * 100 // self.expected)


@dataclass
class EventRow:
    event_id: int
    name: str
    divisions: list[DivisionRow] = field(default_factory=list)
    locked: bool = False
    setup_problems: int = 0  # pre-flight problems


@dataclass(frozen=True)
class TodoItem:
    """One thing left to do: where, a translatable message with its values, and the page
    where it is done (an endpoint and its arguments). ``organizers_only``: the page is the
    organizers' (a supervisor reads the item without the link)."""

    kind: str
    where: str  # the event, or the event and division; empty for the whole competition
    message: str
    params: dict
    endpoint: str
    values: dict
    organizers_only: bool = True


@dataclass
class Board:
    events: list[EventRow]
    todo: list[TodoItem]


# --- Shared conditions --------------------------------------------------------------

def _taking_part():
    return and_(Entry.status == RegistrationStatus.APPROVED,
                Entry.attendance != Attendance.WITHDRAWN)


def _scoreable():
    """``judging.scoring.scoreable_entries`` as a condition."""
    return and_(Entry.status == RegistrationStatus.APPROVED,
                Entry.attendance.in_([Attendance.EXPECTED, Attendance.PRESENT]),
                Entry.code.is_not(None))


def _unit(column):
    """A work unit for comparison however it was spaced (``experts.pool.unit_key``)."""
    return func.replace(func.replace(func.coalesce(column, ""), " ", ""), "\u3000", "")


# --- The pre-flight check's part from the entries stage -----------------------------

def entries_without_station(session: Session, *, competition: Competition,
                            events: list[Event]) -> list[Missing]:
    """Entries taking part that have no station or code yet: lots are not drawn (answers
    ``events.preflight.preflight_checks``; ``competition.handoffs`` connects it)."""
    if not events:
        return []
    names = {d.id: (event, d.name) for event in events for d in event.divisions}
    rows = session.execute(
        select(Entry.division_id, func.count(Entry.id))
        .where(Entry.event_id.in_([e.id for e in events]), _taking_part(),
               or_(Entry.station.is_(None), Entry.code.is_(None)))
        .group_by(Entry.division_id)).all()
    missing = []
    for division_id, count in rows:
        event, division = names[division_id]
        missing.append(Missing(Kind.DRAW, Problem(
            N_("%(n)s entries of %(division)s have no station yet: draw lots first."),
            {"n": count, "division": division}), event.id, event.name))
    return missing


# --- The board ----------------------------------------------------------------------

def competition_board(session: Session, competition: Competition, events: list[Event],
                      missing: list[Missing], *, now: datetime | None = None) -> Board:
    """The board and to-do list of ``competition``: ``events`` with their divisions and
    modules (with criteria) loaded, ``missing`` its pre-flight check's findings."""
    now = now or utcnow()
    event_ids = [e.id for e in events]
    rows = {e.id: EventRow(e.id, e.name, [DivisionRow(d.id, d.name) for d in e.divisions],
                           locked=e.scores_locked_at is not None) for e in events}
    divisions = {d.division_id: d for row in rows.values() for d in row.divisions}
    if event_ids:
        _count_entries(session, event_ids, divisions)
        _count_sheets(session, competition.id, events, divisions)
        _read_publications(session, divisions)
        _count_appeals(session, event_ids, divisions)
    for item in missing:
        if item.event_id in rows:
            rows[item.event_id].setup_problems += 1
    for event in events:
        for row in rows[event.id].divisions:
            row.stage = _stage(competition, event, row)
    board = Board(events=[rows[e.id] for e in events], todo=[])
    board.todo = _todo(session, competition, events, rows, missing, now)
    return board


def _stage(competition: Competition, event: Event, row: DivisionRow) -> Stage:
    if row.finalized_at is not None:
        return Stage.FINAL
    if row.notice_ends_at is not None:
        return Stage.NOTICE
    if event.scores_locked_at is not None:
        return Stage.LOCKED
    if event.marking_started_at is not None or row.submitted:
        return Stage.SCORING
    if competition.status == CompetitionStatus.DRAFT:
        return Stage.SETUP
    if competition.status == CompetitionStatus.REGISTRATION:
        return Stage.REGISTRATION
    return Stage.CHECKIN


def _count_entries(session: Session, event_ids: list[int],
                   divisions: dict[int, DivisionRow]) -> None:
    taking_part = _taking_part()
    for division_id, registered, pending, present, undrawn in session.execute(
            select(Entry.division_id,
                   func.sum(case((taking_part, 1), else_=0)),
                   func.sum(case((Entry.status == RegistrationStatus.PENDING, 1), else_=0)),
                   func.sum(case((and_(taking_part, Entry.attendance == Attendance.PRESENT),
                                  1), else_=0)),
                   func.sum(case((and_(taking_part, or_(Entry.station.is_(None),
                                                        Entry.code.is_(None))), 1),
                                 else_=0)))
            .where(Entry.event_id.in_(event_ids)).group_by(Entry.division_id)):
        row = divisions.get(division_id)
        if row is not None:
            row.registered, row.pending = registered or 0, pending or 0
            row.present, row.undrawn = present or 0, undrawn or 0


def _count_sheets(session: Session, competition_id: int, events: list[Event],
                  divisions: dict[int, DivisionRow]) -> None:
    """Sheets submitted and expected per division: each judge of the panel with an
    account scores each entry being scored, in each module with criteria, unless
    recused (same work unit, or a declared conflict: ``judging.scoring``)."""
    scoreable = _scoreable()
    for division_id, submitted, reopened in session.execute(
            select(Entry.division_id,
                   func.sum(case((and_(scoreable, ScoreSheet.status == SheetStatus.SUBMITTED),
                                  1), else_=0)),
                   func.sum(case((and_(ScoreSheet.reopened_for_review.is_(True),
                                       ScoreSheet.status == SheetStatus.DRAFT), 1), else_=0)))
            .join(Entry, Entry.id == ScoreSheet.entry_id)
            .where(Entry.event_id.in_([e.id for e in events]))
            .group_by(Entry.division_id)):
        row = divisions.get(division_id)
        if row is not None:
            row.submitted, row.reopened = submitted or 0, reopened or 0
    modules = {e.id: sum(1 for m in e.modules if m.criteria) for e in events}
    scored = [e.id for e in events if modules[e.id]]
    if not scored:
        return
    conflict = aliased(Conflict)
    recused = or_(
        and_(_unit(Contestant.work_unit) != "",
             _unit(Contestant.work_unit) == _unit(Expert.work_unit)),
        exists().where(conflict.competition_id == competition_id,
                       conflict.expert_id == Expert.id,
                       or_(conflict.contestant_id == Contestant.id,
                           and_(_unit(Contestant.work_unit) != "",
                                _unit(conflict.work_unit) == _unit(Contestant.work_unit)))))
    has_account = exists().where(
        User.expert_id == PanelMember.expert_id,
        or_(User.competition_id == competition_id, User.competition_id.is_(None)))
    for event_id, division_id, pairs in session.execute(
            select(Entry.event_id, Entry.division_id, func.count(literal(1)))
            .join(Contestant, Contestant.id == Entry.contestant_id)
            .join(PanelMember, and_(PanelMember.event_id == Entry.event_id,
                                    PanelMember.role == PanelRole.JUDGE))
            .join(Expert, Expert.id == PanelMember.expert_id)
            .where(Entry.event_id.in_(scored), scoreable, has_account, ~recused)
            .group_by(Entry.event_id, Entry.division_id)):
        row = divisions.get(division_id)
        if row is not None:
            row.expected = pairs * modules[event_id]


def _read_publications(session: Session, divisions: dict[int, DivisionRow]) -> None:
    for publication in session.scalars(select(Publication).where(
            Publication.division_id.in_(list(divisions)))):
        row = divisions[publication.division_id]
        row.notice_ends_at = publication.notice_ends_at
        if publication.status == PublicationStatus.FINAL:
            row.finalized_at = publication.finalized_at


def _count_appeals(session: Session, event_ids: list[int],
                   divisions: dict[int, DivisionRow]) -> None:
    for division_id, count in session.execute(
            select(Entry.division_id, func.count(Appeal.id))
            .join(Entry, Entry.id == Appeal.entry_id)
            .where(Entry.event_id.in_(event_ids), Appeal.status == AppealStatus.PENDING)
            .group_by(Entry.division_id)):
        if division_id in divisions:
            divisions[division_id].appeals = count


def _missing_theory(session: Session, events: list[Event]) -> dict[int, int]:
    """Per event not locked yet: scores of modules marked outside the sheets (a theory
    exam, imported) that entries being scored still lack — the lock needs them all."""
    module_ids = [m.id for e in events if e.scores_locked_at is None
                  for m in e.modules if not m.criteria]
    if not module_ids:
        return {}
    return dict(session.execute(
        select(Entry.event_id, func.count(literal(1)))
        .join(Module, Module.event_id == Entry.event_id)
        .where(Module.id.in_(module_ids), _scoreable(),
               ~exists().where(ExternalScore.entry_id == Entry.id,
                               ExternalScore.module_id == Module.id))
        .group_by(Entry.event_id)).all())


# --- The to-do list -----------------------------------------------------------------

# Pre-flight findings, summed per event and kind, and where they are fixed.
_SETUP_TODO = {
    Kind.SCHEME: (N_("The marking scheme has %(n)s problems."),
                  "events.scheme_edit"),
    Kind.PANEL: (N_("The panel is not complete (%(n)s problems)."),
                 "events.panel"),
    Kind.ACCOUNTS: (N_("%(n)s judges have no account yet."), "auth.signin_cards"),
    Kind.CERTIFICATES: (N_("%(n)s judges' examiner certificates are missing or run out "
                           "before the contest ends."), "events.panel"),
    Kind.DRAW: (N_("The draw is not complete: %(n)s entries have no station."),
                "entries.draw"),
}


def _todo(session: Session, competition: Competition, events: list[Event],
          rows: dict[int, EventRow], missing: list[Missing], now: datetime) -> list[TodoItem]:
    todo: list[TodoItem] = []
    before_contest = competition.status in (CompetitionStatus.DRAFT,
                                            CompetitionStatus.REGISTRATION)
    for item in missing:
        if item.event_id is None and before_contest:
            todo.append(TodoItem(item.kind, "", item.problem.message, item.problem.params,
                                 "events.competition_edit",
                                 {"competition_id": competition.id}))
    counted: dict[tuple[int, str], int] = {}
    for item in missing:
        if item.event_id is not None and not rows[item.event_id].locked:
            counted[(item.event_id, item.kind)] = counted.get((item.event_id, item.kind), 0) + 1
    theory = _missing_theory(session, events)
    for event in events:
        row = rows[event.id]
        for kind, (message, endpoint) in _SETUP_TODO.items():
            n = counted.get((event.id, kind))
            if n:
                values = ({"competition_id": competition.id} if endpoint == "auth.signin_cards"
                          else {"event_id": event.id})
                todo.append(TodoItem(kind, event.name, message, {"n": n}, endpoint,
                                     values, organizers_only=endpoint != "entries.draw"
                                     and endpoint != "events.panel"))
        pending = sum(d.pending for d in row.divisions)
        if pending:
            todo.append(TodoItem("review", event.name, N_("%(n)s registrations wait for review."),
                                 {"n": pending},
                                 "entries.review", {"competition_id": competition.id}))
        started = event.marking_started_at is not None or competition.status not in (
            CompetitionStatus.DRAFT, CompetitionStatus.REGISTRATION)
        if theory.get(event.id) and started:
            todo.append(TodoItem("theory", event.name, N_("%(n)s scores of the theory exam are "
                                                          "not imported yet; the scores cannot "
                                                          "be locked without them."),
                                 {"n": theory[event.id]},
                                 "results.theory_import", {"event_id": event.id}))
        scoring = [d for d in row.divisions if d.stage == Stage.SCORING]
        if scoring and all(d.expected and d.submitted >= d.expected for d in scoring) \
                and not theory.get(event.id):
            todo.append(TodoItem("lock", event.name, N_("Every sheet is submitted; the chief "
                                                        "judge can lock the scores."),
                                 {}, "results.event_results_page",
                                 {"event_id": event.id}, organizers_only=False))
        for division in row.divisions:
            todo.extend(_division_todo(event, division, now))
    todo.extend(_grade_checks(session, events, rows))
    return todo


def _division_todo(event: Event, row: DivisionRow, now: datetime) -> list[TodoItem]:
    where = f"{event.name} · {row.name}"
    results = ("results.event_results_page", {"event_id": event.id})
    appeals = ("results.appeals", {"event_id": event.id})
    todo = []
    if row.stage == Stage.LOCKED:
        todo.append(TodoItem("publish", where, N_("The scores are locked; the results can be "
                                                  "published for public notice."), {},
                             *results))
    if row.appeals:
        todo.append(TodoItem("appeals", where, N_("%(n)s appeals wait for a decision."),
                             {"n": row.appeals},
                             *appeals, organizers_only=False))
    if row.reopened:
        todo.append(TodoItem("reopened", where, N_("%(n)s sheets reopened for an appeal are "
                                                   "not submitted again yet."),
                             {"n": row.reopened}, *appeals, organizers_only=False))
    if row.stage == Stage.NOTICE:
        ends = row.notice_ends_at
        if ends > now:
            todo.append(TodoItem("notice", where, N_("The public notice ends on %(date)s; the "
                                                     "results can then be made final."),
                                 {"date": ends}, *results,
                                 organizers_only=False))
        elif final_refusal(ends, row.appeals, row.reopened, now) is None:
            todo.append(TodoItem("finalize", where, N_("The public notice ended on %(date)s; "
                                                       "the results can be made final."),
                                 {"date": ends}, *results))
    return todo


def _grade_checks(session: Session, events: list[Event],
                  rows: dict[int, EventRow]) -> list[TodoItem]:
    """Divisions on public notice whose promotions depend on a declared grade nobody has
    confirmed (``grades.promotions.unconfirmed``): final results wait for the checks."""
    from competition.grades import promotions as grades

    todo = []
    for event in events:
        for division, row in zip(event.divisions, rows[event.id].divisions, strict=True):
            if row.stage != Stage.NOTICE:
                continue
            waiting = len(grades.unconfirmed(grades.preview(session, division)))
            if waiting:
                todo.append(TodoItem(
                    "grade_checks", f"{event.name} · {division.name}",
                    N_("%(n)s promotions depend on a declared grade nobody has checked yet."),
                    {"n": waiting},
                    "grades.preview", {"division_id": division.id}))
    return todo


# --- On the competition page --------------------------------------------------------

def on_competition_page(session: Session, *, competition: Competition, events: list[Event],
                        missing: list[Missing]) -> dict:
    """The board and to-do list for the competition page (answers
    ``events.views.competition_page``; ``competition.handoffs`` connects it)."""
    return {"board": competition_board(session, competition, events, missing)}
