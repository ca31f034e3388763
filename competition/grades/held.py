"""The grade a person holds in an occupation, and the evidence for it (等级核验).

A person is a contestant row per competition, matched across competitions by
ID type and number. In one occupation a person may hold:

- a grade **granted here**: a promotion decided by this system and not
  reverted (its certificate not revoked). A later registration never lowers
  or overwrites it: whatever a person declares, the promotion rules start
  from at least this grade;
- a grade **declared** at registration (``Contestant.current_grade`` with
  ``current_certificate_no``), when it is higher than any grade granted here.
  A declared grade is confirmed automatically when its certificate number is a
  certificate this system issued to the same person, in the same occupation
  and grade, and not revoked (``registry``); or by an organizer who saw the
  paper certificate (a ``GradeCheck`` with ``confirmed``; ``checked``), in
  this competition or an earlier one. A check that could not confirm it means
  the rules ignore the declaration.

``grade_bases`` gives, for the entries of one event, the grade the rules
start from, where it comes from, and the grade they would start from without
an unconfirmed declaration (``fallback``) — the grades service compares the
two outcomes to tell whether a decision depends on a declaration nobody has
confirmed yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from competition.audit.log import record
from competition.auth.models import User
from competition.dbtypes import utcnow
from competition.entries.models import Contestant, Entry
from competition.errors import N_, DomainError
from competition.events.models import Competition, Event, Occupation
from competition.grades.models import Certificate, GradeCheck, Promotion

GRANTED = "granted"  # decided here, with its certificate
DECLARED = "declared"  # declared at registration, not confirmed
REGISTRY = "registry"  # declared, and its number is a certificate issued here
CHECKED = "checked"  # declared, and an organizer saw the paper certificate
CONFIRMED_SOURCES = (GRANTED, REGISTRY, CHECKED)


class GradeCheckError(DomainError):
    """A check of a declared grade that cannot be recorded as asked."""


@dataclass(frozen=True)
class Granted:
    """A grade this system granted, with what proves it."""

    grade: int
    occupation_id: int
    promotion_id: int
    entry_id: int
    certificate_number: str
    decided_at: datetime
    competition_name: str


@dataclass(frozen=True)
class GradeBasis:
    """The grade the promotion rules start from for one entry, and its evidence."""

    grade: int | None
    source: str | None  # GRANTED | DECLARED | REGISTRY | CHECKED; None: holds no grade
    certificate_number: str = ""
    # The grade the rules would start from if an unconfirmed declaration were ignored.
    fallback: int | None = None

    @property
    def confirmed(self) -> bool:
        return self.source is None or self.source in CONFIRMED_SOURCES

    def as_record(self) -> dict:
        """Kept with the decision (``PromotionOutcome.grade_basis``)."""
        if self.grade is None:
            return {}
        return {"grade": self.grade, "source": self.source,
                "certificate_number": self.certificate_number}


def _person_filter(people: set[tuple[str, str]]):
    """The contestant rows of these people (by ID type and number), as one row-value IN
    list: a chain of OR clauses is too deep for SQLite past about a thousand people."""
    return tuple_(Contestant.id_type, Contestant.id_number).in_(sorted(people))


def granted_grades(session: Session, people: set[tuple[str, str]],
                   occupation_id: int | None = None) -> dict[tuple[str, str], list[Granted]]:
    """The grades granted here and not reverted, per person, highest first."""
    found: dict[tuple[str, str], list[Granted]] = {}
    if not people:
        return found
    query = (select(Contestant.id_type, Contestant.id_number, Promotion, Event.occupation_id,
                    Certificate.number, Competition.name)
             .join(Contestant, Contestant.id == Promotion.contestant_id)
             .join(Entry, Entry.id == Promotion.entry_id)
             .join(Event, Event.id == Entry.event_id)
             .join(Competition, Competition.id == Event.competition_id)
             .outerjoin(Certificate, Certificate.promotion_id == Promotion.id)
             .where(_person_filter(people), Promotion.reverted_at.is_(None)))
    if occupation_id is not None:
        query = query.where(Event.occupation_id == occupation_id)
    for id_type, number, promotion, occupation, certificate_number, competition_name \
            in session.execute(query):
        found.setdefault((id_type, number), []).append(Granted(
            grade=promotion.to_grade, occupation_id=occupation, promotion_id=promotion.id,
            entry_id=promotion.entry_id, certificate_number=certificate_number or "",
            decided_at=promotion.decided_at, competition_name=competition_name))
    for grants in found.values():
        grants.sort(key=lambda g: (g.grade, g.decided_at))
    return found


def _registry_confirms(session: Session, contestant: Contestant, occupation_id: int) -> bool:
    """Whether the declared certificate number is a valid certificate issued here to this
    person, in this occupation and the declared grade (or higher)."""
    number = (contestant.current_certificate_no or "").strip()
    if not number or contestant.current_grade is None:
        return False
    row = session.execute(
        select(Certificate.grade, Contestant.id_type, Contestant.id_number, Event.occupation_id)
        .join(Promotion, Promotion.id == Certificate.promotion_id)
        .join(Contestant, Contestant.id == Promotion.contestant_id)
        .join(Entry, Entry.id == Promotion.entry_id)
        .join(Event, Event.id == Entry.event_id)
        .where(Certificate.number == number, Certificate.revoked_at.is_(None))).first()
    return bool(row) and row.id_type == contestant.id_type \
        and row.id_number == contestant.id_number and row.occupation_id == occupation_id \
        and row.grade <= contestant.current_grade


def checks_of(session: Session, people: set[tuple[str, str]],
              occupation_id: int | None = None) -> dict[tuple[str, str], list[GradeCheck]]:
    """Organizers' checks of declared grades, per person, in every competition."""
    found: dict[tuple[str, str], list[GradeCheck]] = {}
    if not people:
        return found
    query = (select(Contestant.id_type, Contestant.id_number, GradeCheck)
             .join(Contestant, Contestant.id == GradeCheck.contestant_id)
             .where(_person_filter(people)).order_by(GradeCheck.checked_at))
    if occupation_id is not None:
        query = query.where(GradeCheck.occupation_id == occupation_id)
    for id_type, number, check in session.execute(query):
        found.setdefault((id_type, number), []).append(check)
    return found


