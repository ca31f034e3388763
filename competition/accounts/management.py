"""Accounts kept from the browser: create, disable, reset, link to an expert, and the
judges' accounts a competition's organizers open in one step.

Who may do what (docs/tenancy.md):
- Admins manage every account, assign organizers to competitions and open the
  bureau's (人社局) read-only accounts.
- A competition's organizers open accounts for the experts on their panels; such an
  account is scoped to that competition (``User.competition_id``), so the password
  they print can never act in another competition. They may disable, enable and
  reset only those accounts, and link one to an expert of their panels.
- A competition's organizers (and admins) open the accounts of its supervision and
  arbitration group (监督仲裁组): a supervisor's account is scoped to that one
  competition, and they disable, enable and reset it like a judge's.
- Everyone changes their own password.
A password someone else chose (a new account, a reset) is shown once and must be
replaced at the next sign-in. Every change is audited; no password is ever recorded.
Functions flush; the caller commits.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from competition.audit.log import record
from competition.auth.models import Role, User
from competition.errors import N_, DomainError, Refused
from competition.events import tenancy
from competition.events.models import (
    Competition,
    CompetitionOrganizer,
    Event,
    Expert,
    PanelMember,
)

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
# Easy to read off a printed sheet and type on a tablet: no 0/O, 1/l/I.
_ONE_TIME_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
ONE_TIME_LENGTH = 10


class AccountError(DomainError):
    """A rule about accounts was broken."""


def one_time_password() -> str:
    return "".join(secrets.choice(_ONE_TIME_ALPHABET) for _ in range(ONE_TIME_LENGTH))


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(N_("A password needs at least %(count)s characters."),
                           count=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(N_("A password has at most %(count)s characters."),
                           count=MAX_PASSWORD_LENGTH)


def _username_taken(session: Session, username: str) -> bool:
    return session.scalar(select(User.id).where(
        func.lower(User.username) == username.lower())) is not None


def _account_state(user: User) -> dict:
    return {"username": user.username, "role": user.role, "active": user.active,
            "competition": user.competition_id, "expert": user.expert_id}


def may_manage(session: Session, actor: User, user: User) -> bool:
    """Admins manage every account but their own standing; an organizer manages the
    judges' and supervisors' accounts scoped to a competition they organize."""
    if actor.role == Role.ADMIN:
        return True
    return (actor.role == Role.ORGANIZER and user.role in (Role.JUDGE, Role.SUPERVISOR)
            and user.competition_id is not None
            and tenancy.organizes(session, actor, user.competition_id))


def _require_manage(session: Session, actor: User, user: User) -> None:
    if not may_manage(session, actor, user):
        raise Refused(N_("You may not manage the account %(username)s."),
                      username=user.username)


def _new_account(session: Session, actor: User, **fields) -> tuple[User, str]:
    """A new account with a one-time password it must change at the first sign-in,
    recorded under ``actor``; the password is returned to be shown once."""
    password = one_time_password()
    user = User(created_by_id=actor.id, must_change_password=True, **fields)
    user.set_password(password)
    session.add(user)
    session.flush()
    record(session, actor_id=actor.id, action="user.create", object_type="user",
           object_id=user.id, new=_account_state(user))
    return user, password


def create_account(session: Session, actor: User, *, username: str, display_name: str,
                   role: str, competition_ids: list[int] | None = None,
                   expert: Expert | None = None) -> tuple[User, str]:
    """A new account with a one-time password (returned, shown once). Admins only.

    An organizer is linked to ``competition_ids``; a judge may be linked to an expert
    (an unscoped account: it acts wherever the expert judges); a bureau account (人社局)
    is tied to nothing: it reads the statistics of every competition.
    """
    if actor.role != Role.ADMIN:
        raise Refused(N_("Only an administrator may create this account."))
    username = (username or "").strip()
    display_name = (display_name or "").strip() or username
    if not username:
        raise AccountError(N_("Give a username."))
    if role not in set(Role):
        raise AccountError(N_("Unknown role %(role)s."), role=role)
    if _username_taken(session, username):
        raise AccountError(N_("The username %(username)s is already taken."),
                           username=username)
    if expert is not None:
        if role != Role.JUDGE:
            raise AccountError(N_("Only a judge's account is linked to an expert."))
        if session.scalar(select(User.id).where(User.expert_id == expert.id,
                                                User.competition_id.is_(None))):
            raise AccountError(N_("%(name)s already has an account."), name=expert.name)
    user, password = _new_account(session, actor, username=username,
                                  display_name=display_name, role=role,
                                  expert_id=expert.id if expert else None)
    if role == Role.ORGANIZER and competition_ids:
        assign_competitions(session, actor, user, competition_ids)
    return user, password


def assign_competitions(session: Session, actor: User, user: User,
                        competition_ids: list[int]) -> None:
    """The competitions an organizer runs, exactly ``competition_ids``. Admins only."""
    if actor.role != Role.ADMIN:
        raise Refused(N_("Only an administrator may assign organizers."))
    if user.role != Role.ORGANIZER:
        raise AccountError(N_("Only an organizer's account runs competitions."))
    wanted = set(competition_ids)
    known = set(session.scalars(select(Competition.id).where(Competition.id.in_(wanted))))
    if wanted - known:
        raise AccountError(N_("Choose competitions that exist."))
    current = set(session.scalars(select(CompetitionOrganizer.competition_id).where(
        CompetitionOrganizer.user_id == user.id)))
    if current == wanted:
        return
    session.execute(delete(CompetitionOrganizer).where(
        CompetitionOrganizer.user_id == user.id,
        CompetitionOrganizer.competition_id.in_(current - wanted)))
    for competition_id in sorted(wanted - current):
        session.add(CompetitionOrganizer(competition_id=competition_id, user_id=user.id))
    session.flush()
    record(session, actor_id=actor.id, action="user.competitions", object_type="user",
           object_id=user.id, old=sorted(current), new=sorted(wanted))


def set_active(session: Session, actor: User, user: User, active: bool) -> None:
    """Disable (every session ends at once) or enable an account."""
    _require_manage(session, actor, user)
    if user.id == actor.id:
        raise AccountError(N_("You cannot disable or enable your own account."))
    if user.active == active:
        return
    user.active = active
    user.end_sessions()
    session.flush()
    record(session, actor_id=actor.id, action="user.enable" if active else "user.disable",
           object_type="user", object_id=user.id, old={"active": not active},
           new={"active": active})


def reset_password(session: Session, actor: User, user: User) -> str:
    """A new one-time password (returned, shown once); every session of the user ends and
    the user must choose a new password at the next sign-in."""
    _require_manage(session, actor, user)
    if user.id == actor.id:
        raise AccountError(N_("Change your own password on the password page."))
    password = one_time_password()
    user.set_password(password)
    user.must_change_password = True
    session.flush()
    record(session, actor_id=actor.id, action="user.password_reset", object_type="user",
           object_id=user.id)
    return password


def change_own_password(session: Session, user: User, current: str, new: str) -> None:
    """The user's own new password; every other session of theirs ends."""
    if not user.check_password(current or ""):
        raise AccountError(N_("The current password is wrong."))
    check_password_rules(new)
    if user.check_password(new):
        raise AccountError(N_("Choose a password other than the current one."))
    user.set_password(new)
    user.must_change_password = False
    session.flush()
    record(session, actor_id=user.id, action="user.password_change", object_type="user",
           object_id=user.id)


