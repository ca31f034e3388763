"""What every response carries and what slows down guessing.

- Security headers on every response: a Content-Security-Policy that allows
  scripts, styles, connections and service workers (the judge's app) from this site
  only (no inline scripts: the templates have none, JavaScript lives in
  ``static/js``), no framing, no MIME sniffing, a same-origin referrer, and the
  camera for this site only (the check-in desk scans tickets with it).
- Sign-in throttling that slows guessing without locking people out:

  * per account and address: the first ``SIGN_IN_FREE_FAILURES`` wrong
    passwords cost nothing; after that each one makes the next try wait twice
    as long (1, 2, 4 … seconds, at most ``SIGN_IN_MAX_WAIT``). A right password
    clears the count. Someone else guessing from another address does not slow
    the real user down this way;
  * per account from anywhere: after ``SIGN_IN_ACCOUNT_FREE_FAILURES`` wrong
    passwords within a quarter of an hour, a short wait (doubling, at most
    ``SIGN_IN_ACCOUNT_MAX_WAIT`` seconds) — many addresses guessing one account
    get nowhere, and the real user waits seconds, never a lockout;
  * per address: only failed attempts count (``SIGN_IN_LIMIT``), with a budget
    for a whole venue signing in behind one address (NAT);
  * a sign-in card's QR link carries a 256-bit secret nobody can guess: only a
    generous per-address budget of failed scans (``CARD_SIGN_IN_LIMIT``).

  Counters live in Redis when ``REDIS_URL`` is set, so every worker and server
  shares them (docs/design.md section 6); without it they live in the process,
  which only the development server and the tests may use
  (``config.check_config`` refuses to start a real server that way).
"""

from __future__ import annotations

import math
import time

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from competition.extensions import limiter

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "worker-src 'self'",  # the judge's app's service worker (/judge-sw.js)
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

# Paths whose address carries a secret: a contestant's page (/r/<token>) and its
# documents, a judge's sign-in card (/s/<token>).
PRIVATE_LINKS = ("/r/", "/s/", "/api/v1/contestant/")

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def init_hardening(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "competition")
    # Failed password sign-ins from one address (a venue's network may be one address).
    app.config.setdefault("SIGN_IN_LIMIT", "200 per 10 minutes")
    app.config.setdefault("CARD_SIGN_IN_LIMIT", "100 per 10 minutes")
    app.config.setdefault("SIGN_IN_FREE_FAILURES", 5)
    app.config.setdefault("SIGN_IN_MAX_WAIT", 300)
    app.config.setdefault("SIGN_IN_ACCOUNT_FREE_FAILURES", 20)
    app.config.setdefault("SIGN_IN_ACCOUNT_MAX_WAIT", 30)
    app.config.setdefault("VERIFY_LIMIT", "30 per minute")
    limiter.init_app(app)

    @app.after_request
    def security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.path.startswith(PRIVATE_LINKS):
            # A contestant's private link or a sign-in card: personal, and the address
            # is the secret. Kept out of every cache and other sites' logs.
            response.headers["Cache-Control"] = "private, no-store"
            response.headers["Referrer-Policy"] = "no-referrer"
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security",
                                        "max-age=31536000; includeSubDomains")
        return response

    @app.errorhandler(429)
    def too_many_attempts(error):
        message = _("Too many attempts. Wait a minute, then try again.")
        if request.path.startswith("/api/") or request.accept_mimetypes.best == \
                "application/json":
            return jsonify(code=429, status="Too Many Requests", message=message), 429
        return render_template("error.html", status=429, message=message), 429


def sign_in_limit() -> str:
    from flask import current_app

    return current_app.config["SIGN_IN_LIMIT"]


def card_sign_in_limit() -> str:
    from flask import current_app

    return current_app.config["CARD_SIGN_IN_LIMIT"]


def _failed(response: Response) -> bool:
    """A sign-in attempt that checked a secret and found it wrong (a success redirects; a
    try refused before checking anything costs nothing more)."""
    return response.status_code not in (302, 429)


# --- Back-off per account -------------------------------------------------------------

WINDOW = 15 * 60  # failures are forgotten a quarter of an hour after the last one


def _keys(username: str) -> tuple[str, str, str, str]:
    account = "signin:" + (username or "").strip().lower()
    pair = f"{account}@{get_remote_address()}"
    return pair, pair + ":wait", account, account + ":wait"


def _remaining(key: str) -> int:
    storage = limiter.storage
    if not storage.get(key):
        return 0
    return max(1, math.ceil(storage.get_expiry(key) - time.time()))


def sign_in_wait(username: str) -> int:
    """Seconds this visitor must wait before trying a password for ``username`` again
    (0: they may try now)."""
    if not limiter.enabled:
        return 0
    _, pair_wait, _, account_wait = _keys(username)
    return max(_remaining(pair_wait), _remaining(account_wait))


def _wait(storage, key: str, seconds: int) -> None:
    storage.clear(key)
    storage.incr(key, seconds)


def note_failed_sign_in(username: str) -> None:
    """A wrong password for ``username`` from this visitor: count it, and set the wait
    before the next try once the free failures are used up."""
    if not limiter.enabled:
        return
    from flask import current_app

    config = current_app.config
    storage = limiter.storage
    pair, pair_wait, account, account_wait = _keys(username)
    failures = storage.incr(pair, WINDOW)
    free = config["SIGN_IN_FREE_FAILURES"]
    if failures >= free:
        _wait(storage, pair_wait, min(2 ** (failures - free), config["SIGN_IN_MAX_WAIT"]))
    failures = storage.incr(account, WINDOW)
    free = config["SIGN_IN_ACCOUNT_FREE_FAILURES"]
    if failures >= free:
        _wait(storage, account_wait,
              min(2 ** (failures - free), config["SIGN_IN_ACCOUNT_MAX_WAIT"]))


def note_signed_in(username: str) -> None:
    """The right password: this visitor's count for the account starts again."""
    if not limiter.enabled:
        return
    pair, pair_wait, _, _ = _keys(username)
    limiter.storage.clear(pair)
    limiter.storage.clear(pair_wait)


def verify_limit() -> str:
    from flask import current_app

    return current_app.config["VERIFY_LIMIT"]


# Decorators for the views that check a secret someone could guess: failed attempts
# count against the visitor's address.
throttle_by_address = limiter.limit(sign_in_limit, methods=["POST"], deduct_when=_failed)
throttle_cards = limiter.limit(card_sign_in_limit, deduct_when=_failed)
throttle_verification = limiter.limit(verify_limit, methods=["POST"])
