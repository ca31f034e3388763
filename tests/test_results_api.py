"""The results API: live results, published results, publication, appeals, a contestant's own."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select

from competition.audit.models import AuditEvent
from competition.auth.credentials import issue_api_token
from competition.auth.models import User
from competition.entries.idcard import mask_name
from competition.entries.models import Entry
from competition.events.models import Event
from competition.extensions import db
from competition.results import publishing
from competition.results.models import Appeal, Publication, Result
from competition.results.standings import event_results
from tests import builders

PATHS = {
    "/api/v1/events/{event_id}/results": "get",
    "/api/v1/divisions/{division_id}/results": "get",
    "/api/v1/divisions/{division_id}/publish": "post",
    "/api/v1/divisions/{division_id}/finalize": "post",
    "/api/v1/events/{event_id}/appeals": "get",
    "/api/v1/appeals/{appeal_id}/decision": "post",
    "/api/v1/contestant/{token}/result": "get",
}


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def _tokens(*usernames: str) -> dict[str, str | None]:
    """A bearer token for each user named (``builders.tea_competition``'s), one for an
    organizer of another competition ("stranger"), and none for "anonymous"."""
    tokens: dict[str, str | None] = {"anonymous": None}
    for name in usernames:
        tokens[name] = issue_api_token(db.session, _user(name), "test")
    tokens["stranger"] = issue_api_token(db.session, builders.user("organizer"), "test")
    db.session.commit()
    return tokens


def _call(app, method: str, url: str, token: str | None = None, **kwargs):
    """One request in its own app context, so the signed-in user is not kept on ``g``
    from one caller to the next."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with app.app_context():
        return getattr(app.test_client(), method)(url, headers=headers, **kwargs)


def _two_places(value) -> str:
    return str(Decimal(value).quantize(Decimal("0.01"), ROUND_HALF_UP))


def _entries(event: Event) -> dict[int, Entry]:
    return {e.id: e for e in db.session.scalars(select(Entry).where(Entry.event_id == event.id))}


def _assert_no_private_data(text: str, event: Event) -> None:
    for entry in _entries(event).values():
        assert entry.contestant.id_number not in text
        if entry.contestant.phone:
            assert entry.contestant.phone not in text


def test_the_openapi_document_lists_each_path_with_its_responses(client):
    document = client.get("/api/v1/openapi.json").get_json()
    for path, method in PATHS.items():
        operation = document["paths"][path][method]
        assert "200" in operation["responses"] and "404" in operation["responses"]
        assert operation.get("summary") or operation.get("description")
    for path in ("/api/v1/divisions/{division_id}/publish",
                 "/api/v1/appeals/{appeal_id}/decision"):
        responses = document["paths"][path]["post"]["responses"]
        assert {"401", "403", "422"} <= set(responses)
    decision = document["paths"]["/api/v1/appeals/{appeal_id}/decision"]["post"]
    assert "requestBody" in decision
    schemas = document["components"]["schemas"]
    assert "id_number" not in schemas["PublishedResult"]["properties"]
    assert "phone" not in schemas["PublishedResult"]["properties"]


def test_live_results_equal_the_computed_ones_with_names_after_the_lock(app, locked_tea):
    tokens = _tokens("organizer")
    response = _call(app, "get", f"/api/v1/events/{locked_tea.id}/results", tokens["organizer"])
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["locked"] is True and body["event"] == "茶艺师"
    assert [m["code"] for m in body["modules"]] == [m.code for m in locked_tea.modules]

    entries = _entries(locked_tea)
    expected = {r.entry_id: r for r in event_results(db.session, locked_tea.id)}
    lines = [line for division in body["divisions"] for line in division["results"]]
    assert len(lines) == len(expected) > 0
    for division in body["divisions"]:
        assert division["publication"]["status"] == "draft"
        ranks = [line["rank"] for line in division["results"] if line["rank"] is not None]
        assert ranks == sorted(ranks) and ranks[0] == 1
    for line in lines:
        result = expected[line["entry_id"]]
        entry = entries[line["entry_id"]]
        assert line["name"] == entry.contestant.name and line["code"] == entry.code
        assert Decimal(line["total"]) == result.total
        assert line["rank"] == result.rank and line["award"] == result.award
        assert line["title"] == (builders.TEA_TITLE if result.has_title else None)
        assert {s["module_id"]: s["score"] for s in line["module_scores"]} == {
            module_id: _two_places(score) for module_id, score in result.module_scores.items()}
        assert "id_number" not in line and "phone" not in line

    # Another event of the competition, not locked yet: its contestants are their codes
    # only.
    other = db.session.scalar(select(Event).where(Event.name == "车工"))
    body = _call(app, "get", f"/api/v1/events/{other.id}/results", tokens["organizer"]).get_json()
    assert body["locked"] is False
    lines = [line for division in body["divisions"] for line in division["results"]]
    assert lines and all(line["name"] is None and line["work_unit"] is None for line in lines)
    assert all(line["code"] for line in lines)

    # Before publication a contestant sees no result, only where things stand.
    entry = next(iter(entries.values()))
    body = _call(app, "get", f"/api/v1/contestant/{entry.token}/result").get_json()
    assert body["publication"]["status"] == "draft" and body["result"] is None
    assert body["may_appeal"] is False and body["division"] == entry.division.name


def test_only_organizers_and_the_chief_judge_see_live_results_and_appeals(app, locked_tea):
    tokens = _tokens("organizer", "chief", "judge_a", "other_chief")
    expected = {"anonymous": 401, "judge_a": 403, "other_chief": 403, "stranger": 403,
                "organizer": 200, "chief": 200}
    for path in ("results", "appeals"):
        url = f"/api/v1/events/{locked_tea.id}/{path}"
        answers = {who: _call(app, "get", url, token).status_code
                   for who, token in tokens.items()}
        assert answers == expected, path
        response = _call(app, "get", f"/api/v1/events/999999/{path}", tokens["organizer"])
        assert response.status_code == 404 and response.get_json()["code"] == 404
    response = _call(app, "get", f"/api/v1/events/{locked_tea.id}/results", tokens["judge_a"])
    assert "茶艺师" in response.get_json()["message"]


def test_published_results_are_public_only_after_publication(app, locked_tea):
    division = locked_tea.divisions[0]
    url = f"/api/v1/divisions/{division.id}/results"
    response = _call(app, "get", url)
    assert response.status_code == 404
    assert response.get_json()["message"] == "成绩尚未公示。"
    assert _call(app, "get", "/api/v1/divisions/999999/results").status_code == 404

    publishing.publish(db.session, _user("organizer"), division)
    db.session.commit()
    response = _call(app, "get", url)
    assert response.status_code == 200
    body = response.get_json()
    assert body["publication"]["status"] == "notice" and body["publication"]["appeal_deadline"]
    rows = db.session.execute(
        select(Result, Entry).join(Entry, Entry.id == Result.entry_id)
        .order_by(Result.rank.is_(None), Result.rank, Entry.station)).all()
    assert len(body["results"]) == len(rows) == len(builders.TEA_CONTESTANTS)
    for line, (result, entry) in zip(body["results"], rows, strict=True):
        # The competition shows masked names on public lists.
        assert line["name"] == mask_name(entry.contestant.name) != entry.contestant.name
        assert line["work_unit"] == entry.contestant.work_unit
        assert line["rank"] == result.rank and line["award"] == result.award
        assert Decimal(line["total"]) == result.total
        assert {str(s["module_id"]): s["score"] for s in line["module_scores"]} == {
            k: _two_places(v) for k, v in result.module_scores.items()}
        assert set(line) == {"name", "work_unit", "module_scores", "penalty_points", "total",
                             "rank", "award", "title"}
    assert body["results"][0]["title"] == builders.TEA_TITLE
    _assert_no_private_data(response.get_data(as_text=True), locked_tea)

    locked_tea.competition.name_display = "full"
    db.session.commit()
    body = _call(app, "get", url).get_json()
    assert [line["name"] for line in body["results"]] == [
        entry.contestant.name for _, entry in rows]


def test_organizers_publish_and_finalize_through_the_api(app, locked_tea):
    tokens = _tokens("organizer", "chief")
    division = locked_tea.divisions[0]
    publish = f"/api/v1/divisions/{division.id}/publish"
    finalize = f"/api/v1/divisions/{division.id}/finalize"
    for who, status in (("anonymous", 401), ("chief", 403), ("stranger", 403)):
        assert _call(app, "post", publish, tokens[who]).status_code == status
    assert db.session.scalar(select(Publication)) is None

    response = _call(app, "post", finalize, tokens["organizer"])
    assert response.status_code == 422 and response.get_json()["message"] == "成绩尚未公示。"

    response = _call(app, "post", publish, tokens["organizer"])
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "notice" and body["division_id"] == division.id
    stored = db.session.scalar(select(Publication).where(Publication.division_id == division.id))
    assert stored.status == "notice" and stored.published_by_id == _user("organizer").id
    assert body["notice_ends_at"].startswith(stored.notice_ends_at.strftime("%Y-%m-%dT%H:%M"))
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "results.publish"))

    response = _call(app, "post", publish, tokens["organizer"])
    assert response.status_code == 422 and response.get_json()["message"] == "成绩已公示。"
    response = _call(app, "post", finalize, tokens["organizer"])
    assert response.status_code == 422 and "公示期至" in response.get_json()["message"]
    assert _call(app, "post", finalize, tokens["chief"]).status_code == 403

    # An event whose chief judge has not locked the scores cannot be published.
    other = db.session.scalar(select(Event).where(Event.name == "车工"))
    response = _call(app, "post", f"/api/v1/divisions/{other.divisions[0].id}/publish",
                     tokens["organizer"])
    assert response.status_code == 422
    assert response.get_json()["message"] == "裁判长尚未锁定 车工 的成绩。"
    assert _call(app, "post", "/api/v1/divisions/999999/publish",
                 tokens["organizer"]).status_code == 404


