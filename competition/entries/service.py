"""Use cases of registration (报名): contestants, entries, approval and check-in.

Functions take the session and plain values, ``flush()`` and raise
``RegistrationError`` (with every problem) when a rule is broken.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from competition.auth.models import User
from competition.dbtypes import utcnow
from competition.entries.models import (
    Attendance,
    Contestant,
    Entry,
    EntrySource,
    IdType,
    RegistrationStatus,
)
from competition.entries.validation import (
    Eligibility,
    PersonData,
    check_eligibility,
    check_person,
)
from competition.errors import DomainError
from competition.events.models import Competition, Division, Event
from competition.events.scheme import N_, Problem


class RegistrationError(DomainError):
    """A registration broke a rule; ``problems`` lists every one."""


def eligibility_of(event: Event, today: date) -> Eligibility:
    """The event's rules, with ages counted on the competition's first day."""
    return Eligibility(on=event.competition.starts_on or today, min_age=event.min_age,
                       max_age_male=event.max_age_male, max_age_female=event.max_age_female)


def find_contestant(session: Session, id_number: str) -> Contestant | None:
    return session.scalar(select(Contestant).where(
        Contestant.id_type == IdType.RESIDENT_ID, Contestant.id_number == id_number))


def registration_problems(session: Session, event: Event, division: Division | None,
                          person: PersonData, *, today: date,
                          is_student: bool | None = None) -> list[Problem]:
    """Every problem of registering ``person`` in ``event``/``division``, without saving.

    Checks the person (ID number by GB 11643, phone), the event's eligibility
    rules, that the division is the event's, that an ID number already known
    belongs to the same name, and that the person is not entered twice.
    """
    problems = check_person(person, today=today)
    if division is None or division.event_id != event.id:
        problems.append(Problem(N_("Choose a division of %(event)s."), {"event": event.name},
                                column="division"))
    else:
        problems += check_eligibility(person, eligibility_of(event, today), division.kind,
                                      is_student=is_student)
    if any(p.column == "id_number" for p in problems):
        return problems
    known = find_contestant(session, person.id_number)
    if known is not None:
        if known.name != person.name:
            problems.append(Problem(
                N_("This ID number is already registered for %(name)s, not %(given)s."),
                {"name": known.name, "given": person.name}, column="id_number"))
        entered = session.scalar(select(Entry.id).where(
            Entry.event_id == event.id, Entry.contestant_id == known.id))
        if entered is not None:
            problems.append(Problem(N_("%(name)s is already entered in %(event)s."),
                                    {"name": known.name, "event": event.name},
                                    column="id_number"))
    return problems


def register(session: Session, event: Event, division: Division | None, person: PersonData,
             *, today: date, source: str = EntrySource.MANUAL,
             status: str = RegistrationStatus.APPROVED, is_student: bool | None = None,
             reviewed_by: User | None = None) -> Entry:
    """Enter a person in an event, or refuse with every problem and change nothing.

    A person already known by ID number is the same contestant: their contact
    details and current grade are updated to what was given now.
    """
    problems = registration_problems(session, event, division, person, today=today,
                                     is_student=is_student)
    if problems:
        raise RegistrationError(N_("The registration was refused; nothing was saved."),
                                problems=problems)
    contestant = find_contestant(session, person.id_number)
    known = contestant is not None
    if contestant is None:
        contestant = Contestant(id_type=IdType.RESIDENT_ID, id_number=person.id_number,
                                name=person.name)
        session.add(contestant)
    contestant.sex = person.sex
    contestant.birth_date = person.birth_date
    # A stranger who knows someone's name and ID number must not change that
    # person's details: a self-registration only fills in a new contestant.
    if not (known and source == EntrySource.SELF):
        for name in ("phone", "work_unit", "current_certificate_no"):
            if getattr(person, name):
                setattr(contestant, name, getattr(person, name))
        if person.current_grade is not None:
            contestant.current_grade = person.current_grade
    session.flush()
    entry = Entry(event_id=event.id, division_id=division.id, contestant_id=contestant.id,
                  source=source, status=status, is_student=is_student,
                  reviewed_by_id=reviewed_by.id if reviewed_by else None,
                  ticket_number=next_ticket_number(session, event.competition))
    session.add(entry)
    session.flush()
    return entry


def next_ticket_number(session: Session, competition: Competition) -> str:
    """准考证号: year, competition id and a serial — 2026, 003, 00041 → 202600300041."""
    year = (competition.starts_on or date.today()).year
    prefix = f"{year}{competition.id:03d}"
    # A range rather than LIKE, so the unique index on ticket_number serves it.
    last = session.scalar(select(func.max(Entry.ticket_number)).where(
        Entry.ticket_number >= prefix, Entry.ticket_number < prefix + ":"))
    serial = int(last[len(prefix):]) + 1 if last else 1
    return f"{prefix}{serial:05d}"


def review(session: Session, entry: Entry, *, approve: bool, reviewer: User,
           note: str = "") -> None:
    """Approve or reject a self-registration; only pending entries are reviewed."""
    if entry.status != RegistrationStatus.PENDING:
        raise RegistrationError(N_("This registration has already been reviewed."))
    if not approve and not note.strip():
        raise RegistrationError(N_("Say why the registration is rejected; the contestant "
                                   "will see it."))
    entry.status = RegistrationStatus.APPROVED if approve else RegistrationStatus.REJECTED
    entry.reviewed_by_id = reviewer.id
    entry.review_note = note.strip()
    session.flush()


def set_attendance(session: Session, entry: Entry, attendance: str) -> None:
    """检录: mark an approved entry present, absent or withdrawn on the day."""
    if attendance not in set(Attendance):
        raise RegistrationError(N_("Unknown attendance %(value)s."), value=attendance)
    if entry.status != RegistrationStatus.APPROVED:
        raise RegistrationError(N_("Only approved entries can be checked in."))
    entry.attendance = attendance
    entry.checked_in_at = utcnow() if attendance == Attendance.PRESENT else None
    session.flush()
