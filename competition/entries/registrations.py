"""Use cases of registration (报名): contestants, entries, approval and check-in.

Functions take the session and plain values, ``flush()`` and raise
``RegistrationError`` (with every problem) when a rule is broken.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from competition.audit.log import record
from competition.audit.state import record_rows
from competition.auth.models import User
from competition.dbtypes import utcnow
from competition.entries.models import (
    Attendance,
    Contestant,
    Entry,
    EntrySource,
    IdType,
    RegistrationStatus,
    new_entry_token,
)
from competition.entries.validation import (
    Eligibility,
    PersonData,
    check_eligibility,
    check_person,
)
from competition.errors import N_, DomainError, Problem
from competition.events.models import Competition, Division, Event
from competition.spreadsheet import name_key


class RegistrationError(DomainError):
    """A registration broke a rule; ``problems`` lists every one."""


def refuse_after_lock(event: Event) -> None:
    """After the chief judge locks an event's scores its registrations are closed: adding
    or approving one would change results already signed off."""
    if event.scores_locked_at is not None:
        raise RegistrationError(N_("The scores of %(event)s are locked: registrations can no "
                                   "longer be added or approved."), event=event.name)


def eligibility_of(event: Event, today: date) -> Eligibility:
    """The event's rules, with ages counted on the competition's first day."""
    return Eligibility(on=event.competition.starts_on or today, min_age=event.min_age,
                       max_age_male=event.max_age_male, max_age_female=event.max_age_female)


def find_contestant(session: Session, competition_id: int,
                    id_number: str) -> Contestant | None:
    """The person registered under this ID number in this competition (contestants are
    rows of one competition: another competition's registrations are never found)."""
    return session.scalar(select(Contestant).where(
        Contestant.competition_id == competition_id,
        Contestant.id_type == IdType.RESIDENT_ID, Contestant.id_number == id_number))


# Lookups by ID number are cut into chunks: SQLite allows a few thousand parameters.
_CHUNK = 500


class KnownPeople:
    """The contestants already registered in a competition under some ID numbers, and the
    events they are entered in: two queries per 500 ID numbers, however many rows ask."""

    def __init__(self, session: Session, competition_id: int,
                 id_numbers: Iterable[str]) -> None:
        numbers = sorted({n for n in id_numbers if n})
        self.competition_id = competition_id
        self.contestants: dict[str, Contestant] = {}
        for start in range(0, len(numbers), _CHUNK):
            for contestant in session.scalars(select(Contestant).where(
                    Contestant.competition_id == competition_id,
                    Contestant.id_type == IdType.RESIDENT_ID,
                    Contestant.id_number.in_(numbers[start:start + _CHUNK]))):
                self.contestants[contestant.id_number] = contestant
        ids = [c.id for c in self.contestants.values()]
        self.entered: set[tuple[int, int]] = set()
        for start in range(0, len(ids), _CHUNK):
            self.entered.update(session.execute(select(Entry.event_id, Entry.contestant_id).where(
                Entry.contestant_id.in_(ids[start:start + _CHUNK]))).tuples())

    def contestant(self, id_number: str) -> Contestant | None:
        return self.contestants.get(id_number)

    def is_entered(self, event_id: int, contestant_id: int) -> bool:
        return (event_id, contestant_id) in self.entered


# The problems that depend on who is already on file rather than on what was typed: the
# ID number is known under another name, the person is already entered in the event.
# The public self-registration form never shows them (``selfreg_views``).
NAME_MISMATCH = N_("This ID number is already registered for %(name)s, not %(given)s.")
ALREADY_ENTERED = N_("%(name)s is already entered in %(event)s.")
ON_FILE_PROBLEMS = frozenset({NAME_MISMATCH, ALREADY_ENTERED})


def registration_problems(session: Session, event: Event, division: Division | None,
                          person: PersonData, *, today: date,
                          is_student: bool | None = None,
                          known: KnownPeople | None = None,
                          person_problems: list[Problem] | None = None) -> list[Problem]:
    """Every problem of registering ``person`` in ``event``/``division``, without saving.

    Checks the person (ID number by GB 11643, phone), the event's eligibility
    rules, that the division is the event's, that an ID number already known
    belongs to the same name, and that the person is not entered twice.
    A batch checks every person first (``check_people``), looks them all up at
    once (``known``) and passes each one's ``person_problems``; alone, a person is
    checked and looked up here.
    """
    problems = list(person_problems) if person_problems is not None \
        else check_person(person, today=today)
    if division is None or division.event_id != event.id:
        problems.append(Problem(N_("Choose a division of %(event)s."), {"event": event.name},
                                column="division"))
    else:
        problems += check_eligibility(person, eligibility_of(event, today), division.kind,
                                      is_student=is_student)
    if any(p.column == "id_number" for p in problems):
        return problems
    if known is None:
        known = KnownPeople(session, event.competition_id, [person.id_number])
    contestant = known.contestant(person.id_number)
    if contestant is not None:
        if name_key(contestant.name) != name_key(person.name):
            problems.append(Problem(NAME_MISMATCH,
                                    {"name": contestant.name, "given": person.name},
                                    column="id_number"))
        if known.is_entered(event.id, contestant.id):
            problems.append(Problem(ALREADY_ENTERED,
                                    {"name": contestant.name, "event": event.name},
                                    column="id_number"))
    return problems


def check_people(people: Iterable[PersonData], *, today: date) -> list[list[Problem]]:
    """``check_person`` for each of a batch (which fills in sex and birth date), to look
    them all up at once (``KnownPeople``) before ``registration_problems``."""
    return [check_person(person, today=today) for person in people]


def register(session: Session, event: Event, division: Division | None, person: PersonData,
             *, today: date, source: str = EntrySource.MANUAL,
             status: str = RegistrationStatus.APPROVED, is_student: bool | None = None,
             reviewed_by: User | None = None) -> Entry:
    """Enter a person in an event, or refuse with every problem and change nothing.

    A person already known by ID number is the same contestant: their contact
    details and current grade are updated to what was given now.
    """
    refuse_after_lock(event)
    problems = registration_problems(session, event, division, person, today=today,
                                     is_student=is_student)
    if problems:
        raise RegistrationError(N_("The registration was refused; nothing was saved."),
                                problems=problems)
    contestant = find_contestant(session, event.competition_id, person.id_number)
    known = contestant is not None
    if contestant is None:
        contestant = Contestant(competition_id=event.competition_id,
                                id_type=IdType.RESIDENT_ID, id_number=person.id_number,
                                name=person.name)
        session.add(contestant)
    _update_contestant(contestant, person, known=known, source=source)
    session.flush()
    entry = Entry(event_id=event.id, division_id=division.id, contestant_id=contestant.id,
                  source=source, status=status, is_student=is_student,
                  reviewed_by_id=reviewed_by.id if reviewed_by else None,
                  ticket_number=next_ticket_number(session, event.competition))
    session.add(entry)
    session.flush()
    return entry


def _update_contestant(contestant: Contestant, person: PersonData, *, known: bool,
                       source: str) -> None:
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


@dataclass
class Registration:
    """One person to enter in an event and division, as ``register`` takes it."""

    event: Event
    division: Division | None
    person: PersonData
    is_student: bool | None = None


def register_many(session: Session, registrations: list[Registration], *, today: date,
                  source: str = EntrySource.IMPORT,
                  status: str = RegistrationStatus.APPROVED,
                  actor_id: int | None = None,
                  row_numbers: list[int] | None = None) -> list[Entry]:
    """Enter many people at once — all, or none and refuse with every problem.

    The rules are ``register``'s, row by row (``registration_problems``), and across
    the batch (``batch_problems``): one person entered twice in an event, one ID number
    under two names. Rows are numbered by ``row_numbers`` (a file's rows), else by their
    position in ``registrations``, counted from 1: a problem's ``row`` and the rows its
    message names.
    Contestants are looked up and entries written in a few statements for the whole
    batch (a city's list of thousands takes seconds, not minutes); a person given in
    several rows ends with the details of the last one, as if registered in turn.
    The audit log gets one record per event: how many entries came from where.
    """
    competition_ids = {r.event.competition_id for r in registrations}
    if len(competition_ids) > 1:
        raise ValueError("register_many takes the registrations of one competition")
    for event in {r.event.id: r.event for r in registrations}.values():
        refuse_after_lock(event)
    people = [replace(r.person) for r in registrations]
    checked = check_people(people, today=today)
    if not registrations:
        return []
    (competition_id,) = competition_ids
    known = KnownPeople(session, competition_id, (p.id_number for p in people))
    numbers = row_numbers or range(1, len(registrations) + 1)
    problems: list[Problem] = []
    batch: list[BatchRow] = []
    for index, (registration, person) in enumerate(zip(registrations, people, strict=True)):
        found = registration_problems(
            session, registration.event, registration.division, person, today=today,
            is_student=registration.is_student, known=known, person_problems=checked[index])
        problems += [Problem(problem.message, problem.params, row=numbers[index],
                             column=problem.column) for problem in found]
        batch.append(BatchRow(numbers[index], registration.event, person,
                              id_problem=any(p.column == "id_number" for p in found)))
    problems += batch_problems(batch)
    if problems:
        raise RegistrationError(N_("The registration was refused; nothing was saved."),
                                problems=sorted(problems, key=lambda p: p.row or 0))

    now = utcnow()
    new_people: dict[str, Contestant] = {}
    for person in people:
        contestant = known.contestant(person.id_number)
        if contestant is None:
            contestant = new_people.setdefault(person.id_number, Contestant(
                competition_id=competition_id, id_type=IdType.RESIDENT_ID,
                id_number=person.id_number, name=person.name,
                phone="", work_unit="", current_certificate_no="", created_at=now))
            _update_contestant(contestant, person, known=False, source=source)
        else:
            _update_contestant(contestant, person, known=True, source=source)
    session.flush()  # the known contestants' new details
    ids = dict(zip(new_people, _insert(session, Contestant.__table__,
                                       [_row_of(c) for c in new_people.values()]),
                   strict=True))
    competitions = {r.event.competition_id: r.event.competition for r in registrations}
    wanted = Counter(r.event.competition_id for r in registrations)
    tickets = {competition_id: iter(ticket_numbers(session, competition, wanted[competition_id]))
               for competition_id, competition in competitions.items()}
    rows = []
    for registration, person in zip(registrations, people, strict=True):
        event = registration.event
        contestant = known.contestant(person.id_number)
        rows.append({
            "event_id": event.id, "division_id": registration.division.id,
            "contestant_id": contestant.id if contestant else ids[person.id_number],
            "source": source, "status": status, "is_student": registration.is_student,
            "attendance": Attendance.EXPECTED, "token": new_entry_token(),
            "ticket_number": next(tickets[event.competition_id]), "registered_at": now,
            "review_note": ""})
    entry_ids = _insert(session, Entry.__table__, rows)
    # Written without the ORM: the audit log gets the entries' states in one record.
    record_rows(session, "entries", [{**row, "id": entry_id, "code": None, "session_id": None,
                                      "station": None, "replaces_entry_id": None}
                                     for entry_id, row in zip(entry_ids, rows, strict=True)],
                actor_id=actor_id)
    loaded = {}
    for start in range(0, len(entry_ids), _CHUNK):
        loaded.update((e.id, e) for e in session.scalars(
            select(Entry).where(Entry.id.in_(entry_ids[start:start + _CHUNK]))))
    entries = [loaded[entry_id] for entry_id in entry_ids]
    for event_id, count in Counter(r["event_id"] for r in rows).items():
        record(session, actor_id=actor_id, action="entries.register", object_type="event",
               object_id=event_id, event_id=event_id, new={"entries": count, "source": source})
    return entries


def _insert(session: Session, table, rows: list[dict]) -> list[int]:
    """Insert ``rows`` in the session's transaction; return their new ids, in order.

    PostgreSQL: ids drawn from the table's sequence first, then the rows sent by
    ``COPY`` — for 10,000 rows about a tenth of an executemany's time (bench/RESULTS.md).
    The values must then be what the columns store: aware datetimes, plain strings.
    Elsewhere, one executemany with RETURNING.
    """
    if not rows:
        return []
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        ids = connection.execute(text(
            "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
            "FROM generate_series(1, :n)"), {"table": table.name, "n": len(rows)}).scalars().all()
        columns = list(rows[0])
        names = ", ".join(["id", *columns])
        raw = connection.connection.driver_connection  # the same transaction
        with raw.cursor() as cursor, \
                cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for id_, row in zip(ids, rows, strict=True):
                copy.write_row([id_, *(row[name] for name in columns)])
        return ids
    return connection.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                              rows).scalars().all()


