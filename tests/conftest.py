"""Shared fixtures: the app on a fresh database, clients, signing in as a role.

The suite runs on SQLite by default. With ``TEST_DATABASE_URL`` set (e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/test``) it runs on that database
instead; the schema there is dropped and rebuilt by the migrations at the start.
Each test starts from empty tables: they are emptied after every test, so tests
may commit, and a live server in another thread sees the same data.

Under pytest-xdist (``make test`` runs ``-n auto``) every worker has a database of its
own: a SQLite file in its own temporary folder, or on PostgreSQL the database named
after the worker (``test_gw0``, ``test_gw1`` … beside ``test``), created when missing.
"""

from __future__ import annotations

import os
import sqlite3

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.engine import Engine

from competition.config import normalise_database_url
from competition.extensions import db
from tests import builders
from tests.helpers import (  # noqa: F401 (make_app is imported from here by test modules)
    empty_tables,
    make_app,
    restore_or_build,
    serve,
)


@event.listens_for(Engine, "connect")
def _no_fsync_on_sqlite(dbapi_connection, connection_record) -> None:
    """SQLite files of the tests are not synced to disk at each commit: a commit still
    ends the transaction for every connection, and a process killed midway (the fault
    tests) still leaves the file consistent; only a crash of the machine could lose
    data, which tests never keep. Syncing cost about half of the suite's time."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        url = normalise_database_url(url)
        worker = os.environ.get("PYTEST_XDIST_WORKER")  # gw0, gw1 … under pytest-xdist
        return _worker_database(url, worker) if worker else url
    # Under pytest-xdist each worker has its own temporary folder.
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


def _worker_database(url: str, worker: str) -> str:
    """The PostgreSQL database of one xdist worker, named ``<database>_<worker>`` on the
    server of ``url``; created when missing (the user may CREATE DATABASE)."""
    own = make_url(url)
    own = own.set(database=f"{own.database}_{worker}")
    server = create_engine(own.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                               {"name": own.database}):
                conn.execute(text(f'CREATE DATABASE "{own.database}"'))
    finally:
        server.dispose()
    return own.render_as_string(hide_password=False)


def _reset_schema(url: str) -> None:
    """Start the run from an empty database, so the migrations build all of it."""
    if not url.startswith("postgresql"):
        return
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


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
        empty_tables()
        db.engine.dispose()
    return url


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
        empty_tables()
        db.session.remove()
    app.config.clear()
    app.config.update(config)


@pytest.fixture(scope="session")
def _snapshots() -> dict:
    return {}


@pytest.fixture
def restored(app, _snapshots):
    """``restored(name, build)``: the tables as ``build()`` leaves them, and what it
    returned (IDs, names: plain values, not rows).

    ``build`` runs on empty tables once per test process; its rows are kept
    (``tests.helpers.take_snapshot``) and put back for every test that asks for ``name``,
    in milliseconds, with the same IDs. Each test gets its own copy of the rows, so it
    may change them: the tables are emptied after it as after any test. The rows go into
    empty tables: a test names a fixture built on this one before any fixture that adds
    rows of its own."""
    return lambda name, build: restore_or_build(_snapshots, name, build)


# --- The demo ----------------------------------------------------------------------
#
# For the tests whose subject is the demo, or that need all of it at once (every stage,
# every table). Built once per test process and restored for each test.

@pytest.fixture(scope="module")
def world(_shared_app, _snapshots):
    """The world of tests/access_matrix.py (the demo taken through its stages, and what
    it lacks), built once for the test module on ``_shared_app`` and emptied at its end.
    The module's tests use ``_shared_app``, not ``app``, so that it lasts between them."""
    from werkzeug.security import generate_password_hash

    from competition.auth import models as auth_models
    from tests.access_matrix import build_world

    with _shared_app.app_context(), pytest.MonkeyPatch.context() as patch:
        patch.setattr(auth_models, "generate_password_hash",
                      lambda password: generate_password_hash(password,
                                                              method="pbkdf2:sha256:1000"))
        try:
            yield build_world(
                lambda: restore_or_build(_snapshots, "demo_staged", builders.demo_staged))
        finally:
            db.session.rollback()
            empty_tables()
            db.session.remove()


@pytest.fixture
def seeded_demo(restored):
    """The demo competition as ``seed_demo`` adds it (before any scoring)."""
    restored("demo_seeded", builders.demo_seeded)


@pytest.fixture
def staged_demo(restored):
    """The demo taken through its stages (``seed_demo`` + ``advance_demo``): 茶艺师 final
    with certificates, 养老护理员 职工组 on public notice and 学生组 locked, 车工 being
    scored."""
    restored("demo_staged", builders.demo_staged)


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


@pytest.fixture(scope="session")
def _served_app(database_url):
    """The app the live servers serve: one for the run, apart from the tests' own (whose
    config a test may change), on the test database."""
    served = make_app(database_url)
    yield served
    with served.app_context():
        db.engine.dispose()


@pytest.fixture
def live_server(app, _served_app):
    """The app served over HTTP on a free loopback port, on the test database."""
    with serve(_served_app) as url:
        yield url


@pytest.fixture
def page(browser):
    """A fresh browser tab at a PC viewport; tests may resize it to a tablet or phone."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


# --- A scored competition ----------------------------------------------------------
#
# The small competition of ``builders.tea_competition``: 茶艺师 with six contestants,
# a chief judge and three judges (usernames in ``builders``; every password is
# ``builders.PASSWORD``), and a second event, 车工, not scored yet. Each stage is built
# once per test process and restored for each test that asks for it (``restored``).

def _tea(restored, stage: str):
    from competition.events.models import Event

    ids = restored(f"tea_competition:{stage}", lambda: builders.tea_competition(stage))
    return db.session.get(Event, ids["event"])


@pytest.fixture
def scored_tea(restored):
    """茶艺师 with every sheet submitted and the theory scores imported, not locked."""
    return _tea(restored, "scored")


@pytest.fixture
def locked_tea(restored):
    """茶艺师 fully scored by its three judges and locked by its chief judge."""
    return _tea(restored, "locked")


@pytest.fixture
def tea_on_notice(restored):
    """茶艺师 scored, locked and just published for public notice: appeals may be filed."""
    return _tea(restored, "notice")


@pytest.fixture
def published_tea(restored):
    """茶艺师 scored, locked and published for public notice, the notice having started
    ten days ago (so the appeal window is closed and the notice period is over)."""
    return _tea(restored, "published")


@pytest.fixture
def final_tea(restored):
    """茶艺师 with its results final (promotions decided, certificates issued)."""
    return _tea(restored, "final")
