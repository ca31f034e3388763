"""Check-in (检录) on the day: by the ticket's QR token, by search; present / absent / withdrawn."""

import re
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
from tests.conftest import make_app

TODAY = date(2026, 11, 1)
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def register(event, name, sequence, *, division=None, status="approved", **person):
    """An entry made the way the pages make it, with a valid ID number."""
    division = division or db.session.scalar(
        select(Division).where(Division.event_id == event.id).order_by(Division.position))
    sex = "M" if sequence % 2 else "F"
    id_number = make_id_number("421202", date(1985, 3, 14), sequence, sex)
    return registrations.register(db.session, event, division,
                            PersonData(name=name, id_number=id_number, **person),
                            today=TODAY, status=status)


@pytest.fixture
def desk(app, login_as):
    """An organizer signed in, their competition with two events and a few entries."""
    organizer = login_as("organizer")
    competition = builders.competition("咸宁市技能大赛", organizers=(organizer,))
    event = builders.event(competition, "养老护理员")
    other_event = builders.event(competition, "电工", occupation=builders.occupation(
        "电工", "6-31-01-03"))
    entries = {
        "zhang": register(event, "张三丰", 11, phone="13800001111"),
        "li": register(event, "李四", 22),
        "wang": register(event, "王五", 33),
        "pending": register(event, "赵六", 44, status="pending"),
        "other": register(other_event, "钱七", 55),
    }
    db.session.commit()
    return {"organizer": organizer, "competition": competition, "event": event,
            "other_event": other_event, **entries}


def lookup(client, event, **params):
    return client.get(f"/events/{event.id}/checkin/lookup", query_string=params,
                      headers={"Accept": "application/json"})


def mark(client, entry, attendance, **kwargs):
    return client.post(f"/entries/{entry.id}/attendance", data={"attendance": attendance},
                       headers={"Accept": "application/json"}, **kwargs)


def test_the_check_in_page_shows_counts_scanner_and_search(client, desk):
    page = client.get(f"/events/{desk['event'].id}/checkin").get_data(as_text=True)
    assert "检录 · 养老护理员" in page
    assert "扫描准考证二维码" in page and "姓名、准考证号或身份证号后 4 位" in page
    # Three approved entries are expected; the pending one is not counted.
    assert '<span data-count="present">0</span> / <span data-count="total">3</span>' in page
    assert "vendor/jsqr/jsQR.js" in page and "js/checkin.js" in page
    assert "<script>" not in page  # no inline script: a CSP will forbid them


def test_scanning_a_ticket_finds_the_entry_of_this_event(client, desk):
    zhang = desk["zhang"]
    url = f"http://localhost/r/{zhang.token}"
    response = lookup(client, desk["event"], token=url)
    assert response.status_code == 200
    [found] = response.get_json()["entries"]
    assert found["name"] == "张三丰" and found["ticket_number"] == zhang.ticket_number
    assert found["division"] == "职工组" and found["can_check_in"] is True
    # The queue can see the screen: only the last 4 digits of the ID number.
    assert found["id_number"] == "*" * 14 + zhang.contestant.id_number[-4:]
    assert zhang.contestant.id_number not in response.get_data(as_text=True)
    assert "13800001111" not in response.get_data(as_text=True)
    # The bare token works too (a scanner app that strips the URL).
    assert lookup(client, desk["event"], token=zhang.token).get_json()["entries"][0]["id"] == \
        zhang.id


def test_a_ticket_of_another_event_says_so(client, desk):
    response = lookup(client, desk["event"], token=f"/r/{desk['other'].token}")
    assert response.status_code == 409
    assert "另一个赛项的准考证：电工" in response.get_json()["error"]
    assert response.get_json()["entries"] == []


def test_a_ticket_of_another_competition_names_nothing(client, desk):
    stranger = builders.competition("别的大赛")
    far_event = builders.event(stranger, "车工", occupation=builders.occupation(
        "车工", "6-18-01-01"))
    far = register(far_event, "孙八", 67)
    db.session.commit()
    response = lookup(client, desk["event"], token=f"/r/{far.token}")
    assert response.status_code == 409
    assert response.get_json()["error"] == "这是其他大赛的准考证。"


def test_an_unknown_ticket_is_404_json(client, desk):
    response = lookup(client, desk["event"], token="/r/" + "A" * 43)
    assert response.status_code == 404
    assert "找不到这张准考证" in response.get_json()["error"]
    response = lookup(client, desk["event"], token="https://example.com/some/page")
    assert response.status_code == 404
    assert "不是本大赛的准考证" in response.get_json()["error"]


@pytest.mark.parametrize("query, expected", [
    ("张三", ["张三丰"]),
    ("四", ["李四"]),
    ("ticket", ["王五"]),
    ("ticket-tail", ["王五"]),
    ("id-tail", ["李四"]),
])
def test_search_by_name_ticket_or_last_digits_of_the_id(client, desk, query, expected):
    if query == "ticket":
        query = desk["wang"].ticket_number
    elif query == "ticket-tail":
        query = desk["wang"].ticket_number[-3:]
    elif query == "id-tail":
        query = desk["li"].contestant.id_number[-4:]
    response = lookup(client, desk["event"], q=query)
    assert response.status_code == 200
    assert [e["name"] for e in response.get_json()["entries"]] == expected


def test_search_stays_within_the_event_and_says_when_nothing_matches(client, desk):
    response = lookup(client, desk["event"], q="钱七")
    assert response.get_json()["entries"] == []
    assert "本赛项中没有与“钱七”相符的选手" in response.get_json()["message"]
    assert lookup(client, desk["event"], q="%").get_json()["entries"] == []


