"""What every response carries and what slows down guessing.

- Security headers on every response: a Content-Security-Policy that allows
  scripts, styles and connections from this site only (no inline scripts: the
  templates have none, JavaScript lives in ``static/js``), no framing, no MIME
  sniffing, a same-origin referrer, and the camera for this site only (the
  check-in desk scans tickets with it).
- Sign-in throttling with Flask-Limiter: per visitor address and per username,
  so neither one address guessing many accounts nor many addresses guessing one
  account gets far. Counters live in Redis when ``REDIS_URL`` is set, so every
  worker and server shares them (docs/design.md section 6); without it they live in
  the process, which only the development server and the tests may use
  (``config.check_config`` refuses to start a real server that way).
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _

from competition.extensions import limiter

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

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
    app.config.setdefault("SIGN_IN_LIMIT", "10 per minute")
    app.config.setdefault("VERIFY_LIMIT", "30 per minute")
    limiter.init_app(app)

    @app.after_request
    def security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
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


def verify_limit() -> str:
    from flask import current_app

    return current_app.config["VERIFY_LIMIT"]


def _username_key() -> str:
    return "user:" + (request.form.get("username") or "").strip().lower()


# Decorators for the views that check a secret someone could guess.
throttle_by_address = limiter.limit(sign_in_limit, methods=["POST"])
throttle_by_username = limiter.limit(sign_in_limit, methods=["POST"], key_func=_username_key)
throttle_verification = limiter.limit(verify_limit, methods=["POST"])
