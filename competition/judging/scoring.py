"""Use cases of judging (评分): sheets, marks, submission, reopening, penalties, sign-off.

Integrity rules (docs/design.md section 5):
- judges see anonymous codes only; names are decoded after the chief judge
  locks the event's scores;
- recusal is enforced here, where marks are written: a judge never gets a
  sheet for an entry from their own work unit or one declared in conflict;
- a submitted sheet is locked; only the event's chief judge reopens it, with a
  reason; every mark written or changed, every reopening, penalty, lock and
  decode is in the hash-chained audit log, with old and new value, who and why;
- a device may hold marks for a while (offline): each change says what value
  it was made over (``previous``), so a change made meanwhile elsewhere is
  reported back as a conflict instead of being overwritten.
Functions flush; the caller commits once.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from blinker import Namespace
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload, subqueryload

from competition import errors
from competition.accounts.signin import accounts_for
from competition.audit.log import record
from competition.audit.models import AuditEvent
from competition.auth.models import User
from competition.dbtypes import utcnow
from competition.entries.models import Attendance, Conflict, Contestant, Entry
from competition.errors import N_, DomainError, Problem, Refused
from competition.events import tenancy
from competition.events.models import (
    Criterion,
    Event,
    Module,
    PanelMember,
    PanelRole,
)
from competition.experts.pool import unit_key
from competition.judging.marks import CriterionRule, MarkRefused, points_for
from competition.judging.models import (
    ExternalScore,
    Mark,
    Penalty,
    ScoreSheet,
    SheetSource,
    SheetStatus,
)
from competition.memo import remembered

_signals = Namespace()
# Sent, with the session, ``event_id``, ``entry_id`` and ``actor_id``, when a sheet
# reopened after the lock (to re-score an accepted appeal) is submitted again: the
# results stage answers and refreshes the results it has published, since judging
# reads nothing downstream. Its receiver is connected by ``competition.handoffs``;
# ``submit_sheet`` refuses to submit a re-scored sheet without one.
review_sheet_submitted = _signals.signal("review-sheet-submitted")


class JudgingError(DomainError):
    """A rule of judging was broken."""


class SheetConflict(JudgingError, errors.Conflict):
    """The sheet changed on the server since the device last saw it."""


# --- Refusals of scoring: whether a judge may score an entry's sheet -----------------
#
# One rule (``check_may_score``) for the tablet's pages and the JSON API, each broken
# part its own type so the API answers it with its status: who the judge is first
# (``MayNotScore``: not on the panel, recused, another judge's sheet — 403), then
# whether scores may change now (``ScoresLocked`` — 409), then whether the entry and
# module are scored on sheets at all (``NotScoredOnSheets`` — 422).

class ScoringRefused(JudgingError):
    """The judge may not score this now; ``sheet_id`` is their sheet for it, if any."""

    def __init__(self, message: str, *, sheet: ScoreSheet | None = None, **params) -> None:
        super().__init__(message, **params)
        self.sheet_id = sheet.id if sheet is not None else None


class MayNotScore(ScoringRefused, Refused):
    """The judge may not score this entry at all, whatever they send."""


class NotOnPanel(MayNotScore):
    """The user is not a judge of the entry's event."""


class Recused(MayNotScore):
    """The judge is recused from the entry (回避)."""


class NotYourSheet(MayNotScore):
    """The sheet is another judge's."""


class ScoresLocked(ScoringRefused, errors.Conflict):
    """The event's scores are locked and the sheet is not reopened for an appeal."""


class NotScoredOnSheets(ScoringRefused):
    """The entry is not being scored, or the module is not marked on sheets for it."""


# --- Who judges what ----------------------------------------------------------------

def panel_role(session: Session, user: User, event_id: int) -> str | None:
    """``judge`` or ``chief`` when the user may act on the event's panel, else None
    (``events.tenancy.panel_role``: an account or card acts in its competition only).
    Asked again in the same transaction, it answers without a query."""
    return remembered(session, ("panel_role", user.id, event_id),
                      lambda: tenancy.panel_role(session, user, event_id))


