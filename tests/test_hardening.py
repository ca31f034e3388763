"""Security headers on every response, sign-in throttling, cookies outside development."""

import pytest

from competition.extensions import limiter
from competition.hardening import CONTENT_SECURITY_POLICY
from tests.conftest import make_app


def test_every_response_carries_the_security_headers(client):
    for url in ("/login", "/results", "/api/v1/openapi.json", "/static/css/app.css",
                "/no-such-page"):
        headers = client.get(url).headers
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, url
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "camera=(self)" in headers["Permissions-Policy"]
    policy = CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


@pytest.fixture
def throttled(app, database_url):
    """An app with sign-in throttling on (3 attempts a minute), then off again."""
    throttled = make_app(database_url, RATELIMIT_ENABLED=True, SIGN_IN_LIMIT="3 per minute",
                         RATELIMIT_STORAGE_URI="memory://")
    yield throttled
    limiter.reset()
    limiter.enabled = False


def test_sign_in_is_throttled_with_a_clear_message(throttled):
    client = throttled.test_client()
    for attempt in range(3):
        page = client.post("/login", data={"username": "organizer", "password": f"guess{attempt}"})
        assert page.status_code == 200 and "用户名或密码错误" in page.text
    refused = client.post("/login", data={"username": "organizer", "password": "guess4"})
    assert refused.status_code == 429
    assert "尝试次数过多" in refused.text
    assert "Traceback" not in refused.text
    # Reading the page is never throttled, only attempts.
    assert client.get("/login").status_code == 200
    # The same account from another address is throttled too (per username).
    other = client.post("/login", data={"username": "organizer", "password": "x"},
                        environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 429
    # English visitors read it in English.
    client.get("/lang/en")
    english = client.post("/login", data={"username": "someone", "password": "x"})
    assert english.status_code == 429 and "Too many attempts" in english.text


def test_a_real_server_needs_a_shared_store_for_the_counters(monkeypatch):
    from competition import create_app
    from competition.config import ConfigError

    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("AUDIT_KEY", "a" * 40)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(ConfigError, match="REDIS_URL"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "RATELIMIT_ENABLED": False})
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    # Outside development the session cookie is HttpOnly, Secure and SameSite.
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    limiter.enabled = False


@pytest.mark.browser
def test_main_pages_run_under_the_content_security_policy(locked_tea, live_server, page):
    """Chromium reports any script, style or connection the policy blocks."""
    from sqlalchemy import select

    from competition.entries.models import Entry
    from competition.extensions import db

    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    entry = db.session.scalar(select(Entry).where(Entry.event_id == locked_tea.id))
    page.goto(f"{live_server}/r/{entry.token}")
    page.goto(f"{live_server}/login")
    page.fill("#username", "organizer")
    page.fill("#password", "demo-organizer-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    for path in (f"/events/{locked_tea.id}/results", f"/events/{locked_tea.id}/checkin",
                 f"/judge/events/{locked_tea.id}/console", f"/events/{locked_tea.id}/screen",
                 f"/events/{locked_tea.id}/scheme"):
        page.goto(live_server + path)
        page.wait_for_load_state("networkidle")
    assert violations == []
