"""Public self-registration while a competition is open, and the organizers' review of it."""

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from competition.entries.idcard import make_id_number
from competition.entries.models import Contestant, Entry
from competition.events.models import Division
from competition.extensions import db
from tests import builders

LI_ID = make_id_number("421202", date(1988, 6, 1), 123, "M")
STUDENT_ID = make_id_number("421281", date(2006, 9, 1), 246, "F")


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def division(event, name="职工组") -> Division:
    return db.session.scalar(select(Division).where(Division.event_id == event.id,
                                                    Division.name == name))


@pytest.fixture
def open_competition(app):
    organizer = builders.user("organizer")
    competition = builders.competition("咸宁市第七届“咸宁工匠”职业技能大赛",
                                       organizers=(organizer,), status="registration",
                                       self_registration=True)
    event = builders.event(competition, "养老护理员", divisions=("职工组", "学生组"))
    db.session.commit()
    return {"organizer": organizer, "competition": competition, "event": event}


def form_data(event, **changes):
    data = {"name": "李明", "id_number": LI_ID, "phone": "13912345678",
            "work_unit": "咸宁市社会福利院", "division_id": str(division(event).id),
            "current_grade": "4", "current_certificate_no": "S000042123456",
            "consent": "y"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def register_url(competition) -> str:
    return f"/competitions/{competition.id}/register"


def test_an_open_competition_shows_the_form(client, open_competition):
    page = client.get(register_url(open_competition["competition"])).get_data(as_text=True)
    assert "网上报名" in page and "咸宁工匠" in page
    assert "养老护理员 · 职工组" in page and "养老护理员 · 学生组" in page
    for label in ("姓名", "身份证号", "手机号", "工作单位或学校", "赛项 · 组别",
                  "现有职业技能等级", "现有证书编号", "是否在校学生", "我同意组委会"):
        assert label in page


@pytest.mark.parametrize("changes", [
    {"self_registration": False},
    {"status": "draft"},
    {"status": "running"},
])
def test_a_closed_competition_does_not_show_the_form(client, open_competition, changes):
    competition = open_competition["competition"]
    for name, value in changes.items():
        setattr(competition, name, value)
    db.session.commit()
    response = client.get(register_url(competition))
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "报名未开放" in page and 'name="id_number"' not in page
    response = client.post(register_url(competition),
                           data=form_data(open_competition["event"]))
    assert response.status_code == 404
    assert _count(Entry) == 0


def test_a_valid_registration_is_pending_and_gives_the_private_link(client, open_competition):
    event = open_competition["event"]
    response = client.post(register_url(open_competition["competition"]),
                           data=form_data(event))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)

    entry = db.session.scalar(select(Entry))
    assert (entry.status, entry.source, entry.event_id) == ("pending", "self", event.id)
    person = entry.contestant
    assert (person.name, person.id_number, person.phone, person.work_unit,
            person.current_grade) == ("李明", LI_ID, "13912345678", "咸宁市社会福利院", 4)
    assert "报名已提交" in page and "请保存此链接，审核结果和成绩都在这里查看" in page
    assert f"/r/{entry.token}" in page
    assert "待审核" in page

    qr = client.get(f"/competitions/{open_competition['competition'].id}/register/qr.png")
    assert qr.status_code == 200 and qr.mimetype == "image/png"
    assert qr.data.startswith(b"\x89PNG") and "no-store" in qr.headers["Cache-Control"]

    private = client.get(f"/r/{entry.token}").get_data(as_text=True)
    assert "李明" in private and "待审核" in private


def test_the_confirmation_needs_a_registration_from_this_browser(app, open_competition):
    other_browser = app.test_client()
    competition_id = open_competition["competition"].id
    response = other_browser.get(f"/competitions/{competition_id}/register/done")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/competitions/{competition_id}/register")
    assert other_browser.get(
        f"/competitions/{competition_id}/register/qr.png").status_code == 404


@pytest.mark.parametrize("changes, message", [
    ({"id_number": LI_ID[:-1] + ("0" if LI_ID[-1] != "0" else "1")}, "身份证号校验位不正确"),
    ({"id_number": "42120219880231123X"}, None),
    ({"phone": ""}, None),
    ({"phone": "1234"}, None),
    ({"consent": None}, "报名须同意个人信息的使用"),
    ({"division_id": "0"}, "请选择赛项和组别"),
])
def test_invalid_registrations_show_why_and_create_nothing(client, open_competition, changes,
                                                           message):
    response = client.post(register_url(open_competition["competition"]),
                           data=form_data(open_competition["event"], **changes))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "field-error" in page
    if message:
        assert message in page
    assert _count(Entry) == 0 and _count(Contestant) == 0


def test_the_id_check_message_is_in_chinese(client, open_competition):
    bad = LI_ID[:-1] + ("0" if LI_ID[-1] != "0" else "1")
    page = client.post(register_url(open_competition["competition"]),
                       data=form_data(open_competition["event"], id_number=bad)
                       ).get_data(as_text=True)
    assert "报名未能提交，请修改标出的内容" in page
    field = page.split('name="id_number"')[1].split("</div>")[0]
    assert "field-error" in field and "身份证号" in field