def require_chief(session: Session, user: User, event: Event) -> None:
    if panel_role(session, user, event.id) != PanelRole.CHIEF:
        raise JudgingError(N_("Only the chief judge of %(event)s may do this."),
                           event=event.name)


def scored_modules(event: Event) -> list[Module]:
    """Modules judges mark on sheets: those with criteria (theory is often imported)."""
    return [m for m in event.modules if m.criteria]


def scoreable_entries(session: Session, event_id: int) -> list[Entry]:
    """Approved entries that are not absent or withdrawn and have drawn a code, by station."""
    return session.scalars(
        select(Entry).where(
            Entry.event_id == event_id, Entry.status == "approved",
            Entry.attendance.in_([Attendance.EXPECTED, Attendance.PRESENT]),
            Entry.code.is_not(None))
        .options(joinedload(Entry.contestant))
        .order_by(Entry.station, Entry.id)).all()


def recused_entry_ids(session: Session, expert, entries: Iterable[Entry],
                      competition_id: int) -> set[int]:
    """Entries the expert must not score (回避): same work unit, or a declared conflict.

    One query for the conflicts, whatever the number of entries (none when the same
    transaction asked before).
    """
    conflicts = remembered(session, ("conflicts", expert.id, competition_id),
                           lambda: session.scalars(select(Conflict).where(
                               Conflict.competition_id == competition_id,
                               Conflict.expert_id == expert.id)).all())
    conflicted_people = {c.contestant_id for c in conflicts if c.contestant_id}
    conflicted_units = {unit_key(c.work_unit) for c in conflicts if c.work_unit}
    own_unit = unit_key(expert.work_unit)
    recused = set()
    for entry in entries:
        unit = unit_key(entry.contestant.work_unit)
        if (unit and (unit == own_unit or unit in conflicted_units)) \
                or entry.contestant_id in conflicted_people:
            recused.add(entry.id)
    return recused


@dataclass
class Assignment:
    """One event a judge scores: its modules, and the entries offered (codes only)."""

    event: Event
    role: str
    modules: list[Module]
    entries: list[Entry]
    sheets: dict[tuple[int, int], ScoreSheet] = field(default_factory=dict)

    def state(self, entry_id: int, module_id: int) -> str:
        sheet = self.sheets.get((entry_id, module_id))
        return sheet.status if sheet else "not_started"


def assignments(session: Session, user: User) -> list[Assignment]:
    """What the judge scores: for each event of their panel, the entries they are not
    recused from, and the state of each of their sheets."""
    if user.expert_id is None:
        return []
    members = session.scalars(
        tenancy.acting_seats(user)
        .options(selectinload(PanelMember.event).selectinload(Event.modules)
                 .selectinload(Module.criteria),
                 selectinload(PanelMember.expert))).all()
    result = []
    for member in members:
        event = member.event
        entries = scoreable_entries(session, event.id)
        recused = recused_entry_ids(session, member.expert, entries, event.competition_id)
        offered = [e for e in entries if e.id not in recused]
        sheets = {(s.entry_id, s.module_id): s for s in session.scalars(
            select(ScoreSheet).where(ScoreSheet.judge_id == user.id,
                                     ScoreSheet.entry_id.in_([e.id for e in offered])))}
        result.append(Assignment(event=event, role=member.role,
                                 modules=scored_modules(event), entries=offered,
                                 sheets=sheets))
    return result


# --- Sheets and marks ---------------------------------------------------------------

def under_review(sheet: ScoreSheet | None) -> bool:
    """A sheet the chief judge reopened after the lock, for an accepted appeal: the only
    sheet a judge may change once the scores are locked."""
    return sheet is not None and sheet.reopened_for_review and sheet.status == SheetStatus.DRAFT


def check_on_panel(session: Session, user: User, entry: Entry,
                   sheet: ScoreSheet | None = None) -> None:
    """Who may score the entry: a judge of its event (``NotOnPanel``) who is not recused
    from it (``Recused``)."""
    event = session.get(Event, entry.event_id)
    if panel_role(session, user, event.id) != PanelRole.JUDGE:
        raise NotOnPanel(N_("You are not a judge of %(event)s."), sheet=sheet,
                         event=event.name)
    if entry.id in recused_entry_ids(session, user.expert, [entry], event.competition_id):
        raise Recused(N_("You are recused from entry %(code)s and may not score it."),
                      sheet=sheet, code=entry.code)