def test_search_without_javascript_renders_cards_with_mark_buttons(client, desk):
    page = client.get(f"/events/{desk['event'].id}/checkin",
                      query_string={"q": "李四"}).get_data(as_text=True)
    assert "李四" in page and "张三丰" not in page.split("data-results")[1].split("<template")[0]
    assert f'action="/entries/{desk["li"].id}/attendance"' in page
    assert desk["li"].contestant.id_number not in page


def test_marking_changes_the_entry_and_the_counts(client, desk):
    li = desk["li"]
    response = mark(client, li, "present")
    assert response.status_code == 200
    body = response.get_json()
    assert body["message"] == "李四 已检录到场。"
    assert body["counts"]["present"] == 1 and body["counts"]["total"] == 3
    db.session.expire_all()
    assert li.attendance == "present" and li.checked_in_at is not None

    assert mark(client, desk["wang"], "absent").get_json()["counts"]["absent"] == 1
    body = mark(client, desk["zhang"], "withdrawn").get_json()
    assert body["counts"] == {"expected": 0, "present": 1, "absent": 1, "withdrawn": 1,
                              "total": 3}
    db.session.expire_all()
    assert (desk["wang"].attendance, desk["zhang"].attendance) == ("absent", "withdrawn")
    counts = client.get(f"/events/{desk['event'].id}/checkin/counts").get_json()["counts"]
    assert counts["present"] == 1


def test_a_second_scan_says_already_checked_in_with_the_time(client, desk):
    li = desk["li"]
    mark(client, li, "present")
    db.session.expire_all()
    first_time = li.checked_in_at
    [found] = lookup(client, desk["event"], token=f"/r/{li.token}").get_json()["entries"]
    assert found["attendance"] == "present"
    assert found["notice"].startswith("已检录（") and found["checked_in_at"] in found["notice"]
    body = mark(client, li, "present").get_json()
    assert body["already"] is True and "已检录" in body["message"]
    db.session.expire_all()
    assert li.checked_in_at == first_time


def test_only_approved_entries_can_be_checked_in(client, desk):
    pending = desk["pending"]
    [found] = lookup(client, desk["event"], q="赵六").get_json()["entries"]
    assert found["can_check_in"] is False and found["notice"] == "只有审核通过的报名才能检录。"
    response = mark(client, pending, "present")
    assert response.status_code == 409
    assert response.get_json()["error"] == "只有审核通过的报名才能检录。"
    db.session.expire_all()
    assert pending.attendance == "expected" and pending.checked_in_at is None


def test_an_unknown_attendance_is_refused(client, desk):
    response = mark(client, desk["li"], "asleep")
    assert response.status_code == 400
    db.session.expire_all()
    assert desk["li"].attendance == "expected"


def test_marking_without_javascript_redirects_back_to_the_search(client, desk):
    response = client.post(f"/entries/{desk['li'].id}/attendance",
                           data={"attendance": "present", "q": "李四"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/events/{desk['event'].id}/checkin?q=%E6%9D%8E%E5%9B%9B")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "李四 已检录到场。" in page
    db.session.expire_all()
    assert desk["li"].attendance == "present"


def test_a_post_without_the_csrf_token_is_refused(database_url, desk):
    csrf_app = make_app(database_url, WTF_CSRF_ENABLED=True)
    client = csrf_app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"username": desk["organizer"].username,
                                "password": builders.PASSWORD,
                                "csrf_token": CSRF_FIELD.search(login_page).group(1)})
    checkin_page = client.get(f"/events/{desk['event'].id}/checkin").get_data(as_text=True)
    page_token = re.search(r'data-csrf-token="([^"]+)"', checkin_page).group(1)

    refused = client.post(f"/entries/{desk['li'].id}/attendance",
                          data={"attendance": "present"}, headers={"Accept": "application/json"})
    assert refused.status_code == 400
    db.session.expire_all()
    assert db.session.get(Entry, desk["li"].id).attendance == "expected"

    accepted = client.post(f"/entries/{desk['li'].id}/attendance",
                           data={"attendance": "present"},
                           headers={"Accept": "application/json", "X-CSRFToken": page_token})
    assert accepted.status_code == 200
    db.session.expire_all()
    assert db.session.get(Entry, desk["li"].id).attendance == "present"


@pytest.mark.parametrize("role", ["organizer", "judge"])
def test_others_may_not_check_in(app, client, auth, role):
    owner = builders.user("organizer")
    competition = builders.competition(organizers=(owner,))
    event = builders.event(competition)
    entry = register(event, "李四", 22)
    db.session.commit()
    outsider = builders.user(role)
    db.session.commit()
    auth.login(outsider.username)
    assert client.get(f"/events/{event.id}/checkin").status_code == 403
    assert lookup(client, event, q="李四").status_code == 403
    assert client.get(f"/events/{event.id}/checkin/counts").status_code == 403
    assert mark(client, entry, "present").status_code == 403
    db.session.expire_all()
    assert entry.attendance == "expected"


def test_anonymous_visitors_are_sent_to_sign_in(app, client):
    competition = builders.competition()
    event = builders.event(competition)
    entry = register(event, "李四", 22)
    db.session.commit()
    for response in (client.get(f"/events/{event.id}/checkin"),
                     client.get(f"/events/{event.id}/checkin/lookup?q=x"),
                     client.post(f"/entries/{entry.id}/attendance",
                                 data={"attendance": "present"})):
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    db.session.expire_all()
    assert entry.attendance == "expected"