def grade_basis(session: Session, contestant: Contestant, occupation_id: int, *,
                granted: list[Granted] = (), checks: list[GradeCheck] = (),
                exclude_entry_id: int | None = None) -> GradeBasis:
    """The grade the rules start from for this registration in this occupation."""
    grants = [g for g in granted if g.entry_id != exclude_entry_id
              and g.occupation_id == occupation_id]
    best = grants[0] if grants else None
    held = best.grade if best else None
    declared = contestant.current_grade
    if declared is None or (held is not None and held <= declared):
        if best is None:
            return GradeBasis(None, None)
        return GradeBasis(held, GRANTED, best.certificate_number, fallback=held)
    number = (contestant.current_certificate_no or "").strip()
    own = next((c for c in checks if c.contestant_id == contestant.id
                and c.occupation_id == occupation_id), None)
    if own is not None and not own.confirmed:
        # Checked and not confirmed: the declaration is ignored.
        if best is None:
            return GradeBasis(None, None)
        return GradeBasis(held, GRANTED, best.certificate_number, fallback=held)
    if own is not None and own.confirmed and own.grade <= declared:
        return GradeBasis(declared, CHECKED, own.certificate_number or number, fallback=held)
    if any(c.confirmed and c.occupation_id == occupation_id and c.grade <= declared
           for c in checks):
        return GradeBasis(declared, CHECKED, number, fallback=held)
    if _registry_confirms(session, contestant, occupation_id):
        return GradeBasis(declared, REGISTRY, number, fallback=held)
    return GradeBasis(declared, DECLARED, number, fallback=held)


def grade_bases(session: Session, event: Event, entries: list[Entry]) -> dict[int, GradeBasis]:
    """For each entry of the event (by id), the grade the rules start from."""
    people = {(e.contestant.id_type, e.contestant.id_number) for e in entries}
    granted = granted_grades(session, people, event.occupation_id)
    checks = checks_of(session, people, event.occupation_id)
    bases = {}
    for entry in entries:
        person = (entry.contestant.id_type, entry.contestant.id_number)
        bases[entry.id] = grade_basis(
            session, entry.contestant, event.occupation_id, granted=granted.get(person, []),
            checks=checks.get(person, []), exclude_entry_id=entry.id)
    return bases