def check_not_locked(session: Session, entry: Entry, sheet: ScoreSheet | None = None) -> None:
    """Scores change only until the chief judge locks the event's, but for a sheet
    reopened for an appeal (``under_review``): else ``ScoresLocked``."""
    event = session.get(Event, entry.event_id)
    if event.scores_locked_at is not None and not under_review(sheet):
        raise ScoresLocked(N_("The scores of %(event)s are locked."), sheet=sheet,
                           event=event.name)


def check_scored_on_sheets(entry: Entry, module: Module,
                           sheet: ScoreSheet | None = None) -> None:
    """The module is marked on sheets for the entry's event, and the entry is being scored
    (approved, drawn, not absent or withdrawn): else ``NotScoredOnSheets``."""
    if module.event_id != entry.event_id or not criterion_rules(entry.event, module):
        raise NotScoredOnSheets(N_("This module is not marked on sheets for this entry."),
                                sheet=sheet)
    if entry.code is None or entry.status != "approved" or entry.attendance not in (
            Attendance.EXPECTED, Attendance.PRESENT):
        raise NotScoredOnSheets(N_("This entry is not being scored."), sheet=sheet)


def check_may_score(session: Session, user: User, entry: Entry, module: Module,
                    sheet: ScoreSheet | None = None) -> None:
    """Whether ``user`` may score ``entry`` in ``module`` now — the one rule for the
    tablet's pages, the JSON API and the service's own writes. ``sheet`` is the user's
    sheet for it, if they have one. Refuses, in this order, with ``check_on_panel``,
    ``check_not_locked`` and ``check_scored_on_sheets``."""
    check_on_panel(session, user, entry, sheet)
    check_not_locked(session, entry, sheet)
    check_scored_on_sheets(entry, module, sheet)


def check_own_sheet(user: User, sheet: ScoreSheet) -> None:
    """A judge writes on their own sheet only (``NotYourSheet``)."""
    if sheet.judge_id != user.id:
        raise NotYourSheet(N_("This is another judge's sheet."))


def open_sheet(session: Session, user: User, entry: Entry, module: Module) -> ScoreSheet:
    """The judge's sheet for this entry and module, created as a draft the first time."""
    sheet = session.scalar(select(ScoreSheet).where(
        ScoreSheet.entry_id == entry.id, ScoreSheet.module_id == module.id,
        ScoreSheet.judge_id == user.id))
    check_may_score(session, user, entry, module, sheet)
    if sheet is None:
        sheet = ScoreSheet(entry_id=entry.id, module_id=module.id, judge_id=user.id,
                           status=SheetStatus.DRAFT, source=SheetSource.TABLET,
                           entered_by_id=user.id, version=1)
        session.add(sheet)
        session.flush()
    elif sheet.source == SheetSource.PAPER:
        raise JudgingError(N_("Your sheet for entry %(code)s is on paper; it is typed in and "
                              "confirmed at the desk, not on the tablet."), code=entry.code)
    return sheet


# What the checks and the save read of a sheet, loaded with it under its lock: the entry
# with its event and person, and the module (its criteria come from ``criterion_rules``).
_SHEET_CONTEXT = (
    joinedload(ScoreSheet.entry, innerjoin=True).joinedload(Entry.event, innerjoin=True),
    joinedload(ScoreSheet.entry, innerjoin=True).joinedload(Entry.contestant, innerjoin=True),
    joinedload(ScoreSheet.module, innerjoin=True),
)


