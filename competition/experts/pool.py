"""The expert pool (专家库), judge panels (裁判组) and declared conflicts (回避).

Functions take the session and plain values, change models, ``flush()`` and
raise ``SetupError`` when a rule is broken; the request commits once.

Rules and their sources:
- An examiner certificate (考评员证) is valid for three years (docs/design.md glossary); an
  expert may only be assigned to a panel when their certificate is valid through
  the end of the competition. The pool flags certificates that expire
  within ``EXPIRY_WARNING_DAYS`` so organizers can renew them in time.
- Each event has one chief judge (裁判长) and its judges (docs/design.md section 3).
- A random draw of judges is recorded with its seed, so anyone can re-run it and
  check that it was fair: ``random.Random(seed).sample(candidate_ids, count)`` over
  the recorded, sorted candidate ids gives the recorded chosen ids (``draw_sample``).
- Recusal (回避, docs/design.md section 5): a judge never scores an entry from their own
  work unit, or one declared in conflict (a contestant or a whole work unit).

The pool sits above the events and entries stages: the panel page and a draw read the
contestants of the event. A competition document's panels (``transfer.definition``) are
put on by ``import_panel``, which answers that module's ``panel_imported``
(``competition.handoffs`` connects it).
"""

from __future__ import annotations

import enum
import random
import secrets
from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from competition.audit.log import record
from competition.auth.models import User
from competition.entries.idcard import IdNumberError, parse_id_number
from competition.entries.models import Conflict, Contestant, Entry, RegistrationStatus
from competition.entries.validation import ID_MESSAGES
from competition.errors import N_, Refused, message_text
from competition.events import tenancy
from competition.events.models import (
    Competition,
    Event,
    ExaminerLevel,
    Expert,
    ExpertOccupation,
    Occupation,
    PanelDraw,
    PanelMember,
    PanelRole,
)
from competition.events.setup import SetupError

# A certificate expiring within this many days is flagged in the pool.
EXPIRY_WARNING_DAYS = 90
# At most this many judges in one draw (a form limit; real panels have 3 to 9).
MAX_DRAW = 50


class CertificateState(enum.StrEnum):
    VALID = "valid"
    EXPIRING = "expiring"  # still valid, but for EXPIRY_WARNING_DAYS or fewer
    EXPIRED = "expired"
    MISSING = "missing"  # no certificate on record


def certificate_state(expires_on: date | None, today: date) -> CertificateState:
    """The state of a certificate on ``today``; it is valid through its expiry date."""
    if expires_on is None:
        return CertificateState.MISSING
    if expires_on < today:
        return CertificateState.EXPIRED
    if expires_on <= today + timedelta(days=EXPIRY_WARNING_DAYS):
        return CertificateState.EXPIRING
    return CertificateState.VALID


def unit_key(work_unit: str | None) -> str:
    """A work unit for comparison: the same name however it was spaced."""
    return "".join((work_unit or "").split())


# --- The pool -----------------------------------------------------------------------

EXPERT_FIELDS = (
    "name", "id_number", "work_unit", "title", "phone", "examiner_level", "certificate_number",
    "certificate_expires_on",
)


def create_expert(session: Session, *, created_by: User | None,
                  occupation_ids: Iterable[int], **fields) -> Expert:
    """A new expert in the pool, who can judge the given occupations."""
    expert = Expert(created_by_id=created_by.id if created_by else None)
    _apply_expert(session, expert, list(occupation_ids), fields)
    session.add(expert)
    session.flush()
    record(session, actor_id=created_by.id if created_by else None, action="expert.create",
           object_type="expert", object_id=expert.id,
           new={"name": expert.name, "work_unit": expert.work_unit})
    return expert


