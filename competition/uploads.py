"""An uploaded list kept between its preview and the organizer's confirmation, alike for
every import page (contestants, experts, theory scores)."""

from __future__ import annotations

import os
import re
import secrets
import time

from flask import current_app
from flask_babel import lazy_gettext as _l

# The confirmation's box that imports a file whose unrecognized columns are left out.
IGNORE_UNKNOWN_COLUMNS = _l("Leave out the unrecognized columns and import the rest")


class UploadStore:
    """Uploaded files kept between the preview and the confirmation.

    On disk under the instance folder (``IMPORT_UPLOAD_FOLDER`` overrides it),
    so every gunicorn worker of the machine finds them — never in process
    memory. A file's name holds its owner, the competition and a random token:
    only the organizer who uploaded it can import it, and only into that
    competition. Confirming renames it first, so a second click finds nothing
    to import; it is deleted after the import. Any file older than an hour is
    deleted at the next upload or confirmation.
    """

    LIFETIME_SECONDS = 3600
    SUFFIXES = (".xlsx", ".csv")
    TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

    def __init__(self, folder: str) -> None:
        self.folder = folder

    @classmethod
    def for_app(cls) -> UploadStore:
        folder = current_app.config.get("IMPORT_UPLOAD_FOLDER") or os.path.join(
            current_app.instance_path, "imports")
        return cls(folder)

    def save(self, user_id: int, competition_id: int, filename: str, data: bytes) -> str:
        """Keep the file; return the token that names it."""
        os.makedirs(self.folder, exist_ok=True)
        self.purge()
        token = secrets.token_urlsafe(24)
        suffix = ".xlsx" if data[:2] == b"PK" else ".csv"
        path = self._path(user_id, competition_id, token, suffix)
        with open(path + ".part", "wb") as f:
            f.write(data)
        os.replace(path + ".part", path)
        return token

    def claim(self, user_id: int, competition_id: int, token: str) -> tuple[str, bytes] | None:
        """Take a kept file for importing: (file name, content), or None if it is gone,
        expired or already taken — a second click on the button finds nothing to import."""
        self.purge()
        path = self._find(user_id, competition_id, token)
        if path is None:
            return None
        claimed = path + ".importing"
        try:
            os.rename(path, claimed)
            with open(claimed, "rb") as f:
                return os.path.basename(path), f.read()
        except FileNotFoundError:
            return None

    def release(self, user_id: int, competition_id: int, token: str) -> None:
        """Delete a claimed file once the import is done, whether it succeeded or not."""
        path = self._find(user_id, competition_id, token, claimed=True)
        if path is not None:
            _remove(path)

    def purge(self) -> None:
        """Delete every kept file older than an hour."""
        oldest = time.time() - self.LIFETIME_SECONDS
        try:
            entries = list(os.scandir(self.folder))
        except FileNotFoundError:
            return
        for entry in entries:
            try:
                if entry.is_file() and entry.stat().st_mtime < oldest:
                    _remove(entry.path)
            except FileNotFoundError:
                continue

    def _find(self, user_id: int, competition_id: int, token: str, *,
              claimed: bool = False) -> str | None:
        if not token or not self.TOKEN.match(token):
            return None
        for suffix in self.SUFFIXES:
            path = self._path(user_id, competition_id, token, suffix)
            if claimed:
                path += ".importing"
            if os.path.isfile(path):
                return path
        return None

    def _path(self, user_id: int, competition_id: int, token: str, suffix: str) -> str:
        return os.path.join(self.folder, f"{user_id}-{competition_id}-{token}{suffix}")


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