def locked_sheet(session: Session, sheet_id: int) -> ScoreSheet | None:
    """The sheet, read holding its row lock so two saves of one sheet take turns, with
    what the checks read; None when there is no such sheet. Asked again before the
    transaction writes, it answers without a query."""

    def read() -> ScoreSheet | None:
        session.flush()
        query = (select(ScoreSheet).where(ScoreSheet.id == sheet_id)
                 .options(*_SHEET_CONTEXT).with_for_update(of=ScoreSheet))
        return session.scalars(query.execution_options(populate_existing=True)).one_or_none()

    return remembered(session, ("locked_sheet", sheet_id), read)


def _locked_sheet(session: Session, sheet_id: int) -> ScoreSheet:
    sheet = locked_sheet(session, sheet_id)
    if sheet is None:
        raise errors.NotFound(N_("The page you asked for does not exist."))
    return sheet


# The criteria of a module, as rules, once its event's marking has started: the scheme is
# frozen then (``events.setup.scheme_frozen``), so every save of the event reads them here
# instead of the database. Keyed by the moment marking started too, so a module id used
# again by another database (a restored backup, the tests' emptied tables) is not mixed up.
_FROZEN_RULES: dict[tuple[int, datetime], dict[int, CriterionRule]] = {}
_FROZEN_RULES_KEPT = 4096


def criterion_rules(event: Event, module: Module) -> dict[int, CriterionRule]:
    """The module's criteria as rules, by criterion id."""
    if event.marking_started_at is None:
        return {c.id: rule_of(c) for c in module.criteria}
    key = (module.id, event.marking_started_at)
    rules = _FROZEN_RULES.get(key)
    if rules is None:
        if len(_FROZEN_RULES) >= _FROZEN_RULES_KEPT:
            _FROZEN_RULES.clear()
        rules = _FROZEN_RULES[key] = {c.id: rule_of(c) for c in module.criteria}
    return rules


def rule_of(criterion: Criterion) -> CriterionRule:
    return CriterionRule(
        code=criterion.code, max_points=criterion.max_points, entry_mode=criterion.entry_mode,
        nominal=criterion.nominal, tolerance_lower=criterion.tolerance_lower,
        tolerance_upper=criterion.tolerance_upper, deduction_step=criterion.deduction_step,
        deduction_points=criterion.deduction_points, deduction_limit=criterion.deduction_limit)


@dataclass(frozen=True)
class MarkChange:
    """A value typed for a criterion, and the value the device believed was saved."""

    criterion_id: int
    value: Decimal | None  # None: clear the mark
    previous: Decimal | None = None


@dataclass
class SaveResult:
    sheet: ScoreSheet
    applied: list[int] = field(default_factory=list)  # criterion ids written
    conflicts: list[dict] = field(default_factory=list)  # changed meanwhile elsewhere
    marks: dict[int, Mark] = field(default_factory=dict)  # the sheet's marks after the save


