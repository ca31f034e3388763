"""Faults: a process killed in the middle of an import or a publication leaves
nothing half-written; the database going away gives a friendly 503 in the visitor's
language (JSON for the API), and the app recovers by itself when it is back.

The killed operations run in a child process (``CHILD`` below) through the real pages,
against the tests' file database (or PostgreSQL with ``TEST_DATABASE_URL``). Only the
child is slowed: it wraps one function the operation calls so that it reports what its
own transaction has written so far, then sleeps; the test kills it there with SIGKILL.
"""

from __future__ import annotations

import io
import json
import os
import select as select_fd
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from competition import PROJECT_ROOT
from competition.audit.models import AuditEvent
from competition.entries.idcard import make_id_number
from competition.entries.importer import HEADERS
from competition.entries.models import Contestant, Entry
from competition.extensions import db
from competition.results.models import Publication, Result
from tests import builders
from tests.conftest import make_app

CHILD = r'''
import json, re, sys, time, io

from sqlalchemy import func, select

from competition import create_app
from competition.extensions import db

url, operation, target, username, password, folder, slow = sys.argv[1:8]
app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})


def stop_here(counted):
    """Tell the test what this transaction has written, and wait to be killed."""
    print(json.dumps({"inside": db.session.scalar(select(func.count()).select_from(counted))}),
          flush=True)
    time.sleep(120)


if operation == "import":
    from competition.entries import registrations
    from competition.entries.models import Entry

    record = registrations.record

    def slowed(session, **kwargs):
        # The whole file's entries are written; the audit record comes next, then commit.
        if slow == "yes":
            stop_here(Entry)
        return record(session, **kwargs)

    registrations.record = slowed
else:
    from competition.results import publishing
    from competition.results.models import Result

    record = publishing.record

    def slowed(session, **kwargs):
        if slow == "yes" and kwargs["action"] == "results.publish":
            stop_here(Result)
        return record(session, **kwargs)

    publishing.record = slowed

client = app.test_client()
assert client.post("/login", data={"username": username, "password": password}).status_code == 302
if operation == "import":
    with open(folder + "/upload.xlsx", "rb") as file:
        data = file.read()
    page = client.post(f"/events/{target}/import", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), "报名表.xlsx")}).get_data(as_text=True)
    token = re.search(r'name="upload" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(f"/events/{target}/import/confirm", data={"upload": token})
else:
    response = client.post(f"/divisions/{target}/publish")
print(json.dumps({"done": response.status_code}), flush=True)
'''


def start_child(database_url: str, operation: str, target: int, username: str,
                password: str, folder, slow: bool) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, database_url, operation, str(target), username, password,
         str(folder), "yes" if slow else "no"],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": PROJECT_ROOT})


def next_report(child: subprocess.Popen, timeout: float = 30) -> dict:
    ready, _, _ = select_fd.select([child.stdout], [], [], timeout)
    line = child.stdout.readline() if ready else ""
    if not line:
        child.kill()
        raise AssertionError(f"the child said nothing; its errors:\n{child.stderr.read()}")
    return json.loads(line)


def run_and_kill(*args) -> dict:
    """Run the operation in a child, kill it (SIGKILL) inside its transaction, and return
    what the child had written by then."""
    db.session.remove()  # hold no lock the child would wait for
    child = start_child(*args, slow=True)
    try:
        report = next_report(child)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        child.stdout.close()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    return report


def run_whole(*args) -> dict:
    db.session.remove()
    child = start_child(*args, slow=False)
    report = next_report(child)
    child.wait(timeout=10)
    child.stdout.close()
    child.stderr.close()
    return report


def count(model, *where) -> int:
    db.session.rollback()  # see what the child committed
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def database_is_sound() -> None:
    if db.engine.dialect.name == "sqlite":
        assert db.session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        db.session.rollback()


# --- Killed in the middle -------------------------------------------------------------------

def workbook(rows: list[tuple]) -> bytes:
    book = Workbook()
    book.active.append(list(HEADERS))
    for row in rows:
        book.active.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def people(n: int) -> list[tuple]:
    return [(f"选手{i}", make_id_number("421202", date(1980 + i, 3, 1), 100 + i,
                                        "M" if i % 2 else "F"),
             "", "", "咸宁市第一人民医院", "养老护理员", "职工组", "", "", "")
            for i in range(n)]


def test_an_import_killed_midway_imports_nobody(app, database_url, tmp_path):
    organizer = builders.user("organizer", username="mine")
    competition = builders.competition("咸宁市第七届技能大赛", organizers=(organizer,))
    care = builders.event(competition, "养老护理员")
    db.session.commit()
    (tmp_path / "upload.xlsx").write_bytes(workbook(people(6)))
    args = (database_url, "import", care.id, "mine", builders.PASSWORD, tmp_path)

    report = run_and_kill(*args)

    assert report == {"inside": 6}  # the six registrations were written, not committed
    assert count(Entry) == 0 and count(Contestant) == 0
    database_is_sound()
    # Nothing is left locked: the same file imports whole afterwards.
    assert run_whole(*args) == {"done": 302}
    assert count(Entry, Entry.event_id == care.id) == 6 and count(Contestant) == 6


