"""The bureau's statistics (人社局): what the competitions of one year did, in figures.

A competition belongs to the year of its first day (``Competition.starts_on``; one
without a date belongs to no year, as it has not been held). Every figure but the
expert pool's counts the competitions of that year, narrowed by the filters: one
competition, one occupation (the events of that occupation) and one division.

- competitions held, by level;
- registrations (approved entries), contestants (people, told apart by ID type and
  number, so one person in two events or two competitions counts once) and the
  distinct work units they came from;
- attendance of the approved entries (检录: present, absent, withdrawn, not checked in);
- promotions by the grade reached and by occupation: those in force, and those
  reverted when their certificate was revoked;
- certificates issued, revoked and still valid;
- appeals filed, accepted, rejected and waiting for a decision;
- the expert pool (专家库, the installation's, of no year) by the state of each
  expert's examiner certificate on ``today`` (``experts.pool.certificate_state``):
  expired, expiring within ``pool.EXPIRY_WARNING_DAYS`` days, valid beyond that, none
  on record — narrowed by the occupation filter alone.

Each figure comes from one aggregate query (GROUP BY or conditional counts), never from
rows loaded into Python, so the number of statements does not grow with the data. Years
are compared as date ranges, which PostgreSQL and SQLite both answer from the column.
No function here commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import ColumnElement, Select, case, distinct, extract, func, select
from sqlalchemy.orm import Session

from competition.entries.models import Attendance, Contestant, Entry, RegistrationStatus
from competition.events.models import (
    Competition,
    CompetitionLevel,
    Division,
    Event,
    Expert,
    ExpertOccupation,
    Occupation,
)
from competition.experts.pool import EXPIRY_WARNING_DAYS, CertificateState
from competition.grades.models import Certificate, Promotion
from competition.results.models import Appeal, AppealStatus
from competition.skill_grades import Grade

# Grades from the lowest (五级) to the highest (一级), the order tables show them in.
GRADES = tuple(sorted(Grade, reverse=True))
# The years a filter may name, as the API's dates allow.
FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass(frozen=True)
class Filters:
    """Which competitions are counted: those of ``year``, narrowed by the others."""

    year: int
    competition_id: int | None = None
    occupation_id: int | None = None
    division_id: int | None = None


@dataclass(frozen=True)
class OccupationPromotions:
    """The promotions of one occupation's events, in force, by the grade reached."""

    occupation_id: int
    name: str
    code: str | None
    by_grade: dict[int, int]

    @property
    def total(self) -> int:
        return sum(self.by_grade.values())


@dataclass(frozen=True)
class Statistics:
    """Every figure of the bureau's page for ``filters``; the expert pool on ``today``."""

    filters: Filters
    today: date
    competitions_by_level: dict[str, int]
    registrations: int
    contestants: int
    work_units: int
    attendance: dict[str, int]
    # The grade reached → promotions in force, and promotions reverted.
    promoted_by_grade: dict[int, int]
    reverted_by_grade: dict[int, int]
    by_occupation: list[OccupationPromotions]
    certificates_issued: int
    certificates_revoked: int
    appeals: dict[str, int]
    experts: dict[str, int]
    expiry_warning_days: int = field(default=EXPIRY_WARNING_DAYS)

    @property
    def competitions(self) -> int:
        return sum(self.competitions_by_level.values())

    @property
    def promoted(self) -> int:
        return sum(self.promoted_by_grade.values())

    @property
    def reverted(self) -> int:
        return sum(self.reverted_by_grade.values())

    @property
    def certificates_valid(self) -> int:
        return self.certificates_issued - self.certificates_revoked

    @property
    def appeals_filed(self) -> int:
        return sum(self.appeals.values())

    @property
    def experts_total(self) -> int:
        return sum(self.experts.values())


# --- The scope of the counts --------------------------------------------------------------

def year_range(year: int) -> tuple[date, date]:
    """The first day of ``year`` and the first day of the next."""
    return date(year, 1, 1), date(year + 1, 1, 1)


def _of_year(year: int) -> list[ColumnElement[bool]]:
    first, after = year_range(year)
    return [Competition.starts_on >= first, Competition.starts_on < after]


