"""Who may act in which competition: the rules that keep competitions apart.

One installation serves a bureau and every competition it runs (docs/tenancy.md):

- A competition's organizers (``CompetitionOrganizer``) read and change only their
  competitions, and everything in them: events, registrations (contestants are
  rows of one competition), panels, judges' accounts and sign-in cards.
- A judge acts on the panels their expert record sits on, narrowed to one
  competition when the account was opened by that competition's organizers
  (``User.competition_id``) or when a sign-in card opened the session
  (``User.card_competition_id``): ``acting_seats``.
- A competition's supervision and arbitration group (监督仲裁组) is its active
  supervisors' accounts (``Role.SUPERVISOR``, ``User.competition_id`` the one
  competition they supervise): they read everything of that competition
  (``reads``), see contestants' ID numbers and phones masked (only organizers see
  them whole, ``sees_contacts``), decide its appeals and countersign its draws and
  locks; they change nothing else (``auth.permissions.supervisor_guard``).
- The expert pool and the occupation catalogue are the installation's: every
  organizer reads and adds to them; an expert record is changed by an admin, or by
  the organizer who added it while it sits on no panel of a competition that
  organizer does not run (``may_edit_expert``); occupations are changed by admins.

Functions take the session; none of them commits.
"""

from __future__ import annotations

from sqlalchemy import Select, exists, false, select
from sqlalchemy.orm import Session

from competition.auth.models import Role, User
from competition.events.models import CompetitionOrganizer, Event, Expert, PanelMember


def organizes(session: Session, user: User, competition_id: int) -> bool:
    """True for admins and for the organizers linked to the competition."""
    if not user.is_authenticated or not user.active:
        return False
    if user.role == Role.ADMIN:
        return True
    if user.role != Role.ORGANIZER:
        return False
    return bool(session.scalar(select(exists().where(
        CompetitionOrganizer.competition_id == competition_id,
        CompetitionOrganizer.user_id == user.id,
    ))))


def supervises(user: User, competition_id: int) -> bool:
    """True for an active supervisor's account of the competition's supervision and
    arbitration group (监督仲裁组)."""
    return bool(user.is_authenticated and user.active and user.role == Role.SUPERVISOR
                and user.competition_id is not None and user.competition_id == competition_id)


def reads(session: Session, user: User, competition_id: int) -> bool:
    """Who may read the competition's pages (events, draws, panels, the console, the
    audit log, draft results, appeals): its organizers, admins and its supervisors."""
    return supervises(user, competition_id) or organizes(session, user, competition_id)


def sees_contacts(session: Session, user: User, competition_id: int) -> bool:
    """Contestants' whole ID numbers and phones: the competition's organizers (and
    admins) only; a supervisor reads them masked."""
    return organizes(session, user, competition_id)


def supervisors(session: Session, competition_id: int, *,
                active_only: bool = True) -> list[User]:
    """The competition's supervision and arbitration group, by name."""
    query = select(User).where(User.role == Role.SUPERVISOR,
                               User.competition_id == competition_id)
    if active_only:
        query = query.where(User.active)
    return list(session.scalars(query.order_by(User.display_name, User.id)))


def has_supervision_group(session: Session, competition_id: int) -> bool:
    """A competition has a supervision and arbitration group when at least one of its
    supervisors' accounts is active: its appeals are then decided by the group."""
    return bool(session.scalar(select(exists().where(
        User.role == Role.SUPERVISOR, User.competition_id == competition_id, User.active))))


def organized_competition_ids(session: Session, user: User) -> set[int] | None:
    """The competitions the user organizes; None for an admin (every one)."""
    if user.role == Role.ADMIN:
        return None
    if user.role != Role.ORGANIZER:
        return set()
    return set(session.scalars(select(CompetitionOrganizer.competition_id).where(
        CompetitionOrganizer.user_id == user.id)))