def test_students_must_choose_the_students_division(client, open_competition):
    event = open_competition["event"]
    page = client.post(register_url(open_competition["competition"]),
                       data=form_data(event, id_number=STUDENT_ID, name="周小红",
                                      is_student="y")).get_data(as_text=True)
    assert "field-error" in page and _count(Entry) == 0
    response = client.post(register_url(open_competition["competition"]),
                           data=form_data(event, id_number=STUDENT_ID, name="周小红",
                                          is_student="y",
                                          division_id=str(division(event, "学生组").id)))
    assert response.status_code == 302
    assert db.session.scalar(select(Entry)).division.name == "学生组"


def test_the_same_person_twice_is_refused(client, open_competition):
    url = register_url(open_competition["competition"])
    event = open_competition["event"]
    assert client.post(url, data=form_data(event)).status_code == 302
    page = client.post(url, data=form_data(event)).get_data(as_text=True)
    assert "李明 已报名 养老护理员，不能重复报名。" in page
    assert _count(Entry) == 1


def test_a_stranger_does_not_learn_whose_id_number_it_is(client, open_competition):
    url = register_url(open_competition["competition"])
    event = open_competition["event"]
    client.post(url, data=form_data(event))
    page = client.post(url, data=form_data(event, name="冒名者")).get_data(as_text=True)
    assert "此身份证号已以其他姓名报名" in page
    assert "李明" not in page
    assert _count(Entry) == 1


def self_registered(client, event, competition, **changes):
    client.post(register_url(competition), data=form_data(event, **changes))
    return db.session.scalar(select(Entry).order_by(Entry.id.desc()))


def test_organizers_see_pending_entries_in_full(client, auth, open_competition):
    entry = self_registered(client, open_competition["event"], open_competition["competition"])
    auth.login(open_competition["organizer"].username)
    page = client.get(f"/competitions/{open_competition['competition'].id}/pending"
                      ).get_data(as_text=True)
    assert "待审核的报名" in page
    for text in ("李明", LI_ID, "13912345678", "咸宁市社会福利院", "养老护理员 · 职工组",
                 "S000042123456", entry.ticket_number):
        assert text in page


def test_approval_makes_the_private_page_say_registered(client, auth, open_competition):
    entry = self_registered(client, open_competition["event"], open_competition["competition"])
    organizer = open_competition["organizer"]
    auth.login(organizer.username)
    page = client.post(f"/entries/{entry.id}/review", data={"approve": "approve", "note": ""},
                       follow_redirects=True).get_data(as_text=True)
    assert "李明 的报名已审核通过" in page and "没有待审核的报名" in page
    db.session.expire_all()
    assert entry.status == "approved" and entry.reviewed_by_id == organizer.id
    assert "已报名" in client.get(f"/r/{entry.token}").get_data(as_text=True)


def test_rejection_needs_a_note_which_the_contestant_sees(client, auth, open_competition):
    entry = self_registered(client, open_competition["event"], open_competition["competition"])
    auth.login(open_competition["organizer"].username)
    page = client.post(f"/entries/{entry.id}/review", data={"reject": "reject", "note": "  "},
                       follow_redirects=True).get_data(as_text=True)
    assert "请填写不通过的原因，选手将看到此说明。" in page
    db.session.expire_all()
    assert entry.status == "pending"

    client.post(f"/entries/{entry.id}/review",
                data={"reject": "reject", "note": "工作年限不足，不符合报名条件"})
    db.session.expire_all()
    assert entry.status == "rejected" and entry.review_note == "工作年限不足，不符合报名条件"
    private = client.get(f"/r/{entry.token}").get_data(as_text=True)
    assert "工作年限不足，不符合报名条件" in private

    page = client.post(f"/entries/{entry.id}/review", data={"approve": "approve"},
                       follow_redirects=True).get_data(as_text=True)
    assert "此报名已审核过。" in page
    db.session.expire_all()
    assert entry.status == "rejected"


@pytest.mark.parametrize("role", ["organizer", "judge"])
def test_others_may_not_review(app, auth, open_competition, role):
    entry = self_registered(app.test_client(), open_competition["event"],
                            open_competition["competition"])
    outsider = builders.user(role)
    db.session.commit()
    client = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(client).login(outsider.username)
    competition_id = open_competition["competition"].id
    assert client.get(f"/competitions/{competition_id}/pending").status_code == 403
    assert client.post(f"/entries/{entry.id}/review",
                       data={"approve": "approve"}).status_code == 403
    db.session.expire_all()
    assert entry.status == "pending"


def test_anonymous_visitors_are_sent_to_sign_in_to_review(client, open_competition):
    entry = self_registered(client, open_competition["event"], open_competition["competition"])
    competition_id = open_competition["competition"].id
    for response in (client.get(f"/competitions/{competition_id}/pending"),
                     client.post(f"/entries/{entry.id}/review", data={"approve": "approve"})):
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    db.session.expire_all()
    assert entry.status == "pending"


def test_the_private_link_is_random_not_derived(client, open_competition):
    entry = self_registered(client, open_competition["event"], open_competition["competition"])
    assert len(entry.token) >= 22 and re.fullmatch(r"[A-Za-z0-9_-]+", entry.token)
    assert LI_ID not in entry.token and str(entry.id) != entry.token