def update_expert(session: Session, expert: Expert, *, actor: User,
                  occupation_ids: Iterable[int], **fields) -> None:
    """Change an expert's record: admins, or the organizer who added the expert while it
    sits on no other competition's panel (``tenancy.may_edit_expert``)."""
    if not tenancy.may_edit_expert(session, actor, expert):
        raise Refused(N_("Only an administrator may change %(name)s: the expert judges "
                         "in a competition you do not run, or was added by someone else."),
                      name=expert.name)
    before = {"name": expert.name, "work_unit": expert.work_unit}
    _apply_expert(session, expert, list(occupation_ids), fields)
    session.flush()
    record(session, actor_id=actor.id, action="expert.update", object_type="expert",
           object_id=expert.id, old=before,
           new={"name": expert.name, "work_unit": expert.work_unit})


def _apply_expert(session: Session, expert: Expert, occupation_ids: list[int],
                  fields: dict) -> None:
    """Check every field first, then set them (so autoflush never writes a bad row)."""
    unknown = set(fields) - set(EXPERT_FIELDS)
    if unknown:
        raise TypeError(f"unknown expert fields: {sorted(unknown)}")
    values = {name: fields.get(name, getattr(expert, name)) for name in EXPERT_FIELDS}
    for name in ("name", "work_unit", "title", "phone", "certificate_number"):
        values[name] = (values[name] or "").strip()
    values["certificate_number"] = values["certificate_number"] or None
    values["examiner_level"] = values["examiner_level"] or ExaminerLevel.EXAMINER
    if not values["name"]:
        raise SetupError(N_("The expert needs a name."))
    values["id_number"] = _checked_id_number(session, expert, values["id_number"])
    if values["examiner_level"] not in set(ExaminerLevel):
        raise SetupError(N_("Unknown examiner level %(level)s."),
                         level=values["examiner_level"])
    if (values["certificate_number"] is None) != (values["certificate_expires_on"] is None):
        raise SetupError(N_("Give both the examiner certificate number and its expiry date, "
                            "or neither."))
    if values["certificate_number"] is not None:
        holder = session.scalar(select(Expert).where(
            Expert.certificate_number == values["certificate_number"],
            Expert.id != expert.id if expert.id else True))
        if holder is not None:
            raise SetupError(N_("Examiner certificate %(number)s already belongs to %(name)s."),
                             number=values["certificate_number"], name=holder.name)
    if not occupation_ids:
        raise SetupError(N_("Choose at least one occupation the expert can judge."))
    occupations = session.scalars(
        select(Occupation).where(Occupation.id.in_(occupation_ids)).order_by(Occupation.name)
    ).all()
    if len(occupations) != len(set(occupation_ids)):
        raise SetupError(N_("Choose the occupations from the catalogue."))
    for name, value in values.items():
        setattr(expert, name, value)
    expert.occupations = list(occupations)


def _checked_id_number(session: Session, expert: Expert, raw: str | None) -> str | None:
    """The expert's ID number (optional) as GB 11643 writes it, unique in the pool."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        number = parse_id_number(raw).number
    except IdNumberError as error:
        raise SetupError(ID_MESSAGES[error.code]) from None
    holder = session.scalar(select(Expert).where(
        Expert.id_number == number, Expert.id != expert.id if expert.id else True))
    if holder is not None:
        raise SetupError(N_("This ID number already belongs to %(name)s in the expert pool."),
                         name=holder.name)
    return number


def list_experts(session: Session, *, today: date, occupation_id: int | None = None,
                 state: str | None = None) -> list[Expert]:
    """The pool by name, optionally only one occupation's experts or one certificate state."""
    query = select(Expert).options(selectinload(Expert.occupations)).order_by(
        Expert.name, Expert.id)
    if occupation_id:
        query = query.where(Expert.id.in_(select(ExpertOccupation.expert_id).where(
            ExpertOccupation.occupation_id == occupation_id)))
    warn_until = today + timedelta(days=EXPIRY_WARNING_DAYS)
    expires = Expert.certificate_expires_on
    if state == CertificateState.MISSING:
        query = query.where(expires.is_(None))
    elif state == CertificateState.EXPIRED:
        query = query.where(expires < today)
    elif state == CertificateState.EXPIRING:
        query = query.where(expires >= today, expires <= warn_until)
    elif state == CertificateState.VALID:
        query = query.where(expires > warn_until)
    return list(session.scalars(query).all())


