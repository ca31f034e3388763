"""The organizer's main pages in Chromium at the two common tablet/laptop widths (1024×768
and 1366×768), on the demo advanced to publication: no page scrolls sideways, a page that
exists for one action shows its button without scrolling, and the Chinese UI shows no
untranslated English. The main PDFs are scanned for English the same way.

Other pages are added all the time: each page is visited only if its endpoint exists.
"""

from __future__ import annotations

import re
from io import BytesIO
from urllib.parse import unquote

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from competition.demo import DEMO_ACCOUNTS
from competition.entries.models import Entry
from competition.events.models import Competition, Event
from competition.extensions import db
from competition.grades.models import Certificate
from competition.results.models import Result
from tests.helpers import job_file

pytestmark = pytest.mark.browser

VIEWPORTS = [{"width": 1024, "height": 768}, {"width": 1366, "height": 768}]
PASSWORDS = {a.username: a.password for a in DEMO_ACCOUNTS}

# ASCII words a Chinese page may show: codes, units, brands, the language switch.
ALLOWED_WORDS = {
    "pdf", "excel", "api", "qr", "xlsx", "csv", "json", "url", "http", "https", "www",
    "english", "mm", "cm", "kg", "min", "ok", "id", "ip", "utf", "ssl", "sha", "hmac",
    "png", "jpg", "jpeg", "svg", "ttc", "wps", "ai", "tv",
}
WORD = re.compile(r"[A-Za-z][A-Za-z']{2,}")


def english_words(text: str, allowed: set[str]) -> set[str]:
    """The ASCII words of 3+ letters in ``text`` that are not codes, units, brands,
    usernames, e-mail addresses or URLs."""
    # E-mail addresses, links, paths, and codes with digits (judge9, seals, numbers).
    text = re.sub(r"\S+@\S+|https?://\S+|/[\w/.-]+|\b\w*\d\w*\b", " ", text)
    found = set()
    for word in WORD.findall(text):
        if word.lower() in allowed or word.isupper() and len(word) <= 5:
            continue  # codes such as YL, KP, SN are upper case and short
        found.add(word)
    return found


def _allowed() -> set[str]:
    allowed = set(ALLOWED_WORDS)
    for account in DEMO_ACCOUNTS:
        allowed.update(w.lower() for w in WORD.findall(account.username))
    return allowed


@pytest.fixture
def demo(staged_demo):
    """The demo competition, advanced through its stages (茶艺师 final, 养老护理员 on
    notice, 车工 part-way): the pages at their fullest."""
    competition = db.session.scalar(select(Competition))
    events = {e.name: e for e in db.session.scalars(select(Event))}
    tea, care = events["茶艺师"], events["养老护理员"]
    ranked = db.session.scalar(select(Entry).join(Result, Result.entry_id == Entry.id)
                               .where(Entry.event_id == tea.id, Result.rank == 1))
    certificate = db.session.scalar(select(Certificate))
    return {
        "competition": competition.id, "tea": tea.id, "care": care.id,
        "lathe": events["车工"].id, "care_division": care.divisions[0].id,
        "tea_division": tea.divisions[0].id, "entry": ranked.id,
        "certificate": certificate.id if certificate else None,
    }


def pages(ids: dict) -> list[tuple[str, str, str | None]]:
    """(endpoint, path, the selector of the page's primary action or None)."""
    c, tea, care, lathe = ids["competition"], ids["tea"], ids["care"], ids["lathe"]
    return [
        ("events.dashboard", "/", None),
        ("events.competition_detail", f"/competitions/{c}", None),
        ("events.event_detail", f"/events/{care}", None),
        ("events.event_edit", f"/events/{care}/edit", None),
        ("events.scheme_edit", f"/events/{lathe}/scheme", None),
        ("events.panel", f"/events/{lathe}/panel", None),
        ("entries.entry_list", f"/events/{lathe}/entries",
         f"a[href='/events/{lathe}/entries/new']"),
        ("entries.draw", f"/events/{lathe}/draw", "form button.primary"),
        ("entries.checkin", f"/events/{lathe}/checkin", "[data-scan-start]"),
        ("entries.timetable", f"/competitions/{c}/timetable", None),
        ("results.event_results_page", f"/events/{care}/results", None),
        ("results.event_results_page", f"/events/{tea}/results", None),
        ("grades.preview", f"/divisions/{ids['tea_division']}/promotions", None),
        ("grades.certificates_index", f"/competitions/{c}/certificates", None),
        ("auth.signin_cards", f"/competitions/{c}/signin-cards", "#open-accounts"),
        ("events.experts", "/experts", "a[href='/experts/new']"),
        ("judging.console", f"/judge/events/{lathe}/console", None),
    ]