def _row_of(contestant: Contestant) -> dict:
    return {name: getattr(contestant, name) for name in (
        "competition_id", "id_type", "id_number", "name", "sex", "birth_date", "phone", "work_unit",
        "current_grade", "current_certificate_no", "created_at")}


@dataclass(frozen=True)
class BatchRow:
    """One registration of a batch as the in-batch rules see it: its ``row`` as the caller
    numbers it (a file's row, a position), its event (None when it names none that
    exists) and person, and whether its ID number already has a problem of its own."""

    row: int
    event: Event | None
    person: PersonData
    id_problem: bool = False


def batch_problems(rows: Iterable[BatchRow]) -> list[Problem]:
    """The rules across a batch — an imported file or ``register_many`` — the one rule and
    wording for both: one ID number under two names (on every later row, naming the
    first), and one person entered twice in an event (on every such row, naming the
    others). Rows are named as the caller numbers them. A row whose ID number already has
    a problem (invalid, or known under another name …) is left out: it is refused for
    that, and its number may not be the person's. Problems name the ``id_number`` column."""
    problems = []
    first_name: dict[str, tuple[int, str]] = {}
    rows_of: dict[tuple[int, str], list[BatchRow]] = defaultdict(list)
    for item in rows:
        number, name = item.person.id_number, (item.person.name or "").strip()
        if item.id_problem or not number:
            continue
        first_row, first = first_name.setdefault(number, (item.row, name))
        if name_key(first) != name_key(name):
            problems.append(Problem(
                N_("Row %(row)s has this ID number under another name, %(name)s."),
                {"row": first_row, "name": first}, row=item.row, column="id_number"))
        if item.event is not None:
            rows_of[(item.event.id, number)].append(item)
    for same in rows_of.values():
        if len(same) < 2:
            continue
        for item in same:
            problems.append(Problem(
                N_("The same person is entered in %(event)s again in row %(rows)s."),
                {"event": item.event.name,
                 "rows": "、".join(str(other.row) for other in same if other is not item)},
                row=item.row, column="id_number"))
    return problems


