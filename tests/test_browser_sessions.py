"""In Chromium: an organizer sets up two sessions (场次), draws lots, and the admission
tickets (PDF text) show each contestant's session; a contestant approved after the draw
is added with the late-addition button, and no other station or code changes. The
draw form asks for confirmation only when the "draw again" box is ticked."""

from __future__ import annotations

import io

import pytest
from flask_babel import gettext
from pypdf import PdfReader

from competition.entries.models import Entry, EventSession
from competition.extensions import db
from tests import builders
from tests.builders import entries_of, entry, setup_event
from tests.helpers import sign_in

pytestmark = pytest.mark.browser


def zh(app, message: str, **params) -> str:
    with app.test_request_context():
        return gettext(message, **params)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    tab.dialogs = []

    def answer(dialog):
        tab.dialogs.append(dialog.message)
        dialog.accept()

    tab.on("dialog", answer)
    yield tab
    context.close()


def add_session(page, name, starts, ends, room, stations):
    page.locator("#name").fill(name)
    page.locator("#day").fill("2026-11-20")
    page.locator("#starts").fill(starts)
    page.locator("#ends").fill(ends)
    page.locator("#room").fill(room)
    page.locator("#stations").fill(str(stations))
    page.locator("form button[type=submit].primary").click()
    page.get_by_role("cell", name=name, exact=True).wait_for()


def pdf_pages(page, url) -> list[str]:
    response = page.request.get(url)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    return [p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages]


def test_two_sessions_tickets_and_a_late_entry(app, live_server, page):
    organizer = builders.user("organizer")
    _, event = setup_event(organizer, entries=(4,))
    db.session.commit()
    sign_in(page, live_server, organizer.username, builders.PASSWORD)
    page.wait_for_url(lambda url: "/login" not in url)

    page.goto(f"{live_server}/events/{event.id}/sessions")
    add_session(page, "第1场", "08:30", "11:30", "实训楼A101", 2)
    add_session(page, "第2场", "14:00", "17:00", "实训楼A102", 3)
    assert "08:00" in page.locator("#sessions").inner_text()  # reporting, 30 minutes before

    page.goto(f"{live_server}/events/{event.id}/draw")
    form = page.locator("#draw-form")
    form.locator("#code_prefix").fill("A")
    form.get_by_role("button").click()
    page.locator(".flash-success").first.wait_for()
    assert page.dialogs == []  # a first draw asks nothing
    db.session.expire_all()
    drawn = entries_of(event)
    one, two = sorted(db.session.query(EventSession).filter_by(event_id=event.id).all(),
                      key=lambda s: s.position)
    assert sorted(e.session_id for e in drawn).count(one.id) == 2
    assert all(e.station and e.code for e in drawn)

    # The tickets are printed by a job: its page then offers the file.
    page.locator("#tickets-a5 button").click()
    page.wait_for_url("**/jobs/*")
    download = page.locator("#job-download")
    download.wait_for()
    tickets = pdf_pages(page, live_server + download.get_attribute("href"))
    assert len(tickets) == 4
    for e in drawn:
        [text] = [t for t in tickets if e.contestant.name in t]
        sitting = one if e.session_id == one.id else two
        assert sitting.name in text and sitting.room in text
        assert ("08:30" if sitting is one else "14:00") in text
        assert ("08:00" if sitting is one else "13:30") in text

    # The box unticked: drawing again is refused and nothing warns about codes changing.
    page.goto(f"{live_server}/events/{event.id}/draw")
    before = {e.id: (e.session_id, e.station, e.code) for e in drawn}
    form = page.locator("#draw-form")
    form.get_by_role("button").click()
    page.locator(".flash-error").first.wait_for()
    assert page.dialogs == []

    late = entry(event, "补报选手")
    db.session.commit()
    page.goto(f"{live_server}/events/{event.id}/draw")
    page.get_by_role("button", name=zh(app, "Add the new entries to the draw")).click()
    page.get_by_text(zh(app, "Late addition")).first.wait_for()
    db.session.expire_all()
    assert {e.id: (e.session_id, e.station, e.code) for e in entries_of(event)
            if e.id != late.id} == before
    late = db.session.get(Entry, late.id)
    assert late.session_id == two.id and late.station == 3 and late.code
    assert late.code not in {code for _, _, code in before.values()}
    [text] = pdf_pages(page, f"{live_server}/entries/{late.id}/ticket.pdf?size=A5")
    assert "第2场" in text and "补报选手" in text

    # Ticking the box: the confirmation says how many stations and codes change.
    page.goto(f"{live_server}/events/{event.id}/draw")
    page.locator("#confirm_redraw").check()
    page.locator("#draw-form").get_by_role("button").click()
    page.locator(".flash-success").first.wait_for()
    assert len(page.dialogs) == 1 and "5" in page.dialogs[0]