def _sign_in(page, live_server, username):
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORDS[username])
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url


def _check(page, url, primary, allowed) -> list[str]:
    problems = []
    response = page.goto(url)
    assert response is not None
    if response.status != 200:
        return [f"{url}: HTTP {response.status}"]
    width = page.evaluate("[document.documentElement.scrollWidth,"
                          " document.documentElement.clientWidth]")
    if width[0] > width[1]:
        problems.append(f"{url}: scrolls sideways ({width[0]} > {width[1]} px)")
    if primary:
        button = page.locator(primary).first
        if button.count():
            box = button.bounding_box()
            height = page.evaluate("window.innerHeight")
            if box is None or box["y"] + box["height"] > height:
                problems.append(f"{url}: {primary} is below the fold ({box})")
    words = english_words(page.inner_text("body"), allowed)
    if words:
        problems.append(f"{url}: English words {sorted(words)}")
    return problems


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v['width']}x{v['height']}")
def test_the_organizers_pages_fit_and_speak_chinese(app, demo, live_server, browser,
                                                   viewport):
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        _sign_in(page, live_server, "organizer")
        allowed = _allowed()
        problems = []
        for endpoint, path, primary in pages(demo):
            if endpoint not in app.view_functions:
                continue
            problems += _check(page, live_server + path, primary, allowed)
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_the_accounts_page_fits(app, demo, live_server, browser):
    context = browser.new_context(viewport=VIEWPORTS[0], locale="zh-CN")
    page = context.new_page()
    try:
        _sign_in(page, live_server, "admin")
        problems = _check(page, f"{live_server}/admin/users", "a[href='/admin/users/new']",
                          _allowed())
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_the_chief_judges_console_cells_are_a_finger_wide(app, demo, live_server, browser):
    """On a 1024 px tablet every cell of the console's matrix is at least 44 px tall."""
    chief = next(a.username for a in DEMO_ACCOUNTS if a.role == "judge"
                 and "车工裁判长" in a.description)
    context = browser.new_context(viewport=VIEWPORTS[0], locale="zh-CN", has_touch=True)
    page = context.new_page()
    try:
        _sign_in(page, live_server, chief)
        page.goto(f"{live_server}/judge/events/{demo['lathe']}/console")
        heights = page.eval_on_selector_all(
            "td.cell", "cells => cells.map(c => c.getBoundingClientRect().height)")
        links = page.eval_on_selector_all(
            "td.cell > a", "links => links.map(a => a.getBoundingClientRect().height)")
    finally:
        context.close()
    assert heights and min(heights) >= 44
    assert not links or min(links) >= 44


def download_name(disposition: str) -> str:
    """The file name a Content-Disposition header gives (the UTF-8 one when there is one)."""
    match = re.search(r"filename\*=UTF-8''([^;]+)", disposition)
    if match:
        return unquote(match.group(1))
    match = re.search(r'filename="?([^";]+)', disposition)
    return match.group(1) if match else ""


def _pdf_words(data: bytes, allowed: set[str]) -> set[str]:
    text = "\n".join(page.extract_text() or "" for page in PdfReader(BytesIO(data)).pages)
    return english_words(text, allowed)


def test_the_main_pdfs_speak_chinese(app, demo, client):
    client.post("/login", data={"username": "organizer",
                                "password": PASSWORDS["organizer"]})
    ids = demo
    documents = [
        # A print run: the job's button posts to it, and its file is the PDF.
        ("entries.print_tickets", f"/events/{ids['lathe']}/tickets/print"),
        ("results.notice_pdf", f"/divisions/{ids['care_division']}/notice.pdf"),
        ("results.score_report", f"/entries/{ids['entry']}/score-report.pdf"),
        ("entries.timetable_pdf", f"/competitions/{ids['competition']}/timetable.pdf"),
        ("judging.paper_sheets", f"/events/{ids['lathe']}/paper-sheets.pdf"),
    ]
    if ids["certificate"]:
        documents.append(("grades.pdf", f"/certificates/{ids['certificate']}.pdf"))
    allowed = _allowed()
    problems = []
    for endpoint, path in documents:
        if endpoint not in app.view_functions:
            continue
        response = job_file(client, path) if path.endswith("/print") else client.get(path)
        assert response.status_code == 200, path
        assert response.mimetype == "application/pdf", path
        words = _pdf_words(response.data, allowed)
        if words:
            problems.append(f"{path}: English words {sorted(words)}")
        name = download_name(response.headers.get("Content-Disposition", ""))
        if english_words(name.removesuffix(".pdf"), allowed):
            problems.append(f"{path}: file name in English ({name})")
    assert not problems, "\n".join(problems)
