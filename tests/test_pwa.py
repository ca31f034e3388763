"""The judge's installable app: its service worker and manifest as served, and copies of the
judge's pages that the tablet keeps (``X-Judge-Prefetch``) changing nothing on the server.
In the browser: tests/test_browser_pwa.py."""

from __future__ import annotations

import io
import json
import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from competition.audit.models import AuditEvent
from competition.auth.models import User
from competition.entries.models import Contestant, Entry
from competition.events.models import Event, Module
from competition.extensions import db
from competition.hardening import CONTENT_SECURITY_POLICY
from competition.judging import copies, scoring
from competition.judging.models import IdempotencyKey, Mark, ScoreSheet
from competition.judging.scoring import MarkChange

PREFETCH = {"X-Judge-Prefetch": "1"}


@pytest.fixture
def demo(seeded_demo):
    return db.session.scalar(select(Event).where(Event.name == "养老护理员"))


def user(name: str) -> User:
    return db.session.scalar(select(User).where(User.username == name))


def sign_in(auth, name: str) -> User:
    auth.login(name, f"demo-{name}-2026")
    return user(name)


def module_a(event) -> Module:
    return next(m for m in event.modules if m.code == "A")


def first_offered(judge: str) -> Entry:
    return scoring.assignments(db.session, user(judge))[0].entries[0]


def sheet_url(entry, module) -> str:
    return f"/judge/entries/{entry.id}/modules/{module.id}"


def what_judging_holds() -> tuple:
    """Everything keeping a copy could change: the rows of judging and the audit log, and
    every sheet's version and status."""
    db.session.rollback()
    counts = tuple(db.session.scalar(select(func.count()).select_from(model))
                   for model in (ScoreSheet, Mark, AuditEvent, IdempotencyKey))
    sheets = tuple(db.session.execute(select(ScoreSheet.id, ScoreSheet.version,
                                             ScoreSheet.status).order_by(ScoreSheet.id)))
    return counts, sheets


# --- The worker and the manifest ----------------------------------------------------------

def test_the_worker_is_served_as_javascript_checked_on_every_visit(client):
    response = client.get("/judge-sw.js")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/javascript")
    assert response.headers["Cache-Control"] == "no-cache"
    text = response.get_data(as_text=True)
    first_line = text.split("\n", 1)[0]
    assert first_line.startswith("const SETTINGS = ") and first_line.endswith(";")
    settings = json.loads(first_line.removeprefix("const SETTINGS = ").removesuffix(";"))
    assert settings["scope"] == "/judge" and settings["offlineUrl"] == "/judge/offline"
    assert settings["prefetchHeader"] == "X-Judge-Prefetch"
    # Every static file it keeps exists.
    assert "/static/js/sheet.js" in settings["staticUrls"]
    for url in settings["staticUrls"]:
        assert client.get(url).status_code == 200, url
    # The policy lets this site's service worker run, and no other's.
    assert "worker-src 'self'" in CONTENT_SECURITY_POLICY
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_a_new_build_is_a_new_worker(client, monkeypatch, tmp_path):
    """A change to a file the kept pages are made of changes the worker's bytes, so browsers
    install it and it replaces what the tablet keeps."""
    kept = tmp_path / "kept.css"
    kept.write_text("a {}")
    monkeypatch.setattr(copies, "STATIC_FILES", (*copies.STATIC_FILES, str(kept)))
    before = client.get("/judge-sw.js").get_data()
    assert client.get("/judge-sw.js").get_data() == before
    kept.write_text("a { color: red }")
    assert client.get("/judge-sw.js").get_data() != before


def test_the_manifest_makes_the_judges_app_installable(client, app):
    response = client.get("/judge/manifest.webmanifest")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/manifest+json")
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["short_name"] == "评分" and "评分" in manifest["name"]
    assert manifest["start_url"] == "/judge" and manifest["display"] == "standalone"
    with open(f"{app.static_folder}/css/app.css", encoding="utf-8") as f:
        brand = re.search(r"--brand:\s*(#[0-9a-f]{6})", f.read()).group(1)
    assert manifest["theme_color"] == brand
    sizes = {}
    for icon in manifest["icons"]:
        served = client.get(icon["src"])
        assert served.status_code == 200, icon["src"]
        if icon["type"] == "image/png":
            image = Image.open(io.BytesIO(served.data))
            assert f"{image.width}x{image.height}" == icon["sizes"]
            sizes[icon["sizes"]] = icon
        else:
            assert icon["type"] == "image/svg+xml" and b"<svg" in served.data
    assert set(sizes) == {"192x192", "512x512"}


def test_the_judges_pages_bring_the_app(demo, client, auth):
    sign_in(auth, "judge1")
    entry = first_offered("judge1")
    for url in ("/judge", sheet_url(entry, module_a(demo)), "/judge/offline"):
        response = client.get(url)
        page = response.get_data(as_text=True)
        assert response.headers["X-Judge-Copy"] == "keep", url
        assert response.headers["X-Judge-User"] == str(user("judge1").id)
        assert 'id="judge-app"' in page and "/static/js/judge-app.js" in page, url
        assert 'data-manifest-url="/judge/manifest.webmanifest"' in page
        assert 'data-worker-url="/judge-sw.js"' in page
        assert "data-signout" in page and "/static/js/signout.js" in page


# --- Copies change nothing ------------------------------------------------------------------

