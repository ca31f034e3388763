"""Accounts: who can sign in, and with which role.

Roles are global (admin, organizer, judge, supervisor, bureau). Being the chief
judge of an event is a panel role (``events.models.PanelMember``), and organizing
a competition is a link (``events.models.CompetitionOrganizer``), so permissions
are always per competition or per event.

A judge's account may be *scoped* to one competition (``competition_id``): the
accounts a competition's organizers open for their panel act in that
competition only, so a password an organizer printed can never score another
competition. An expert therefore has at most one account per competition and
at most one unscoped account (opened by an admin). A sign-in card narrows a
session the same way (``acting_competition_id``). See docs/tenancy.md.
"""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from competition.dbtypes import UTCDateTime, one_of, utcnow
from competition.extensions import db

if TYPE_CHECKING:
    from competition.events.models import Expert


class Role(enum.StrEnum):
    ADMIN = "admin"
    ORGANIZER = "organizer"
    JUDGE = "judge"
    # A member of a competition's supervision and arbitration group (监督仲裁组):
    # reads everything of that one competition, decides its appeals, changes no mark.
    SUPERVISOR = "supervisor"
    # The bureau (人社局): reads the statistics of every competition, changes nothing and
    # sees no contestant's ID number or phone.
    BUREAU = "bureau"


def new_session_stamp() -> str:
    return secrets.token_hex(16)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        one_of("role", Role, "role"),
        UniqueConstraint("expert_id", "competition_id"),
        Index("uq_users_one_unscoped_account", "expert_id", unique=True,
              sqlite_where=text("competition_id IS NULL"),
              postgresql_where=text("competition_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)
    # A judge's account is tied to their entry in the expert pool (专家库),
    # which holds their work unit for recusal.
    expert_id: Mapped[int | None] = mapped_column(
        ForeignKey("experts.id", ondelete="SET NULL"), index=True
    )
    # The one competition a judge's account acts in; empty: every competition the
    # expert judges (accounts an admin opens).
    competition_id: Mapped[int | None] = mapped_column(
        ForeignKey("competitions.id", ondelete="CASCADE"), index=True
    )
    # Part of every session and "remember me" cookie: changing it (sign-out, a new
    # password, disabling) ends them all.
    session_stamp: Mapped[str] = mapped_column(String(32), default=new_session_stamp)
    # Set when someone else chose the password (a new account, a reset): the user
    # must choose their own at the next sign-in.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    expert: Mapped[Expert | None] = relationship(foreign_keys=[expert_id])

    # Set for the request by the session loader when a sign-in card signed this
    # session in: the competition the card was issued for.
    card_competition_id = None

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def end_sessions(self) -> None:
        """Every session and "remember me" cookie of this user stops working."""
        self.session_stamp = new_session_stamp()

    def get_id(self) -> str:  # Flask-Login: what the session and cookie remember
        return f"{self.id}.{self.session_stamp}"

    @property
    def acting_competition_id(self) -> int | None:
        """The one competition this sign-in may act in as a judge, or None for every
        competition the expert sits on a panel of."""
        return self.card_competition_id or self.competition_id

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class AccessToken(db.Model):
    """A secret that signs someone in without a password.

    ``purpose`` is ``signin`` for the printed QR code that signs a judge in on a
    tablet, or ``api`` for a bearer token of the JSON API. Only a hash of the
    secret is stored; revoking sets ``revoked_at``.
    """

    __tablename__ = "access_tokens"
    __table_args__ = (one_of("purpose", ["signin", "api"], "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
