"""Paper fallback (纸质评分表): a judge's paper sheet typed in, and confirmed by another person.

When a tablet fails or the venue has no network, judges mark printed blank
sheets (``paper_pdf``). The office then types each filled sheet in: one
person (an organizer of the competition, or the event's chief judge) enters
it as a draft sheet of the judge whose paper it is, with ``source = paper``
and ``entered_by`` the typist. It does not count yet. A *different* person
types the same paper again without seeing the first entry (blind double
entry, as in Tabbycat's data entry); only when every value matches is the
sheet confirmed and submitted, and only then does it count. The
database refuses a confirmer who is the typist (``confirmer_differs``).

A sheet is one judge's, from one source: a judge who already has a tablet
sheet for the entry and module gets no paper sheet for it. Recusal applies as
on the tablet. Every mark written is in the audit log (``mark.write``, in the
same form as ``scoring.save_marks`` writes it, so ``judging.integrity`` can
check marks against the log), and so are the confirmation (``sheet.confirm``)
and every confirmation that found differences (``sheet.confirm_mismatch``),
so the log shows a confirmer who tried again and again. A sheet typed in by
mistake (under the wrong judge, say) can be discarded before it is
confirmed, with a reason (``sheet.discard``). Functions flush; the caller
commits once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from competition.accounts.signin import accounts_for
from competition.audit.log import record
from competition.audit.models import AuditEvent
from competition.auth.models import User
from competition.dbtypes import utcnow
from competition.entries.models import Entry
from competition.errors import N_
from competition.events.access import organizes
from competition.events.models import Event, Module, PanelMember, PanelRole
from competition.judging.marks import MarkRefused, points_for
from competition.judging.models import Mark, ScoreSheet, SheetSource, SheetStatus
from competition.judging.scoring import (
    JudgingError,
    NotOnPanel,
    Recused,
    check_may_score,
    panel_role,
    rule_of,
    submit_sheet,
)

REASON_ENTERED = "paper sheet entered"
REASON_CORRECTED = "paper sheet corrected"


@dataclass
class Confirmation:
    """The outcome of a second entry: confirmed, or the criteria whose values differ."""

    sheet: ScoreSheet
    confirmed: bool
    differing: list[str] = field(default_factory=list)  # criterion codes, never values


# --- Who may handle paper sheets ----------------------------------------------------

def may_handle_paper(session: Session, user: User, event: Event) -> bool:
    """Organizers of the competition (and admins) and the event's chief judge."""
    if not user.is_authenticated:
        return False
    return organizes(user, event.competition_id) or \
        panel_role(session, user, event.id) == PanelRole.CHIEF


def _require_clerk(session: Session, user: User, event: Event) -> None:
    if not may_handle_paper(session, user, event):
        raise JudgingError(N_("Only the organizers and the chief judge of %(event)s handle "
                              "paper sheets."), event=event.name)


def panel_judges(session: Session, event: Event) -> list[User]:
    """The judges of the event's panel with the account each acts with in its competition,
    in the order they were added."""
    members = session.scalars(select(PanelMember).where(
        PanelMember.event_id == event.id, PanelMember.role == PanelRole.JUDGE)
        .order_by(PanelMember.added_at, PanelMember.id)).all()
    users = accounts_for(session, event.competition_id, {m.expert_id for m in members})
    return [users[m.expert_id] for m in members if m.expert_id in users]


# --- Checks -----------------------------------------------------------------------

def _check_paper(session: Session, entry: Entry, module: Module, judge: User) -> Event:
    """The rules a tablet sheet has (``scoring.check_may_score``), applied to the judge
    whose paper this is; who may not score is named, since the desk types it in."""
    event = session.get(Event, entry.event_id)
    try:
        check_may_score(session, judge, entry, module)
    except NotOnPanel as refused:
        raise JudgingError(N_("%(judge)s is not a judge of %(event)s."),
                           judge=judge.display_name, event=event.name) from refused
    except Recused as refused:
        raise JudgingError(N_("%(judge)s is recused from entry %(code)s: their sheet for it "
                              "cannot count."), judge=judge.display_name,
                           code=entry.code) from refused
    return event


