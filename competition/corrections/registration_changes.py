"""Corrections after the lock: one change, across the stages it touches, in one place.

Once an event's scores are locked, what decides its results changes only as a correction:
the organizer gives a reason, the entries stage records the change with it, and when the
division's results are on public notice they are republished — recomputed, with the
notice period and the appeal window started again and a dated 更正 note on the public page
and the notice. Final results are not corrected here.

Registrations change here too (``entries.changes`` does the entries stage's part):
correcting a name, work unit, phone or division, withdrawing (退赛) and registering a
substitute (替补), since each depends on later stages — results final or published, sheets
already scored by a judge the change would recuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from competition.audit.log import record
from competition.auth.models import User
from competition.entries import changes
from competition.entries.models import Attendance, Conflict, Entry
from competition.entries.registrations import RegistrationError, set_attendance
from competition.entries.validation import PersonData
from competition.errors import N_
from competition.events.models import Division, Expert, PanelMember
from competition.experts.pool import unit_key
from competition.judging.models import ScoreSheet, SheetStatus
from competition.results.models import PublicationStatus
from competition.results.publishing import PublicationError, publication_of, republish


def change_attendance(session: Session, entry: Entry, attendance: str, *, actor: User,
                      reason: str = "") -> None:
    """检录 on the day; after the lock, a correction with ``reason`` that republishes."""
    locked = entry.event.scores_locked_at is not None
    publication = publication_of(session, entry.division_id) if locked else None
    if publication is not None and publication.status == PublicationStatus.FINAL:
        raise PublicationError(N_("Final results are frozen."))
    set_attendance(session, entry, attendance, actor_id=actor.id, reason=reason)
    if publication is not None:
        republish(session, session.get(Division, entry.division_id), actor=actor,
                  reason=reason)


# --- Registrations ----------------------------------------------------------------------

@dataclass(frozen=True)
class ChangeWarning:
    """Something the organizer should know after a change that was made: a message id
    marked with ``N_`` and its values."""

    message: str
    params: dict


def correct_registration(session: Session, entry: Entry, *, actor: User, reason: str,
                         today: date, name: str | None = None, work_unit: str | None = None,
                         phone: str | None = None,
                         division: Division | None = None) -> list[ChangeWarning]:
    """Correct a registration with a reason (``entries.changes``); ``None`` keeps a field.

    Refused once the results of a division it touches are final (certificates exist:
    revoking one is the way), and when the new work unit is one a judge who already
    scored the contestant must be recused from. After the lock, published results of
    the divisions it touches are republished with the reason (the notice shows a dated
    更正 line). Returns warnings: judges of the panel the new work unit recuses.
    """
    reason = changes.checked_reason(reason)
    correction = changes.correction_of(entry, name=name, work_unit=work_unit, phone=phone,
                                       division=division, today=today)
    touched = changes.entries_of_person(session, entry) if correction.person_changed \
        else [entry]
    for each in touched:
        publication = publication_of(session, each.division_id)
        if publication is not None and publication.status == PublicationStatus.FINAL:
            raise RegistrationError(
                N_("The results of %(event)s · %(division)s are final and certificates are "
                   "issued from them: the registration is no longer corrected. Revoke a "
                   "wrong certificate instead."),
                event=each.event.name, division=each.division.name)
    warnings: list[ChangeWarning] = []
    if "work_unit" in correction.new:
        warnings = _check_recusal(session, touched, correction.new["work_unit"])
    changes.apply_correction(session, entry, correction, reason=reason, actor_id=actor.id)
    for each in touched:
        if each.event.scores_locked_at is None:
            continue
        publication = publication_of(session, each.division_id)
        if publication is not None:
            republish(session, session.get(Division, each.division_id), actor=actor,
                      reason=reason)
    return warnings


def _check_recusal(session: Session, entries: list[Entry],
                   work_unit: str) -> list[ChangeWarning]:
    """Refuse when a judge who already has a sheet of these entries is recused from the
    new work unit (their own, or one they declared a conflict with); warn of the judges
    of the entries' panels it recuses, who will not be offered the contestant's sheets
    (``judging.scoring.recused_entry_ids`` reads the work unit when marks are entered)."""
    key = unit_key(work_unit)
    if not key:
        return []
    competition_id = entries[0].event.competition_id
    declared = {expert_id for expert_id, unit in session.execute(
        select(Conflict.expert_id, Conflict.work_unit).where(
            Conflict.competition_id == competition_id, Conflict.work_unit.is_not(None)))
        if unit_key(unit) == key}

    def recused(expert: Expert | None) -> bool:
        return expert is not None and (unit_key(expert.work_unit) == key
                                       or expert.id in declared)

    entry_ids = [e.id for e in entries]
    scored = sorted({user.expert.name for user in session.scalars(
        select(User).join(ScoreSheet, ScoreSheet.judge_id == User.id)
        .where(ScoreSheet.entry_id.in_(entry_ids))) if recused(user.expert)})
    if scored:
        raise RegistrationError(
            N_("%(judges)s already scored this contestant and must be recused from %(unit)s: "
               "the work unit cannot be changed while their sheets count. Settle it with the "
               "chief judge first."), judges="、".join(scored), unit=work_unit.strip())
    warnings = []
    for entry in entries:
        names = sorted(expert.name for expert in session.scalars(
            select(Expert).join(PanelMember, PanelMember.expert_id == Expert.id)
            .where(PanelMember.event_id == entry.event_id)) if recused(expert))
        if names:
            warnings.append(ChangeWarning(
                N_("%(judges)s of the panel of %(event)s must be recused from %(unit)s: they "
                   "will not be offered this contestant's sheets."),
                {"judges": "、".join(names), "event": entry.event.name,
                 "unit": work_unit.strip()}))
    return warnings


def withdraw(session: Session, entry: Entry, *, actor: User, reason: str) -> None:
    """退赛, with a reason (``change_attendance``: after the lock a correction that
    republishes)."""
    reason = changes.checked_reason(reason)
    if entry.attendance == Attendance.WITHDRAWN:
        raise RegistrationError(N_("%(name)s has already withdrawn."),
                                name=entry.contestant.name)
    old = entry.attendance
    change_attendance(session, entry, Attendance.WITHDRAWN, actor=actor, reason=reason)
    if entry.event.scores_locked_at is None:  # after the lock: recorded as entry.correct
        record(session, actor_id=actor.id, action="registration.withdraw",
               object_type="entry", object_id=entry.id, event_id=entry.event_id,
               old={"attendance": old}, new={"attendance": Attendance.WITHDRAWN.value},
               reason=reason)


def substitute(session: Session, withdrawn: Entry, person: PersonData, *, actor: User,
               reason: str, today: date) -> Entry:
    """替补: register ``person`` in a withdrawn entry's place (``entries.changes``), unless
    the withdrawn contestant has submitted score sheets."""
    submitted = session.scalar(select(func.count(ScoreSheet.id)).where(
        ScoreSheet.entry_id == withdrawn.id, ScoreSheet.status == SheetStatus.SUBMITTED))
    if submitted:
        raise RegistrationError(N_("%(name)s has submitted score sheets: their place can no "
                                   "longer be taken by a substitute."),
                                name=withdrawn.contestant.name)
    return changes.register_substitute(session, withdrawn, person, actor=actor, reason=reason,
                                       today=today)