def save_marks(session: Session, user: User, sheet: ScoreSheet,
               changes: list[MarkChange]) -> SaveResult:
    """Write marks on a draft sheet; refuse a submitted sheet or an invalid mark.

    Every value is checked first (range, decimals, the criterion's entry
    mode); one bad value refuses the whole save. A change whose ``previous``
    no longer matches what the server holds is not written but returned as a
    conflict, with the server's value, so the judge decides.
    """
    sheet = _locked_sheet(session, sheet.id)
    entry = session.get(Entry, sheet.entry_id)
    module = session.get(Module, sheet.module_id)
    check_own_sheet(user, sheet)
    check_may_score(session, user, entry, module, sheet)
    if sheet.source == SheetSource.PAPER:
        raise JudgingError(N_("Your sheet for entry %(code)s is on paper; it is typed in and "
                              "confirmed at the desk, not on the tablet."), code=entry.code)
    if sheet.status != SheetStatus.DRAFT:
        raise SheetConflict(N_("Sheet %(code)s · %(module)s is submitted and locked; only the "
                               "chief judge can reopen it."), code=entry.code,
                            module=module.code)
    rules = criterion_rules(entry.event, module)
    computed: list[tuple[MarkChange, Decimal | None]] = []
    problems = []
    for change in changes:
        rule = rules.get(change.criterion_id)
        if rule is None:
            raise JudgingError(N_("That criterion is not on this sheet."))
        if change.value is None:
            computed.append((change, None))
            continue
        try:
            computed.append((change, points_for(rule, change.value)))
        except MarkRefused as refused:
            problems.append(refused)
    if problems:
        first = problems[0]
        raise JudgingError(first.message, problems=problems, **first.params)
    existing = {m.criterion_id: m for m in session.scalars(
        select(Mark).where(Mark.sheet_id == sheet.id))}
    result = SaveResult(sheet=sheet)
    event = session.get(Event, entry.event_id)
    for change, points in computed:
        mark = existing.get(change.criterion_id)
        current = mark.value if mark else None
        if _same(current, change.value):
            continue
        if not _same(current, change.previous):
            result.conflicts.append({"criterion_id": change.criterion_id,
                                     "server_value": current, "your_value": change.value})
            continue
        old = {"value": current, "points": mark.points} if mark else None
        if change.value is None:
            session.delete(mark)
            del existing[change.criterion_id]
            new = None
        elif mark is None:
            mark = Mark(sheet_id=sheet.id, criterion_id=change.criterion_id,
                        value=change.value, points=points, updated_by_id=user.id)
            session.add(mark)
            existing[change.criterion_id] = mark
            new = {"value": change.value, "points": points}
        else:
            mark.value, mark.points, mark.updated_by_id = change.value, points, user.id
            new = {"value": change.value, "points": points}
        record(session, actor_id=user.id, action="mark.write", object_type="mark",
               object_id=f"{sheet.id}:{change.criterion_id}", event_id=event.id,
               old=old, new=new)
        result.applied.append(change.criterion_id)
    if result.applied:
        sheet.version += 1
        sheet.updated_at = utcnow()
        if event.marking_started_at is None:
            event.marking_started_at = utcnow()
    session.flush()
    result.marks = existing
    return result


