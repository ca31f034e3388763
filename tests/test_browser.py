"""In a real Chromium: the login page, the demo organizer's dashboard, switching language."""

import pytest

pytestmark = pytest.mark.browser

DEMO_COMPETITION = "咸宁市第七届“咸宁工匠”职业技能大赛"


@pytest.fixture
def demo(seeded_demo):
    """The demo competition, as ``flask demo`` seeds it."""


def test_organizer_signs_in_sees_the_demo_and_switches_to_english(demo, live_server, page):
    page.goto(f"{live_server}/login")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("h1").inner_text() == "登录"

    page.get_by_label("用户名").fill("organizer")
    page.get_by_label("密码").fill("demo-organizer-2026")
    page.get_by_role("button", name="登录").click()

    page.wait_for_url(f"{live_server}/")
    assert page.locator("h1").inner_text() == "大赛列表"
    row = page.get_by_role("row").filter(has_text=DEMO_COMPETITION)
    assert row.count() == 1
    assert "比赛中" in row.inner_text()

    page.get_by_role("link", name="English").click()
    page.wait_for_url(f"{live_server}/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Competitions"
    assert "Running" in page.get_by_role("row").filter(has_text=DEMO_COMPETITION).inner_text()

    page.get_by_role("link", name=DEMO_COMPETITION).click()
    assert page.locator("h1").inner_text() == DEMO_COMPETITION
    assert page.get_by_role("link", name="养老护理员").count() == 1


def test_login_page_fits_a_phone(live_server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{live_server}/login")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    assert page.get_by_role("button", name="登录").is_visible()
    context.close()
