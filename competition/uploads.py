"""An uploaded list kept between its preview and the organizer's confirmation, alike for
every import page (contestants, experts, theory scores)."""

from __future__ import annotations

import os
import posixpath
import re
import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, LargeBinary, String, delete, event, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from competition.dbtypes import UTCDateTime, utcnow
from competition.extensions import db

# The confirmation's box that imports a file whose unrecognized columns are left out.
IGNORE_UNKNOWN_COLUMNS = _l("Leave out the unrecognized columns and import the rest")


class PendingUpload(db.Model):
    """An uploaded file waiting for its confirmation (``UploadStore``): in the database,
    so that the confirmation may reach any app server behind the load balancer."""

    __tablename__ = "pending_uploads"

    # Random (``secrets.token_urlsafe``): the confirmation form names the file by it.
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Only the organizer who uploaded the file may import it ...
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # ... into what it was checked against: the competition (contestants), the event
    # (theory scores) or 0 (the expert pool); not a foreign key, as it names either.
    scope_id: Mapped[int]
    # Which import: a token of one kind names nothing in another.
    kind: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(255))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class UploadStore:
    """Uploaded files kept between the preview and the confirmation.

    In the database (``PendingUpload``), so that every worker of every app server finds
    them — never in process memory nor on a server's disk. A kept file belongs to its
    owner, to the competition (or event) it was checked against and to one kind of
    import: only the organizer who uploaded it can import it, and only there.
    Confirming takes it out of the store at once, so a second click finds nothing to
    import (on PostgreSQL a concurrent second click waits for the first to end, then
    finds nothing). Any file older than an hour is deleted at the next upload or
    confirmation, and none is handed out once that old.

    Everything the store writes is part of the request's transaction: a preview that
    fails after keeping its file keeps nothing; a confirmation that fails unexpectedly
    leaves the file where it was. ``release`` deletes the file whatever the import's
    outcome, even when the request's work is rolled back afterwards.

    ``folder`` is what named the kind when files were kept on disk (sub-folders of the
    ``imports`` folder): ``UploadStore.for_app()`` keeps contestant lists, and
    ``UploadStore(os.path.join(UploadStore.for_app().folder, "theory"))`` — or
    ``UploadStore.for_app("theory")`` — theory scores.
    """

    LIFETIME_SECONDS = 3600
    ROOT = "imports"
    DEFAULT_KIND = "contestants"
    # Larger than any import accepts (``spreadsheet.MAX_BYTES``, 10 MB), which each
    # import checks before a file is kept; this only bounds the row.
    MAX_BYTES = 16 * 1024 * 1024
    TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

    def __init__(self, folder: str = ROOT) -> None:
        self.folder = folder
        self.kind = _kind_of(folder, self.ROOT, self.DEFAULT_KIND)

    @classmethod
    def for_app(cls, kind: str | None = None) -> UploadStore:
        """The store of contestant lists, or of the ``kind`` of import named."""
        return cls(cls.ROOT if kind is None else posixpath.join(cls.ROOT, kind))

    def save(self, user_id: int, competition_id: int, filename: str, data: bytes) -> str:
        """Keep the file; return the token that names it."""
        if len(data) > self.MAX_BYTES:
            raise ValueError(f"an upload of {len(data)} bytes is larger than the store keeps")
        self.purge()
        token = secrets.token_urlsafe(24)
        db.session.execute(insert(PendingUpload).values(
            token=token, user_id=user_id, scope_id=competition_id, kind=self.kind,
            filename=_kept_name(filename), data=data, created_at=utcnow()))
        return token

    def claim(self, user_id: int, competition_id: int, token: str) -> tuple[str, bytes] | None:
        """Take a kept file for importing: (its file name, content), or None if it is gone,
        expired, already taken or someone else's — a second click on the button finds
        nothing to import."""
        if not token or not self.TOKEN.match(token):
            return None
        self.purge()
        taken = db.session.execute(
            delete(PendingUpload)
            .where(*self._match(user_id, competition_id, token),
                   PendingUpload.created_at >= self._oldest())
            .returning(PendingUpload.filename, PendingUpload.data)).first()
        if taken is None:
            return None
        return taken.filename, bytes(taken.data)

    def release(self, user_id: int, competition_id: int, token: str) -> None:
        """Delete a claimed file once the import is done, whether it succeeded or not.

        A failed import is rolled back, and the claim with it: the file is deleted again
        when the request's transaction commits (``_release_again``), so it does not come
        back even when the view rolls back after releasing it."""
        if not token or not self.TOKEN.match(token):
            return
        key = (self.kind, user_id, competition_id, token)
        db.session.execute(delete(PendingUpload).where(*self._match(user_id, competition_id,
                                                                    token)))
        db.session.info.setdefault(_RELEASED, set()).add(key)

    def purge(self) -> None:
        """Delete every kept file older than an hour (of every kind). Rows another
        transaction holds are left for a later purge rather than waited for."""
        expired = (select(PendingUpload.token)
                   .where(PendingUpload.created_at < self._oldest())
                   .with_for_update(skip_locked=True))
        db.session.execute(delete(PendingUpload).where(PendingUpload.token.in_(expired)),
                           execution_options={"synchronize_session": False})

    def _oldest(self) -> datetime:
        return utcnow() - timedelta(seconds=self.LIFETIME_SECONDS)

    def _match(self, user_id: int, competition_id: int, token: str) -> tuple:
        return (PendingUpload.token == token, PendingUpload.user_id == user_id,
                PendingUpload.scope_id == competition_id, PendingUpload.kind == self.kind)


def _kind_of(folder: str, root: str, default: str) -> str:
    """The kind a store's folder names: ``imports`` → contestants, ``imports/theory`` →
    theory (either path separator)."""
    parts = [part for part in re.split(r"[\\/]+", folder) if part not in ("", ".")]
    if parts and parts[0] == root:
        parts = parts[1:]
    kind = "/".join(parts) or default
    if len(kind) > 40:
        raise ValueError(f"the upload kind {kind!r} is longer than 40 characters")
    return kind


def _kept_name(filename: str) -> str:
    """The uploaded file's own name, without folders, at most 255 characters: the
    confirmation reads the file by it exactly as the preview did (its extension)."""
    name = re.split(r"[\\/]", filename or "")[-1]
    if len(name) <= 255:
        return name
    stem, suffix = os.path.splitext(name)
    suffix = suffix[:20]
    return stem[:255 - len(suffix)] + suffix


# --- Releases that outlast a rollback ----------------------------------------------------

# The files released in a session's current request: (kind, user, scope, token).
_RELEASED = "competition.uploads.released"


@event.listens_for(Session, "before_commit")
def _release_again(session: Session) -> None:
    """Delete again, in the transaction that commits, every file released in this
    session: a view that rolls back after ``release`` (a refused import) would otherwise
    bring the claimed file back. Usually the DELETE finds nothing."""
    released = session.info.pop(_RELEASED, None)
    for kind, user_id, scope_id, token in sorted(released or ()):
        session.execute(delete(PendingUpload).where(
            PendingUpload.token == token, PendingUpload.user_id == user_id,
            PendingUpload.scope_id == scope_id, PendingUpload.kind == kind))