# --- Judges' accounts opened by a competition's organizers ---------------------------

@dataclass
class OpenedAccount:
    """A judge's account opened for the competition, with its one-time password."""

    expert: Expert
    user: User
    password: str


def _panel_expert_ids(session: Session, competition_id: int) -> set[int]:
    return set(session.scalars(
        select(PanelMember.expert_id).join(Event, Event.id == PanelMember.event_id)
        .where(Event.competition_id == competition_id)))


def judge_username(session: Session, competition: Competition, expert: Expert) -> str:
    """``j<competition>-<expert>``: short to type on a tablet, unique, no personal data."""
    base = f"j{competition.id}-{expert.id}"
    username, suffix = base, 1
    while _username_taken(session, username):
        suffix += 1
        username = f"{base}-{suffix}"
    return username


def open_judge_accounts(session: Session, actor: User,
                        competition: Competition) -> list[OpenedAccount]:
    """为裁判开通账号: an account scoped to the competition for every expert on its panels
    who has none to act with here (neither scoped to it nor unscoped)."""
    from competition.accounts.signin import accounts_for

    if not tenancy.organizes(session, actor, competition.id):
        raise Refused(N_("Only the organizers of %(competition)s may open its judges' "
                         "accounts."), competition=competition.name)
    expert_ids = _panel_expert_ids(session, competition.id)
    have = accounts_for(session, competition.id, expert_ids)
    missing = sorted(expert_ids - set(have))
    if not missing:
        raise AccountError(N_("Every judge on the panels of %(competition)s already has an "
                              "account."), competition=competition.name)
    opened = []
    for expert in session.scalars(select(Expert).where(Expert.id.in_(missing))
                                  .order_by(Expert.id)):
        user, password = _new_account(
            session, actor, username=judge_username(session, competition, expert),
            display_name=expert.name, role=Role.JUDGE, expert_id=expert.id,
            competition_id=competition.id)
        opened.append(OpenedAccount(expert=expert, user=user, password=password))
    return opened


