"""Sign-in by a printed QR code: a judge scans their card and the tablet is signed in.

The organizer prints one card per judge of the competition's panels;
scanning it signs that judge in on the device, and the organizer can revoke it.
The card holds a random secret (256 bits) in the link ``/s/<secret>``; only its
SHA-256 is stored (``AccessToken`` with purpose ``signin``, like the API tokens
of ``auth.signin``), so the cards can be printed only when they are issued.
Issuing new cards for a judge revokes that judge's earlier cards of the same
competition. A token is tied to its competition through its ``label``, so the
organizers of one competition never see or revoke another competition's cards.
Functions flush; the caller commits.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from competition.audit.log import record
from competition.auth.models import AccessToken, User
from competition.dbtypes import utcnow
from competition.errors import N_, DomainError
from competition.events.models import Competition, Event, Expert, PanelMember, PanelRole

PURPOSE = "signin"
# Where a session opened by a card keeps which card, for which competition, until when.
CARD_SESSION_KEY = "card"
# A card's session lasts a working day at the venue; the judge scans again the next day.
CARD_SESSION_HOURS = 12


class SigninError(DomainError):
    """A rule of sign-in cards was broken."""


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def competition_label(competition_id: int) -> str:
    return f"competition:{competition_id}"


@dataclass
class Seat:
    """One event a judge sits on, and their role there (judge or chief)."""

    event: Event
    role: str


@dataclass
class PanelJudge:
    """A judge of the competition: their account (if any), seats, and current card."""

    expert: Expert
    user: User | None
    seats: list[Seat] = field(default_factory=list)
    token: AccessToken | None = None


def competition_judges(session: Session, competition: Competition) -> list[PanelJudge]:
    """Everyone on a panel of the competition's events, in event order, each once.

    ``user`` is the account the expert acts with in this competition: the one its
    organizers opened for them, else their own unscoped account; None while they have
    neither, and no card can be issued for them until they have one.
    """
    members = session.scalars(
        select(PanelMember).join(Event, Event.id == PanelMember.event_id)
        .where(Event.competition_id == competition.id)
        .options(selectinload(PanelMember.event), selectinload(PanelMember.expert))
        .order_by(Event.position, Event.id, PanelMember.role, PanelMember.id)).all()
    expert_ids = {m.expert_id for m in members}
    users = accounts_for(session, competition.id, expert_ids)
    tokens = active_tokens(session, competition.id)
    judges: dict[int, PanelJudge] = {}
    for member in members:
        judge = judges.get(member.expert_id)
        if judge is None:
            user = users.get(member.expert_id)
            judge = judges[member.expert_id] = PanelJudge(
                expert=member.expert, user=user,
                token=tokens.get(user.id) if user is not None else None)
        judge.seats.append(Seat(event=member.event, role=member.role))
    return list(judges.values())


def accounts_for(session: Session, competition_id: int,
                 expert_ids: set[int]) -> dict[int, User]:
    """The account each expert acts with in the competition, by expert id: the account
    scoped to it, else the expert's unscoped account."""
    if not expert_ids:
        return {}
    found: dict[int, User] = {}
    for user in session.scalars(select(User).where(
            User.expert_id.in_(expert_ids),
            (User.competition_id == competition_id) | User.competition_id.is_(None))
            .order_by(User.competition_id.is_(None), User.id)):
        found.setdefault(user.expert_id, user)
    return found


def seats_of(session: Session, user: User, competition_id: int) -> list[Seat]:
    """The events of the competition the user judges, with their role."""
    if user.expert_id is None:
        return []
    members = session.scalars(
        select(PanelMember).join(Event, Event.id == PanelMember.event_id)
        .where(Event.competition_id == competition_id, PanelMember.expert_id == user.expert_id)
        .options(selectinload(PanelMember.event)).order_by(Event.position, Event.id)).all()
    return [Seat(event=m.event, role=m.role) for m in members]


def judges_anything(session: Session, user: User) -> bool:
    """Whether the user scores on some panel as a judge (not only as its chief)."""
    from competition.events.tenancy import acting_seats

    return session.scalar(acting_seats(user).where(PanelMember.role == PanelRole.JUDGE)
                          .with_only_columns(PanelMember.id).limit(1)) is not None


def active_tokens(session: Session, competition_id: int) -> dict[int, AccessToken]:
    """The newest unrevoked card of each judge for this competition, by user id."""
    found: dict[int, AccessToken] = {}
    for token in session.scalars(select(AccessToken).where(
            AccessToken.purpose == PURPOSE,
            AccessToken.label == competition_label(competition_id),
            AccessToken.revoked_at.is_(None)).order_by(AccessToken.id)):
        found[token.user_id] = token
    return found


