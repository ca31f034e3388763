"""Use cases of accounts: signing in by password, session or API token."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from competition.auth.models import AccessToken, User
from competition.dbtypes import utcnow


def user_for_session_id(session: Session, remembered: str) -> User | None:
    """The active user of a session id ``<user id>.<session stamp>`` (``User.get_id``);
    None once the stamp changed (sign-out, a new password, a disabled account)."""
    user_id, _, stamp = (remembered or "").partition(".")
    if not user_id.isdigit() or not stamp or len(user_id) > 18:
        return None
    # With the expert the account is, if any: the judges' checks read it on every save.
    user = session.get(User, int(user_id), options=[joinedload(User.expert)])
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