# --- Panels -------------------------------------------------------------------------

def required_until(competition: Competition, today: date) -> date:
    """The last day a judge's certificate must cover: the competition's end, or today
    if that is later (a certificate that has already expired never qualifies)."""
    end = competition.ends_on or competition.starts_on
    return max(end, today) if end else today


def check_certificate(expert: Expert, competition: Competition, today: date) -> None:
    """Refuse an expert whose examiner certificate does not cover the competition."""
    expires = expert.certificate_expires_on
    if expires is None:
        raise SetupError(N_("%(name)s has no examiner certificate on record, so cannot be "
                            "assigned as a judge."), name=expert.name)
    if expires < today:
        raise SetupError(N_("The examiner certificate of %(name)s expired on %(date)s, so "
                            "%(name)s cannot be assigned as a judge."),
                         name=expert.name, date=expires.isoformat())
    end = required_until(competition, today)
    if expires < end:
        raise SetupError(N_("The examiner certificate of %(name)s expires on %(date)s, before "
                            "the competition ends on %(end)s, so %(name)s cannot be assigned "
                            "as a judge."),
                         name=expert.name, date=expires.isoformat(), end=end.isoformat())


def _judges_occupation(expert: Expert, event: Event) -> bool:
    return any(o.id == event.occupation_id for o in expert.occupations)


def panel_members(session: Session, event: Event) -> list[PanelMember]:
    """The chief judge first, then the judges in the order they joined."""
    members = session.scalars(
        select(PanelMember).where(PanelMember.event_id == event.id)
        .options(selectinload(PanelMember.expert))
        .order_by(PanelMember.added_at, PanelMember.id)
    ).all()
    return sorted(members, key=lambda m: m.role != PanelRole.CHIEF)


def add_panel_member(session: Session, event: Event, expert: Expert, *, today: date,
                     role: str = PanelRole.JUDGE) -> PanelMember:
    """Assign an expert of the event's occupation, whose certificate covers the competition.

    Assigning a chief judge demotes the current chief to judge.
    """
    if role not in set(PanelRole):
        raise SetupError(N_("Unknown panel role %(role)s."), role=role)
    if not _judges_occupation(expert, event):
        raise SetupError(N_("%(name)s is not in the pool for %(occupation)s."),
                         name=expert.name, occupation=event.occupation.name)
    on_panel = session.scalar(select(PanelMember.id).where(
        PanelMember.event_id == event.id, PanelMember.expert_id == expert.id))
    if on_panel is not None:
        raise SetupError(N_("%(name)s is already on the panel of %(event)s."),
                         name=expert.name, event=event.name)
    check_certificate(expert, event.competition, today)
    member = PanelMember(event_id=event.id, expert=expert, role=PanelRole.JUDGE)
    session.add(member)
    session.flush()
    if role == PanelRole.CHIEF:
        make_chief(session, member)
    return member


def make_chief(session: Session, member: PanelMember) -> None:
    """Make ``member`` the event's one chief judge; the previous chief becomes a judge."""
    current = session.scalar(select(PanelMember).where(
        PanelMember.event_id == member.event_id, PanelMember.role == PanelRole.CHIEF))
    if current is member:
        return
    if current is not None:
        # Demote first: the database allows one chief per event at any moment.
        current.role = PanelRole.JUDGE
        session.flush()
    member.role = PanelRole.CHIEF
    session.flush()


def remove_panel_member(session: Session, member: PanelMember) -> None:
    """Take a judge off the panel, unless marking has started (they may have marks)."""
    event = member.event
    if event.marking_started_at is not None:
        raise SetupError(N_("Marking has started for %(event)s: %(name)s may already have "
                            "given marks and cannot be removed from the panel."),
                         event=event.name, name=member.expert.name)
    session.delete(member)
    session.flush()


def _entered(event_id: int):
    """Conditions on ``Entry`` for the entries of the event that count (not rejected)."""
    return (Entry.event_id == event_id, Entry.status != RegistrationStatus.REJECTED)