def _checked_values(module: Module, values: Mapping[int, Decimal | None]
                    ) -> dict[int, tuple[Decimal, Decimal]]:
    """Every criterion's value and the points it earns; refuses a missing or invalid one.

    A paper sheet is typed in whole: each criterion of the module needs a value.
    """
    criteria = {c.id: c for c in module.criteria}
    unknown = [cid for cid in values if cid not in criteria]
    if unknown:
        raise JudgingError(N_("That criterion is not on this sheet."))
    missing = [c.code for c in module.criteria if values.get(c.id) is None]
    if missing:
        raise JudgingError(N_("Type in every criterion of the paper sheet; missing: "
                              "%(codes)s."), codes="、".join(missing))
    checked, problems = {}, []
    for criterion in module.criteria:
        value = Decimal(values[criterion.id])
        try:
            checked[criterion.id] = (value, points_for(rule_of(criterion), value))
        except MarkRefused as refused:
            problems.append(refused)
    if problems:
        first = problems[0]
        raise JudgingError(first.message, problems=problems, **first.params)
    return checked


def _sheet_for_update(session: Session, sheet_id: int) -> ScoreSheet:
    """Re-read the sheet holding its row lock, so two people handling it take turns."""
    session.flush()
    query = select(ScoreSheet).where(ScoreSheet.id == sheet_id).with_for_update()
    return session.scalars(query.execution_options(populate_existing=True)).one()


def _unconfirmed_paper(sheet: ScoreSheet) -> None:
    if sheet.source != SheetSource.PAPER:
        raise JudgingError(N_("This is not a paper sheet."))
    if sheet.confirmed_by_id is not None or sheet.status != SheetStatus.DRAFT:
        raise JudgingError(N_("This paper sheet is already confirmed; only the chief judge "
                              "can reopen it."))


def _write_marks(session: Session, user: User, sheet: ScoreSheet, event: Event,
                 checked: dict[int, tuple[Decimal, Decimal]], reason: str) -> int:
    """Write the values that changed, each with its audit record; returns how many."""
    existing = {m.criterion_id: m for m in session.scalars(
        select(Mark).where(Mark.sheet_id == sheet.id))}
    written = 0
    for criterion_id, (value, points) in checked.items():
        mark = existing.get(criterion_id)
        if mark is not None and Decimal(mark.value) == value:
            continue
        old = {"value": mark.value, "points": mark.points} if mark else None
        if mark is None:
            session.add(Mark(sheet_id=sheet.id, criterion_id=criterion_id, value=value,
                             points=points, updated_by_id=user.id))
        else:
            mark.value, mark.points, mark.updated_by_id = value, points, user.id
        # The same record as a tablet's save_marks, plus why: judging.integrity reads it.
        record(session, actor_id=user.id, action="mark.write", object_type="mark",
               object_id=f"{sheet.id}:{criterion_id}", event_id=event.id, old=old,
               new={"value": value, "points": points}, reason=reason)
        written += 1
    if written:
        sheet.version += 1
        sheet.updated_at = utcnow()
        if event.marking_started_at is None:
            event.marking_started_at = utcnow()
    session.flush()
    return written


# --- Use cases ----------------------------------------------------------------------

