"""Two app servers behind one load balancer: nothing a request leaves behind stays on one
server. Two separate server processes share the tests' database and nothing else (the
session cookie, signed with the same SECRET_KEY, travels with the browser): a contestant
list previewed on server A is imported on server B — once, and only by the organizer who
uploaded it; another competition's organizer gets nothing from its token."""

from __future__ import annotations

import io
import os
import re
import select as select_fd
import subprocess
import sys
from datetime import date
from html import unescape

import pytest
import requests
from openpyxl import Workbook
from sqlalchemy import func, select

from competition import PROJECT_ROOT
from competition.entries.idcard import make_id_number
from competition.entries.importer import HEADERS
from competition.entries.models import Contestant, Entry
from competition.extensions import db
from tests import builders
from tests.helpers import kept_uploads

# One app server: the app on the tests' database, served on a free loopback port that it
# prints once it listens. CSRF is on, as in production: its token lives in the session.
SERVER = r'''
import sys

from werkzeug.serving import make_server

from competition import create_app

url, secret = sys.argv[1:3]
app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret,
                  "RATELIMIT_ENABLED": False, "SERVER_NAME": None})
server = make_server("127.0.0.1", 0, app, threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
'''
SECRET = "two-servers-share-this-secret-key"  # noqa: S105 (a test's)
CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
UPLOAD_FIELD = re.compile(r'name="upload" type="hidden" value="([^"]+)"')


@pytest.fixture(scope="module")
def servers(database_url, tmp_path_factory):
    """The base URLs of servers A and B, two processes on the tests' database."""
    logs = tmp_path_factory.mktemp("two-servers")
    started = []
    try:
        for name in ("a", "b"):
            log = open(logs / f"{name}.log", "w")  # noqa: SIM115 (closed below)
            child = subprocess.Popen(
                [sys.executable, "-c", SERVER, database_url, SECRET], cwd=PROJECT_ROOT,
                stdout=subprocess.PIPE, stderr=log, text=True,
                env={**os.environ, "PYTHONPATH": PROJECT_ROOT})
            started.append((child, log))
        yield [f"http://127.0.0.1:{_port(child, log.name)}" for child, log in started]
    finally:
        for child, log in started:
            child.terminate()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            child.stdout.close()
            log.close()


def _port(child: subprocess.Popen, log: str) -> int:
    ready, _, _ = select_fd.select([child.stdout], [], [], 60)
    line = child.stdout.readline() if ready else ""
    if not line.strip().isdigit():
        with open(log) as errors:
            raise AssertionError(f"the server did not start:\n{errors.read()}")
    return int(line)


def signed_in(server: str, username: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{server}/login", timeout=30).text
    response = browser.post(f"{server}/login", allow_redirects=False, timeout=30, data={
        "username": username, "password": builders.PASSWORD,
        "csrf_token": CSRF_FIELD.search(page).group(1)})
    assert response.status_code == 302, response.text
    return browser


def workbook(n: int) -> bytes:
    book = Workbook()
    book.active.append(list(HEADERS))
    for i in range(n):
        book.active.append([f"选手{i}", make_id_number("421202", date(1980 + i, 3, 1), 100 + i,
                                                      "M" if i % 2 else "F"),
                            "", "", "咸宁市第一人民医院", "养老护理员", "职工组", "", "", ""])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def preview(browser: requests.Session, server: str, event_id: int, data: bytes) -> tuple:
    """Upload the list on ``server``: the confirmation form's token and CSRF token."""
    page = browser.get(f"{server}/events/{event_id}/import", timeout=30).text
    response = browser.post(
        f"{server}/events/{event_id}/import", timeout=30,
        data={"csrf_token": CSRF_FIELD.search(page).group(1)},
        files={"file": ("报名表.xlsx", data)})
    assert response.status_code == 200
    assert "确认导入 6 人" in response.text, response.text
    form = response.text[response.text.index("import-confirm"):]
    return UPLOAD_FIELD.search(form).group(1), CSRF_FIELD.search(form).group(1)


def confirm(browser: requests.Session, server: str, event_id: int, token: str, csrf: str):
    return browser.post(f"{server}/events/{event_id}/import/confirm", timeout=60,
                        data={"upload": token, "csrf_token": csrf})


def imported() -> tuple[int, int]:
    db.session.rollback()  # read what the servers committed
    return (db.session.scalar(select(func.count()).select_from(Contestant)),
            db.session.scalar(select(func.count()).select_from(Entry)))


@pytest.fixture
def two_competitions(app):
    """``mine`` organizes 养老护理员 of one competition, ``other`` an event of another;
    committed, so that the servers see them."""
    mine = builders.user("organizer", username="mine")
    _, care = builders.setup_event(organizer=mine, entries=(0,))
    other = builders.user("organizer", username="other")
    theirs = builders.event(builders.competition("另一场大赛", organizers=(other,)))
    db.session.commit()
    return care.id, theirs.id


def test_a_list_previewed_on_one_server_is_imported_on_the_other(servers, two_competitions):
    server_a, server_b = servers
    care, _ = two_competitions
    browser = signed_in(server_a, "mine")

    token, csrf = preview(browser, server_a, care, workbook(6))

    assert imported() == (0, 0)
    [kept] = kept_uploads()  # in the database, not on server A's disk
    assert (kept.token, kept.kind, kept.filename) == (token, "contestants", "报名表.xlsx")

    # The same browser (its cookie) confirms on server B.
    response = confirm(browser, server_b, care, token, csrf)

    assert response.status_code == 200
    assert response.url == f"{server_b}/events/{care}/entries"
    assert "已导入 6 名选手" in unescape(response.text)
    assert imported() == (6, 6)
    assert kept_uploads() == []
    # A second click, on server A this time, finds nothing left to import.
    again = confirm(browser, server_a, care, token, csrf)
    assert "请重新上传" in again.text and "已导入" not in again.text
    assert imported() == (6, 6)


def test_another_competitions_organizer_gets_nothing_from_the_token(servers,
                                                                    two_competitions):
    server_a, server_b = servers
    care, theirs = two_competitions
    browser = signed_in(server_a, "mine")
    token, _ = preview(browser, server_a, care, workbook(6))
    intruder = signed_in(server_b, "other")
    page = intruder.get(f"{server_b}/events/{theirs}/import", timeout=30).text
    csrf = CSRF_FIELD.search(page).group(1)

    # Into their own competition: no such file (of theirs, there).
    refused = confirm(intruder, server_b, theirs, token, csrf)
    # Into the uploader's competition: not theirs to import into.
    forbidden = confirm(intruder, server_b, care, token, csrf)

    assert refused.status_code == 200 and "请重新上传" in refused.text
    assert refused.url == f"{server_b}/events/{theirs}/import"
    assert forbidden.status_code == 403
    assert imported() == (0, 0)
    assert [kept.token for kept in kept_uploads()] == [token]  # still the uploader's
    # The uploader still imports it, on server B.
    page = browser.get(f"{server_b}/events/{care}/import", timeout=30).text
    response = confirm(browser, server_b, care, token, CSRF_FIELD.search(page).group(1))
    assert "已导入 6 名选手" in unescape(response.text)
    assert imported() == (6, 6)
    assert kept_uploads() == []