def test_the_chief_judge_decides_an_appeal_and_the_contestant_sees_it(app, locked_tea):
    division = locked_tea.divisions[0]
    publishing.publish(db.session, _user("organizer"), division)
    last = db.session.scalar(select(Result).order_by(Result.rank.desc()))
    entry = db.session.get(Entry, last.entry_id)
    appeal = publishing.file_appeal(db.session, entry, "我对B模块评分有异议")
    db.session.commit()
    tokens = _tokens("organizer", "chief", "judge_a")

    listed = _call(app, "get", f"/api/v1/events/{locked_tea.id}/appeals", tokens["chief"])
    assert listed.status_code == 200
    assert listed.get_json() == [{
        "id": appeal.id, "entry_id": entry.id, "division_id": division.id,
        "station": entry.station, "code": entry.code, "name": entry.contestant.name,
        "text": "我对B模块评分有异议", "filed_at": listed.get_json()[0]["filed_at"],
        "status": "pending", "decided_at": None, "decision_reason": "",
        "chief_opinion": None, "chief_opinion_at": None, "decided_by": None}]

    url = f"/api/v1/appeals/{appeal.id}/decision"
    decision = {"accept": False, "reason": "经复核，评分符合评分细则"}
    for who, status in (("anonymous", 401), ("organizer", 403), ("judge_a", 403),
                        ("stranger", 403)):
        assert _call(app, "post", url, tokens[who], json=decision).status_code == status
    response = _call(app, "post", url, tokens["chief"], json={"accept": False, "reason": " "})
    assert response.status_code == 422
    assert response.get_json()["message"] == "请填写处理理由，选手将看到此说明。"
    assert _call(app, "post", url, tokens["chief"], json={"reason": "x"}).status_code == 422
    response = _call(app, "post", url, tokens["chief"], json=decision)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "rejected"
    db.session.expire_all()
    stored = db.session.get(Appeal, appeal.id)
    assert stored.status == "rejected" and stored.decision_reason == decision["reason"]
    assert stored.decided_by_id == _user("chief").id
    response = _call(app, "post", url, tokens["chief"], json=decision)
    assert response.status_code == 422 and response.get_json()["message"] == "此申诉已处理。"
    assert _call(app, "post", "/api/v1/appeals/999999/decision", tokens["chief"],
                 json=decision).status_code == 404

    body = _call(app, "get", f"/api/v1/contestant/{entry.token}/result").get_json()
    assert body["appeals"][0]["status"] == "rejected"
    assert body["appeals"][0]["decision_reason"] == "经复核，评分符合评分细则"
    assert body["may_appeal"] is True  # the two-hour window is still open


