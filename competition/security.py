"""Forged requests: what refuses a request another site makes in a user's name.

- Every HTML form carries Flask-WTF's CSRF token; a state-changing request without a
  valid one is refused with 400 before its view runs, and told so in the user's
  language (a form left open too long, or a forged request).
- The JSON API (``/api/v1``) is exempt from the token: its callers are the tablets'
  scripts (same site) and programs with a bearer token. A browser would still send the
  session cookie with a forged request, so the API does not rely on the token:
  1. the session cookie is ``SameSite=Lax`` (``config.py``): browsers leave it off a
     POST from another site;
  2. bodies are read as JSON only, and only when sent as ``application/json``, which an
     HTML form cannot send (a ``text/plain`` form that looks like JSON is not read), and
     a script on another site cannot send without a CORS preflight this app never
     grants;
  3. a write signed in by the session cookie is refused (403) when the browser says it
     comes from another site (``Sec-Fetch-Site``) or, for a browser that does not send
     that header, from another origin (``Origin``).
     Without this, the API routes that take no body (publishing and finalizing results)
     or take a file (importing contestants) would rest on the cookie's SameSite alone,
     which does not cover a sibling subdomain. Bearer-token callers are programs, not
     browsers riding a cookie, and are not asked.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# What the browser says of where a request comes from (Fetch Metadata): "none" is the
# user typing the address or using a bookmark.
SAME_SITE_FETCHES = frozenset({"same-origin", "none"})


def init_security(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_refused(error: CSRFError):
        message = _("This form has expired or did not come from this site. Go back, reload "
                    "the page and try again.")
        if request.accept_mimetypes.best == "application/json":
            return jsonify(code=400, status="Bad Request", message=message), 400
        return render_template("error.html", status=400, message=message), 400

    @app.before_request
    def refuse_control_characters():
        """A NUL or another control character (but tab and line breaks) in a field is
        never a person's input: refused (400) before any view or database sees it."""
        if not has_control_characters():
            return None
        message = _("The request contains characters that cannot be typed (control "
                    "characters). Remove them and try again.")
        if request.path.startswith("/api/") or \
                request.accept_mimetypes.best == "application/json":
            return jsonify(code=400, status="Bad Request", message=message), 400
        return render_template("error.html", status=400, message=message), 400

    @app.before_request
    def refuse_cross_site_api_writes():
        if not request.path.startswith("/api/") or request.method in SAFE_METHODS:
            return None
        if request.headers.get("Authorization", "").startswith("Bearer "):
            return None
        if not comes_from_another_site():
            return None
        return jsonify(code=403, status="Forbidden",
                       message=_("Requests from other sites are refused.")), 403


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for key, item in value.items()
                for text in (*_strings(key), *_strings(item))]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


def has_control_characters() -> bool:
    """Whether the query, the form fields or a JSON body hold a control character."""
    texts = [text for key, value in request.args.items(multi=True) for text in (key, value)]
    if request.method not in SAFE_METHODS:
        if request.mimetype == "application/json":
            texts += _strings(request.get_json(silent=True))
        elif request.mimetype in ("application/x-www-form-urlencoded",
                                  "multipart/form-data"):
            # A part whose name the parser could not read comes back named None.
            texts += [text for key, value in request.form.items(multi=True)
                      for text in (*_strings(key), *_strings(value))]
            texts += [text for key, upload in request.files.items(multi=True)
                      for text in (*_strings(key), *_strings(upload.filename))]
    return any(CONTROL_CHARACTERS.search(text) for text in texts)


def comes_from_another_site() -> bool:
    """Whether the browser says this request was made by a page of another site.

    The browser's own word (``Sec-Fetch-Site``, sent by every current browser) decides
    when it is there: it does not depend on the ``Host`` the app sees, which a reverse
    proxy may have rewritten. Only a browser that does not send it is judged by
    ``Origin`` against the host the request was made to (``TRUSTED_PROXIES`` lets the
    app read that host from the proxy's ``X-Forwarded-Host``)."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site not in SAME_SITE_FETCHES
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    # Compare the host only: behind a proxy that ends TLS the app may see http while the
    # browser says https. "null" (a sandboxed page, a file) is another site.
    return urlsplit(origin).netloc != request.host
