"""Accounts added by the command line and scripts (``flask users create``)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from competition.auth.models import Role, User
from competition.events.models import Competition, CompetitionOrganizer, Expert


class AccountError(ValueError):
    """A rule about accounts was broken; the message is for the user."""


def create_user(session: Session, *, username: str, password: str, role: str,
                display_name: str = "", expert_id: int | None = None,
                competition_id: int | None = None) -> User:
    """Add an account (the command line's way). Usernames are unique regardless of case.

    A judge may be tied to an expert of the pool, and to the one competition it acts
    in; a supervisor to the one competition it supervises; an organizer to the
    competition it runs."""
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
