"""What the judge's tablet shows, as plain data: the same for the pages and the JSON API.

Entries appear by station (工位号) and anonymous code (加密号) only — never a
name, work unit, ID number or phone (docs/design.md section 5, Integrity). Numbers
are plain decimal strings ("7.5", "38.012"), so the page's script and the API
read them the same way and no value is bent by floating point.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from competition.auth.models import User
from competition.entries.models import Entry, EventSession
from competition.errors import N_
from competition.events.models import Module, PanelRole
from competition.judging import scoring
from competition.judging.models import Mark, ScoreSheet, SheetSource

CRITERION_RULE_FIELDS = ("nominal", "tolerance_lower", "tolerance_upper", "deduction_step",
                         "deduction_points", "deduction_limit")


def plain(number: Decimal | None) -> str | None:
    """7.5000 → "7.5", 100 → "100"; None stays None."""
    if number is None:
        return None
    text = format(Decimal(number), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def sheet_ref(sheet: ScoreSheet) -> dict:
    """Where a sheet stands; ``version`` rises on every change."""
    return {"id": sheet.id, "status": sheet.status, "version": sheet.version,
            "submitted_at": sheet.submitted_at.isoformat() if sheet.submitted_at else None}


def marks_of(session: Session, sheet: ScoreSheet) -> dict[str, dict]:
    """The sheet's marks as the database holds them now, by criterion id."""
    return marks_document(session.scalars(select(Mark).where(Mark.sheet_id == sheet.id)
                                          .execution_options(populate_existing=True)))


def marks_document(marks: Iterable[Mark]) -> dict[str, dict]:
    """Marks by criterion id, as the tablet reads them."""
    return {str(m.criterion_id): {"value": plain(m.value), "points": plain(m.points)}
            for m in marks}


def total_of(marks: dict[str, dict]) -> str:
    return plain(sum((Decimal(m["points"]) for m in marks.values()), Decimal(0)))


def sheet_document(session: Session, sheet: ScoreSheet) -> dict:
    """The sheet: its entry (station and code), module, criteria with their rules, marks."""
    sheet = session.scalars(
        select(ScoreSheet).where(ScoreSheet.id == sheet.id)
        .options(selectinload(ScoreSheet.module).selectinload(Module.criteria),
                 selectinload(ScoreSheet.entry))).one()
    marks = marks_of(session, sheet)
    return {**sheet_ref(sheet), **_sheet_parts(sheet.entry, sheet.module),
            "marks": marks, "total": total_of(marks)}


def unopened_sheet_document(entry: Entry, module: Module) -> dict:
    """A sheet the judge has not opened yet, as the tablet shows it: no id, not started,
    no marks. Showing it changes nothing; the tablet opens the sheet when it saves."""
    return {"id": None, "status": "not_started", "version": 0, "submitted_at": None,
            **_sheet_parts(entry, module), "marks": {}, "total": "0"}


def _sheet_parts(entry: Entry, module: Module) -> dict:
    criteria = [{
        "id": c.id, "code": c.code, "description": c.description,
        "max_points": plain(c.max_points), "kind": c.kind, "entry_mode": c.entry_mode,
        "unit": c.unit, **{name: plain(getattr(c, name)) for name in CRITERION_RULE_FIELDS},
    } for c in module.criteria]
    return {
        "entry": {"id": entry.id, "station": entry.station, "code": entry.code},
        "module": {"id": module.id, "code": module.code, "name": module.name,
                   "max_score": plain(module.max_score)},
        "criteria": criteria,
    }


def kept_sheet(session: Session, judge: User, entry: Entry,
               module: Module) -> ScoreSheet | None:
    """The judge's sheet for the entry and module if they have one, read without opening
    it — for the copy a tablet keeps to work offline. Refuses what opening would refuse:
    what the judge may not score (``scoring.check_may_score``), and a sheet on paper."""
    sheet = session.scalar(select(ScoreSheet).where(
        ScoreSheet.entry_id == entry.id, ScoreSheet.module_id == module.id,
        ScoreSheet.judge_id == judge.id))
    scoring.check_may_score(session, judge, entry, module, sheet)
    if sheet is not None and sheet.source == SheetSource.PAPER:
        raise scoring.JudgingError(N_("Your sheet for entry %(code)s is on paper; it is typed "
                                      "in and confirmed at the desk, not on the tablet."),
                                   code=entry.code)
    return sheet


def assignment_documents(session: Session, judge: User) -> list[dict]:
    """The events the user judges (not those they chair), each module with the entries
    offered — recused ones are left out by ``scoring.assignments`` — and sheet states;
    each entry names its session (场次), and each event lists its sessions."""
    documents = []
    for assignment in scoring.assignments(session, judge):
        if assignment.role != PanelRole.JUDGE:
            continue
        event = assignment.event
        sittings = {s.id: s for s in session.scalars(
            select(EventSession).where(EventSession.event_id == event.id)
            .order_by(EventSession.position, EventSession.id))}
        modules = []
        for module in assignment.modules:
            entries = []
            for entry in assignment.entries:
                sheet = assignment.sheets.get((entry.id, module.id))
                sitting = sittings.get(entry.session_id)
                entries.append({
                    "entry_id": entry.id, "station": entry.station, "code": entry.code,
                    "session_id": entry.session_id,
                    "session": sitting.name if sitting else None,
                    "state": "review" if scoring.under_review(sheet)
                    else assignment.state(entry.id, module.id),
                    "sheet_id": sheet.id if sheet else None,
                    "version": sheet.version if sheet else None,
                })
            modules.append({
                "id": module.id, "code": module.code, "name": module.name,
                "max_score": plain(module.max_score), "criteria": len(module.criteria),
                "entries": entries,
                "submitted": sum(1 for e in entries if e["state"] == "submitted"),
            })
        documents.append({"event_id": event.id, "event": event.name,
                          "competition": event.competition.name,
                          "sessions": [{"id": s.id, "name": s.name, "starts_at": s.starts_at,
                                        "room": s.room} for s in sittings.values()],
                          "locked": event.scores_locked_at is not None, "modules": modules,
                          "reviews": sum(1 for m in modules for e in m["entries"]
                                         if e["state"] == "review")})
    return documents
