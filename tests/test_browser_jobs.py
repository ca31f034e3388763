"""A print run in the browser: the organizer presses the tickets button, watches the job's
progress bar move and reach the end, and downloads the PDF; without JavaScript the
page's refresh link gets there too. The app serves the jobs from a thread of its own
(no Redis), as ``make run`` does."""

from __future__ import annotations

import io
import time

import pytest
from pypdf import PdfReader

from competition.entries import draws, ticket_jobs
from competition.extensions import db
from tests import builders
from tests.builders import entries_of, setup_event
from tests.helpers import make_app, serve, sign_in

pytestmark = pytest.mark.browser
SECONDS_PER_CHUNK = 1.0


@pytest.fixture
def jobs_server(database_url):
    """The app served over HTTP, its jobs run in a thread (``JOBS_RUN_AT_ONCE`` off, no
    Redis), two tickets to a ReportLab document."""
    served = make_app(database_url, JOBS_RUN_AT_ONCE=False, REDIS_URL=None,
                      JOBS_PDF_CHUNK=2)
    with serve(served) as url:
        yield url
    with served.app_context():
        db.engine.dispose()


@pytest.fixture
def slow_tickets(monkeypatch):
    """Each chunk of tickets takes a second longer, so the page sees the job half done."""
    build = ticket_jobs.tickets.build_pdf

    def slowly(*args, **kwargs):
        time.sleep(SECONDS_PER_CHUNK)
        return build(*args, **kwargs)

    monkeypatch.setattr(ticket_jobs.tickets, "build_pdf", slowly)


def _event(count: int):
    organizer = builders.user("organizer")
    _, event = setup_event(organizer, entries=(count,))
    draws.draw_lots(db.session, event, None, organizer, "A")
    db.session.commit()
    return organizer, event


def test_print_the_tickets_watch_the_progress_and_download_them(app, jobs_server, page,
                                                                slow_tickets):
    organizer, event = _event(6)
    sign_in(page, jobs_server, organizer.username, builders.PASSWORD)
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{jobs_server}/events/{event.id}/draw")
    page.locator("#tickets-a5").get_by_role("button", name="准考证（A5）").click()
    page.wait_for_url("**/jobs/*")
    assert page.locator("#job-wait").is_visible()  # not done yet: the file is being made

    # The bar moves while the job runs (static/js/jobs.js asks every second) ...
    page.wait_for_function("""() => {
        const bar = document.getElementById("job-progress");
        return bar && bar.max == 6 && bar.value > 0 && bar.value < 6;
    }""", timeout=15_000)
    # ... and at the end the page offers the file.
    download = page.locator("#job-download")
    download.wait_for(timeout=30_000)
    bar = page.locator("#job-progress")
    assert (bar.get_attribute("max"), bar.get_attribute("value")) == ("6", "6")
    with page.expect_download() as info:
        download.click()
    assert info.value.suggested_filename == "养老护理员-准考证.pdf"
    pdf = PdfReader(info.value.path())
    assert len(pdf.pages) == 6
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert all(e.contestant.name in text for e in entries_of(event))

    page.goto(f"{jobs_server}/jobs")
    row = page.locator("#jobs tbody tr").first
    assert "6 / 6" in row.inner_text() and event.name in row.inner_text()


def test_without_javascript_the_refresh_link_leads_to_the_file(app, jobs_server, browser,
                                                               slow_tickets):
    organizer, event = _event(3)
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, jobs_server, organizer.username, builders.PASSWORD)
        page.wait_for_url(lambda url: "/login" not in url)
        page.goto(f"{jobs_server}/events/{event.id}/entries")
        page.get_by_role("button", name="准考证（PDF，A4）").click()
        page.wait_for_url("**/jobs/*")
        deadline = time.monotonic() + 30
        while not page.locator("#job-download").count():
            assert time.monotonic() < deadline, "the job did not finish"
            time.sleep(0.5)
            page.locator("#job-refresh").click()
        response = page.request.get(jobs_server + page.locator("#job-download")
                                    .get_attribute("href"))
        assert response.ok and response.headers["content-type"] == "application/pdf"
        assert len(PdfReader(io.BytesIO(response.body())).pages) == 2
    finally:
        context.close()
