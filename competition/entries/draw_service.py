"""Use cases of drawing lots (抽签): stations and anonymous codes, and the draw record.

Functions take the session and plain values, ``flush()`` and raise
``RegistrationError`` when a rule is broken; the view commits once.

Rules (docs/design.md section 5):
- Lots are drawn among the approved entries that have not withdrawn, for the
  whole event or for one division. Stations and codes are unique within the
  event, so a division's draw hands out the stations the other divisions left
  free (the lowest numbers: after the stations already taken) and never a code
  another entry holds.
- A draw is refused once marking has started (judges know entries by their
  codes from then on). Drawing again where lots were already drawn needs an
  explicit confirmation; the earlier draw stays on record, so repeated draws
  can be seen.
- Entries in the draw's scope that do not take part (pending, rejected or
  withdrawn) lose any station and code they held, which frees them.
- The draw is stored with its seed and every input, so anyone can recompute
  it (``lots.verify``); the record page says whether that gives the same result.

The inputs and the result are kept in ``LotDraw.inputs``, under the keys written
by ``_record_inputs``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from competition.auth.models import User
from competition.entries import lots
from competition.entries.models import Attendance, Entry, LotDraw, RegistrationStatus
from competition.entries.service import RegistrationError
from competition.events.models import Division, Event
from competition.events.scheme import N_

MAX_NOTE = 500


def takes_part(entry: Entry) -> bool:
    """Whether an entry draws lots: approved and not withdrawn."""
    return (entry.status == RegistrationStatus.APPROVED
            and entry.attendance != Attendance.WITHDRAWN)


def event_entries(session: Session, event: Event) -> list[Entry]:
    """Every entry of the event, with contestant and division, in a stable order."""
    return list(session.scalars(
        select(Entry).where(Entry.event_id == event.id)
        .options(joinedload(Entry.contestant), joinedload(Entry.division))
        .order_by(Entry.id)))


def default_code_prefix(session: Session, event: Event) -> str:
    """The prefix codes of this event already use, else a letter for the event:
    A for the competition's first event, B for the second …"""
    for code in session.scalars(select(Entry.code).where(
            Entry.event_id == event.id, Entry.code.is_not(None)).order_by(Entry.id)):
        prefix = code.rstrip("0123456789")
        if lots.CODE_PREFIX.fullmatch(prefix):
            return prefix
    index = next((i for i, e in enumerate(event.competition.events) if e.id == event.id), 0)
    return chr(ord("A") + index % 26)


def draw_lots(session: Session, event: Event, division: Division | None, drawn_by: User | None,
              code_prefix: str, *, code_digits: int = 3, redraw: bool = False,
              note: str = "") -> LotDraw:
    """Draw stations and codes for the event, or one of its divisions, and record the draw.

    Refused when marking has started, when there is no one to draw, and where
    lots were already drawn unless ``redraw`` is confirmed.
    """
    if event.marking_started_at is not None:
        raise RegistrationError(N_("Marking has started in %(event)s: stations and codes "
                                   "can no longer be drawn."), event=event.name)
    if division is not None and division.event_id != event.id:
        raise RegistrationError(N_("Choose a division of %(event)s."), event=event.name)
    everyone = event_entries(session, event)
    in_scope = [e for e in everyone if division is None or e.division_id == division.id]
    drawing = [e for e in in_scope if takes_part(e)]
    scope = division.name if division is not None else event.name
    if not drawing:
        raise RegistrationError(N_("There is no one to draw lots for in %(scope)s: it has no "
                                   "approved entries that have not withdrawn."), scope=scope)
    if not redraw and any(e.station is not None or e.code is not None for e in in_scope):
        raise RegistrationError(N_("Lots have already been drawn in %(scope)s. Confirm to "
                                   "draw again; the earlier draw stays on record."),
                                scope=scope)
    scope_ids = {e.id for e in in_scope}
    others = [e for e in everyone if e.id not in scope_ids]
    stations = lots.free_stations((e.station for e in others if e.station is not None),
                                  len(drawing))
    taken_codes = sorted(e.code for e in others if e.code is not None)
    seed = secrets.token_hex(16)
    entry_ids = [e.id for e in drawing]
    try:
        result = lots.draw(seed, entry_ids, code_prefix, code_digits, stations=stations,
                           taken_codes=taken_codes)
    except lots.DrawError as error:
        raise RegistrationError(error.message, **error.params) from error

    record = LotDraw(event_id=event.id, division_id=division.id if division else None,
                     seed=seed, drawn_by_id=drawn_by.id if drawn_by else None,
                     inputs=_record_inputs(entry_ids, stations, code_prefix, code_digits,
                                           taken_codes, result),
                     note=(note or "").strip()[:MAX_NOTE])
    session.add(record)
    # Free every old station and code of the scope first: the database checks
    # uniqueness row by row, so handing them out again in one pass could clash.
    for entry in in_scope:
        entry.station = entry.code = entry.draw_id = None
    session.flush()
    by_id = {e.id: e for e in drawing}
    for lot in result:
        entry = by_id[lot.entry_id]
        entry.station, entry.code, entry.draw_id = lot.station, lot.code, record.id
    session.flush()
    return record


