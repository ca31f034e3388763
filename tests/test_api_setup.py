"""The set-up API: generated OpenAPI document, token sign-in, competitions, events, schemes."""

import pytest
from sqlalchemy import func, select

from competition.events.models import Competition, Criterion, Event, Module
from competition.extensions import db
from tests import builders

SCHEME = {"modules": [
    {"code": "T", "name": "理论知识", "kind": "theory", "weight": "20", "criteria": []},
    {"code": "A", "name": "生活照护", "kind": "practical", "weight": "80", "criteria": [
        {"code": "A1", "description": "环境与用物准备", "max_points": "40",
         "kind": "measurement"},
        {"code": "A2", "description": "沟通与人文关怀", "max_points": "60",
         "kind": "judgement", "entry_mode": "points"},
    ]},
]}


@pytest.fixture
def token(app, runner):
    builders.user("organizer", username="api-organizer")
    db.session.commit()
    result = runner.invoke(args=["users", "token", "api-organizer", "--label", "省平台"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def _headers(token):
    return {"Authorization": f"Bearer {token}"}


def test_openapi_document_is_generated_from_the_routes(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    for path in ("/api/v1/competitions", "/api/v1/events/{event_id}/scheme",
                 "/api/v1/competitions/{competition_id}/status"):
        assert path in document["paths"]
    scheme_put = document["paths"]["/api/v1/events/{event_id}/scheme"]["put"]
    assert "requestBody" in scheme_put


def test_anonymous_callers_get_401_and_bad_tokens_too(client):
    assert client.get("/api/v1/competitions").status_code == 401
    response = client.get("/api/v1/competitions", headers=_headers("not-a-token"))
    assert response.status_code == 401


def test_organizer_sets_up_a_competition_through_the_api(app, client, token):
    occupation = builders.occupation()
    db.session.commit()
    response = client.post("/api/v1/competitions", headers=_headers(token), json={
        "name": "咸宁市养老护理员技能竞赛", "level": "city", "level_class": 2,
        "starts_on": "2027-04-01", "ends_on": "2027-04-02"})
    assert response.status_code == 201, response.get_json()
    competition_id = response.get_json()["id"]
    response = client.patch(f"/api/v1/competitions/{competition_id}", headers=_headers(token),
                            json={"venue": "咸宁职业技术学院"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["venue"] == "咸宁职业技术学院"
    assert response.get_json()["level_class"] == 2

    response = client.post(f"/api/v1/competitions/{competition_id}/events",
                           headers=_headers(token), json={
                               "occupation_id": occupation.id, "aggregation": "trimmed_mean",
                               "divisions": [{"name": "职工组", "kind": "worker"}]})
    assert response.status_code == 201, response.get_json()
    event = response.get_json()
    assert event["name"] == "养老护理员" and event["divisions"][0]["name"] == "职工组"

    response = client.put(f"/api/v1/events/{event['id']}/scheme", headers=_headers(token),
                          json=SCHEME)
    assert response.status_code == 200, response.get_json()
    assert [m["code"] for m in response.get_json()["modules"]] == ["T", "A"]
    assert db.session.scalar(select(func.count(Criterion.id))) == 2

    response = client.post(f"/api/v1/competitions/{competition_id}/status",
                           headers=_headers(token), json={"status": "registration"})
    assert response.status_code == 200
    assert response.get_json()["status"] == "registration"


def test_a_bad_scheme_is_refused_whole_with_every_problem(app, client, token):
    owner = db.session.scalar(select(builders.User).where(
        builders.User.username == "api-organizer"))
    competition = builders.competition(organizers=(owner,))
    event = builders.event(competition)
    db.session.commit()
    bad = {"modules": [
        {"code": "A", "name": "实操", "kind": "practical", "weight": "70", "criteria": [
            {"code": "A1", "description": "x", "max_points": "60", "kind": "measurement"},
            {"code": "A1", "description": "y", "max_points": "-1", "kind": "judgement"},
        ]},
    ]}
    response = client.put(f"/api/v1/events/{event.id}/scheme", headers=_headers(token),
                          json=bad)
    assert response.status_code == 422
    body = response.get_json()
    messages = [p["message"] for p in body["problems"]]
    assert "各模块权重合计为 70，不是 100。" in messages
    assert "评分项代码 A1 在模块 A 中重复。" in messages
    assert "评分项 A1 的配分必须是正数。" in messages
    assert db.session.scalar(select(func.count(Module.id))) == 0


def test_a_wrong_status_change_says_why(app, client, token):
    owner = db.session.scalar(select(builders.User).where(
        builders.User.username == "api-organizer"))
    competition = builders.competition(organizers=(owner,))
    db.session.commit()
    response = client.post(f"/api/v1/competitions/{competition.id}/status",
                           headers=_headers(token), json={"status": "final"})
    assert response.status_code == 422
    assert "逐步推进" in response.get_json()["message"]
    db.session.refresh(competition)
    assert competition.status == "draft"


@pytest.mark.parametrize("role", ["organizer", "judge"])
def test_others_cannot_read_or_change_a_competition(app, client, auth, role):
    owner = builders.user("organizer", username="owner")
    competition = builders.competition("别人的大赛", organizers=(owner,))
    event = builders.event(competition)
    other = builders.user(role, username="other")
    db.session.commit()
    auth.login(other.username)
    assert client.get(f"/api/v1/competitions/{competition.id}").status_code == 403
    assert client.patch(f"/api/v1/competitions/{competition.id}",
                        json={"name": "改名"}).status_code == 403
    assert client.put(f"/api/v1/events/{event.id}/scheme", json=SCHEME).status_code == 403
    listed = client.get("/api/v1/competitions")
    if role == "organizer":
        assert listed.get_json() == []
    else:
        assert listed.status_code == 403
    assert db.session.scalar(select(Competition.name)) == "别人的大赛"
    assert db.session.scalar(select(func.count(Event.id))) == 1


def test_definition_exports_and_imports_through_the_api(seeded_demo, client, token):
    organizer = db.session.scalar(select(builders.User).where(
        builders.User.username == "organizer"))
    demo = db.session.scalar(select(Competition))
    db.session.commit()
    from tests.conftest import AuthActions

    AuthActions(client).login("organizer", "demo-organizer-2026")
    document = client.get(f"/api/v1/competitions/{demo.id}/definition").get_json()
    assert document["format"] and len(document["events"]) == 3

    response = client.post("/api/v1/competitions/import",
                           json={"document": document, "name": "咸宁市第八届职业技能大赛"})
    assert response.status_code == 201, response.get_json()
    copy_id = response.get_json()["competition"]["id"]
    copy = client.get(f"/api/v1/competitions/{copy_id}/definition").get_json()
    assert copy["events"] == document["events"]
    assert organizer is not None

    broken = dict(document, events=[dict(document["events"][0], aggregation="vote")])
    response = client.post("/api/v1/competitions/import", json={"document": broken})
    assert response.status_code == 422
    assert any("events[0]" in (p["column"] or "") for p in response.get_json()["problems"])
    assert db.session.scalar(select(func.count(Competition.id))) == 2
