"""Copies of the judge's pages that a tablet keeps to work offline (the judge's app,
``app_views``): which responses may be kept, copies that change nothing, and the build
the kept files belong to.

- A page is kept only when the server says it may be (``X-Judge-Copy: keep``, set by
  ``kept_on_device``): the judge's own pages, when they show no flashed message; with
  whose page it is, its language, the build and, for a sheet, the sheet's version, so
  the tablet fetches a copy again only when one of them changed.
- Copies are fetched with ``X-Judge-Prefetch: 1`` (``is_prefetch``): the sheet page then
  shows the sheet without opening it (``sheet_views.sheet``) and no flashed message is
  taken (``flashes_left_alone``), so keeping a copy changes nothing on the server.
- ``build()`` names what the kept pages are made of (static files, templates,
  translations): a change gives a new service worker, which replaces the kept static
  files, and a page kept from another build is fetched again.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Response, current_app, get_flashed_messages, request, session
from flask_babel import get_locale
from flask_login import current_user

PREFETCH_HEADER = "X-Judge-Prefetch"
KEEP_HEADER = "X-Judge-Copy"
USER_HEADER = "X-Judge-User"
BUILD_HEADER = "X-Judge-Build"
SHEET_VERSION_HEADER = "X-Judge-Sheet-Version"
SCOPE = "/judge"
WORKER_SOURCE = "js/judge-sw.js"

# The static files of the judge's pages, kept on the tablet.
STATIC_FILES = (
    "css/app.css", "css/judging.css", "js/app.js", "js/sheet.js", "js/judge-app.js",
    "js/signout.js", "favicon.svg", "icons/judge.svg", "icons/judge-192.png",
    "icons/judge-512.png",
)
# What else the kept pages are made of.
TEMPLATES = ("base.html", "judging/assignments.html", "judging/sheet.html",
             "judging/offline.html")


def is_prefetch() -> bool:
    """Whether the tablet's worker asks for a copy to keep (nothing may change)."""
    return request.headers.get(PREFETCH_HEADER) == "1"


@contextmanager
def flashes_left_alone() -> Iterator[None]:
    """Render a copy without taking the messages flashed for the judge's next page."""
    waiting = session.pop("_flashes", None)
    try:
        yield
    finally:
        if waiting is not None:
            session["_flashes"] = waiting


def kept_on_device(response: Response, sheet_version: int | None = None) -> Response:
    """Say the tablet may keep this page of the judge's (whose it is and of which build),
    unless it shows a flashed message, which a copy would show again every time."""
    if get_flashed_messages() or response.status_code != 200:
        return response
    response.headers[KEEP_HEADER] = "keep"
    response.headers[USER_HEADER] = str(current_user.id)
    response.headers[BUILD_HEADER] = build()
    response.headers["Content-Language"] = page_language()
    if sheet_version is not None:
        response.headers[SHEET_VERSION_HEADER] = str(sheet_version)
    return response


def page_language() -> str:
    """The language of the page, as its ``<html lang>`` says it."""
    language = str(get_locale())
    return "zh-CN" if language == "zh" else language


def build() -> str:
    """A short name for the files the kept pages are made of, as they are now."""
    root = current_app.root_path
    paths = [os.path.join(current_app.static_folder, name)
             for name in (*STATIC_FILES, WORKER_SOURCE)]
    paths += [os.path.join(current_app.template_folder, name) for name in TEMPLATES]
    translations = os.path.join(os.path.dirname(root), "translations")
    paths += [os.path.join(translations, code, "LC_MESSAGES", "messages.mo")
              for code in current_app.config["LANGUAGES"]]
    digest = hashlib.sha256()
    for path in paths:
        try:
            status = os.stat(path)
        except OSError:
            continue
        digest.update(f"{path}\0{status.st_mtime_ns}\0{status.st_size}\n".encode())
    return digest.hexdigest()[:16]