def test_who_may_not_decide_an_appeal_is_refused_whatever_they_send(app, locked_tea):
    """The chief judge's right is checked before the body is read: anyone else gets
    401 or 403, never 422 for a bad body, and the appeal stays pending."""
    division = locked_tea.divisions[0]
    publishing.publish(db.session, _user("organizer"), division)
    last = db.session.scalar(select(Result).order_by(Result.rank.desc()))
    appeal = publishing.file_appeal(db.session, db.session.get(Entry, last.entry_id),
                                     "我对B模块评分有异议")
    db.session.commit()
    tokens = _tokens("organizer", "chief", "judge_a", "admin")
    audited = db.session.scalar(select(func.count()).select_from(AuditEvent))
    url = f"/api/v1/appeals/{appeal.id}/decision"
    bodies = ({"json": {}}, {"json": {"accept": "perhaps"}}, {"json": ["accept"]},
              {"data": "{not json", "content_type": "application/json"}, {})
    for who, status in (("anonymous", 401), ("organizer", 403), ("judge_a", 403),
                        ("stranger", 403), ("admin", 403)):
        for body in bodies:
            response = _call(app, "post", url, tokens[who], **body)
            assert response.status_code == status, (who, body)
    # The chief judge gets past the check, so a bad body is theirs to correct.
    assert _call(app, "post", url, tokens["chief"], json={}).status_code == 422
    db.session.expire_all()
    stored = db.session.get(Appeal, appeal.id)
    assert stored.status == "pending" and stored.decided_by_id is None
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == audited