def acting_seats(user: User) -> Select:
    """The panel seats (``PanelMember``) the user may act on as a judge or chief judge:
    their expert's seats, in the one competition the account or the card is for.

    An expert acts in a competition through one account only, so that one judge never
    holds two sheets for an entry: the account the competition's organizers opened for
    them when there is one, else their unscoped account (``signin.accounts_for``)."""
    query = select(PanelMember).where(PanelMember.expert_id == user.expert_id)
    if user.expert_id is None:
        return query.where(false())  # an account without an expert judges nothing
    if user.competition_id is None:
        own_elsewhere = select(Event.id).join(
            User, User.competition_id == Event.competition_id).where(
            User.expert_id == user.expert_id)
        query = query.where(PanelMember.event_id.not_in(own_elsewhere))
    scope = user.acting_competition_id
    if scope is not None:
        query = query.where(PanelMember.event_id.in_(
            select(Event.id).where(Event.competition_id == scope)))
    return query


def panel_role(session: Session, user: User, event_id: int) -> str | None:
    """``judge`` or ``chief`` when the user may act on the event's panel, else None."""
    if user.expert_id is None:
        return None
    return session.scalar(acting_seats(user).where(PanelMember.event_id == event_id)
                          .with_only_columns(PanelMember.role))


def expert_competitions(session: Session, expert_id: int) -> set[int]:
    """The competitions whose panels the expert sits on."""
    return set(session.scalars(
        select(Event.competition_id).join(PanelMember, PanelMember.event_id == Event.id)
        .where(PanelMember.expert_id == expert_id)))


def may_edit_expert(session: Session, user: User, expert: Expert) -> bool:
    """Admins change any expert; an organizer only one they added that sits on no panel
    of a competition they do not run (a work unit changed there would lift recusal)."""
    if user.role == Role.ADMIN:
        return True
    if user.role != Role.ORGANIZER or expert.created_by_id != user.id:
        return False
    mine = organized_competition_ids(session, user) or set()
    return expert_competitions(session, expert.id) <= mine


def editable_experts(session: Session, user: User, experts: list[Expert]) -> set[int]:
    """``may_edit_expert`` for a list at once (two queries): the ids the user may change."""
    if user.role == Role.ADMIN:
        return {e.id for e in experts}
    if user.role != Role.ORGANIZER:
        return set()
    own = {e.id for e in experts if e.created_by_id == user.id}
    if not own:
        return set()
    mine = organized_competition_ids(session, user) or set()
    elsewhere = {expert_id for expert_id, competition_id in session.execute(
        select(PanelMember.expert_id, Event.competition_id)
        .join(Event, Event.id == PanelMember.event_id)
        .where(PanelMember.expert_id.in_(own))) if competition_id not in mine}
    return own - elsewhere


def experts_with_contacts(session: Session, user: User, experts: list[Expert]) -> set[int]:
    """``may_see_expert_contacts`` for a list at once (two queries): the ids whose whole
    ID number and phone the user may see."""
    if user.role == Role.ADMIN:
        return {e.id for e in experts}
    shown = {e.id for e in experts if e.created_by_id is not None
             and e.created_by_id == user.id}
    mine = organized_competition_ids(session, user) or set()
    if mine:
        shown |= set(session.scalars(
            select(PanelMember.expert_id).join(Event, Event.id == PanelMember.event_id)
            .where(Event.competition_id.in_(mine),
                   PanelMember.expert_id.in_([e.id for e in experts]))))
    return shown


def may_see_expert_contacts(session: Session, user: User, expert: Expert) -> bool:
    """Whole ID number and phone of an expert: admins, whoever added the expert, and the
    organizers of a competition whose panel the expert sits on."""
    if user.role == Role.ADMIN or (expert.created_by_id is not None
                                   and expert.created_by_id == user.id):
        return True
    mine = organized_competition_ids(session, user) or set()
    return bool(expert_competitions(session, expert.id) & mine)


def may_edit_occupations(user: User) -> bool:
    """The occupation catalogue (names and national codes) is kept by admins."""
    return user.is_authenticated and user.role == Role.ADMIN
