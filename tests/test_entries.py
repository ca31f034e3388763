"""Registration one contestant at a time, its rules, and the contestant's private page."""

from datetime import date

import pytest
from sqlalchemy import func, select

from competition.entries import registrations
from competition.entries.idcard import make_id_number
from competition.entries.models import Contestant, Entry
from competition.entries.validation import (
    Eligibility,
    PersonData,
    age_on,
    check_eligibility,
    check_person,
)
from competition.extensions import db
from tests import builders

TODAY = date(2026, 11, 26)
WOMAN = make_id_number("421202", date(1980, 3, 15), 122, "F")
MAN = make_id_number("421281", date(1990, 7, 1), 131, "M")


def messages(problems):
    return [p.message % p.params if p.params else p.message for p in problems]


def test_a_valid_person_gets_sex_and_birth_date_from_the_id_number():
    person = PersonData(name=" 张丽 ", id_number=WOMAN.lower(), phone="138 0000 1234")
    assert check_person(person, today=TODAY) == []
    assert person.name == "张丽" and person.sex == "F"
    assert person.birth_date == date(1980, 3, 15) and person.phone == "13800001234"


@pytest.mark.parametrize("field, value, expected", [
    ("id_number", WOMAN[:-1] + ("0" if WOMAN[-1] != "0" else "1"),
     "The last character of the ID number is wrong: check for a typo."),
    ("id_number", "4.21202198003151E+17", "The ID number may hold only digits"),
    ("id_number", "42120219800315", "The ID number must have 18 characters."),
    ("phone", "1234", "The phone number is not a valid mobile or landline number."),
    ("sex", "M", "The sex given does not agree with the ID number (its 17th digit)."),
    ("name", "", "The name is missing."),
])
def test_bad_person_data_is_reported(field, value, expected):
    person = PersonData(name="张丽", id_number=WOMAN)
    setattr(person, field, value)
    found = messages(check_person(person, today=TODAY))
    assert any(m.startswith(expected) for m in found), found


def test_landline_numbers_are_accepted():
    person = PersonData(name="张丽", id_number=WOMAN, phone="0715-8123456")
    assert check_person(person, today=TODAY) == []


@pytest.mark.parametrize("birth, day, age", [
    (date(1980, 3, 15), date(2026, 3, 14), 45), (date(1980, 3, 15), date(2026, 3, 15), 46),
    (date(2000, 2, 29), date(2026, 2, 28), 25),
])
def test_age_on(birth, day, age):
    assert age_on(birth, day) == age


def test_eligibility_limits_age_by_sex_and_students_to_their_division():
    rules = Eligibility(on=date(2026, 11, 20), max_age_male=60, max_age_female=55)
    old_woman = PersonData(name="李", id_number="", sex="F", birth_date=date(1970, 1, 1))
    assert messages(check_eligibility(old_woman, rules, "worker")) == [
        "Aged 56 on the first day, above the limit of 55 for this event."]
    old_man = PersonData(name="王", id_number="", sex="M", birth_date=date(1970, 1, 1))
    assert check_eligibility(old_man, rules, "worker") == []
    student = PersonData(name="赵", id_number="", sex="M", birth_date=date(2005, 1, 1))
    assert messages(check_eligibility(student, rules, "worker", is_student=True)) == [
        "Students compete in the students' division."]
    assert messages(check_eligibility(old_man, rules, "student", is_student=False)) == [
        "Only students may enter the students' division."]


def _event():
    organizer = builders.user("organizer", username="saiwu")
    competition = builders.competition(organizers=(organizer,))
    event = builders.event(competition, "养老护理员", divisions=("职工组", "学生组"),
                           max_age_female=55)
    db.session.commit()
    return event


def test_register_creates_the_person_once_and_numbers_tickets(app):
    event = _event()
    other = builders.event(event.competition, "茶艺师",
                           occupation=builders.occupation("茶艺师", None))
    first = registrations.register(db.session, event, event.divisions[0],
                             PersonData(name="张丽", id_number=WOMAN), today=TODAY)
    second = registrations.register(db.session, other, other.divisions[0],
                              PersonData(name="张丽", id_number=WOMAN, phone="13900001111"),
                              today=TODAY)
    db.session.commit()
    assert first.contestant_id == second.contestant_id
    assert db.session.scalar(select(func.count(Contestant.id))) == 1
    assert db.session.get(Contestant, first.contestant_id).phone == "13900001111"
    assert first.ticket_number.endswith("00001") and second.ticket_number.endswith("00002")
    assert len(first.token) >= 43 and first.token != second.token


