"""Public self-registration while a competition is open, and the organizers' review of it."""

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from competition.entries import registrations
from competition.entries.idcard import make_id_number
from competition.entries.models import Contestant, Entry
from competition.events.models import Division
from competition.extensions import db
from tests import builders
from tests.helpers import private_url, qr_codes, read_pdf

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


def test_a_valid_registration_is_pending_and_the_confirmation_gives_no_link(
        client, open_competition):
    event = open_competition["event"]
    competition_id = open_competition["competition"].id
    response = client.post(register_url(open_competition["competition"]),
                           data=form_data(event))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/competitions/{competition_id}/register/done"
    page = client.get(response.headers["Location"]).get_data(as_text=True)

    entry = db.session.scalar(select(Entry))
    assert (entry.status, entry.source, entry.event_id) == ("pending", "self", event.id)
    person = entry.contestant
    assert (person.name, person.id_number, person.phone, person.work_unit,
            person.current_grade) == ("李明", LI_ID, "13912345678", "咸宁市社会福利院", 4)
    assert "报名已提交" in page and 'id="selfreg-received"' in page
    assert entry.token not in page and "/r/" not in page and "<img" not in page
    assert "李明" not in page and "养老护理员" not in page
    # The QR code of the private link is no longer served to the browser that registered.
    assert client.get(f"/competitions/{competition_id}/register/qr.png").status_code == 404


def test_the_confirmation_is_the_same_page_in_any_browser(app, client, open_competition):
    competition_id = open_competition["competition"].id
    client.post(register_url(open_competition["competition"]),
                data=form_data(open_competition["event"]))
    mine = client.get(f"/competitions/{competition_id}/register/done")
    other = app.test_client().get(f"/competitions/{competition_id}/register/done")
    assert mine.status_code == other.status_code == 200
    assert mine.data == other.data


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


WANG_ID = make_id_number("421221", date(1990, 3, 15), 356, "F")
CSRF = re.compile(r'(name="csrf_token"[^>]*value=")[^"]*(")')


def answer(app, competition, data) -> tuple:
    """What a new browser gets for a form: every response on the way, its status, headers
    and body (the CSRF token blanked), then the URL it lands on."""
    browser = app.test_client()
    browser.get(register_url(competition))
    response = browser.post(register_url(competition), data=data, follow_redirects=True)
    steps = [*response.history, response]
    return ([(r.status_code, sorted((k, v) for k, v in r.headers.items() if k != "Date"),
              CSRF.sub(r"\1\2", r.get_data(as_text=True))) for r in steps],
            response.request.path)


def test_a_person_on_file_gets_the_answer_of_a_new_registration(app, open_competition):
    """Whether the ID number is on file under another name or the person is already
    entered, the visitor sees exactly what a new person sees, and nothing is saved."""
    competition, event = open_competition["competition"], open_competition["event"]
    first = answer(app, competition, form_data(event))
    assert (_count(Entry), _count(Contestant)) == (1, 1)

    new = answer(app, competition, form_data(event, name="王芳", id_number=WANG_ID,
                                              phone="13800002222"))
    assert (_count(Entry), _count(Contestant)) == (2, 2)
    other_name = answer(app, competition, form_data(event, name="冒名者",
                                                    phone="13700003333", work_unit="别处"))
    same_again = answer(app, competition, form_data(event, phone="13700004444",
                                                    work_unit="别处", current_grade="2"))

    steps, landed = new
    assert [status for status, _, _ in steps] == [302, 200]
    assert landed == f"/competitions/{competition.id}/register/done"
    assert dict(steps[0][1])["Location"] == landed
    assert "报名已提交" in steps[1][2]
    assert first == new == other_name == same_again

    assert (_count(Entry), _count(Contestant)) == (2, 2)
    db.session.expire_all()
    li = db.session.scalar(select(Contestant).where(Contestant.id_number == LI_ID))
    assert (li.name, li.phone, li.work_unit, li.current_grade) == (
        "李明", "13912345678", "咸宁市社会福利院", 4)
    assert [e.contestant.name for e in db.session.scalars(select(Entry).order_by(Entry.id))] \
        == ["李明", "王芳"]


def test_a_typing_mistake_is_shown_the_same_whoever_is_on_file(app, open_competition):
    """A form with a mistake is sent back with that mistake only: the same page before and
    after the ID number is on file under another name."""
    competition, event = open_competition["competition"], open_competition["event"]
    mistaken = form_data(event, name="冒名者", phone="1234")
    before = answer(app, competition, mistaken)
    answer(app, competition, form_data(event))
    after = answer(app, competition, mistaken)
    assert before == after
    (status, _, page), = after[0]
    assert status == 200 and "field-error" in page and "报名未能提交" in page
    assert "李明" not in page and "此身份证号已以其他姓名报名" not in page
    assert _count(Entry) == 1


def test_a_refusal_looks_the_person_up_like_a_registration(app, client, open_competition):
    """Both answers run the same checks with their database lookups before answering."""
    from sqlalchemy import event as sql_event

    competition, event = open_competition["competition"], open_competition["event"]
    client.post(register_url(competition), data=form_data(event))
    statements: list[str] = []

    def remember(conn, cursor, statement, *args):
        statements.append(statement)

    sql_event.listen(db.engine, "before_cursor_execute", remember)
    try:
        client.post(register_url(competition), data=form_data(event, name="冒名者"))
        refused = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
        statements.clear()
        client.post(register_url(competition),
                    data=form_data(event, name="王芳", id_number=WANG_ID))
        saved = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    finally:
        sql_event.remove(db.engine, "before_cursor_execute", remember)
    assert any("FROM contestants" in s for s in refused)
    assert any("FROM contestants" in s for s in saved)
    assert _count(Entry) == 2


def test_a_registration_racing_the_same_person_ends_as_if_it_came_second(
        app, open_competition, monkeypatch):
    """Another request commits the same person between this one's checks and its save: the
    unique keys refuse the save, the form is checked again and answers "received"."""
    competition, event = open_competition["competition"], open_competition["event"]
    expected = answer(app, competition, form_data(event, name="王芳", id_number=WANG_ID))
    answer(app, competition, form_data(event))
    real = registrations.registration_problems
    calls = []

    def first_blind(*args, **kwargs):
        calls.append(1)
        return [] if len(calls) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(registrations, "registration_problems", first_blind)
    assert answer(app, competition, form_data(event)) == expected
    assert len(calls) == 2
    assert (_count(Entry), _count(Contestant)) == (2, 2)


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


def test_an_approved_self_registration_gets_its_private_link_on_the_ticket(
        app, client, auth, open_competition):
    entry = self_registered(client, open_competition["event"], open_competition["competition"])
    auth.login(open_competition["organizer"].username)
    client.post(f"/entries/{entry.id}/review", data={"approve": "approve", "note": ""})
    pdf = read_pdf(client.get(f"/entries/{entry.id}/ticket.pdf?size=A5"))
    assert qr_codes(pdf.pages[0]) == [private_url(app, entry)]
    assert "已报名" in client.get(f"/r/{entry.token}").get_data(as_text=True)
