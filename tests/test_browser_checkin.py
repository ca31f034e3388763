"""In Chromium at a tablet viewport: the check-in desk finds a contestant and marks them present."""

from datetime import date

import pytest
from sqlalchemy import select

from competition.entries import registrations
from competition.entries.idcard import make_id_number
from competition.entries.models import Entry
from competition.entries.validation import PersonData
from competition.events.models import Division
from competition.extensions import db
from tests import builders
from tests.conftest import TABLET

pytestmark = pytest.mark.browser


def register(event, name, sequence, status="approved"):
    division = db.session.scalar(select(Division).where(Division.event_id == event.id))
    id_number = make_id_number("421202", date(1990, 1, 2), sequence,
                               "M" if sequence % 2 else "F")
    return registrations.register(db.session, event, division,
                            PersonData(name=name, id_number=id_number), today=date(2026, 11, 1),
                            status=status)


@pytest.fixture
def desk_page(app, live_server, page):
    """The check-in page of an event with three contestants, open on a tablet."""
    organizer = builders.user("organizer", username="jianlu")
    competition = builders.competition("咸宁市技能大赛", organizers=(organizer,))
    event = builders.event(competition, "养老护理员")
    other = builders.event(competition, "电工", occupation=builders.occupation(
        "电工", "6-31-01-03"))
    entries = {"li": register(event, "李四", 22), "wang": register(event, "王五", 33),
               "zhang": register(event, "张三丰", 11), "qian": register(other, "钱七", 55),
               "zhao": register(event, "赵六", 44, status="pending")}
    db.session.commit()

    page.set_viewport_size(TABLET)
    errors = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill("jianlu")
    page.get_by_label("密码").fill(builders.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(f"{live_server}/events/{event.id}/checkin")
    return {"page": page, "event": event, "errors": errors, "live_server": live_server,
            **entries}


def test_search_then_tap_present_checks_in_and_updates_the_counts(desk_page):
    page = desk_page["page"]
    assert page.locator("h1").inner_text() == "检录 · 养老护理员"
    counts = page.locator(".checkin-counts")
    assert counts.locator("[data-count=present]").inner_text() == "0"
    assert counts.locator("[data-count=total]").inner_text() == "3"
    assert page.get_by_role("button", name="扫描准考证二维码").is_visible()
    assert not page.get_by_role("button", name="关闭摄像头").is_visible()

    page.get_by_label("姓名、准考证号或身份证号后 4 位").fill("李四")
    page.get_by_role("button", name="查找").click()
    card = page.locator("[data-results] .checkin-card")
    card.get_by_role("heading", name="李四").wait_for()
    assert card.count() == 1
    li = desk_page["li"]
    assert card.locator("[data-field=ticket_number]").inner_text() == li.ticket_number
    assert card.locator("[data-field=id_number]").inner_text().endswith(
        li.contestant.id_number[-4:])
    assert li.contestant.id_number not in page.content()
    # The search answered without leaving the page: the JSON path, not a reload.
    assert "q=" in page.url

    card.get_by_role("button", name="到场").click()
    page.get_by_text("李四 已检录到场。").wait_for()
    assert counts.locator("[data-count=present]").inner_text() == "1"
    assert counts.locator("[data-count=expected]").inner_text() == "2"
    assert card.locator("[data-field=attendance_label]").inner_text() == "已到场"

    db.session.expire_all()
    entry = db.session.get(Entry, li.id)
    assert entry.attendance == "present" and entry.checked_in_at is not None

    # A registration still awaiting approval is found, but cannot be checked in.
    page.get_by_label("姓名、准考证号或身份证号后 4 位").fill("赵六")
    page.get_by_role("button", name="查找").click()
    card.get_by_role("heading", name="赵六").wait_for()
    assert card.get_by_text("只有审核通过的报名才能检录。").is_visible()
    assert not card.get_by_role("button", name="到场").is_visible()
    assert desk_page["errors"] == []


def test_what_the_scanner_decodes_is_looked_up(desk_page):
    """The camera can't be driven headless; feed the decoded text to the scanner's handler."""
    page = desk_page["page"]
    live_server = desk_page["live_server"]
    wang = desk_page["wang"]

    page.evaluate("text => window.checkin.handleDecoded(text)",
                  f"{live_server}/r/{wang.token}")
    card = page.locator("[data-results] .checkin-card")
    card.get_by_role("heading", name="王五").wait_for()
    card.get_by_role("button", name="缺考").click()
    page.get_by_text("王五 已记为缺考。").wait_for()
    assert page.locator("[data-count=absent]").inner_text() == "1"

    page.evaluate("text => window.checkin.handleDecoded(text)",
                  f"{live_server}/r/{desk_page['qian'].token}")
    page.get_by_text("这是另一个赛项的准考证：电工").wait_for()
    assert page.locator("[data-results] .checkin-card").count() == 0

    # The same ticket scanned twice says it is already checked in, with the time.
    zhang = desk_page["zhang"]
    page.evaluate("text => window.checkin.handleDecoded(text)", f"{live_server}/r/{zhang.token}")
    page.get_by_role("button", name="到场").click()
    page.get_by_text("张三丰 已检录到场。").wait_for()
    page.evaluate("text => window.checkin.handleDecoded(text)", f"{live_server}/r/{zhang.token}")
    page.locator("[data-field=notice]").get_by_text("已检录（").wait_for()

    db.session.expire_all()
    assert db.session.get(Entry, wang.id).attendance == "absent"
    # Chromium logs the refused ticket's HTTP 409 itself; nothing else went wrong.
    assert [error for error in desk_page["errors"] if "409 (CONFLICT)" not in error] == []


def write_y4m(path, text: str, size=(640, 480)) -> None:
    """A short video of a ticket's QR code, for Chromium's fake camera (YUV 4:2:0 frames)."""
    import qrcode
    from PIL import Image

    width, height = size
    frame = Image.new("L", size, 255)
    code = qrcode.make(text, box_size=6, border=4).get_image().convert("L")
    frame.paste(code, ((width - code.width) // 2, (height - code.height) // 2))
    chroma = bytes([128]) * (width // 2 * height // 2)
    with open(path, "wb") as video:
        video.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(5):
            video.write(b"FRAME\n" + frame.tobytes() + chroma + chroma)


def test_the_camera_reads_the_ticket_qr_code(app, live_server, browser, tmp_path):
    """The whole scanner path: camera → canvas → jsQR → lookup, with a fake camera."""
    from tests.conftest import CHROMIUM, CHROMIUM_ARGS

    organizer = builders.user("organizer", username="saoma")
    competition = builders.competition("咸宁市技能大赛", organizers=(organizer,))
    event = builders.event(competition, "养老护理员")
    wang = register(event, "王五", 33)
    db.session.commit()
    video = tmp_path / "ticket.y4m"
    write_y4m(video, f"{live_server}/r/{wang.token}")

    camera_browser = browser.browser_type.launch(executable_path=CHROMIUM, args=[
        *CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    try:
        context = camera_browser.new_context(viewport=TABLET, locale="zh-CN")
        context.grant_permissions(["camera"], origin=live_server)
        page = context.new_page()
        page.set_default_timeout(15_000)
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{live_server}/login")
        page.get_by_label("用户名").fill("saoma")
        page.get_by_label("密码").fill(builders.PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.goto(f"{live_server}/events/{event.id}/checkin")

        page.get_by_role("button", name="扫描准考证二维码").click()
        card = page.locator("[data-results] .checkin-card")
        card.get_by_role("heading", name="王五").wait_for()
        assert page.get_by_role("button", name="关闭摄像头").is_visible()
        card.get_by_role("button", name="到场").click()
        page.get_by_text("王五 已检录到场。").wait_for()
        page.get_by_role("button", name="关闭摄像头").click()
        assert errors == []
    finally:
        camera_browser.close()
    db.session.expire_all()
    assert db.session.get(Entry, wang.id).attendance == "present"