def test_the_same_person_twice_in_one_event_is_refused(app):
    event = _event()
    registrations.register(db.session, event, event.divisions[0],
                     PersonData(name="张丽", id_number=WOMAN), today=TODAY)
    db.session.commit()
    with pytest.raises(registrations.RegistrationError) as refused:
        registrations.register(db.session, event, event.divisions[0],
                         PersonData(name="张丽", id_number=WOMAN), today=TODAY)
    assert "张丽 is already entered in 养老护理员." in messages(refused.value.problems)


def test_a_known_id_number_under_another_name_is_refused(app):
    event = _event()
    registrations.register(db.session, event, event.divisions[0],
                     PersonData(name="张丽", id_number=WOMAN), today=TODAY)
    other = builders.event(event.competition, "茶艺师",
                           occupation=builders.occupation("茶艺师", None))
    with pytest.raises(registrations.RegistrationError) as refused:
        registrations.register(db.session, other, other.divisions[0],
                         PersonData(name="张莉", id_number=WOMAN), today=TODAY)
    assert messages(refused.value.problems) == [
        "This ID number is already registered for 张丽, not 张莉."]


def test_organizer_registers_a_contestant_through_the_form(app, client, auth):
    event = _event()
    auth.login("saiwu")
    page = client.post(f"/events/{event.id}/entries/new", data={
        "name": "王强", "id_number": MAN, "phone": "13812345678", "work_unit": "咸宁市社会福利院",
        "division_id": event.divisions[0].id, "current_grade": "4"},
        follow_redirects=True).get_data(as_text=True)
    assert "王强 报名成功" in page
    entry = db.session.scalar(select(Entry))
    assert entry.contestant.current_grade == 4 and entry.source == "manual"
    listing = client.get(f"/events/{event.id}/entries").get_data(as_text=True)
    assert MAN in listing and "13812345678" in listing


def test_a_bad_form_shows_every_problem_in_chinese_and_saves_nothing(app, client, auth):
    event = _event()
    auth.login("saiwu")
    page = client.post(f"/events/{event.id}/entries/new", data={
        "name": "王强", "id_number": MAN[:-1] + "0" if MAN[-1] != "0" else MAN[:-1] + "1",
        "phone": "12", "division_id": event.divisions[0].id},
        follow_redirects=True).get_data(as_text=True)
    assert "身份证号校验位不正确" in page and "手机号格式不正确" in page
    assert db.session.scalar(select(func.count(Entry.id))) == 0


@pytest.mark.parametrize("visitor", ["other", "judge", "anonymous"])
def test_only_organizers_see_entries_with_full_id_numbers(app, client, auth, visitor):
    event = _event()
    entry = registrations.register(db.session, event, event.divisions[0],
                             PersonData(name="张丽", id_number=WOMAN), today=TODAY)
    if visitor != "anonymous":
        builders.user("organizer" if visitor == "other" else "judge", username=visitor)
    db.session.commit()
    if visitor != "anonymous":
        auth.login(visitor)
    for url in (f"/events/{event.id}/entries", f"/entries/{entry.id}",
                f"/events/{event.id}/entries/new"):
        response = client.get(url)
        assert response.status_code in (302, 403)
        assert WOMAN not in response.get_data(as_text=True)


def test_private_page_shows_status_and_ticket_with_masked_data(app, client):
    event = _event()
    entry = registrations.register(db.session, event, event.divisions[0],
                             PersonData(name="张丽", id_number=WOMAN, phone="13800001234"),
                             today=TODAY)
    db.session.commit()
    page = client.get(f"/r/{entry.token}").get_data(as_text=True)
    assert "张丽" in page and "已报名" in page and entry.ticket_number in page
    assert WOMAN not in page and "13800001234" not in page
    assert WOMAN[:4] in page and "138****1234" in page
    assert "成绩尚未公布" in page


def test_private_page_needs_the_exact_token(app, client):
    event = _event()
    entry = registrations.register(db.session, event, event.divisions[0],
                             PersonData(name="张丽", id_number=WOMAN), today=TODAY)
    db.session.commit()
    assert client.get(f"/r/{entry.token[:-1]}x").status_code == 404
    assert client.get(f"/r/{entry.id}").status_code == 404


def test_a_self_registration_never_changes_a_known_persons_details(app):
    event = _event()
    first = registrations.register(db.session, event, event.divisions[0],
                             PersonData(name="张丽", id_number=WOMAN, phone="13800001234",
                                        work_unit="咸宁市社会福利院"), today=TODAY)
    other = builders.event(event.competition, "茶艺师",
                           occupation=builders.occupation("茶艺师", None))
    second = registrations.register(db.session, other, other.divisions[0],
                              PersonData(name="张丽", id_number=WOMAN, phone="13999999999",
                                         work_unit="别处"),
                              today=TODAY, source="self", status="pending", is_student=False)
    db.session.commit()
    person = db.session.get(Contestant, first.contestant_id)
    assert person.phone == "13800001234" and person.work_unit == "咸宁市社会福利院"
    assert second.status == "pending" and second.is_student is False