def check_declared_grade(session: Session, actor: User, entry: Entry, *, confirmed: bool,
                         note: str = "", now: datetime | None = None) -> GradeCheck:
    """Record that an organizer checked the contestant's declared grade in the entry's
    occupation against the paper certificate: ``confirmed`` when it was seen and
    matches, else not. A second check replaces the first; both are audited."""
    contestant = entry.contestant
    if contestant.current_grade is None:
        raise GradeCheckError(N_("%(name)s declared no grade: there is nothing to check."),
                              name=contestant.name)
    note = (note or "").strip()
    if not confirmed and not note:
        raise GradeCheckError(N_("Say why the declared grade could not be confirmed."))
    occupation_id = entry.event.occupation_id
    check = session.scalar(select(GradeCheck).where(
        GradeCheck.contestant_id == contestant.id, GradeCheck.occupation_id == occupation_id))
    old = None if check is None else {"grade": check.grade, "confirmed": check.confirmed,
                                      "certificate_number": check.certificate_number}
    if check is None:
        check = GradeCheck(contestant_id=contestant.id, occupation_id=occupation_id)
        session.add(check)
    check.grade = contestant.current_grade
    check.certificate_number = (contestant.current_certificate_no or "").strip()
    check.confirmed = confirmed
    check.note = note
    check.checked_at = now or utcnow()
    check.checked_by_id = actor.id
    session.flush()
    record(session, actor_id=actor.id, action="grade.check", object_type="contestant",
           object_id=contestant.id, event_id=entry.event_id, old=old,
           new={"grade": check.grade, "confirmed": confirmed, "occupation_id": occupation_id,
                "certificate_number": check.certificate_number}, reason=note)
    return check


@dataclass(frozen=True)
class HistoryLine:
    """One line of a person's grade history in an occupation."""

    grade: int
    occupation: str
    on: date | None
    source: str  # GRANTED | DECLARED | CHECKED (confirmed or not) | REVOKED
    certificate_number: str
    detail: str  # the competition, or the organizer's note
    confirmed: bool | None = None
    current: bool = False  # the declaration of this registration


def grade_history(session: Session, contestant: Contestant) -> list[HistoryLine]:
    """The person's grades in every occupation, with their evidence, newest first:
    grades granted here (a revoked one marked so), the declarations of their
    registrations, and organizers' checks."""
    person = (contestant.id_type, contestant.id_number)
    occupations = dict(session.execute(select(Occupation.id, Occupation.name)).all())
    lines: list[HistoryLine] = []
    for promotion, occupation, number, revoked_at, name in session.execute(
            select(Promotion, Event.occupation_id, Certificate.number, Certificate.revoked_at,
                   Competition.name)
            .join(Contestant, Contestant.id == Promotion.contestant_id)
            .join(Entry, Entry.id == Promotion.entry_id)
            .join(Event, Event.id == Entry.event_id)
            .join(Competition, Competition.id == Event.competition_id)
            .outerjoin(Certificate, Certificate.promotion_id == Promotion.id)
            .where(_person_filter({person}))):
        lines.append(HistoryLine(
            grade=promotion.to_grade, occupation=occupations.get(occupation, ""),
            on=promotion.decided_at.date(),
            source="revoked" if promotion.reverted_at or revoked_at else GRANTED,
            certificate_number=number or "", detail=name))
    registrations = session.execute(
        select(Contestant, Competition.name, Event.occupation_id)
        .join(Competition, Competition.id == Contestant.competition_id)
        .join(Entry, Entry.contestant_id == Contestant.id)
        .join(Event, Event.id == Entry.event_id)
        .where(_person_filter({person}), Contestant.current_grade.is_not(None))).all()
    seen = set()
    for registration, name, occupation in registrations:
        if (registration.id, occupation) in seen:
            continue
        seen.add((registration.id, occupation))
        lines.append(HistoryLine(
            grade=registration.current_grade, occupation=occupations.get(occupation, ""),
            on=registration.created_at.date(), source=DECLARED,
            certificate_number=registration.current_certificate_no or "", detail=name,
            current=registration.id == contestant.id))
    for check in checks_of(session, {person}).get(person, []):
        lines.append(HistoryLine(
            grade=check.grade, occupation=occupations.get(check.occupation_id, ""),
            on=check.checked_at.date(), source=CHECKED,
            certificate_number=check.certificate_number, detail=check.note,
            confirmed=check.confirmed))
    lines.sort(key=lambda line: (line.on or date.min), reverse=True)
    return lines
