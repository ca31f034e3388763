"""Shared fixtures: the app on a fresh database, clients, signing in as a role.

The suite runs on SQLite by default. With ``TEST_DATABASE_URL`` set (e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/test``) it runs on that database
instead; the schema there is dropped and rebuilt by the migrations at the start.
Each test starts from empty tables: they are emptied after every test, so tests
may commit, and a live server in another thread sees the same data.
"""

from __future__ import annotations

import os

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from competition import create_app
from competition.config import normalise_database_url
from competition.extensions import db
from tests import builders


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalise_database_url(url)
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


def _reset_schema(url: str) -> None:
    """Start the run from an empty database, so the migrations build all of it."""
    if not url.startswith("postgresql"):
        return
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def make_app(database_url: str, **overrides):
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        # One app serves the whole run from one address: throttling is tested on its own.
        "RATELIMIT_ENABLED": False,
        "SERVER_NAME": None,
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """Production hashing is slow on purpose; tests use a cheap method. Checking a
    password reads the method from the stored hash, so sign-in is tested for real."""
    from werkzeug.security import generate_password_hash

    from competition.auth import models as auth_models

    monkeypatch.setattr(
        auth_models, "generate_password_hash",
        lambda password: generate_password_hash(password, method="pbkdf2:sha256:1000"),
    )


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """A database built by the migrations once for the whole run."""
    url = _database_url(tmp_path_factory)
    _reset_schema(url)
    app = make_app(url)
    with app.app_context():
        upgrade()
        # Data migrations (e.g. the occupation catalogue) seed rows; tests start empty.
        _empty_tables()
        db.engine.dispose()
    return url


def _empty_tables() -> None:
    """Delete every row, children first. (DELETE on a few small tables is far quicker
    than TRUNCATE, which costs a fixed ~0.1 s per call on PostgreSQL.)"""
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture(scope="session")
def _shared_app(database_url):
    """One app for the run: building one costs ~0.3 s (the API's OpenAPI document among
    other things), which every test would otherwise pay."""
    return make_app(database_url)


@pytest.fixture
def app(_shared_app):
    """The app, in a fresh app context on empty tables; a test may change its config,
    which is put back afterwards."""
    app = _shared_app
    config = dict(app.config)
    with app.app_context():
        yield app
        db.session.rollback()
        db.session.remove()
        _empty_tables()
        db.session.remove()
    app.config.clear()
    app.config.update(config)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    """Sign in and out through the real login form."""

    def __init__(self, client):
        self._client = client

    def login(self, username: str, password: str = builders.PASSWORD):
        return self._client.post(
            "/login", data={"username": username, "password": password},
            follow_redirects=True,
        )

    def logout(self):
        return self._client.post("/logout", follow_redirects=True)


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def login_as(app, client, auth):
    """Create a user of ``role`` and sign them in: ``user = login_as("organizer")``."""

    def _login_as(role: str, **kwargs):
        user = builders.user(role=role, **kwargs)
        db.session.commit()
        response = auth.login(user.username)
        assert response.status_code == 200
        return user

    return _login_as


# --- Browser tests -----------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    # Without the networking flags Chromium keeps trying to reach the internet,
    # which is closed on the development and CI machines.
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
TABLET = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser():
    """The system Chromium driven by Playwright; skipped (or, in CI, failed) without it."""
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`"
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app, database_url):
    """The app served over HTTP on a free loopback port, on the test database."""
    import threading

    from werkzeug.serving import make_server

    served = make_app(database_url)
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    with served.app_context():
        db.engine.dispose()


@pytest.fixture
def page(browser):
    """A fresh browser tab at a PC viewport; tests may resize it to a tablet or phone."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


# --- A scored competition ----------------------------------------------------------

@pytest.fixture
def locked_tea(app):
    """The demo with 茶艺师 fully scored by its three judges and locked by its chief judge."""
    from sqlalchemy import select

    from competition.auth.models import User
    from competition.demo import seed_demo
    from competition.events.models import Event
    from competition.judging import service as judging
    from competition.judging.service import MarkChange

    seed_demo(db.session)
    db.session.commit()
    event = db.session.scalar(select(Event).where(Event.name == "茶艺师"))
    for number, name in enumerate(("judge9", "judge10", "judge11")):
        judge = db.session.scalar(select(User).where(User.username == name))
        for position, entry in enumerate(judging.assignments(db.session, judge)[0].entries):
            for module in judging.scored_modules(event):
                sheet = judging.open_sheet(db.session, judge, entry, module)
                judging.save_marks(db.session, judge, sheet, [
                    MarkChange(c.id, max(0, c.max_points - position - number))
                    for c in module.criteria])
                judging.submit_sheet(db.session, judge, sheet)
    # The theory exam's scores, imported before the lock as the lock requires: 0 each, so
    # the totals are those of the practical alone.
    from decimal import Decimal

    from competition.judging.models import ExternalScore

    for module in event.modules:
        if not module.criteria:
            for entry in judging.scoreable_entries(db.session, event.id):
                db.session.add(ExternalScore(entry_id=entry.id, module_id=module.id,
                                             score=Decimal(0)))
    chief = db.session.scalar(select(User).where(User.username == "chief3"))
    judging.lock_event(db.session, chief, event)
    db.session.commit()
    return event


@pytest.fixture
def published_tea(locked_tea):
    """茶艺师 scored, locked and published for public notice, the notice having started
    ten days ago (so the appeal window is closed and the notice period is over)."""
    from datetime import timedelta

    from sqlalchemy import select

    from competition.auth.models import User
    from competition.dbtypes import utcnow
    from competition.results import publication

    organizer = db.session.scalar(select(User).where(User.username == "organizer"))
    for division in locked_tea.divisions:
        publication.publish(db.session, organizer, division, now=utcnow() - timedelta(days=10))
    db.session.commit()
    return locked_tea


@pytest.fixture
def final_tea(published_tea):
    """茶艺师 with every division's results final (promotions decided, certificates issued)."""
    from sqlalchemy import select

    from competition.auth.models import User
    from competition.results import publication

    organizer = db.session.scalar(select(User).where(User.username == "organizer"))
    for division in published_tea.divisions:
        publication.finalize(db.session, organizer, division)
    db.session.commit()
    return published_tea
