"""Changes to a registration after it was made: corrections (更正) and substitutes (替补).

The entries stage's part of them; ``competition.corrections`` wraps them with what
later stages decide (results final, published results to republish, sheets a judge
of the contestant's new work unit already scored). Functions take the session and
plain values, ``flush()`` and raise ``RegistrationError``; the caller commits once.

Rules:
- A correction changes the name, work unit, phone or division, with a reason kept in
  the audit log (``registration.correct``: who, when, old → new, why). Contestants are
  not in ``audit.state.AUDITED``, so the record is written here. Name, work unit and
  phone are the person's (``Contestant``): they change on every entry of that person in
  the competition. The record is kept out of the event's log (no ``event_id``): the
  chief judge reads that log, and it must not tie a name to an entry before decoding.
  Phones are recorded masked, as supervisors read them.
- The ID number (and the sex and birth date it gives) is not corrected: it is who the
  person is, and decides the once-a-year promotion rule across competitions. A wrong
  ID number is a withdrawal and a new registration (or a substitute).
- A division changes only until the event's scores are locked: after the lock it would
  change the ranking of two divisions already signed off.
- A substitute takes a withdrawn entry's division, session and station, until marking
  starts; the withdrawn entry's station is freed in the same transaction. The
  substitute has their own ticket number and private link, and draws a new code
  (``draw_service.draw_substitute``), recorded as a draw of kind ``substitution``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from competition.audit.log import record
from competition.audit.models import AuditEvent
from competition.auth.models import User
from competition.entries import draws
from competition.entries.idcard import mask_phone
from competition.entries.models import Attendance, Entry
from competition.entries.registrations import RegistrationError, eligibility_of, register
from competition.entries.validation import LANDLINE, MOBILE, PersonData, check_eligibility
from competition.errors import N_, Problem
from competition.events.models import Division

MAX_REASON = 500
PERSON_FIELDS = ("name", "work_unit", "phone")
# The actions the entry page lists as the registration's history.
HISTORY_ACTIONS = ("registration.correct", "registration.withdraw", "registration.substitute",
                   "entry.correct")


def checked_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise RegistrationError(N_("Give the reason for the change; it is kept in the "
                                   "audit log."))
    if len(reason) > MAX_REASON:
        raise RegistrationError(N_("The reason is too long (at most %(n)s characters)."),
                                n=MAX_REASON)
    return reason


@dataclass
class Correction:
    """What a correction changed: ``old`` and ``new`` values by field."""

    old: dict
    new: dict

    @property
    def person_changed(self) -> bool:
        return any(name in self.new for name in PERSON_FIELDS)


def correction_of(entry: Entry, *, name: str | None = None, work_unit: str | None = None,
                  phone: str | None = None, division: Division | None = None,
                  today: date) -> Correction:
    """The fields that would change, checked; refuse with every problem, changing nothing.

    ``None`` leaves a field as it is.
    """
    person = entry.contestant
    event = entry.event
    problems: list[Problem] = []
    old: dict = {}
    new: dict = {}
    if name is not None:
        name = name.strip()
        if not name:
            problems.append(Problem(N_("The name is missing."), column="name"))
        elif len(name) > 50:
            problems.append(Problem(N_("The name is too long."), column="name"))
        elif name != person.name:
            old["name"], new["name"] = person.name, name
    if work_unit is not None:
        work_unit = work_unit.strip()
        if len(work_unit) > 200:
            problems.append(Problem(N_("The work unit is too long."), column="work_unit"))
        elif work_unit != person.work_unit:
            old["work_unit"], new["work_unit"] = person.work_unit, work_unit
    if phone is not None:
        phone = "".join(phone.split())
        if phone and not (MOBILE.match(phone) or LANDLINE.match(phone)):
            problems.append(Problem(N_("The phone number is not a valid mobile or landline "
                                       "number."), column="phone"))
        elif phone != person.phone:
            old["phone"], new["phone"] = person.phone, phone
    if division is not None and division.id != entry.division_id:
        if division.event_id != event.id:
            problems.append(Problem(N_("Choose a division of %(event)s."),
                                    {"event": event.name}, column="division"))
        elif event.scores_locked_at is not None:
            problems.append(Problem(
                N_("The scores of %(event)s are locked: moving an entry to another division "
                   "would change the ranking of both divisions. Withdraw the entry instead, "
                   "or ask the chief judge to reopen the scores."),
                {"event": event.name}, column="division"))
        else:
            data = PersonData(name=person.name, id_number=person.id_number, sex=person.sex,
                              birth_date=person.birth_date)
            problems += check_eligibility(data, eligibility_of(event, today), division.kind,
                                          is_student=entry.is_student)
            old["division_id"], new["division_id"] = entry.division_id, division.id
            old["division"], new["division"] = entry.division.name, division.name
    if problems:
        raise RegistrationError(N_("The correction was refused; nothing was changed."),
                                problems=problems)
    if not new:
        raise RegistrationError(N_("Nothing to correct: the details given are the ones "
                                   "registered."))
    return Correction(old=old, new=new)


def apply_correction(session: Session, entry: Entry, correction: Correction, *, reason: str,
                     actor_id: int | None) -> None:
    """Write a checked correction and record it with its reason."""
    person = entry.contestant
    for name in PERSON_FIELDS:
        if name in correction.new:
            setattr(person, name, correction.new[name])
    if "division_id" in correction.new:
        entry.division_id = correction.new["division_id"]
    session.flush()
    session.expire(entry, ["division"])

    def logged(values: dict) -> dict:
        if "phone" in values:
            values = {**values, "phone": mask_phone(values["phone"]) if values["phone"] else ""}
        return values

    record(session, actor_id=actor_id, action="registration.correct", object_type="entry",
           object_id=entry.id, old=logged(correction.old), new=logged(correction.new),
           reason=reason)


def entries_of_person(session: Session, entry: Entry) -> list[Entry]:
    """Every entry of the entry's contestant (the person is a row of one competition)."""
    return list(session.scalars(select(Entry).where(
        Entry.contestant_id == entry.contestant_id).order_by(Entry.id)))