def draw_candidates(session: Session, event: Event, *, today: date) -> list[Expert]:
    """The experts a random draw may choose from, by id.

    Experts of the event's occupation, not yet on its panel, whose certificate
    covers the competition, excluding anyone in conflict with the event's
    contestants: their own work unit is a contestant's, or they declared a
    conflict in this competition with a contestant entered in the event or with
    the work unit of one.
    """
    contestants = session.execute(
        select(Contestant.id, Contestant.work_unit)
        .join(Entry, Entry.contestant_id == Contestant.id)
        .where(*_entered(event.id))
    ).all()
    contestant_ids = {row.id for row in contestants}
    units = {unit_key(row.work_unit) for row in contestants} - {""}
    conflicted = set()
    for conflict in session.scalars(select(Conflict).where(
            Conflict.competition_id == event.competition_id)):
        if conflict.contestant_id in contestant_ids or (
                conflict.work_unit is not None and unit_key(conflict.work_unit) in units):
            conflicted.add(conflict.expert_id)
    on_panel = select(PanelMember.expert_id).where(PanelMember.event_id == event.id)
    experts = session.scalars(
        select(Expert)
        .join(ExpertOccupation, ExpertOccupation.expert_id == Expert.id)
        .where(ExpertOccupation.occupation_id == event.occupation_id,
               Expert.id.not_in(on_panel),
               Expert.certificate_expires_on >= required_until(event.competition, today))
        .order_by(Expert.id)
    ).all()
    return [e for e in experts if e.id not in conflicted and unit_key(e.work_unit) not in units]


def draw_sample(seed: str, candidate_ids: list[int], count: int) -> list[int]:
    """The draw itself: reproducible by anyone from the recorded seed and candidates."""
    return random.Random(seed).sample(sorted(candidate_ids), count)


def draw_judges(session: Session, event: Event, count: int, *, drawn_by: User | None,
                today: date) -> PanelDraw:
    """Draw ``count`` judges at random from the qualified candidates, and record the draw."""
    if count is None or count < 1 or count > MAX_DRAW:
        raise SetupError(N_("Draw between 1 and %(max)s judges."), max=MAX_DRAW)
    candidates = draw_candidates(session, event, today=today)
    if len(candidates) < count:
        raise SetupError(N_("Only %(available)s qualified experts are available for "
                            "%(event)s, fewer than the %(count)s asked for."),
                         available=len(candidates), event=event.name, count=count)
    candidate_ids = sorted(e.id for e in candidates)
    seed = secrets.token_hex(16)
    chosen_ids = draw_sample(seed, candidate_ids, count)
    draw = PanelDraw(event_id=event.id, seed=seed, candidate_ids=candidate_ids,
                     chosen_ids=chosen_ids, drawn_by_id=drawn_by.id if drawn_by else None)
    session.add(draw)
    session.flush()
    by_id = {e.id: e for e in candidates}
    for expert_id in chosen_ids:
        session.add(PanelMember(event_id=event.id, expert=by_id[expert_id],
                                role=PanelRole.JUDGE, draw_id=draw.id))
    session.flush()
    return draw


# --- Conflicts ----------------------------------------------------------------------