def linkable_accounts(session: Session, actor: User, competition: Competition) -> list[User]:
    """Judges' accounts without an expert that the actor may link in this competition:
    scoped to it (an organizer), or also unscoped ones (an admin)."""
    if not tenancy.organizes(session, actor, competition.id):
        return []
    scope = User.competition_id == competition.id
    if actor.role == Role.ADMIN:
        scope = or_(scope, User.competition_id.is_(None))
    return list(session.scalars(select(User).where(
        User.role == Role.JUDGE, User.expert_id.is_(None), User.active, scope)
        .order_by(User.username)))


def link_expert(session: Session, actor: User, competition: Competition, user: User,
                expert: Expert) -> None:
    """Tie an existing judge's account to an expert on the competition's panels."""
    if user not in linkable_accounts(session, actor, competition):
        raise Refused(N_("You may not link the account %(username)s."),
                      username=user.username)
    if expert.id not in _panel_expert_ids(session, competition.id):
        raise AccountError(N_("%(name)s is not on a panel of %(competition)s."),
                           name=expert.name, competition=competition.name)
    clash = select(User.id).where(User.expert_id == expert.id)
    clash = clash.where(User.competition_id == user.competition_id) \
        if user.competition_id is not None else clash.where(User.competition_id.is_(None))
    if session.scalar(clash) is not None:
        raise AccountError(N_("%(name)s already has an account."), name=expert.name)
    user.expert_id = expert.id
    session.flush()
    record(session, actor_id=actor.id, action="user.link_expert", object_type="user",
           object_id=user.id, new={"expert": expert.id, "competition": competition.id})


# --- The supervision and arbitration group (监督仲裁组) --------------------------------

MAX_DISPLAY_NAME = 100


def supervisor_username(session: Session, competition: Competition) -> str:
    """``s<competition>-<n>``: short to type, unique, no personal data."""
    number = 1
    while _username_taken(session, f"s{competition.id}-{number}"):
        number += 1
    return f"s{competition.id}-{number}"


def open_supervisor_account(session: Session, actor: User, competition: Competition,
                            display_name: str) -> tuple[User, str]:
    """An account for a member of the competition's supervision and arbitration group,
    scoped to it, with a one-time password (returned, shown once). Its organizers and
    admins only."""
    if not tenancy.organizes(session, actor, competition.id):
        raise Refused(N_("Only the organizers of %(competition)s may open its supervisors' "
                         "accounts."), competition=competition.name)
    display_name = " ".join((display_name or "").split())
    if not display_name:
        raise AccountError(N_("Give the supervisor's name."))
    if len(display_name) > MAX_DISPLAY_NAME:
        raise AccountError(N_("A name has at most %(count)s characters."),
                           count=MAX_DISPLAY_NAME)
    return _new_account(session, actor, username=supervisor_username(session, competition),
                        display_name=display_name, role=Role.SUPERVISOR,
                        competition_id=competition.id)


def competition_supervisors(session: Session, actor: User,
                            competition: Competition) -> list[User]:
    """Every supervisor's account of the competition, disabled ones too, for the
    organizers who keep them."""
    if not tenancy.organizes(session, actor, competition.id):
        return []
    return tenancy.supervisors(session, competition.id, active_only=False)