def substitute_for(session: Session, withdrawn: Entry) -> Entry | None:
    return session.scalar(select(Entry).where(Entry.replaces_entry_id == withdrawn.id))


def register_substitute(session: Session, withdrawn: Entry, person: PersonData, *,
                        actor: User | None, reason: str, today: date) -> Entry:
    """Enter ``person`` in a withdrawn entry's place: its division, session and station,
    a new code, ticket number and private link. Refused once marking has started."""
    event = withdrawn.event
    reason = checked_reason(reason)
    if event.marking_started_at is not None:
        raise RegistrationError(N_("Marking has started in %(event)s: a substitute can no "
                                   "longer take a withdrawn contestant's place."),
                                event=event.name)
    if withdrawn.attendance != Attendance.WITHDRAWN:
        raise RegistrationError(N_("Only a withdrawn entry can be replaced: record the "
                                   "withdrawal first."))
    taken_by = substitute_for(session, withdrawn)
    if taken_by is not None:
        raise RegistrationError(N_("%(name)s has already been replaced by %(substitute)s."),
                                name=withdrawn.contestant.name,
                                substitute=taken_by.contestant.name)
    substitute = register(session, event, withdrawn.division, person, today=today,
                          reviewed_by=actor)
    place = {"session_id": withdrawn.session_id, "station": withdrawn.station}
    substitute.replaces_entry_id = withdrawn.id
    if withdrawn.code is None or withdrawn.station is None:
        # Lots not drawn yet: the draw places the substitute like everyone else.
        session.flush()
    else:
        # Free the station first: the database checks one entry per station row by row.
        withdrawn.station = None
        session.flush()
        draws.draw_substitute(
            session, event, substitute, session_id=place["session_id"],
            station=place["station"], drawn_by=actor,
            note=f"替补 {withdrawn.ticket_number or withdrawn.id} → "
                 f"{substitute.ticket_number or substitute.id}")
    record(session, actor_id=actor.id if actor else None, action="registration.substitute",
           object_type="entry", object_id=withdrawn.id, event_id=event.id,
           old=place, new={"substitute_entry_id": substitute.id, **place,
                           "code": substitute.code},
           reason=reason)
    return substitute


# --- The history shown on the entry page ----------------------------------------------

@dataclass
class HistoryLine:
    at: datetime
    actor: str
    action: str
    old: dict
    new: dict
    reason: str


def history(session: Session, entry: Entry) -> list[HistoryLine]:
    """The registration's changes from the audit log, oldest first: corrections of the
    person (on any of their entries), of this entry, its withdrawal and substitutions."""
    ids = {e.id for e in entries_of_person(session, entry)} | {entry.id}
    if entry.replaces_entry_id:
        ids.add(entry.replaces_entry_id)
    ids |= set(session.scalars(select(Entry.id).where(Entry.replaces_entry_id == entry.id)))
    rows = session.execute(
        select(AuditEvent, User.display_name).outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.object_type == "entry",
               AuditEvent.object_id.in_([str(i) for i in ids]),
               or_(*(AuditEvent.action == action for action in HISTORY_ACTIONS)))
        .order_by(AuditEvent.id)).all()
    return [HistoryLine(at=event.occurred_at, actor=name or "—", action=event.action,
                        old=_loaded(event.old_value), new=_loaded(event.new_value),
                        reason=event.reason) for event, name in rows]


def _loaded(text: str) -> dict:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
