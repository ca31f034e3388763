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
- With sessions (场次), each entry draws a session and a station in it: the draw
  spreads the entries over the sessions in proportion to their free stations
  (``lots.session_places``), and the sessions' ids, stations and stations taken
  are recorded, so ``lots.verify_places`` recomputes it. Without sessions,
  stations are 1..n per event as before.
- A late addition (补充抽签, ``add_late_entries``) places the approved entries that
  have neither station nor code after the draw, without moving anyone: the next
  free places (or station numbers) and fresh codes never used in the event,
  recorded as a draw of kind "addition" with its seed and inputs.

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
from competition.entries.models import (
    Attendance,
    DrawKind,
    Entry,
    EventSession,
    LotDraw,
    RegistrationStatus,
)
from competition.entries.registrations import RegistrationError, refuse_after_lock
from competition.errors import N_
from competition.events.models import Division, Event

MAX_NOTE = 500


def takes_part(entry: Entry) -> bool:
    """Whether an entry draws lots: approved and not withdrawn."""
    return (entry.status == RegistrationStatus.APPROVED
            and entry.attendance != Attendance.WITHDRAWN)


def event_entries(session: Session, event: Event) -> list[Entry]:
    """Every entry of the event, with contestant and division, in a stable order."""
    return list(session.scalars(
        select(Entry).where(Entry.event_id == event.id)
        .options(joinedload(Entry.contestant), joinedload(Entry.division),
                 joinedload(Entry.session))
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
    taken_codes = sorted(e.code for e in others if e.code is not None)
    seed = secrets.token_hex(16)
    entry_ids = [e.id for e in drawing]
    rooms = _rooms(session, event, others)
    try:
        if rooms:
            places = lots.session_places(rooms, len(drawing), lots.PLACEMENT_SPREAD)
            result = lots.draw_places(seed, entry_ids, code_prefix, code_digits,
                                      places=places, taken_codes=taken_codes)
            inputs = _record_session_inputs(entry_ids, rooms, lots.PLACEMENT_SPREAD, places,
                                            code_prefix, code_digits, taken_codes, result)
        else:
            stations = lots.free_stations(
                (e.station for e in others if e.station is not None and e.session_id is None),
                len(drawing))
            result = lots.draw(seed, entry_ids, code_prefix, code_digits, stations=stations,
                               taken_codes=taken_codes)
            inputs = _record_inputs(entry_ids, stations, code_prefix, code_digits,
                                    taken_codes, result)
    except lots.DrawError as error:
        raise RegistrationError(error.message, **error.params) from error

    record = LotDraw(event_id=event.id, division_id=division.id if division else None,
                     seed=seed, kind=DrawKind.DRAW,
                     drawn_by_id=drawn_by.id if drawn_by else None, inputs=inputs,
                     note=(note or "").strip()[:MAX_NOTE])
    session.add(record)
    # Free every old station and code of the scope first: the database checks
    # uniqueness row by row, so handing them out again in one pass could clash.
    for entry in in_scope:
        entry.session_id = entry.station = entry.code = entry.draw_id = None
    session.flush()
    _place(drawing, result, record)
    session.flush()
    return record


def add_late_entries(session: Session, event: Event, drawn_by: User | None, *,
                     note: str = "") -> LotDraw:
    """Place the entries approved after the draw (补充抽签) without moving anyone.

    Every approved entry that has not withdrawn and holds neither station nor code
    gets the next free place — the lowest free station of the first session with
    room, or without sessions the lowest station number free in the event — and a
    code of the event's prefix and length never used in the event (held now or
    handed out by any earlier draw). Refused before the first draw, when nobody
    waits, when no session has room, and once the scores are locked.
    """
    refuse_after_lock(event)
    everyone = event_entries(session, event)
    if not any(e.station is not None or e.code is not None for e in everyone):
        raise RegistrationError(N_("Lots have not been drawn in %(event)s yet: draw lots for "
                                   "every entry first."), event=event.name)
    waiting = [e for e in everyone
               if takes_part(e) and e.station is None and e.code is None]
    if not waiting:
        raise RegistrationError(N_("Every approved entry of %(event)s already has a station "
                                   "and a code: there is no one to add."), event=event.name)
    code_prefix = default_code_prefix(session, event)
    code_digits = _code_digits(everyone, code_prefix)
    taken_codes = sorted(_codes_ever_used(session, event, everyone))
    seed = secrets.token_hex(16)
    entry_ids = [e.id for e in waiting]
    rooms = _rooms(session, event, everyone)
    try:
        if rooms:
            places = lots.session_places(rooms, len(waiting), lots.PLACEMENT_NEXT_FREE)
            result = lots.draw_places(seed, entry_ids, code_prefix, code_digits,
                                      places=places, taken_codes=taken_codes)
            inputs = _record_session_inputs(entry_ids, rooms, lots.PLACEMENT_NEXT_FREE,
                                            places, code_prefix, code_digits, taken_codes,
                                            result)
        else:
            stations = lots.free_stations(
                (e.station for e in everyone if e.station is not None and e.session_id is None),
                len(waiting))
            result = lots.draw(seed, entry_ids, code_prefix, code_digits, stations=stations,
                               taken_codes=taken_codes)
            inputs = _record_inputs(entry_ids, stations, code_prefix, code_digits,
                                    taken_codes, result)
    except lots.DrawError as error:
        raise RegistrationError(error.message, **error.params) from error
    record = LotDraw(event_id=event.id, division_id=None, seed=seed, kind=DrawKind.ADDITION,
                     drawn_by_id=drawn_by.id if drawn_by else None, inputs=inputs,
                     note=(note or "").strip()[:MAX_NOTE])
    session.add(record)
    session.flush()
    _place(waiting, result, record)
    session.flush()
    return record


def waiting_for_addition(session: Session, event: Event) -> list[Entry]:
    """Entries a late addition would place: approved, not withdrawn, with neither
    station nor code, in an event where lots were drawn."""
    everyone = event_entries(session, event)
    if not any(e.station is not None or e.code is not None for e in everyone):
        return []
    return [e for e in everyone if takes_part(e) and e.station is None and e.code is None]


def redraw_changes(session: Session, event: Event) -> dict[int, int]:
    """For the draw form's confirmation: per scope (0 the whole event, else a division
    id), how many entries hold a station or code that drawing again would change."""
    changes = {0: 0}
    for entry in event_entries(session, event):
        if entry.station is not None or entry.code is not None:
            changes[0] += 1
            changes[entry.division_id] = changes.get(entry.division_id, 0) + 1
    return changes


def _rooms(session: Session, event: Event, holders: list[Entry]) -> list[lots.SessionRoom]:
    """The event's sessions as a draw sees them, with the stations ``holders`` hold."""
    taken: dict[int, set[int]] = {}
    for entry in holders:
        if entry.session_id is not None and entry.station is not None:
            taken.setdefault(entry.session_id, set()).add(entry.station)
    return [lots.SessionRoom(s.id, s.stations, tuple(sorted(taken.get(s.id, ()))))
            for s in session.scalars(select(EventSession)
                                     .where(EventSession.event_id == event.id)
                                     .order_by(EventSession.position, EventSession.starts_at,
                                               EventSession.id))]


def _place(entries: list[Entry], result, record: LotDraw) -> None:
    by_id = {e.id: e for e in entries}
    for lot in result:
        entry = by_id[lot.entry_id]
        if isinstance(lot, lots.PlacedLot):
            entry.session_id = lot.session_id
        entry.station, entry.code, entry.draw_id = lot.station, lot.code, record.id


def _code_digits(entries: list[Entry], prefix: str) -> int:
    """The number of digits the event's codes have (3 when none is known)."""
    for entry in entries:
        if entry.code and entry.code.startswith(prefix):
            digits = len(entry.code) - len(prefix)
            if digits in lots.CODE_DIGITS:
                return digits
    return lots.CODE_DIGITS[0]


def _codes_ever_used(session: Session, event: Event, entries: list[Entry]) -> set[str]:
    """Codes entries hold now, and every code an earlier draw of the event handed out."""
    used = {e.code for e in entries if e.code}
    for draw in session.scalars(select(LotDraw).where(LotDraw.event_id == event.id)):
        for row in (read_inputs(draw).get("result") or []):
            if isinstance(row, list | tuple) and row:
                used.add(str(row[-1]))
    return used


def _record_session_inputs(entry_ids, rooms, placement, places, code_prefix, code_digits,
                           taken_codes, result) -> dict:
    return {
        "algorithm": lots.ALGORITHM,
        "entry_ids": sorted(entry_ids),
        "sessions": [[room.session_id, room.stations, list(room.taken)] for room in rooms],
        "placement": placement,
        "places": [list(place) for place in places],
        "code_prefix": code_prefix,
        "code_digits": code_digits,
        "taken_codes": list(taken_codes),
        "result": [list(lot) for lot in result],
    }


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
    session: EventSession | None = None  # the session drawn, for a draw into sessions


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
    def with_sessions(self) -> bool:
        return "sessions" in self.inputs

    @property
    def current(self) -> bool:
        return bool(self.lines) and all(line.state == "current" for line in self.lines)


def read_inputs(draw: LotDraw) -> dict:
    """The draw's recorded inputs and result; empty for a draw recorded without them."""
    inputs = draw.inputs
    keys = {"entry_ids", "code_prefix", "code_digits", "taken_codes", "result"}
    if not isinstance(inputs, dict) or not keys <= inputs.keys():
        return {}
    return inputs if "stations" in inputs or "sessions" in inputs else {}


def recompute(draw: LotDraw, inputs: dict) -> bool:
    """Whether the seed and recorded inputs give the recorded result (``lots.verify``, or
    ``lots.verify_places`` for a draw into sessions)."""
    if "sessions" in inputs:
        return lots.verify_places(
            draw.seed, inputs["entry_ids"], inputs["code_prefix"], inputs["code_digits"],
            sessions=inputs["sessions"], placement=inputs.get("placement", "spread"),
            taken_codes=inputs["taken_codes"], result=inputs["result"])
    return lots.verify(draw.seed, inputs["entry_ids"], inputs["code_prefix"],
                       inputs["code_digits"], stations=inputs["stations"],
                       taken_codes=inputs["taken_codes"], result=inputs["result"])


def draw_record(session: Session, draw: LotDraw) -> DrawRecord:
    """The draw as recorded, checked against its seed and against the entries now."""
    inputs = read_inputs(draw)
    record = DrawRecord(draw=draw, inputs=inputs)
    try:
        rows = [(int(row[0]), int(row[-3]) if len(row) == 4 else None, int(row[-2]),
                 str(row[-1])) for row in inputs["result"]]
        rows.sort(key=lambda row: (row[1] or 0, row[2]))
        record.reproducible = recompute(draw, inputs)
    except (KeyError, TypeError, ValueError, IndexError):
        return record  # recorded without its inputs, or they are unreadable
    record.verifiable = True
    entries = {e.id: e for e in session.scalars(
        select(Entry).where(Entry.id.in_([row[0] for row in rows]))
        .options(joinedload(Entry.contestant), joinedload(Entry.division)))}
    sittings = {s.id: s for s in session.scalars(
        select(EventSession).where(EventSession.event_id == draw.event_id))}
    for entry_id, session_id, station, code in rows:
        lot = lots.Lot(entry_id, station, code)
        entry = entries.get(entry_id)
        if entry is None:
            state = "missing"
        elif entry.draw_id != draw.id:
            state = "superseded"
        elif (entry.session_id, entry.station, entry.code) != (session_id, station, code):
            state = "changed"
        else:
            state = "current"
        record.lines.append(RecordLine(lot=lot, entry=entry, state=state,
                                       session=sittings.get(session_id)))
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
        state.entries.sort(key=lambda e: (e.station is None,
                                          e.session.position if e.session else 0,
                                          e.station or 0, e.id))
    return list(states.values())


def draw_substitute(session: Session, event: Event, substitute: Entry, *,
                    session_id: int | None, station: int, drawn_by: User | None,
                    note: str = "") -> LotDraw:
    """A new code for a substitute (替补) taking a withdrawn entry's place, drawn like a
    late addition and recorded as a draw of kind "substitution" with its inputs.

    The one place offered is the withdrawn entry's ``station``, in its session when it
    has one (recorded as that session with every other station taken), so the record
    recomputes (``recompute``) and shows the substitute there. The code is one never used
    in the event, so the withdrawn contestant's code is never handed out again. The
    caller frees the withdrawn entry's station first.
    """
    everyone = event_entries(session, event)
    code_prefix = default_code_prefix(session, event)
    code_digits = _code_digits(everyone, code_prefix)
    taken_codes = sorted(_codes_ever_used(session, event, everyone))
    seed = secrets.token_hex(16)
    try:
        if session_id is not None:
            stations = max(session.get(EventSession, session_id).stations, station)
            rooms = [lots.SessionRoom(session_id, stations,
                                      tuple(s for s in range(1, stations + 1) if s != station))]
            places = lots.session_places(rooms, 1, lots.PLACEMENT_NEXT_FREE)
            result = lots.draw_places(seed, [substitute.id], code_prefix, code_digits,
                                      places=places, taken_codes=taken_codes)
            inputs = _record_session_inputs([substitute.id], rooms, lots.PLACEMENT_NEXT_FREE,
                                            places, code_prefix, code_digits, taken_codes,
                                            result)
        else:
            result = lots.draw(seed, [substitute.id], code_prefix, code_digits,
                               stations=[station], taken_codes=taken_codes)
            inputs = _record_inputs([substitute.id], [station], code_prefix, code_digits,
                                    taken_codes, result)
    except lots.DrawError as error:
        raise RegistrationError(error.message, **error.params) from error
    record = LotDraw(event_id=event.id, division_id=substitute.division_id, seed=seed,
                     kind=DrawKind.SUBSTITUTION, drawn_by_id=drawn_by.id if drawn_by else None,
                     inputs=inputs, note=(note or "").strip()[:MAX_NOTE])
    session.add(record)
    session.flush()
    _place([substitute], result, record)
    session.flush()
    return record
