"""In Chromium: a member of the public fills in the self-registration form and sees the
confirmation; someone who types an ID number already on file under another name lands on
the very same confirmation, and nothing of theirs is saved.

The confirmation's sentences are compared with their translation read from the app, so the
test holds before and after the catalogue is updated."""

from __future__ import annotations

from datetime import date

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from competition.entries.idcard import make_id_number
from competition.entries.models import Contestant, Entry
from competition.events.models import Division
from competition.extensions import db
from tests import builders

pytestmark = pytest.mark.browser

LI_ID = make_id_number("421202", date(1988, 6, 1), 123, "M")
RECEIVED = "Your registration has been received. The organizers will review it."
TICKET = ("Once it is approved, the organizers issue your admission ticket. The QR code on "
          "the ticket opens your private page, where you see your registration and, later, "
          "your results.")


def _fill(page, *, name: str, id_number: str, phone: str, division: Division) -> None:
    form = page.locator("form.card")
    form.locator("input[name=name]").fill(name)
    form.locator("input[name=id_number]").fill(id_number)
    form.locator("input[name=phone]").fill(phone)
    form.locator("input[name=work_unit]").fill("咸宁市社会福利院")
    form.locator("select[name=division_id]").select_option(str(division.id))
    form.locator("input[name=consent]").check()
    form.get_by_role("button", name="提交报名").click()


def test_a_visitor_registers_and_sees_the_confirmation(app, live_server, page):
    competition = builders.competition("咸宁市第七届“咸宁工匠”职业技能大赛",
                                       status="registration", self_registration=True)
    event = builders.event(competition, "养老护理员", divisions=("职工组", "学生组"))
    workers = db.session.scalar(select(Division).where(Division.event_id == event.id,
                                                       Division.name == "职工组"))
    db.session.commit()
    with app.test_request_context(), force_locale("zh"):
        received, ticket = gettext(RECEIVED), gettext(TICKET)
    errors = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    form_url = f"{live_server}/competitions/{competition.id}/register"
    done_url = f"{form_url}/done"

    page.goto(form_url)
    _fill(page, name="李明", id_number=LI_ID, phone="13912345678", division=workers)
    page.wait_for_url(done_url)
    confirmation = page.locator("#selfreg-received")
    assert page.locator("h1").inner_text() == "报名已提交"
    assert confirmation.get_by_text(received).is_visible()
    assert confirmation.get_by_text(ticket).is_visible()
    assert page.locator("a[href*='/r/'], img").count() == 0
    first = confirmation.inner_text()
    assert "李明" not in first

    # The same ID number under another name: the same page, nothing saved.
    page.get_by_role("link", name="再报名一位选手").click()
    page.wait_for_url(form_url)
    _fill(page, name="冒名者", id_number=LI_ID, phone="13700003333", division=workers)
    page.wait_for_url(done_url)
    assert confirmation.inner_text() == first

    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 1
    assert db.session.scalars(select(Contestant.name)).all() == ["李明"]
    assert errors == []