def test_a_contestant_reads_their_result_and_it_becomes_final(app, published_tea):
    entries = sorted(_entries(published_tea).values(), key=lambda e: e.station or 0)
    entry = entries[0]
    url = f"/api/v1/contestant/{entry.token}/result"
    response = _call(app, "get", url)
    body = response.get_json()
    assert body["name"] == entry.contestant.name and body["event"] == "茶艺师"
    result = db.session.scalar(select(Result).where(Result.entry_id == entry.id))
    assert body["publication"]["status"] == "notice" and body["may_appeal"] is False
    assert Decimal(body["result"]["total"]) == result.total
    assert body["result"]["rank"] == result.rank and body["result"]["award"] == result.award
    assert {str(s["module_id"]): s["score"] for s in body["result"]["module_scores"]} == {
        k: _two_places(v) for k, v in result.module_scores.items()}
    assert body["appeals"] == []
    _assert_no_private_data(response.get_data(as_text=True), published_tea)
    assert _call(app, "get", "/api/v1/contestant/" + "x" * 43 + "/result").status_code == 404
    assert _call(app, "get", "/api/v1/contestant/short/result").status_code == 404

    # The notice started ten days ago and no appeal waits: the organizer makes it final.
    tokens = _tokens("organizer")
    division = published_tea.divisions[0]
    response = _call(app, "post", f"/api/v1/divisions/{division.id}/finalize",
                     tokens["organizer"])
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "final" and response.get_json()["finalized_at"]
    db.session.expire_all()
    assert publishing.publication_of(db.session, division.id).status == "final"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "results.finalize"))
    assert _call(app, "get", url).get_json()["publication"]["status"] == "final"
    body = _call(app, "get", f"/api/v1/divisions/{division.id}/results").get_json()
    assert body["publication"]["status"] == "final"
    response = _call(app, "post", f"/api/v1/divisions/{division.id}/finalize",
                     tokens["organizer"])
    assert response.status_code == 422 and response.get_json()["message"] == "成绩已最终确定。"