def _scoped(query: Select, filters: Filters) -> Select:
    """``query`` over entries (``Entry`` already in its FROM) narrowed to the entries of
    the counted competitions."""
    query = (query.join(Event, Event.id == Entry.event_id)
             .join(Competition, Competition.id == Event.competition_id)
             .where(*_of_year(filters.year)))
    if filters.competition_id is not None:
        query = query.where(Competition.id == filters.competition_id)
    if filters.occupation_id is not None:
        query = query.where(Event.occupation_id == filters.occupation_id)
    if filters.division_id is not None:
        query = query.where(Entry.division_id == filters.division_id)
    return query


def _competitions_by_level(session: Session, filters: Filters) -> dict[str, int]:
    query = select(Competition.level, func.count(Competition.id)).where(
        *_of_year(filters.year)).group_by(Competition.level)
    if filters.competition_id is not None:
        query = query.where(Competition.id == filters.competition_id)
    if filters.occupation_id is not None or filters.division_id is not None:
        # Only the competitions holding an event of the occupation, or the division.
        events = select(Event.competition_id)
        if filters.occupation_id is not None:
            events = events.where(Event.occupation_id == filters.occupation_id)
        if filters.division_id is not None:
            events = events.where(Event.id.in_(
                select(Division.event_id).where(Division.id == filters.division_id)))
        query = query.where(Competition.id.in_(events))
    found = dict(session.execute(query).tuples().all())
    return {level.value: found.get(level.value, 0) for level in CompetitionLevel}


def _entries(session: Session, filters: Filters) -> tuple[int, int, int, dict[str, int]]:
    """Registrations, contestants, work units and attendance, in one statement."""
    person = Contestant.id_type + ":" + Contestant.id_number
    work_unit = func.nullif(func.trim(Contestant.work_unit), "")
    states = list(Attendance)
    query = _scoped(select(
        func.count(Entry.id), func.count(distinct(person)), func.count(distinct(work_unit)),
        *(func.count(case((Entry.attendance == state.value, Entry.id))) for state in states),
    ).select_from(Entry).join(Contestant, Contestant.id == Entry.contestant_id), filters
    ).where(Entry.status == RegistrationStatus.APPROVED)
    registrations, contestants, work_units, *by_state = session.execute(query).one()
    return (registrations, contestants, work_units,
            {state.value: count for state, count in zip(states, by_state, strict=True)})


def _promotions(session: Session, filters: Filters):
    """Promotions by the grade reached and the event's occupation: in force, reverted."""
    query = _scoped(select(
        Occupation.id, Occupation.name, Occupation.code, Promotion.to_grade,
        func.count(Promotion.id), func.count(Promotion.reverted_at),
    ).select_from(Promotion).join(Entry, Entry.id == Promotion.entry_id), filters
    ).join(Occupation, Occupation.id == Event.occupation_id).group_by(
        Occupation.id, Occupation.name, Occupation.code, Promotion.to_grade)
    promoted = dict.fromkeys((int(g) for g in GRADES), 0)
    reverted = dict.fromkeys((int(g) for g in GRADES), 0)
    occupations: dict[int, OccupationPromotions] = {}
    for occupation_id, name, code, grade, decided, withdrawn in session.execute(query):
        promoted[grade] += decided - withdrawn
        reverted[grade] += withdrawn
        row = occupations.setdefault(occupation_id, OccupationPromotions(
            occupation_id, name, code, dict.fromkeys((int(g) for g in GRADES), 0)))
        row.by_grade[grade] += decided - withdrawn
    by_occupation = sorted((row for row in occupations.values() if row.total),
                           key=lambda row: (-row.total, row.name))
    return promoted, reverted, by_occupation


def _certificates(session: Session, filters: Filters) -> tuple[int, int]:
    query = _scoped(select(func.count(Certificate.id), func.count(Certificate.revoked_at))
                    .select_from(Certificate)
                    .join(Promotion, Promotion.id == Certificate.promotion_id)
                    .join(Entry, Entry.id == Promotion.entry_id), filters)
    issued, revoked = session.execute(query).one()
    return issued, revoked


def _appeals(session: Session, filters: Filters) -> dict[str, int]:
    query = _scoped(select(Appeal.status, func.count(Appeal.id)).select_from(Appeal)
                    .join(Entry, Entry.id == Appeal.entry_id), filters).group_by(Appeal.status)
    found = dict(session.execute(query).tuples().all())
    return {status.value: found.get(status.value, 0) for status in AppealStatus}


