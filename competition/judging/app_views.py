"""The judge's app on a tablet (an installable web app): its service worker, manifest and
offline page.

A judge who opens /judge online registers the service worker (``/judge-sw.js``, scope
``/judge``, source ``static/js/judge-sw.js``); the page (``static/js/judge-app.js``) then
asks it to keep on the tablet the list of entries, the sheet page of every entry and
module listed, the sheets' JSON, the offline page and the static files, so the app opens
and scores without a network, from a cold start too. Marks made offline wait in the
sheet's queue (``static/js/sheet.js``); the worker never answers a write.

Which pages may be kept, and how a copy is fetched without changing anything, is
``judging.copies``.
"""

from __future__ import annotations

import json
import os

from flask import Response, current_app, jsonify, render_template, url_for
from flask_babel import gettext as _

from competition.auth.models import Role
from competition.auth.permissions import role_required
from competition.judging.copies import (
    BUILD_HEADER,
    KEEP_HEADER,
    PREFETCH_HEADER,
    SCOPE,
    SHEET_VERSION_HEADER,
    STATIC_FILES,
    USER_HEADER,
    WORKER_SOURCE,
    build,
    flashes_left_alone,
    kept_on_device,
    page_language,
)
from competition.judging.views import bp

THEME_COLOUR = "#b3261e"  # --brand of static/css/app.css
BACKGROUND_COLOUR = "#f5f7f9"  # --bg of static/css/app.css


@bp.get("/judge-sw.js")
def service_worker():
    """The service worker of the judge's app, at the root so that its scope may be
    /judge; its settings first, then its source. Checked for a new version on every
    visit (no-cache)."""
    settings = {
        "build": build(),
        "scope": SCOPE,
        "offlineUrl": url_for("judging.offline"),
        "staticUrls": [url_for("static", filename=name) for name in STATIC_FILES],
        "prefetchHeader": PREFETCH_HEADER,
        "keepHeader": KEEP_HEADER,
        "userHeader": USER_HEADER,
        "buildHeader": BUILD_HEADER,
        "sheetVersionHeader": SHEET_VERSION_HEADER,
        "sheetJson": url_for("api_judging.open_sheet") + "/",
    }
    with open(os.path.join(current_app.static_folder, WORKER_SOURCE), encoding="utf-8") as f:
        source = f.read()
    body = f"const SETTINGS = {json.dumps(settings, ensure_ascii=False)};\n\n{source}"
    return Response(body, headers={"Content-Type": "text/javascript; charset=utf-8",
                                   "Cache-Control": "no-cache"})


@bp.get("/judge/manifest.webmanifest")
def manifest():
    """What a tablet needs to install the judge's app: its name, icons, start page."""
    icons = [{"src": url_for("static", filename="icons/judge.svg"), "sizes": "any",
              "type": "image/svg+xml"}]
    icons += [{"src": url_for("static", filename=f"icons/judge-{size}.png"),
               "sizes": f"{size}x{size}", "type": "image/png", "purpose": "any maskable"}
              for size in (192, 512)]
    response = jsonify({
        "id": url_for("judging.assignments"),
        "name": f"{_('Scoring')} · {_('Skills Competition')}",
        "short_name": _("Scoring"),
        "lang": page_language(),
        "start_url": url_for("judging.assignments"),
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": icons,
    })
    response.headers["Content-Type"] = "application/manifest+json; charset=utf-8"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/judge/offline")
@role_required(Role.JUDGE)
def offline():
    """What the tablet shows, without a network, for a page it has not kept."""
    with flashes_left_alone():
        return kept_on_device(Response(render_template("judging/offline.html")))
