"""Use cases for accounts."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from competition.auth.models import AccessToken, Role, User
from competition.dbtypes import utcnow


class AccountError(ValueError):
    """A rule about accounts was broken; the message is for the user."""


def create_user(session: Session, *, username: str, password: str, role: str,
                display_name: str = "", expert_id: int | None = None,
                competition_id: int | None = None) -> User:
    """Add an account (the command line's way). Usernames are unique regardless of case.

    A judge may be tied to an expert of the pool, and to the one competition it acts
    in; a supervisor to the one competition it supervises; an organizer to the
    competition it runs."""
    from competition.events.models import Competition, CompetitionOrganizer, Expert

    username = username.strip()
    if not username:
        raise AccountError("username must not be empty")
    if role not in set(Role):
        raise AccountError(f"role must be one of: {', '.join(Role)}")
    if len(password) < 8:
        raise AccountError("password must have at least 8 characters")
    taken = session.scalar(
        select(User.id).where(func.lower(User.username) == username.lower())
    )
    if taken is not None:
        raise AccountError(f"username {username!r} is already taken")
    if expert_id is not None:
        if role != Role.JUDGE:
            raise AccountError("only a judge's account is tied to an expert")
        expert = session.get(Expert, expert_id)
        if expert is None:
            raise AccountError(f"no expert with id {expert_id}")
        if session.scalar(select(User.id).where(
                User.expert_id == expert_id, User.competition_id == competition_id
                if competition_id is not None else User.competition_id.is_(None))):
            raise AccountError(f"{expert.name} already has such an account")
    if competition_id is not None:
        if session.get(Competition, competition_id) is None:
            raise AccountError(f"no competition with id {competition_id}")
        if role == Role.ADMIN:
            raise AccountError("an administrator's account is not tied to a competition")
    user = User(username=username, role=role, display_name=display_name or username,
                expert_id=expert_id,
                competition_id=competition_id
                if role in (Role.JUDGE, Role.SUPERVISOR) else None)
    user.set_password(password)
    session.add(user)
    session.flush()
    if role == Role.ORGANIZER and competition_id is not None:
        session.add(CompetitionOrganizer(competition_id=competition_id, user_id=user.id))
        session.flush()
    return user


def user_for_session_id(session: Session, remembered: str) -> User | None:
    """The active user of a session id ``<user id>.<session stamp>`` (``User.get_id``);
    None once the stamp changed (sign-out, a new password, a disabled account)."""
    user_id, _, stamp = (remembered or "").partition(".")
    if not user_id.isdigit() or not stamp or len(user_id) > 18:
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.active or not secrets.compare_digest(
            user.session_stamp, stamp):
        return None
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None. Records the sign-in time."""
    user = session.scalar(
        select(User).where(func.lower(User.username) == username.strip().lower())
    )
    if user is None or not user.active or not user.check_password(password):
        return None
    user.last_login_at = utcnow()
    return user


def _token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_api_token(session: Session, user: User, label: str = "") -> str:
    """A new bearer token for the JSON API. Only its hash is kept: show it once."""
    secret = secrets.token_urlsafe(32)
    session.add(AccessToken(user_id=user.id, purpose="api", token_hash=_token_hash(secret),
                            label=label))
    session.flush()
    return secret


def user_for_api_token(session: Session, secret: str) -> User | None:
    """The active user an unrevoked API token belongs to, or None."""
    if not secret:
        return None
    token = session.scalar(select(AccessToken).where(
        AccessToken.token_hash == _token_hash(secret), AccessToken.purpose == "api",
        AccessToken.revoked_at.is_(None)))
    if token is None or not token.user.active:
        return None
    return token.user