def issue_cards(session: Session, organizer: User, competition: Competition,
                user_ids: list[int] | None = None) -> list[tuple[PanelJudge, str]]:
    """New sign-in cards for the competition's judges (all of them, or ``user_ids``).

    Each judge's earlier cards of this competition are revoked first. Returns
    each judge with the secret of their new card: it is not stored, so the
    cards are printed from this answer.
    """
    judges = [j for j in competition_judges(session, competition) if j.user is not None]
    if user_ids is not None:
        wanted = set(user_ids)
        unknown = wanted - {j.user.id for j in judges}
        if unknown:
            raise SigninError(N_("Sign-in cards are issued only for judges on a panel of "
                                 "this competition who have an account."))
        judges = [j for j in judges if j.user.id in wanted]
    if not judges:
        raise SigninError(N_("No judge of this competition has an account yet, so there is "
                             "no card to issue."))
    now = utcnow()
    label = competition_label(competition.id)
    ids = [j.user.id for j in judges]
    for old in session.scalars(select(AccessToken).where(
            AccessToken.purpose == PURPOSE, AccessToken.label == label,
            AccessToken.user_id.in_(ids), AccessToken.revoked_at.is_(None))):
        old.revoked_at = now
        record(session, actor_id=organizer.id, action="card.revoke", object_type="user",
               object_id=old.user_id, old={"competition": competition.id, "card": old.id},
               new={"replaced_by_new_card": True})
    issued = []
    for judge in judges:
        secret = secrets.token_urlsafe(32)
        token = AccessToken(user_id=judge.user.id, purpose=PURPOSE,
                            token_hash=token_hash(secret), label=label,
                            created_by_id=organizer.id)
        session.add(token)
        judge.token = token
        issued.append((judge, secret))
    session.flush()
    for judge, _ in issued:
        record(session, actor_id=organizer.id, action="card.issue", object_type="user",
               object_id=judge.user.id,
               new={"competition": competition.id, "card": judge.token.id})
    return issued


def revoke_card(session: Session, token: AccessToken, *, actor: User) -> None:
    """The card no longer signs anyone in (a lost card, a judge who left), and the
    sessions it opened end (``card_session_scope``)."""
    if token.revoked_at is not None:
        raise SigninError(N_("This card was already revoked."))
    token.revoked_at = utcnow()
    session.flush()
    record(session, actor_id=actor.id, action="card.revoke", object_type="user",
           object_id=token.user_id, old={"competition": competition_of(token),
                                         "card": token.id})


def competition_of(token: AccessToken) -> int | None:
    """The competition a sign-in card was issued for, from its label."""
    prefix = "competition:"
    if token.label.startswith(prefix) and token.label[len(prefix):].isdigit():
        return int(token.label[len(prefix):])
    return None


def find_card(session: Session, secret: str) -> AccessToken | None:
    """The unrevoked sign-in card with this secret, of an active account; else None."""
    if not secret or len(secret) > 128:
        return None
    token = session.scalar(select(AccessToken).where(
        AccessToken.token_hash == token_hash(secret), AccessToken.purpose == PURPOSE,
        AccessToken.revoked_at.is_(None)))
    if token is None or not token.user.active:
        return None
    return token


def sign_in_with(session: Session, secret: str) -> User | None:
    """The judge a card signs in, recording when it was used; None if it does not."""
    token = find_card(session, secret)
    if token is None:
        return None
    now = utcnow()
    token.last_used_at = now
    token.user.last_login_at = now
    session.flush()
    return token.user


def card_session(token: AccessToken, now: datetime | None = None) -> dict:
    """What a session opened by ``token`` remembers: the card, its competition and
    when the session ends (``CARD_SESSION_HOURS`` after signing in)."""
    ends = (now or utcnow()) + timedelta(hours=CARD_SESSION_HOURS)
    return {"token": token.id, "competition": competition_of(token),
            "until": int(ends.timestamp())}


def card_session_scope(session: Session, card: object, user: User,
                       now: datetime | None = None) -> int | None:
    """The competition a card's session acts in, while the session is valid: the card is
    the user's, unrevoked, for a competition the account may act in, and not expired.
    None ends the session."""
    if not isinstance(card, dict):
        return None
    competition_id, token_id, until = card.get("competition"), card.get("token"), card.get(
        "until")
    if not all(isinstance(v, int) for v in (competition_id, token_id, until)):
        return None
    if (now or utcnow()) >= datetime.fromtimestamp(until, UTC):
        return None
    if user.competition_id is not None and user.competition_id != competition_id:
        return None
    token = session.get(AccessToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None \
            or competition_of(token) != competition_id:
        return None
    return competition_id