def _experts(session: Session, filters: Filters, today: date) -> dict[str, int]:
    """The pool by the state of the examiner certificate on ``today`` (valid through its
    expiry date), as ``experts.pool.certificate_state`` tells them apart."""
    expires = Expert.certificate_expires_on
    warn_until = today + timedelta(days=EXPIRY_WARNING_DAYS)
    states = {
        CertificateState.EXPIRED: expires < today,
        CertificateState.EXPIRING: (expires >= today) & (expires <= warn_until),
        CertificateState.VALID: expires > warn_until,
        CertificateState.MISSING: expires.is_(None),
    }
    query = select(*(func.count(case((condition, Expert.id)))
                     for condition in states.values())).select_from(Expert)
    if filters.occupation_id is not None:
        query = query.where(Expert.id.in_(select(ExpertOccupation.expert_id).where(
            ExpertOccupation.occupation_id == filters.occupation_id)))
    counts = session.execute(query).one()
    return {state.value: count for state, count in zip(states, counts, strict=True)}


def statistics(session: Session, filters: Filters, *, today: date) -> Statistics:
    """Every figure for ``filters``, in six statements whatever the number of rows."""
    registrations, contestants, work_units, attendance = _entries(session, filters)
    promoted, reverted, by_occupation = _promotions(session, filters)
    issued, revoked = _certificates(session, filters)
    return Statistics(
        filters=filters, today=today,
        competitions_by_level=_competitions_by_level(session, filters),
        registrations=registrations, contestants=contestants, work_units=work_units,
        attendance=attendance, promoted_by_grade=promoted, reverted_by_grade=reverted,
        by_occupation=by_occupation, certificates_issued=issued,
        certificates_revoked=revoked, appeals=_appeals(session, filters),
        experts=_experts(session, filters, today))


# --- What the filters offer ---------------------------------------------------------------

@dataclass(frozen=True)
class Choices:
    """What the page's filters offer for a year: (id, name) pairs, by name."""

    years: list[int]
    competitions: list[tuple[int, str]]
    occupations: list[tuple[int, str]]
    # (division id, competition id, competition name, event name, division name)
    divisions: list[tuple[int, int, str, str, str]]

    def narrowed(self, filters: Filters) -> Filters:
        """``filters`` without a competition, occupation or division the year does not
        offer (or, for a division, the chosen competition does not hold)."""
        competition_id = filters.competition_id if filters.competition_id in {
            c for c, _ in self.competitions} else None
        occupation_id = filters.occupation_id if filters.occupation_id in {
            o for o, _ in self.occupations} else None
        divisions = {d[0] for d in self.divisions
                     if competition_id is None or d[1] == competition_id}
        division_id = filters.division_id if filters.division_id in divisions else None
        return Filters(filters.year, competition_id, occupation_id, division_id)


def years(session: Session) -> list[int]:
    """The years that have a competition, latest first."""
    year = extract("year", Competition.starts_on)
    return sorted((int(y) for y in session.scalars(
        select(year).where(Competition.starts_on.is_not(None)).group_by(year))), reverse=True)


def choices(session: Session, year: int, *, this_year: int) -> Choices:
    """What the filters offer for ``year``: the years with competitions (and this year),
    the year's competitions, the occupations of their events and their divisions; four
    statements."""
    shown_years = sorted(set(years(session)) | {year, this_year}, reverse=True)
    competitions = session.execute(
        select(Competition.id, Competition.name).where(*_of_year(year))
        .order_by(Competition.starts_on, Competition.name, Competition.id)).tuples().all()
    occupations = session.execute(
        select(Occupation.id, Occupation.name)
        .where(Occupation.id.in_(select(Event.occupation_id).join(
            Competition, Competition.id == Event.competition_id).where(*_of_year(year))))
        .order_by(Occupation.name)).tuples().all()
    divisions = session.execute(
        select(Division.id, Competition.id, Competition.name, Event.name, Division.name)
        .join(Event, Event.id == Division.event_id)
        .join(Competition, Competition.id == Event.competition_id)
        .where(*_of_year(year))
        .order_by(Competition.starts_on, Competition.id, Event.position, Event.id,
                  Division.position, Division.id)).tuples().all()
    return Choices(shown_years, list(competitions), list(occupations), list(divisions))