def test_keeping_every_sheet_listed_opens_none_and_changes_nothing(demo, client, auth):
    sign_in(auth, "judge1")
    listed = client.get("/judge", headers=PREFETCH).get_data(as_text=True)
    urls = re.findall(r'href="(/judge/entries/\d+/modules/\d+)"', listed)
    assert len(urls) > 20
    before = what_judging_holds()
    for url in urls:
        response = client.get(url, headers=PREFETCH)
        assert response.status_code == 200, url
        assert response.headers["X-Judge-Copy"] == "keep"
        assert response.headers["X-Judge-Sheet-Version"] == "0"
        page = response.get_data(as_text=True)
        assert 'data-sheet-id=""' in page and 'data-status="not_started"' in page
        assert "未开始" in page
    assert what_judging_holds() == before
    assert before[0][0] == 0  # no sheet at all
    # The chief judge's console shows none of them started.
    progress = scoring.progress(db.session, demo)
    assert progress.missing == progress.expected()


def test_opening_a_sheet_online_still_starts_it(demo, client, auth):
    sign_in(auth, "judge1")
    entry = first_offered("judge1")
    response = client.get(sheet_url(entry, module_a(demo)))
    assert response.status_code == 200
    sheet = db.session.scalar(select(ScoreSheet))
    assert sheet is not None and sheet.status == "draft"
    assert response.headers["X-Judge-Sheet-Version"] == str(sheet.version)
    assert f'data-sheet-id="{sheet.id}"' in response.get_data(as_text=True)


def test_a_copy_of_an_opened_sheet_shows_it_as_it_is(demo, client, auth):
    judge = sign_in(auth, "judge1")
    entry = first_offered("judge1")
    module = module_a(demo)
    sheet = scoring.open_sheet(db.session, judge, entry, module)
    first = module.criteria[0]
    scoring.save_marks(db.session, judge, sheet, [MarkChange(first.id, first.max_points)])
    db.session.commit()
    before = what_judging_holds()
    response = client.get(sheet_url(entry, module), headers=PREFETCH)
    page = response.get_data(as_text=True)
    assert f'data-sheet-id="{sheet.id}"' in page and 'data-status="draft"' in page
    assert response.headers["X-Judge-Sheet-Version"] == str(sheet.version) == "2"
    assert f'data-server-value="{first.max_points.normalize():f}"' in page
    assert what_judging_holds() == before


def test_no_copy_of_a_sheet_the_judge_may_not_score(demo, client, auth):
    sign_in(auth, "judge3")  # 咸宁市社会福利院
    recused = db.session.scalars(select(Entry).join(Entry.contestant).where(
        Entry.event_id == demo.id, Contestant.work_unit == "咸宁市社会福利院")).first()
    before = what_judging_holds()
    response = client.get(sheet_url(recused, module_a(demo)), headers=PREFETCH)
    assert response.status_code == 403 and "X-Judge-Copy" not in response.headers
    assert what_judging_holds() == before
    # Nothing flashed for the next page either.
    assert "回避" not in client.get("/judge").get_data(as_text=True)


def test_a_copy_leaves_flashed_messages_for_the_judges_next_page(demo, client, auth):
    sign_in(auth, "judge1")
    client.get("/judge")  # takes the welcome message
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "留给下一页的消息")]
    entry = first_offered("judge1")
    for url in ("/judge", sheet_url(entry, module_a(demo)), "/judge/offline"):
        response = client.get(url, headers=PREFETCH)
        assert "留给下一页的消息" not in response.get_data(as_text=True)
        assert response.headers["X-Judge-Copy"] == "keep"
    shown = client.get("/judge")
    assert "留给下一页的消息" in shown.get_data(as_text=True)
    # A page showing a flashed message is not kept: a copy would show it every time.
    assert "X-Judge-Copy" not in shown.headers


def test_the_offline_page(demo, client, auth):
    assert client.get("/judge/offline").status_code == 302  # sign in first
    sign_in(auth, "judge1")
    response = client.get("/judge/offline", headers=PREFETCH)
    assert response.status_code == 200
    assert response.headers["X-Judge-Copy"] == "keep"
    page = response.get_data(as_text=True)
    assert "<title>离线" in page and 'href="/judge"' in page
    assert 'id="offline-page"' in page


def test_a_kept_page_writes_in_a_later_session(demo, client, auth):
    """A copy kept on the tablet carries the CSRF token of the session it was fetched in; the
    API its script writes to does not depend on it (``competition.security``), so marks
    queued on a copy are accepted after the judge signed in again."""
    sign_in(auth, "judge1")
    entry = first_offered("judge1")
    module = module_a(demo)
    page = client.get(sheet_url(entry, module), headers=PREFETCH).get_data(as_text=True)
    old_token = re.search(r'data-csrf-token="([^"]+)"', page).group(1)
    auth.logout()
    sign_in(auth, "judge1")
    opened = client.get(f"/api/v1/judge/sheets?entry_id={entry.id}&module_id={module.id}")
    assert opened.status_code == 200
    first = module.criteria[0]
    saved = client.post(f"/api/v1/judge/sheets/{opened.get_json()['id']}/marks",
                        json={"changes": [{"criterion_id": first.id, "value": "1",
                                           "previous": None}]},
                        headers={"Idempotency-Key": "0f1e2d3c-0000-4000-8000-000000000001",
                                 "X-CSRFToken": old_token, "Sec-Fetch-Site": "same-origin"})
    assert saved.status_code == 200 and saved.get_json()["applied"]