def _record_inputs(entry_ids, stations, code_prefix, code_digits, taken_codes,
                   result) -> dict:
    return {
        "algorithm": lots.ALGORITHM,
        "entry_ids": sorted(entry_ids),
        "stations": list(stations),
        "code_prefix": code_prefix,
        "code_digits": code_digits,
        "taken_codes": list(taken_codes),
        "result": [list(lot) for lot in result],
    }


# --- The record of a draw -------------------------------------------------------------

@dataclass
class RecordLine:
    """One entry of a draw as recorded, and whether the entry still holds it."""

    lot: lots.Lot
    entry: Entry | None
    state: str  # "current", "superseded" (a later draw replaced it), "changed", "missing"


@dataclass
class DrawRecord:
    draw: LotDraw
    inputs: dict
    lines: list[RecordLine] = field(default_factory=list)
    verifiable: bool = False  # the inputs were recorded
    reproducible: bool = False  # recomputing from the seed gives the recorded result

    @property
    def note(self) -> str:
        return self.draw.note

    @property
    def current(self) -> bool:
        return bool(self.lines) and all(line.state == "current" for line in self.lines)


def read_inputs(draw: LotDraw) -> dict:
    """The draw's recorded inputs and result; empty for a draw recorded without them."""
    inputs = draw.inputs
    keys = {"entry_ids", "stations", "code_prefix", "code_digits", "taken_codes", "result"}
    return inputs if isinstance(inputs, dict) and keys <= inputs.keys() else {}


def recompute(draw: LotDraw, inputs: dict) -> bool:
    """Whether the seed and recorded inputs give the recorded result (``lots.verify``)."""
    return lots.verify(draw.seed, inputs["entry_ids"], inputs["code_prefix"],
                       inputs["code_digits"], stations=inputs["stations"],
                       taken_codes=inputs["taken_codes"], result=inputs["result"])


def draw_record(session: Session, draw: LotDraw) -> DrawRecord:
    """The draw as recorded, checked against its seed and against the entries now."""
    inputs = read_inputs(draw)
    record = DrawRecord(draw=draw, inputs=inputs)
    try:
        recorded = sorted((lots.Lot(int(e), int(s), str(c)) for e, s, c in inputs["result"]),
                          key=lambda lot: lot.station)
        record.reproducible = recompute(draw, inputs)
    except (KeyError, TypeError, ValueError):
        return record  # recorded without its inputs, or they are unreadable
    record.verifiable = True
    entries = {e.id: e for e in session.scalars(
        select(Entry).where(Entry.id.in_([lot.entry_id for lot in recorded]))
        .options(joinedload(Entry.contestant), joinedload(Entry.division)))}
    for lot in recorded:
        entry = entries.get(lot.entry_id)
        if entry is None:
            state = "missing"
        elif entry.draw_id != draw.id:
            state = "superseded"
        elif (entry.station, entry.code) != (lot.station, lot.code):
            state = "changed"
        else:
            state = "current"
        record.lines.append(RecordLine(lot=lot, entry=entry, state=state))
    return record


@dataclass
class DivisionState:
    """How far the draw has come in one division, for the draw page."""

    division: Division
    taking_part: int = 0
    drawn: int = 0
    entries: list[Entry] = field(default_factory=list)

    @property
    def any_drawn(self) -> bool:
        return any(e.station is not None or e.code is not None for e in self.entries)


def division_states(session: Session, event: Event) -> list[DivisionState]:
    """Per division: how many take part, how many of them hold a station, and who."""
    states = {d.id: DivisionState(division=d) for d in event.divisions}
    for entry in event_entries(session, event):
        state = states.get(entry.division_id)
        if state is None:
            continue
        state.entries.append(entry)
        if takes_part(entry):
            state.taking_part += 1
            if entry.station is not None and entry.code is not None:
                state.drawn += 1
    for state in states.values():
        state.entries.sort(key=lambda e: (e.station is None, e.station or 0, e.id))
    return list(states.values())