def next_ticket_number(session: Session, competition: Competition) -> str:
    """准考证号: year, competition id and a serial — 2026, 003, 00041 → 202600300041."""
    return ticket_numbers(session, competition, 1)[0]


def ticket_numbers(session: Session, competition: Competition, count: int) -> list[str]:
    """The competition's next ``count`` ticket numbers (``next_ticket_number``), in order."""
    year = (competition.starts_on or date.today()).year
    prefix = f"{year}{competition.id:03d}"
    # A range rather than LIKE, so the unique index on ticket_number serves it.
    last = session.scalar(select(func.max(Entry.ticket_number)).where(
        Entry.ticket_number >= prefix, Entry.ticket_number < prefix + ":"))
    first = int(last[len(prefix):]) + 1 if last else 1
    return [f"{prefix}{serial:05d}" for serial in range(first, first + count)]


def review(session: Session, entry: Entry, *, approve: bool, reviewer: User,
           note: str = "") -> None:
    """Approve or reject a self-registration; only pending entries are reviewed."""
    refuse_after_lock(entry.event)
    if entry.status != RegistrationStatus.PENDING:
        raise RegistrationError(N_("This registration has already been reviewed."))
    if not approve and not note.strip():
        raise RegistrationError(N_("Say why the registration is rejected; the contestant "
                                   "will see it."))
    entry.status = RegistrationStatus.APPROVED if approve else RegistrationStatus.REJECTED
    entry.reviewed_by_id = reviewer.id
    entry.review_note = note.strip()
    session.flush()


def set_attendance(session: Session, entry: Entry, attendance: str, *,
                   actor_id: int | None = None, reason: str = "") -> None:
    """检录: mark an approved entry present, absent or withdrawn on the day.

    After the event's scores are locked the attendance decides results already signed
    off: it changes only as a correction, with a reason the audit log keeps (the caller,
    ``competition.corrections``, then republishes published results)."""
    if attendance not in set(Attendance):
        raise RegistrationError(N_("Unknown attendance %(value)s."), value=attendance)
    if entry.status != RegistrationStatus.APPROVED:
        raise RegistrationError(N_("Only approved entries can be checked in."))
    locked = entry.event.scores_locked_at is not None
    if locked and not (reason or "").strip():
        raise RegistrationError(N_("The scores of %(event)s are locked: a change of attendance "
                                   "is a correction; give its reason."),
                                event=entry.event.name)
    old = entry.attendance
    entry.attendance = attendance
    entry.checked_in_at = utcnow() if attendance == Attendance.PRESENT else None
    session.flush()
    if locked and old != attendance:
        record(session, actor_id=actor_id, action="entry.correct", object_type="entry",
               object_id=entry.id, event_id=entry.event_id, old={"attendance": old},
               new={"attendance": attendance}, reason=reason.strip())