def _same(a: Decimal | None, b: Decimal | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return Decimal(a) == Decimal(b)


def submit_sheet(session: Session, user: User, sheet: ScoreSheet) -> ScoreSheet:
    """Lock the sheet: every criterion must have a mark. A tablet sheet is submitted by
    its judge, while they may score its entry (``check_on_panel``, ``check_not_locked``);
    a paper sheet by whoever confirms it (``paper.confirm_paper_sheet`` checks the
    judge's right)."""
    sheet = _locked_sheet(session, sheet.id)
    if sheet.source != SheetSource.PAPER:
        check_own_sheet(user, sheet)
        entry = session.get(Entry, sheet.entry_id)
        check_on_panel(session, user, entry, sheet)
        check_not_locked(session, entry, sheet)
    if sheet.status == SheetStatus.SUBMITTED:
        return sheet
    module = session.get(Module, sheet.module_id)
    marked = set(session.scalars(select(Mark.criterion_id).where(Mark.sheet_id == sheet.id)))
    missing = [c.code for c in module.criteria if c.id not in marked]
    if missing:
        raise JudgingError(N_("Mark every criterion before submitting; missing: %(codes)s."),
                           codes="、".join(missing))
    if sheet.source == SheetSource.PAPER and sheet.confirmed_by_id is None:
        raise JudgingError(N_("A paper sheet counts once a second person has confirmed it."))
    reviewed = sheet.reopened_for_review
    sheet.status = SheetStatus.SUBMITTED
    sheet.submitted_at = utcnow()
    sheet.reopened_for_review = False
    sheet.version += 1
    record(session, actor_id=user.id, action="sheet.submit", object_type="score_sheet",
           object_id=sheet.id, event_id=module.event_id, old={"status": "draft"},
           new={"status": "submitted"})
    session.flush()
    if reviewed:
        if not review_sheet_submitted.receivers:
            raise RuntimeError("Nothing answers review_sheet_submitted, so the published "
                               "results would not follow the re-score: "
                               "competition.handoffs.connect_all connects the results stage "
                               "(create_app calls it).")
        review_sheet_submitted.send(session, event_id=module.event_id, entry_id=sheet.entry_id,
                                    actor_id=user.id)
    return sheet


def reopen_sheet(session: Session, chief: User, sheet: ScoreSheet, reason: str, *,
                 for_review: bool = False, criteria_ids: Iterable[int] = ()) -> ScoreSheet:
    """The chief judge unlocks a submitted sheet, with a reason the log keeps, and may name
    the criteria to look at again (the judge's sheet shows both: ``last_reopening``).

    After the lock a sheet is reopened only ``for_review``: the results stage asks
    for it when the chief judge has accepted an appeal on the entry (it checks that
    rule); the judge re-scores it and submits it again.
    """
    sheet = _locked_sheet(session, sheet.id)
    module = session.get(Module, sheet.module_id)
    event = session.get(Event, module.event_id)
    require_chief(session, chief, event)
    if event.scores_locked_at is not None and not for_review:
        raise JudgingError(N_("The scores of %(event)s are locked."), event=event.name)
    if not (reason or "").strip():
        raise JudgingError(N_("Give the reason for reopening the sheet."))
    if sheet.status != SheetStatus.SUBMITTED:
        raise JudgingError(N_("Only a submitted sheet can be reopened."))
    named = sorted(set(criteria_ids))
    if set(named) - {c.id for c in module.criteria}:
        raise JudgingError(N_("Name only criteria of this sheet."))
    sheet.status = SheetStatus.DRAFT
    sheet.submitted_at = None
    sheet.reopened_for_review = event.scores_locked_at is not None
    sheet.version += 1
    record(session, actor_id=chief.id, action="sheet.reopen", object_type="score_sheet",
           object_id=sheet.id, event_id=event.id, old={"status": "submitted"},
           new={"status": "draft", "for_review": sheet.reopened_for_review,
                "criteria": named},
           reason=reason.strip())
    session.flush()
    return sheet


@dataclass(frozen=True)
class Reopening:
    """Why the chief judge sent a sheet back, and the criteria they named."""

    reason: str
    at: datetime
    criteria_ids: frozenset[int]


def last_reopening(session: Session, sheet: ScoreSheet) -> Reopening | None:
    """The latest reopening of a draft sheet (None for a sheet never reopened, or submitted
    again since)."""
    if sheet.status != SheetStatus.DRAFT:
        return None
    found = session.scalar(select(AuditEvent).where(
        AuditEvent.action == "sheet.reopen", AuditEvent.object_type == "score_sheet",
        AuditEvent.object_id == str(sheet.id)).order_by(AuditEvent.id.desc()).limit(1))
    if found is None:
        return None
    named = json.loads(found.new_value).get("criteria", []) if found.new_value else []
    return Reopening(reason=found.reason, at=found.occurred_at,
                     criteria_ids=frozenset(int(i) for i in named))


# --- The chief judge ----------------------------------------------------------------

def add_penalty(session: Session, chief: User, entry: Entry, points: Decimal, reason: str,
                module: Module | None = None) -> Penalty:
    """扣分: a deduction for a rule breach, by the chief judge, with a reason."""
    event = session.get(Event, entry.event_id)
    require_chief(session, chief, event)
    if event.scores_locked_at is not None:
        raise JudgingError(N_("The scores of %(event)s are locked."), event=event.name)
    if points is None or points <= 0 or points > 100:
        raise JudgingError(N_("A penalty is more than 0 and at most 100 points."))
    if not (reason or "").strip():
        raise JudgingError(N_("Give the reason for the penalty."))
    if module is not None and module.event_id != event.id:
        raise JudgingError(N_("That module is not part of this event."))
    penalty = Penalty(entry_id=entry.id, module_id=module.id if module else None,
                      points=points, reason=reason.strip(), created_by_id=chief.id)
    session.add(penalty)
    session.flush()
    record(session, actor_id=chief.id, action="penalty.add", object_type="penalty",
           object_id=penalty.id, event_id=event.id, new={
               "entry": entry.code, "module": module.code if module else None,
               "points": points}, reason=penalty.reason)
    return penalty


def withdraw_penalty(session: Session, chief: User, penalty: Penalty, reason: str) -> None:
    entry = session.get(Entry, penalty.entry_id)
    event = session.get(Event, entry.event_id)
    require_chief(session, chief, event)
    if event.scores_locked_at is not None:
        raise JudgingError(N_("The scores of %(event)s are locked."), event=event.name)
    if penalty.withdrawn_at is not None:
        raise JudgingError(N_("This penalty was already withdrawn."))
    if not (reason or "").strip():
        raise JudgingError(N_("Give the reason for withdrawing the penalty."))
    penalty.withdrawn_at = utcnow()
    penalty.withdrawn_by_id = chief.id
    penalty.withdraw_reason = reason.strip()
    record(session, actor_id=chief.id, action="penalty.withdraw", object_type="penalty",
           object_id=penalty.id, event_id=event.id, old={"points": penalty.points},
           new=None, reason=penalty.withdraw_reason)
    session.flush()


@dataclass
class Progress:
    """The console's matrix: for each entry and module, each judge's sheet state."""

    event: Event
    modules: list[Module]
    entries: list[Entry]
    judges: list[User]
    # (entry_id, module_id, judge_id) → "not_started" | "draft" | "submitted" | "recused"
    cells: dict[tuple[int, int, int], str]
    flags: list[dict]

    @property
    def missing(self) -> int:
        return sum(1 for state in self.cells.values() if state in ("not_started", "draft"))

    def expected(self) -> int:
        return sum(1 for state in self.cells.values() if state != "recused")


def progress(session: Session, event: Event) -> Progress:
    """What is scored and what is missing, and the flags the chief judge must see."""
    modules = scored_modules(event)
    entries = scoreable_entries(session, event.id)
    members = session.scalars(
        select(PanelMember).where(PanelMember.event_id == event.id,
                                  PanelMember.role == PanelRole.JUDGE)
        .options(selectinload(PanelMember.expert))).all()
    users = accounts_for(session, event.competition_id, {m.expert_id for m in members})
    judges = [users[m.expert_id] for m in members if m.expert_id in users]
    sheets = session.scalars(select(ScoreSheet).where(
        ScoreSheet.entry_id.in_([e.id for e in entries]))
        .options(subqueryload(ScoreSheet.marks))).all()
    by_key = {(s.entry_id, s.module_id, s.judge_id): s for s in sheets}
    cells = {}
    for member in members:
        user = users.get(member.expert_id)
        if user is None:
            continue
        recused = recused_entry_ids(session, member.expert, entries, event.competition_id)
        for entry in entries:
            for module in modules:
                sheet = by_key.get((entry.id, module.id, user.id))
                cells[(entry.id, module.id, user.id)] = (
                    "recused" if entry.id in recused else
                    sheet.status if sheet else "not_started")
    return Progress(event=event, modules=modules, entries=entries, judges=judges,
                    cells=cells, flags=score_flags(event, modules, sheets))


def score_flags(event: Event, modules: list[Module], sheets: list[ScoreSheet]) -> list[dict]:
    """Spreads that force a re-score, marks far from the rest of the panel, and readings
    of one objective criterion that differ.

    WorldSkills (docs/design.md section 5): on the 0–3 scale, submitted marks of one
    criterion that differ by more than 1 must be discussed and re-scored before
    the event can be locked (``blocking``). Otherwise a judgement mark more than
    40% of the criterion's maximum away from the median of the other judges is
    shown for the chief judge's attention. An objective criterion (a measurement, a
    yes/no check, a gauge reading) has one right value: judges who entered different
    ones read or counted differently, which the chief judge must see (``objective``;
    the judges whose value is not the most common one are the odd ones).
    """
    criteria = {c.id: c for m in modules for c in m.criteria}
    marks: dict[tuple[int, int], list[tuple[int, Decimal]]] = {}
    for sheet in sheets:
        if sheet.status != SheetStatus.SUBMITTED:
            continue
        for mark in sheet.marks:
            marks.setdefault((sheet.entry_id, mark.criterion_id), []).append(
                (sheet.judge_id, mark.value))
    flags = []
    for (entry_id, criterion_id), values in marks.items():
        criterion = criteria.get(criterion_id)
        if criterion is None or len(values) < 2:
            continue
        numbers = [v for _, v in values]
        if criterion.entry_mode == "scale_0_3":
            if max(numbers) - min(numbers) > 1:
                flags.append({"kind": "spread", "blocking": True, "entry_id": entry_id,
                              "criterion_id": criterion_id, "values": values})
            continue
        if criterion.kind == "measurement":
            if len(set(numbers)) > 1:
                common = Counter(numbers).most_common(1)[0][0]
                flags.append({"kind": "objective", "blocking": False, "entry_id": entry_id,
                              "criterion_id": criterion_id, "values": values,
                              "odd_judges": [j for j, v in values if v != common]})
            continue
        if len(values) < 3:
            continue
        for judge_id, value in values:
            others = [v for j, v in values if j != judge_id]
            if abs(value - Decimal(statistics.median(others))) > criterion.max_points * \
                    Decimal("0.4"):
                flags.append({"kind": "outlier", "blocking": False, "entry_id": entry_id,
                              "criterion_id": criterion_id, "judge_id": judge_id,
                              "values": values})
    return flags


def missing_external_scores(session: Session, event: Event,
                            entries: list[Entry]) -> list[tuple[Entry, Module]]:
    """For each module scored outside the sheets (no criteria: a theory exam imported
    from the exam system), the entries being scored that have no score for it."""
    modules = [m for m in event.modules if not m.criteria]
    if not modules or not entries:
        return []
    have = set(session.execute(select(ExternalScore.entry_id, ExternalScore.module_id).where(
        ExternalScore.module_id.in_([m.id for m in modules]))).tuples())
    return [(entry, module) for module in modules for entry in entries
            if (entry.id, module.id) not in have]


def lock_event(session: Session, chief: User, event: Event) -> None:
    """Sign-off: every expected sheet submitted and no spread waiting for a re-score."""
    require_chief(session, chief, event)
    if event.scores_locked_at is not None:
        raise JudgingError(N_("The scores of %(event)s are already locked."), event=event.name)
    state = progress(session, event)
    if not state.entries:
        raise JudgingError(N_("There is nothing to lock: no entry has been scored."))
    if state.missing:
        raise JudgingError(N_("%(n)s sheets are not submitted yet."), n=state.missing)
    if any(flag["blocking"] for flag in state.flags):
        raise JudgingError(N_("Some marks differ by more than 1 on the 0–3 scale: reopen "
                              "those sheets for a re-score first."))
    missing = missing_external_scores(session, event, state.entries)
    if missing:
        raise JudgingError(
            N_("%(n)s scores of modules marked outside the sheets (such as the theory exam) "
               "are missing, so the scores cannot be locked: import them first, with 0 for "
               "a contestant who missed that exam, or record a contestant who did not come "
               "at all as absent."), n=len(missing),
            problems=[Problem(N_("%(code)s has no score for %(module)s."),
                              {"code": entry.code, "module": module.name})
                      for entry, module in missing])
    event.scores_locked_at = utcnow()
    event.scores_locked_by_id = chief.id
    record(session, actor_id=chief.id, action="event.lock", object_type="event",
           object_id=event.id, event_id=event.id, new={"locked": True})
    session.flush()


def decode(session: Session, user: User, event: Event) -> list[tuple[Entry, Contestant]]:
    """解密: codes to names, only after the scores are locked; the reading is logged.
    The chief judge, the organizers and the supervision and arbitration group read it."""
    if panel_role(session, user, event.id) != PanelRole.CHIEF \
            and not tenancy.reads(session, user, event.competition_id):
        raise JudgingError(N_("Only the chief judge and the organizers may decode the codes."))
    if event.scores_locked_at is None:
        raise JudgingError(N_("Codes are decoded only after the chief judge locks the "
                              "scores."))
    record(session, actor_id=user.id, action="entry.decode", object_type="event",
           object_id=event.id, event_id=event.id)
    entries = session.scalars(select(Entry).where(Entry.event_id == event.id)
                              .options(joinedload(Entry.contestant))
                              .order_by(Entry.station)).all()
    return [(e, e.contestant) for e in entries]
