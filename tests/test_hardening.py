"""Security headers on every response, sign-in throttling, cookies outside development."""

import time

import pytest

from competition.extensions import limiter
from competition.hardening import CONTENT_SECURITY_POLICY
from tests import builders
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
    """An app with sign-in throttling on: 3 failed attempts a minute per address, the
    back-off after 2 wrong passwords per account and address, after 4 per account."""
    throttled = make_app(database_url, RATELIMIT_ENABLED=True, SIGN_IN_LIMIT="3 per minute",
                         SIGN_IN_FREE_FAILURES=2, SIGN_IN_ACCOUNT_FREE_FAILURES=4,
                         SIGN_IN_ACCOUNT_MAX_WAIT=2, RATELIMIT_STORAGE_URI="memory://")
    yield throttled
    limiter.reset()
    limiter.enabled = False


def _sign_in(client, username, password, address="10.0.0.1"):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_failed_attempts_from_one_address_are_throttled_with_a_clear_message(throttled):
    client = throttled.test_client()
    for name in ("a", "b", "c"):
        page = _sign_in(client, name, "guess")
        assert page.status_code == 200 and "用户名或密码错误" in page.text
    refused = _sign_in(client, "d", "guess")
    assert refused.status_code == 429
    assert "尝试次数过多" in refused.text and "Traceback" not in refused.text
    # Reading the page is never throttled, only attempts.
    assert client.get("/login").status_code == 200
    # English visitors read it in English.
    client.get("/lang/en")
    english = _sign_in(client, "someone", "x")
    assert english.status_code == 429 and "Too many attempts" in english.text


def test_a_venue_behind_one_address_signs_everyone_in(throttled):
    """Successful sign-ins never count: eleven people from one address get in."""
    from competition.extensions import db
    from tests import builders

    with throttled.app_context():
        for number in range(11):
            builders.user("judge", username=f"venue{number}")
        db.session.commit()
    for number in range(11):
        client = throttled.test_client()
        response = _sign_in(client, f"venue{number}", builders.PASSWORD)
        assert response.status_code == 302, number


def _account(app, username: str = "organizer") -> None:
    from competition.extensions import db
    from tests import builders

    with app.app_context():
        builders.user("organizer", username=username)
        db.session.commit()


def test_wrong_passwords_slow_the_guesser_without_locking_the_real_user_out(throttled):
    from tests import builders

    _account(throttled)
    guesser = throttled.test_client()
    assert _sign_in(guesser, "organizer", "guess1").status_code == 200
    assert _sign_in(guesser, "organizer", "guess2").status_code == 200
    # Two free failures used: the next try from there waits (1 s, doubling after).
    slowed = _sign_in(guesser, "organizer", "guess3")
    assert slowed.status_code == 429 and "秒后再试" in slowed.text
    # The real user, from their own address, is not held up by it.
    real = throttled.test_client()
    assert _sign_in(real, "organizer", builders.PASSWORD, address="10.0.0.2").status_code == 302
    time.sleep(1.1)
    assert _sign_in(guesser, "organizer", builders.PASSWORD).status_code == 302


def test_many_addresses_guessing_one_account_get_a_short_wait_not_a_lockout(throttled):
    from tests import builders

    _account(throttled)
    for number in range(4):
        client = throttled.test_client()
        assert _sign_in(client, "organizer", "guess", f"10.1.0.{number}").status_code == 200
    fifth = throttled.test_client()
    waited = _sign_in(fifth, "organizer", "guess", "10.1.0.9")
    assert waited.status_code == 429 and "秒后再试" in waited.text
    # At most SIGN_IN_ACCOUNT_MAX_WAIT (2 s) for anyone: then the right password works.
    time.sleep(2.1)
    assert _sign_in(fifth, "organizer", builders.PASSWORD, "10.1.0.9").status_code == 302


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
    page.fill("#username", builders.ORGANIZER)
    page.fill("#password", builders.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    for path in (f"/events/{locked_tea.id}/results", f"/events/{locked_tea.id}/checkin",
                 f"/judge/events/{locked_tea.id}/console", f"/events/{locked_tea.id}/screen",
                 f"/events/{locked_tea.id}/scheme"):
        page.goto(live_server + path)
        page.wait_for_load_state("networkidle")
    assert violations == []


def test_private_links_are_kept_out_of_caches(published_tea, client):
    from sqlalchemy import select

    from competition.entries.models import Entry
    from competition.extensions import db

    entry = db.session.scalars(select(Entry).where(
        Entry.event_id == published_tea.id, Entry.code.is_not(None))).first()
    for url in (f"/r/{entry.token}", f"/api/v1/contestant/{entry.token}/result",
                f"/r/{entry.token}/score-report.pdf"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "private, no-store", url
        assert response.headers["Referrer-Policy"] == "no-referrer", url


@pytest.mark.parametrize("body", [
    {"data": {"username": "organizer\x00", "password": "x"}},
    {"data": {"username": "organizer", "password": "x\x1b[31m"}},
])
def test_control_characters_are_refused_before_the_database(client, body):
    response = client.post("/login", **body)
    assert response.status_code == 400
    assert "控制字符" in response.text and "Traceback" not in response.text


def test_control_characters_in_json_get_a_json_answer(client, login_as):
    login_as("organizer")
    response = client.post("/api/v1/competitions", json={"name": "大赛\x00"})
    assert response.status_code == 400
    assert "控制字符" in response.get_json()["message"]


def test_a_wrong_method_on_a_page_says_so_in_the_users_language_with_allow(client):
    response = client.delete("/login")
    assert response.status_code == 405
    assert "不接受" in response.text and response.mimetype == "text/html"
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
    api = client.delete("/api/v1/openapi.json")
    assert api.status_code == 405 and api.get_json()["code"] == 405
    assert "GET" in api.headers["Allow"]


def test_a_multipart_part_with_an_unreadable_name_is_not_a_server_error(client):
    """A part named with a raw carriage return comes out of the parser named None."""
    body = (b'--b\r\nContent-Disposition: form-data; name="\r"\r\n\r\nx\r\n'
            b'--b\r\nContent-Disposition: form-data; name="f"; filename="a\x01.xlsx"\r\n'
            b"Content-Type: application/octet-stream\r\n\r\nPK\r\n--b--\r\n")
    response = client.post("/api/v1/competitions/1/contestants/import", data=body,
                           content_type="multipart/form-data; boundary=b")
    assert response.status_code in (400, 401, 404), response.status_code
    assert "Traceback" not in response.text