def check_can_enter(session: Session, typist: User, entry: Entry, module: Module,
                    judge: User) -> None:
    """Refuse, saying why, when this judge's paper sheet for the entry and module cannot be
    typed in: not allowed, not scoreable, recused, or the judge already has a sheet."""
    event = session.get(Event, entry.event_id)
    _require_clerk(session, typist, event)
    _check_paper(session, entry, module, judge)
    existing = session.scalar(select(ScoreSheet).where(
        ScoreSheet.entry_id == entry.id, ScoreSheet.module_id == module.id,
        ScoreSheet.judge_id == judge.id))
    if existing is None:
        return
    names = {"judge": judge.display_name, "code": entry.code, "module": module.code}
    if existing.source != SheetSource.PAPER:
        raise JudgingError(N_("%(judge)s already has a tablet sheet for %(code)s · "
                              "%(module)s. A sheet is one judge's, from one source: the "
                              "paper sheet cannot be entered."), **names)
    if existing.confirmed_by_id is None:
        raise JudgingError(N_("The paper sheet of %(judge)s for %(code)s · %(module)s is "
                              "already typed in and waits for confirmation."), **names)
    raise JudgingError(N_("The paper sheet of %(judge)s for %(code)s · %(module)s is "
                          "already typed in and confirmed."), **names)


def enter_paper_sheet(session: Session, typist: User, entry: Entry, module: Module,
                      judge: User, values: Mapping[int, Decimal | None]) -> ScoreSheet:
    """Type in a judge's filled paper sheet: a draft that counts once someone else confirms it.

    ``values`` holds what the paper says for each criterion (points, the 0–3
    step, 1/0 for 是/否, or the gauge reading), by criterion id.
    """
    check_can_enter(session, typist, entry, module, judge)
    event = session.get(Event, entry.event_id)
    checked = _checked_values(module, values)
    sheet = ScoreSheet(entry_id=entry.id, module_id=module.id, judge_id=judge.id,
                       status=SheetStatus.DRAFT, source=SheetSource.PAPER,
                       entered_by_id=typist.id, version=1)
    session.add(sheet)
    session.flush()
    _write_marks(session, typist, sheet, event, checked, REASON_ENTERED)
    return sheet


def correct_paper_sheet(session: Session, typist: User, sheet: ScoreSheet,
                        values: Mapping[int, Decimal | None]) -> int:
    """The typist corrects their own entry before it is confirmed; returns marks changed."""
    sheet = _sheet_for_update(session, sheet.id)
    entry = session.get(Entry, sheet.entry_id)
    module = session.get(Module, sheet.module_id)
    event = session.get(Event, entry.event_id)
    _require_clerk(session, typist, event)
    _unconfirmed_paper(sheet)
    if sheet.entered_by_id != typist.id:
        raise JudgingError(N_("Only the person who typed in this paper sheet can correct it."))
    _check_paper(session, entry, module, session.get(User, sheet.judge_id))
    return _write_marks(session, typist, sheet, event, _checked_values(module, values),
                        REASON_CORRECTED)


def confirm_paper_sheet(session: Session, confirmer: User, sheet: ScoreSheet,
                        values: Mapping[int, Decimal | None]) -> Confirmation:
    """The second, blind entry: when every value matches, confirm and submit the sheet.

    When some differ, nothing changes but the log; the answer names the
    criteria that differ — never the first entry's values, so the second entry
    stays a check and not a copy.
    """
    sheet = _sheet_for_update(session, sheet.id)
    entry = session.get(Entry, sheet.entry_id)
    module = session.get(Module, sheet.module_id)
    event = session.get(Event, entry.event_id)
    _require_clerk(session, confirmer, event)
    _unconfirmed_paper(sheet)
    if sheet.entered_by_id == confirmer.id:
        raise JudgingError(N_("You typed in this paper sheet: a different person must "
                              "confirm it."))
    _check_paper(session, entry, module, session.get(User, sheet.judge_id))
    checked = _checked_values(module, values)
    held = {m.criterion_id: Decimal(m.value) for m in session.scalars(
        select(Mark).where(Mark.sheet_id == sheet.id))}
    differing = [c.code for c in module.criteria
                 if held.get(c.id) is None or held[c.id] != checked[c.id][0]]
    if differing:
        record(session, actor_id=confirmer.id, action="sheet.confirm_mismatch",
               object_type="score_sheet", object_id=sheet.id, event_id=event.id,
               new={"differing": differing})
        return Confirmation(sheet=sheet, confirmed=False, differing=differing)
    sheet.confirmed_by_id = confirmer.id
    sheet.version += 1
    record(session, actor_id=confirmer.id, action="sheet.confirm", object_type="score_sheet",
           object_id=sheet.id, event_id=event.id,
           old={"confirmed_by": None},
           new={"confirmed_by": confirmer.id, "entered_by": sheet.entered_by_id})
    sheet = submit_sheet(session, confirmer, sheet)
    return Confirmation(sheet=sheet, confirmed=True)