def test_a_publication_killed_midway_publishes_nothing(locked_tea, database_url, tmp_path):
    division = locked_tea.divisions[0]
    audited = count(AuditEvent)
    args = (database_url, "publish", division.id, builders.ORGANIZER, builders.PASSWORD,
            tmp_path)

    report = run_and_kill(*args)

    assert report["inside"] > 0  # the published rows were written, not committed
    assert count(Publication) == 0 and count(Result) == 0
    assert count(AuditEvent) == audited
    database_is_sound()
    assert run_whole(*args) == {"done": 302}
    assert count(Publication, Publication.division_id == division.id) == 1
    assert count(Result) == report["inside"]
    assert count(AuditEvent, AuditEvent.action == "results.publish") == 1


# --- The database going away ---------------------------------------------------------------

class Proxy:
    """A TCP proxy in front of the database that the test cuts and restores."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        # Stalled: connections stay open and the bytes sent are acknowledged (by this
        # end's TCP stack), but nothing is passed on: a server that stopped answering.
        self.flowing = threading.Event()
        self.flowing.set()
        self.open: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            if not self.up:
                client.close()  # the database is "gone": the connection drops at once
                continue
            server = socket.create_connection(self.upstream)
            with self.lock:
                self.open += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                self.flowing.wait()
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            self._close(end)

    @staticmethod
    def _close(end: socket.socket) -> None:
        try:
            end.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        end.close()

    def cut(self) -> None:
        self.up = False
        with self.lock:
            ends, self.open = self.open, []
        for end in ends:
            self._close(end)

    def restore(self) -> None:
        self.up = True

    def stall(self) -> None:
        self.flowing.clear()

    def resume(self) -> None:
        self.flowing.set()

    def close(self) -> None:
        self.cut()
        self.listener.close()


@pytest.fixture
def proxied_app(app, database_url):
    """The app reaching PostgreSQL through a proxy the test cuts."""
    if not database_url.startswith("postgresql"):
        pytest.skip("the outage is simulated on a TCP connection: PostgreSQL only "
                    "(set TEST_DATABASE_URL); a SQLite file cannot go away")
    url = make_url(database_url)
    proxy = Proxy(url.host or "127.0.0.1", url.port or 5432)
    served = make_app(url.set(host="127.0.0.1", port=proxy.port)
                      .render_as_string(hide_password=False),
                      DATABASE_CLIENT_TIMEOUT=2)
    yield served, proxy
    proxy.resume()
    proxy.close()
    with served.app_context():
        db.engine.dispose()


def signed_in(served, language: str):
    client = served.test_client()
    response = client.post("/login", data={"username": "mine",
                                           "password": builders.PASSWORD},
                           follow_redirects=True)  # shows, and so forgets, the welcome
    assert response.status_code == 200
    client.get(f"/lang/{language}")
    return client


NOTHING_TECHNICAL = ("Traceback", "OperationalError", "psycopg", "SELECT", "sqlalchemy")


def test_the_database_going_away_gives_a_friendly_503_and_the_app_recovers(proxied_app):
    served, proxy = proxied_app
    builders.user("organizer", username="mine", display_name="王组委")
    db.session.commit()
    chinese, english = signed_in(served, "zh"), signed_in(served, "en")
    anonymous = served.test_client()
    assert chinese.get("/").status_code == 200

    proxy.cut()

    health = anonymous.get("/healthz")
    assert health.status_code == 503
    assert health.get_json() == {"status": "unavailable", "database": "unreachable"}
    for client, message in ((chinese, "服务暂时不可用"), (english, "temporarily unavailable")):
        page = client.get("/")
        assert page.status_code == 503 and page.headers["Retry-After"]
        html = page.get_data(as_text=True)
        assert message in html and "503" in html
        assert not any(word in html for word in NOTHING_TECHNICAL)
        assert "王组委" not in html  # the page did not ask the database who is signed in
    public = anonymous.get("/results")
    assert public.status_code == 503 and "服务暂时不可用" in public.get_data(as_text=True)
    api = chinese.get("/api/v1/judge/assignments")
    assert api.status_code == 503
    assert api.get_json()["code"] == 503 and "服务暂时不可用" in api.get_json()["message"]

    proxy.restore()
    deadline = time.monotonic() + 10
    while anonymous.get("/healthz").status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.1)

    assert anonymous.get("/healthz").get_json() == {"status": "ok"}
    page = chinese.get("/")
    assert page.status_code == 200 and "王组委" in page.get_data(as_text=True)
    assert english.get("/results").status_code == 200


def test_a_database_that_stops_answering_gives_a_503_within_seconds(proxied_app):
    """The server's machine still acknowledges packets but nothing answers (a frozen
    host): the client's own deadline closes the connection, the request gets the 503
    and the app recovers when answers flow again."""
    served, proxy = proxied_app
    builders.user("organizer", username="mine", display_name="王组委")
    db.session.commit()
    client = signed_in(served, "zh")
    assert client.get("/").status_code == 200

    proxy.stall()
    answers: list = []
    worker = threading.Thread(target=lambda: answers.append(client.get("/")), daemon=True)
    worker.start()
    worker.join(timeout=30)  # without the client's deadline this waits for ever
    assert answers, "the request was still waiting for the database"
    page = answers[0]
    assert page.status_code == 503 and "服务暂时不可用" in page.get_data(as_text=True)

    proxy.resume()
    deadline = time.monotonic() + 15
    while client.get("/healthz").status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    page = client.get("/")
    assert page.status_code == 200 and "王组委" in page.get_data(as_text=True)
