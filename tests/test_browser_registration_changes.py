"""In Chromium: an organizer corrects a contestant's name after the tickets were printed
and the results were posted — the new ticket, the public notice (page and PDF) and the
entry's history show the new name and the reason; and a substitute takes a withdrawn
contestant's session and station while nobody else's station or code changes.

The forms are found by their sections' ids (#correct, #withdraw, #substitute), so the
test does not depend on the wording of strings still to be translated."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from competition.audit.models import AuditEvent
from competition.entries import draws
from competition.entries import registrations as registration
from competition.entries.idcard import make_id_number
from competition.entries.models import DrawKind, Entry, EventSession, LotDraw
from competition.entries.validation import PersonData
from competition.events.models import CompetitionOrganizer
from competition.extensions import db
from competition.results import publishing
from competition.results.models import Result
from tests import builders

pytestmark = pytest.mark.browser

_serial = itertools.count(1)


def _sign_in(page, live_server, username):
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(builders.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server}/")


def _pdf_text(page, url: str) -> str:
    response = page.request.get(url)
    assert response.ok, response.status
    return "".join(p.extract_text() for p in PdfReader(BytesIO(response.body())).pages)


def test_a_name_corrected_after_the_tickets_and_the_notice(tea_on_notice, live_server,
                                                          page):
    contest = tea_on_notice.competition
    contest.name_display = "full"
    organizer = builders.user("organizer", username="desk")
    db.session.add(CompetitionOrganizer(competition_id=contest.id, user_id=organizer.id))
    workers = tea_on_notice.divisions[0]
    published = publishing.publication_of(db.session, workers.id)
    entry = db.session.get(Entry, db.session.scalars(
        select(Result.entry_id).where(Result.publication_id == published.id)
        .order_by(Result.rank)).first())
    old_name = entry.contestant.name
    db.session.commit()

    _sign_in(page, live_server, "desk")
    ticket_url = f"{live_server}/entries/{entry.id}/ticket.pdf?size=A5"
    assert old_name in _pdf_text(page, ticket_url)  # the ticket as printed

    page.goto(f"{live_server}/entries/{entry.id}")
    form = page.locator("#correct")
    form.locator("input[name=name]").fill("欧阳晓更")
    form.locator("input[name=reason]").fill("身份证姓名为欧阳晓更，报名时录错")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().strip() == "欧阳晓更"
    history = page.locator("#history")
    assert "身份证姓名为欧阳晓更，报名时录错" in history.inner_text()
    assert old_name in history.inner_text() and "欧阳晓更" in history.inner_text()

    # The ticket is made on demand: printed again, it shows the new name.
    text = _pdf_text(page, ticket_url)
    assert "欧阳晓更" in text and old_name not in text

    # The public notice shows the new name and a dated correction with its reason.
    page.goto(f"{live_server}/results/divisions/{workers.id}")
    body = page.locator("body").inner_text()
    assert "欧阳晓更" in body and old_name not in body
    assert "更正" in body and "身份证姓名为欧阳晓更，报名时录错" in body
    notice = _pdf_text(page, f"{live_server}/divisions/{workers.id}/notice.pdf")
    assert "欧阳晓更" in notice

    db.session.expire_all()
    [record] = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "registration.correct")).all()
    assert record.actor_id == organizer.id and record.reason.startswith("身份证姓名")


def _person(name: str) -> PersonData:
    number = next(_serial)
    return PersonData(name=name, work_unit="咸宁市中心医院",
                      id_number=make_id_number("421202", date(1986, 3, 1 + number),
                                               100 + 2 * number, "F"))


def test_a_substitute_takes_a_withdrawn_contestants_station(app, live_server, page):
    organizer = builders.user("organizer", username="desk")
    competition = builders.competition(organizers=(organizer,))
    event = builders.event(competition, divisions=("职工组",))
    morning = EventSession(event_id=event.id, name="第1场", stations=3, position=0,
                           starts_at=datetime(2026, 11, 20, 0, tzinfo=UTC),
                           ends_at=datetime(2026, 11, 20, 3, tzinfo=UTC))
    afternoon = EventSession(event_id=event.id, name="第2场", stations=3, position=1,
                             starts_at=datetime(2026, 11, 20, 5, tzinfo=UTC),
                             ends_at=datetime(2026, 11, 20, 8, tzinfo=UTC))
    db.session.add_all([morning, afternoon])
    db.session.flush()
    for name in ("甲选手", "乙选手", "丙选手", "丁选手", "戊选手", "己选手"):
        registration.register(db.session, event, event.divisions[0], _person(name),
                              today=date(2026, 5, 1))
    draws.draw_lots(db.session, event, None, organizer, "A")
    db.session.commit()
    entries = list(db.session.scalars(select(Entry).where(Entry.event_id == event.id)
                                      .order_by(Entry.id)))
    withdrawn = entries[2]
    place = (withdrawn.session_id, withdrawn.station)
    assert place[0] is not None and place[1] is not None
    others = {e.id: (e.session_id, e.station, e.code) for e in entries if e.id != withdrawn.id}

    _sign_in(page, live_server, "desk")
    page.goto(f"{live_server}/entries/{withdrawn.id}")
    page.locator("#withdraw input[name=reason]").fill("因病退赛")
    page.locator("#withdraw button[type=submit]").click()
    page.wait_for_load_state()
    form = page.locator("#substitute")
    substitute_person = _person("庚替补")
    form.locator("input[name=name]").fill(substitute_person.name)
    form.locator("input[name=id_number]").fill(substitute_person.id_number)
    form.locator("input[name=reason]").fill("经组委会同意替补")
    form.locator("button[type=submit]").click()
    page.wait_for_url(lambda url: f"/entries/{withdrawn.id}" not in url)
    assert page.locator("h1").inner_text().strip() == "庚替补"

    db.session.expire_all()
    substitute = db.session.scalar(select(Entry).where(Entry.replaces_entry_id == withdrawn.id))
    assert (substitute.session_id, substitute.station) == place
    assert page.url.endswith(f"/entries/{substitute.id}")
    assert db.session.get(Entry, withdrawn.id).station is None
    assert substitute.code and substitute.code != withdrawn.code
    assert substitute.token != withdrawn.token
    assert substitute.ticket_number != withdrawn.ticket_number
    assert {e.id: (e.session_id, e.station, e.code) for e in db.session.scalars(
        select(Entry).where(Entry.event_id == event.id,
                            Entry.id.not_in([withdrawn.id, substitute.id])))} == others
    draw = db.session.get(LotDraw, substitute.draw_id)
    assert draw.kind == DrawKind.SUBSTITUTION
    assert draws.draw_record(db.session, draw).reproducible

    # The substitute's page shows the place; the draw record shows the substitution.
    facts = page.locator("dl.facts").inner_text()
    assert str(place[1]) in facts and substitute.code in facts
    page.goto(f"{live_server}/draws/{draw.id}")
    assert substitute.code in page.locator("body").inner_text()