def discard_paper_sheet(session: Session, user: User, sheet: ScoreSheet, reason: str) -> None:
    """Take back a paper sheet typed in by mistake (e.g. under the wrong judge or station),
    before it is confirmed. Each mark's removal and the discarding are in the log."""
    sheet = _sheet_for_update(session, sheet.id)
    entry = session.get(Entry, sheet.entry_id)
    event = session.get(Event, entry.event_id)
    _require_clerk(session, user, event)
    _unconfirmed_paper(sheet)
    if not (reason or "").strip():
        raise JudgingError(N_("Give the reason for discarding the paper sheet."))
    for mark in session.scalars(select(Mark).where(Mark.sheet_id == sheet.id)).all():
        record(session, actor_id=user.id, action="mark.write", object_type="mark",
               object_id=f"{sheet.id}:{mark.criterion_id}", event_id=event.id,
               old={"value": mark.value, "points": mark.points}, new=None,
               reason=reason.strip())
        session.delete(mark)
    record(session, actor_id=user.id, action="sheet.discard", object_type="score_sheet",
           object_id=sheet.id, event_id=event.id,
           old={"entry": entry.code, "module_id": sheet.module_id, "judge_id": sheet.judge_id,
                "entered_by": sheet.entered_by_id}, reason=reason.strip())
    session.delete(sheet)
    session.flush()


# --- What the paper pages list ------------------------------------------------------

def paper_sheets(session: Session, event: Event) -> list[ScoreSheet]:
    """The event's paper sheets, those waiting for confirmation first, by station."""
    sheets = session.scalars(
        select(ScoreSheet).join(Entry, Entry.id == ScoreSheet.entry_id)
        .join(Module, Module.id == ScoreSheet.module_id)
        .where(Entry.event_id == event.id, ScoreSheet.source == SheetSource.PAPER)
        .options(selectinload(ScoreSheet.entry), selectinload(ScoreSheet.module),
                 selectinload(ScoreSheet.judge))
        .order_by(Entry.station, Module.position, ScoreSheet.id)).all()
    return sorted(sheets, key=lambda s: s.confirmed_by_id is not None)


def last_mismatches(session: Session, sheets: list[ScoreSheet]) -> dict[int, list[str]]:
    """For each unconfirmed sheet whose last confirmation attempt found differences, and
    that has not been corrected since, the criterion codes that differed."""
    waiting = {s.id: s for s in sheets if s.confirmed_by_id is None}
    if not waiting:
        return {}
    rows = session.execute(
        select(AuditEvent.object_id, AuditEvent.new_value, AuditEvent.occurred_at)
        .where(AuditEvent.action == "sheet.confirm_mismatch",
               AuditEvent.object_type == "score_sheet",
               AuditEvent.object_id.in_([str(i) for i in waiting]))
        .order_by(AuditEvent.id)).all()
    found = {}
    for object_id, new_value, occurred_at in rows:
        sheet = waiting[int(object_id)]
        if sheet.updated_at and sheet.updated_at > occurred_at:
            found.pop(sheet.id, None)  # corrected since
            continue
        found[sheet.id] = json.loads(new_value)["differing"]
    return found


def values_of(session: Session, sheet: ScoreSheet) -> dict[int, Decimal]:
    """The values held on a sheet, by criterion id (for the typist's correction only)."""
    return {m.criterion_id: m.value for m in session.scalars(
        select(Mark).where(Mark.sheet_id == sheet.id))}
