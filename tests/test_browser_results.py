"""The contestant's own page on a phone, before and after the results are published."""

import pytest
from sqlalchemy import select

from competition.auth.models import User
from competition.entries.models import Entry
from competition.extensions import db
from competition.results import publishing
from competition.results.models import Appeal, Result
from tests import builders
from tests.conftest import PHONE

pytestmark = pytest.mark.browser


def test_contestant_page_on_a_phone_before_and_after_publication(locked_tea, live_server,
                                                                 browser):
    division = locked_tea.divisions[0]
    entry = db.session.scalar(select(Entry).where(Entry.division_id == division.id)
                              .order_by(Entry.id))
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()

    page.goto(f"{live_server}/r/{entry.token}")
    assert "成绩尚未公布" in page.content()
    assert page.get_by_role("heading", name="我的成绩").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    organizer = db.session.scalar(select(User).where(User.username == builders.ORGANIZER))
    publishing.publish(db.session, organizer, division)
    db.session.commit()
    result = db.session.scalar(select(Result).where(Result.entry_id == entry.id))

    page.reload()
    card = page.locator(".contestant-card").first
    assert page.get_by_role("heading", name="我的成绩").is_visible()
    text = card.inner_text()
    assert f"{result.total:.2f}" in text
    assert f"名次\n{result.rank}" in text or f"名次\t{result.rank}" in text \
        or str(result.rank) in text.split("名次")[1][:8]
    assert entry.contestant.id_number not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.get_by_role("link", name="提交申诉").click()
    page.get_by_label("申诉内容").fill("第二模块计时有误，请复核")
    page.get_by_role("button", name="提交申诉").click()
    page.wait_for_load_state()
    assert "已收到您的申诉" in page.content()
    assert "第二模块计时有误" in page.content()
    context.close()
    assert db.session.scalar(select(Appeal.text)) == "第二模块计时有误，请复核"
