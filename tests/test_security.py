"""What a production server shows and sends: no inline code the
Content-Security-Policy would have to allow, error pages without traces or SQL, session
cookies that stay on this site, and the main pages running in Chromium without a single
policy violation. (The headers themselves and sign-in throttling: test_hardening.py.)
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, text

from competition.extensions import db, limiter
from tests import builders

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# --- Nothing inline for the policy to allow ----------------------------------------------

@pytest.mark.parametrize("pattern, what", [
    (r"<script(?![^>]*\bsrc=)[^>]*>", "an inline <script> (put it in static/js)"),
    (r"<script[^>]*>\s*[^<\s]", "code inside a <script src> element"),
    (r"<script[^>]*\bsrc=\"(?:https?:)?//", "a script from another site (no CDN)"),
    (r"<link[^>]*\bhref=\"(?:https?:)?//", "a stylesheet from another site (no CDN)"),
    (r"\son[a-z]+\s*=", "an inline event handler (onclick=…)"),
    (r"\sstyle\s*=", "an inline style attribute (the policy is style-src 'self')"),
    (r"<style", "a <style> block"),
    (r"javascript:", "a javascript: link"),
])
def test_templates_have_nothing_inline_the_policy_forbids(pattern, what):
    assert len(TEMPLATES) > 50
    found = [f"{path.relative_to(ROOT)}:{text_[:m.start()].count(chr(10)) + 1}"
             for path in TEMPLATES for text_ in [path.read_text()]
             for m in re.finditer(pattern, text_, re.IGNORECASE)]
    assert not found, f"{what}: " + ", ".join(found)


def test_scripts_build_no_code_from_strings():
    """The policy has no 'unsafe-eval': no eval, no new Function, no string timers."""
    for path in sorted((ROOT / "static" / "js").glob("*.js")):
        source = path.read_text()
        for pattern in (r"\beval\(", r"new Function\(", r"set(?:Timeout|Interval)\(\s*['\"`]",
                        r"setAttribute\(\s*['\"]style", r"\.cssText\b"):
            assert not re.search(pattern, source), f"{path.name}: {pattern}"


# --- A production server -------------------------------------------------------------------

@pytest.fixture
def production(app, database_url, monkeypatch):
    """The app as a real server runs it: not testing, not debugging, CSRF on, Secure
    cookies; a route that fails in SQL and one that fails in Python."""
    from competition import create_app

    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    served = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "k" * 40,
                         "AUDIT_KEY": "a" * 40,
                         "RATELIMIT_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://"})

    @served.get("/__fails_in_sql")
    def fails_in_sql():
        # Two rows with one username: the database refuses with an IntegrityError whose
        # text holds the SQL and the value.
        db.session.execute(text("INSERT INTO users (username, password_hash, role, "
                                "display_name, active) VALUES ('秘密用户', 'x', 'judge', "
                                "'x', true)"))
        db.session.execute(text("INSERT INTO users (username, password_hash, role, "
                                "display_name, active) VALUES ('秘密用户', 'x', 'judge', "
                                "'x', true)"))

    @served.get("/__fails_in_python")
    def fails_in_python():
        return {"ratio": 1 / 0}

    yield served
    limiter.enabled = False
    with served.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("url, accept", [
    ("/__fails_in_sql", "text/html"), ("/__fails_in_python", "text/html"),
    ("/__fails_in_sql", "application/json"),
])
def test_a_server_error_shows_no_trace_and_no_sql(production, caplog, url, accept):
    assert not production.debug and not production.testing
    client = production.test_client()
    with caplog.at_level(logging.ERROR):
        response = client.get(url, headers={"Accept": accept})
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    for leak in ("Traceback", "INSERT", "users", "秘密用户", "sqlalchemy", "sqlite",
                 "psycopg", "ZeroDivision", "division by zero", "File \"", ".py"):
        assert leak not in body, leak
    if accept == "application/json":
        assert response.json == {"code": 500, "status": "Internal Server Error",
                                 "message": "系统出现错误，已记录，请稍后再试。"}
    else:
        assert "系统出现错误，已记录" in body and "<html" in body
    # The details go to the log, for the people who run the server.
    assert any(record.exc_info for record in caplog.records)
    assert response.headers["Content-Security-Policy"]
    # Nothing half-written stays behind.
    from competition.auth.models import User

    db.session.expire_all()
    assert db.session.scalar(select(User).where(User.username == "秘密用户")) is None


def _cookie(response, name: str) -> str:
    [header] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(name + "=")]
    return header


def test_production_session_cookie_is_signed_httponly_secure_and_lax(production):
    user = builders.user("organizer")
    db.session.commit()
    client = production.test_client()
    page = client.get("/login", base_url="https://localhost")
    # Over HTTPS, Flask-WTF also wants the Referer of this site (WTF_CSRF_SSL_STRICT).
    signed_in = client.post("/login", base_url="https://localhost",
                            headers={"Referer": "https://localhost/login"}, data={
        "username": user.username, "password": builders.PASSWORD,
        "csrf_token": CSRF_FIELD.search(page.text).group(1)})
    assert signed_in.status_code == 302
    cookie = _cookie(signed_in, "session")
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    # Signed: the value is itsdangerous' payload.timestamp.signature, and a changed
    # value is not accepted — the visitor is anonymous again.
    value = cookie.split(";")[0].split("=", 1)[1]
    assert value.count(".") >= 2
    assert client.get("/", base_url="https://localhost").status_code == 200
    forged = production.test_client()
    forged.set_cookie("session", value[:-2] + ("AA" if not value.endswith("AA") else "BB"),
                      domain="localhost")
    response = forged.get("/", base_url="https://localhost")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- In a real browser -----------------------------------------------------------------------

@pytest.mark.browser
def test_public_and_judge_pages_run_under_the_policy(final_tea, live_server, page):
    """Chromium reports every script, style, image or connection the policy blocks;
    test_hardening.py walks the organizer's pages, this the public and the judge's."""
    from competition.auth.models import User
    from competition.entries.models import Entry
    from competition.grades.models import Certificate
    from competition.judging import scoring as judging

    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    # The competition's first certificate, issued when its results became final.
    certificate = db.session.scalars(select(Certificate).order_by(Certificate.id)).first()
    division = final_tea.divisions[0]
    for path in ("/results", f"/results/divisions/{division.id}",
                 f"/v/{certificate.number}?c={certificate.verification_code}",
                 f"/v/{certificate.number}", "/login"):
        page.goto(live_server + path)
        page.wait_for_load_state("networkidle")
    judge = db.session.scalar(select(User).where(User.username == builders.JUDGES[0]))
    entry = judging.assignments(db.session, judge)[0].entries[0]
    module = judging.scored_modules(final_tea)[0]
    page.fill("#username", judge.username)
    page.fill("#password", builders.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    for path in ("/judge", f"/judge/entries/{entry.id}/modules/{module.id}"):
        page.goto(live_server + path)
        page.wait_for_load_state("networkidle")
    assert "/login" not in page.url
    assert db.session.get(Entry, entry.id) is not None
    assert violations == []


# --- Redirects and guessing ----------------------------------------------------------------

@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example", "/\\evil.example", "\\\\evil.example",
    "/\t/evil.example", "javascript:alert(1)",
])
def test_no_redirect_leaves_the_site(client, target):
    """``next`` after signing in or choosing a language stays on this site; a backslash,
    which browsers read as a slash, reaches the browser escaped."""
    for url in ("/lang/zh", "/lang/en"):
        location = client.get(url, query_string={"next": target}).headers["Location"]
        parts = urlsplit(location)
        assert not parts.scheme and not parts.netloc, location
        assert location.startswith("/") and not location.startswith("//"), location
        assert "\\" not in location, location


@pytest.fixture
def throttled(app, database_url):
    from tests.conftest import make_app

    throttled = make_app(database_url, RATELIMIT_ENABLED=True, SIGN_IN_LIMIT="3 per minute",
                         VERIFY_LIMIT="3 per minute", CARD_SIGN_IN_LIMIT="3 per minute",
                         RATELIMIT_STORAGE_URI="memory://")
    yield throttled.test_client()
    limiter.reset()
    limiter.enabled = False


@pytest.mark.parametrize("url", ["/s/" + "x" * 43, "/v/" + "1" * 22])
def test_guessing_a_sign_in_card_or_a_certificate_is_throttled(throttled, url):
    for _ in range(3):
        assert throttled.post(url, data={"name": "张三"}).status_code in (200, 404)
    refused = throttled.post(url, data={"name": "张三"})
    assert refused.status_code == 429
    assert "尝试次数过多" in refused.text
