"""The API of the expert pool, panels and promotion rules."""

from datetime import date

from sqlalchemy import func, select

from competition.events.models import PanelDraw, PanelMember, PromotionRule
from competition.extensions import db
from tests import builders


def _setup(login_as):
    organizer = login_as("organizer")
    competition = builders.competition(organizers=(organizer,), starts_on=date(2030, 5, 1),
                                       ends_on=date(2030, 5, 2))
    event = builders.event(competition, "养老护理员", divisions=("职工组", "学生组"))
    db.session.commit()
    return competition, event


def test_organizer_builds_a_panel_through_the_api(app, client, login_as):
    _, event = _setup(login_as)
    occupation_id = event.occupation_id
    made = []
    for i, expires in enumerate(["2033-01-31", "2033-06-30", "2033-03-01", "2030-04-30"]):
        response = client.post("/api/v1/experts", json={
            "name": f"专家{i}", "work_unit": f"单位{i}", "phone": "13800000000",
            "certificate_number": f"KP42{i:08d}", "certificate_expires_on": expires,
            "occupation_ids": [occupation_id]})
        assert response.status_code == 201, response.get_json()
        assert "phone" not in response.get_json()
        made.append(response.get_json()["id"])

    response = client.post(f"/api/v1/events/{event.id}/panel",
                           json={"expert_id": made[0], "role": "chief"})
    assert response.status_code == 201
    assert response.get_json()["role"] == "chief"

    response = client.post(f"/api/v1/events/{event.id}/panel", json={"expert_id": made[3]})
    assert response.status_code == 422
    assert "不能担任裁判" in response.get_json()["message"]

    response = client.post(f"/api/v1/events/{event.id}/panel/draw", json={"count": 2})
    assert response.status_code == 201, response.get_json()
    draw = response.get_json()
    assert sorted(draw["chosen_ids"]) == sorted(made[1:3])
    assert made[3] not in draw["candidate_ids"]
    assert db.session.scalar(select(func.count(PanelDraw.id))) == 1

    panel = client.get(f"/api/v1/events/{event.id}/panel").get_json()
    assert [m["role"] for m in panel] == ["chief", "judge", "judge"]

    member_id = panel[1]["id"]
    assert client.delete(f"/api/v1/panel-members/{member_id}").status_code == 204
    assert db.session.scalar(select(func.count(PanelMember.id))) == 2


def test_organizer_applies_a_preset_and_adds_a_rule(app, client, login_as):
    _, event = _setup(login_as)
    response = client.post(f"/api/v1/events/{event.id}/promotion-rules/preset",
                           json={"preset": "city_class1"})
    assert response.status_code == 200, response.get_json()
    rules = response.get_json()
    assert {(r["division_id"] is not None, r["grant_grade"]) for r in rules} == {
        (True, 2), (True, 3)}

    response = client.post(f"/api/v1/events/{event.id}/promotion-rules", json={
        "rank_from": 5, "rank_to": 2, "effect": "grant", "grant_grade": 3})
    assert response.status_code == 422
    count = db.session.scalar(select(func.count(PromotionRule.id)))
    assert count == len(rules)

    response = client.post(f"/api/v1/events/{event.id}/promotion-rules", json={
        "rank_from": 11, "rank_to": 15, "effect": "grant", "grant_grade": 4})
    assert response.status_code == 201
    listed = client.get(f"/api/v1/events/{event.id}/promotion-rules").get_json()
    assert listed[-1]["rank_from"] == 11


def test_another_organizer_cannot_touch_the_panel_or_rules(app, client, auth):
    owner = builders.user("organizer", username="owner")
    competition = builders.competition(organizers=(owner,))
    event = builders.event(competition)
    builders.user("organizer", username="intruder")
    db.session.commit()
    auth.login("intruder")
    assert client.get(f"/api/v1/events/{event.id}/panel").status_code == 403
    assert client.post(f"/api/v1/events/{event.id}/panel/draw",
                       json={"count": 1}).status_code == 403
    assert client.post(f"/api/v1/events/{event.id}/promotion-rules/preset",
                       json={"preset": "city_class1"}).status_code == 403
    assert db.session.scalar(select(func.count(PromotionRule.id))) == 0


def test_judges_cannot_read_the_expert_pool(app, client, login_as):
    login_as("judge")
    assert client.get("/api/v1/experts").status_code == 403
