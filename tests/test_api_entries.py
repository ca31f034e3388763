"""The registration API: register, review a self-registration, check in."""

from datetime import date

import pytest
from sqlalchemy import func, select

from competition.entries import registrations
from competition.entries.idcard import make_id_number
from competition.entries.models import Entry
from competition.entries.validation import PersonData
from competition.extensions import db
from tests import builders

WOMAN = make_id_number("421202", date(1985, 6, 1), 222, "F")


def _event(login_as):
    organizer = login_as("organizer")
    competition = builders.competition(organizers=(organizer,))
    event = builders.event(competition, divisions=("职工组",))
    db.session.commit()
    return event


def test_register_review_and_check_in_through_the_api(app, client, login_as):
    event = _event(login_as)
    division_id = event.divisions[0].id
    response = client.post(f"/api/v1/events/{event.id}/entries", json={
        "name": "刘芳", "id_number": WOMAN, "phone": "13912345678",
        "division_id": division_id})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["contestant"]["id_number"] == WOMAN and body["status"] == "approved"

    response = client.post(f"/api/v1/events/{event.id}/entries", json={
        "name": "刘芳", "id_number": WOMAN, "division_id": division_id})
    assert response.status_code == 422
    assert "已报名" in response.get_json()["problems"][0]["message"]

    response = client.post(f"/api/v1/entries/{body['id']}/attendance",
                           json={"attendance": "present"})
    assert response.status_code == 200 and response.get_json()["checked_in_at"]

    pending = registrations.register(
        db.session, event, event.divisions[0],
        PersonData(name="周杰", id_number=make_id_number("421202", date(1990, 1, 1), 131, "M")),
        today=date(2026, 11, 26), source="self", status="pending")
    db.session.commit()
    response = client.post(f"/api/v1/entries/{pending.id}/review", json={"approve": False})
    assert response.status_code == 422
    response = client.post(f"/api/v1/entries/{pending.id}/review",
                           json={"approve": False, "note": "工作单位证明缺失"})
    assert response.status_code == 200
    assert response.get_json()["status"] == "rejected"
    listed = client.get(f"/api/v1/events/{event.id}/entries").get_json()
    assert [e["status"] for e in listed] == ["approved", "rejected"]


@pytest.mark.parametrize("role", ["organizer", "judge"])
def test_others_cannot_see_or_change_entries(app, client, auth, role):
    owner = builders.user("organizer", username="owner")
    competition = builders.competition(organizers=(owner,))
    event = builders.event(competition)
    entry = registrations.register(db.session, event, event.divisions[0],
                             PersonData(name="刘芳", id_number=WOMAN), today=date(2026, 11, 26))
    builders.user(role, username="other")
    db.session.commit()
    auth.login("other")
    response = client.get(f"/api/v1/events/{event.id}/entries")
    assert response.status_code == 403 and WOMAN not in response.get_data(as_text=True)
    assert client.post(f"/api/v1/entries/{entry.id}/attendance",
                       json={"attendance": "present"}).status_code == 403
    assert db.session.scalar(select(Entry.attendance)) == "expected"
    assert db.session.scalar(select(func.count(Entry.id))) == 1


def _csv(rows):
    header = "姓名,身份证号,性别,手机号,工作单位,赛项,组别\n"
    return (header + "".join(",".join(r) + "\n" for r in rows)).encode("gbk")


def test_contestants_import_through_the_api_all_or_nothing(app, client, login_as):
    import io

    event = _event(login_as)
    good = ["陈敏", make_id_number("421202", date(1988, 2, 3), 224, "F"), "女", "13712345678",
            "咸宁市社会福利院", event.name, "职工组"]
    bad = ["李雷", "421202198802031234", "男", "137", "某厂", event.name, "职工组"]
    url = f"/api/v1/competitions/{event.competition_id}/contestants/import"

    response = client.post(url, data={"file": (io.BytesIO(_csv([good, bad])), "名单.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    body = response.get_json()
    assert body["imported"] == 0 and body["rows"] == 2
    assert {(p["row"], p["column"]) for p in body["problems"]} >= {(3, "身份证号"),
                                                                  (3, "手机号")}
    assert db.session.scalar(select(func.count(Entry.id))) == 0

    response = client.post(url + "?dry_run=true",
                           data={"file": (io.BytesIO(_csv([good])), "名单.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 200 and response.get_json()["imported"] == 0
    assert db.session.scalar(select(func.count(Entry.id))) == 0

    response = client.post(url, data={"file": (io.BytesIO(_csv([good])), "名单.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["imported"] == 1
    assert db.session.scalar(select(Entry.source)) == "import"