def declare_conflict(session: Session, event: Event, expert: Expert, *,
                     contestant_id: int | None = None, work_unit: str | None = None,
                     reason: str, declared_by: User | None) -> Conflict:
    """Declare that a panel member must not judge a contestant, or a whole work unit.

    The conflict holds for the whole competition, since the same people may meet
    in several of its events.
    """
    work_unit = (work_unit or "").strip() or None
    reason = (reason or "").strip()
    if (contestant_id is None) == (work_unit is None):
        raise SetupError(N_("Choose either a contestant or a work unit for the conflict, "
                            "not both."))
    if not reason:
        raise SetupError(N_("Give the reason for the conflict."))
    on_panel = session.scalar(select(PanelMember.id).where(
        PanelMember.event_id == event.id, PanelMember.expert_id == expert.id))
    if on_panel is None:
        raise SetupError(N_("%(name)s is not on the panel of %(event)s."),
                         name=expert.name, event=event.name)
    same = select(Conflict.id).where(Conflict.competition_id == event.competition_id,
                                     Conflict.expert_id == expert.id)
    if contestant_id is not None:
        entered = session.scalar(select(Entry.id).where(
            *_entered(event.id), Entry.contestant_id == contestant_id))
        if entered is None:
            raise SetupError(N_("Choose a contestant entered in %(event)s."), event=event.name)
        same = same.where(Conflict.contestant_id == contestant_id)
    else:
        same = same.where(Conflict.work_unit == work_unit)
    if session.scalar(same) is not None:
        raise SetupError(N_("This conflict of %(name)s is already declared."), name=expert.name)
    conflict = Conflict(competition_id=event.competition_id, expert_id=expert.id,
                        contestant_id=contestant_id, work_unit=work_unit, reason=reason,
                        declared_by_id=declared_by.id if declared_by else None)
    session.add(conflict)
    session.flush()
    return conflict


def remove_conflict(session: Session, conflict: Conflict) -> None:
    session.delete(conflict)
    session.flush()


def competition_conflicts(session: Session, competition_id: int,
                          expert_ids: Iterable[int]) -> list[Conflict]:
    """The conflicts declared in a competition for these experts, oldest first."""
    ids = list(expert_ids)
    if not ids:
        return []
    return list(session.scalars(
        select(Conflict).where(Conflict.competition_id == competition_id,
                               Conflict.expert_id.in_(ids))
        .order_by(Conflict.declared_at, Conflict.id)
    ).all())


def is_recused(session: Session, expert: Expert, entry: Entry) -> bool:
    """True when ``expert`` must not score ``entry`` (回避, docs/design.md section 5).

    That is when the contestant's work unit is the expert's own, or a conflict
    declared in the entry's competition names the contestant or their work unit.
    """
    contestant = session.get(Contestant, entry.contestant_id)
    unit = unit_key(contestant.work_unit)
    if unit and unit == unit_key(expert.work_unit):
        return True
    competition_id = session.scalar(select(Event.competition_id).where(Event.id == entry.event_id))
    for conflict in session.scalars(select(Conflict).where(
            Conflict.competition_id == competition_id, Conflict.expert_id == expert.id)):
        if conflict.contestant_id == contestant.id:
            return True
        if conflict.work_unit is not None and unit and unit_key(conflict.work_unit) == unit:
            return True
    return False


# --- A competition document's panels ---------------------------------------------------

def find_in_pool(session: Session, who: dict) -> Expert | None:
    """The pool's expert with that certificate number, else the one of that name and unit."""
    if who["certificate_number"]:
        expert = session.scalar(select(Expert).where(
            Expert.certificate_number == who["certificate_number"]))
        if expert is not None:
            return expert
    matches = session.scalars(select(Expert).where(
        Expert.name == who["name"], Expert.work_unit == (who["work_unit"] or ""))).all()
    return matches[0] if len(matches) == 1 else None


def import_panel(session: Session, *, event: Event, panel: list[tuple[str, dict]],
                 today: date) -> list[str]:
    """Put the panel of an event imported from a competition document
    (``transfer.definition.import_competition``) on the event: each expert found in the
    pool (``find_in_pool``) by ``add_panel_member``. Returns a warning for each expert
    left out: not in the pool, or one the panel may not take."""
    warnings: list[str] = []
    for role, who in panel:
        expert = find_in_pool(session, who)
        if expert is None:
            warnings.append(message_text(
                N_("%(event)s: %(name)s (%(work_unit)s) is not in the expert pool, so was "
                   "not put on the panel."), event=event.name, name=who["name"],
                work_unit=who["work_unit"] or who["certificate_number"] or "—"))
            continue
        try:
            add_panel_member(session, event, expert, today=today, role=role)
        except SetupError as error:
            warnings.append(message_text(N_("%(event)s: %(name)s was not put on the panel: "
                                            "%(reason)s"), event=event.name, name=expert.name,
                                         reason=message_text(error.message, **error.params)))
    return warnings
