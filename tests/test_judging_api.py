"""The judges' tablet API: codes not names, idempotent saves, conflicts, locks, permissions."""

from __future__ import annotations

import re
import threading
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from competition.audit.models import AuditEvent
from competition.auth.credentials import issue_api_token
from competition.auth.models import User
from competition.dbtypes import utcnow
from competition.entries.models import Contestant, Entry
from competition.events.models import Criterion, Event, Module
from competition.experts import pool as expert_service
from competition.extensions import db
from competition.judging import scoring
from competition.judging.models import IdempotencyKey, Mark, ScoreSheet

RECUSED_UNIT = "咸宁市社会福利院"  # judge3's own work unit; two contestants come from it


@pytest.fixture
def demo(seeded_demo):
    return db.session.scalar(select(Event).where(Event.name == "养老护理员"))


def sign_in(client, username: str) -> None:
    response = client.post("/login", data={"username": username,
                                           "password": f"demo-{username}-2026"})
    assert response.status_code == 302, f"{username} could not sign in"


def second_tablet(app, username: str):
    """Another device: its own client, always used in its own app context. (Flask-Login
    keeps the signed-in user on ``g``, and the tests' app context outlives requests, so
    two clients in one context would share whoever signed in first.)"""
    client = app.test_client()
    with app.app_context():
        sign_in(client, username)
    return client


def on(app, call, *args, **kwargs):
    """Run a request of a second tablet in its own app context."""
    with app.app_context():
        return call(*args, **kwargs)


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def module_a(event: Event) -> Module:
    return next(m for m in event.modules if m.code == "A")


def first_entry(event: Event, unit_other_than: str = RECUSED_UNIT) -> Entry:
    return db.session.scalars(
        select(Entry).join(Entry.contestant)
        .where(Entry.event_id == event.id, Contestant.work_unit != unit_other_than)
        .order_by(Entry.station)).first()


def open_sheet(client, entry: Entry, module: Module) -> dict:
    response = client.get(f"/api/v1/judge/sheets?entry_id={entry.id}&module_id={module.id}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def save(client, sheet_id: int, changes: list[dict], key: str | None = None):
    return client.post(f"/api/v1/judge/sheets/{sheet_id}/marks", json={"changes": changes},
                       headers={"Idempotency-Key": key or str(uuid.uuid4())})


def count(model, *where) -> int:
    db.session.rollback()  # see what other connections committed
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def mark_writes() -> int:
    return count(AuditEvent, AuditEvent.action == "mark.write")


def on_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


# --- What a judge sees ---------------------------------------------------------------------

def test_assignments_list_stations_and_codes_and_never_a_name(demo, client):
    sign_in(client, "judge1")
    response = client.get("/api/v1/judge/assignments")
    assert response.status_code == 200
    body = response.get_json()
    assert [a["event"] for a in body] == ["养老护理员"]
    modules = body[0]["modules"]
    assert [m["code"] for m in modules] == ["A", "B", "C"]  # theory has no sheet
    entries = modules[0]["entries"]
    scoreable = count(Entry, Entry.event_id == demo.id)
    assert len(entries) == scoreable
    assert all(e["code"].startswith("YL-") and e["state"] == "not_started" for e in entries)
    stations = [e["station"] for e in entries]
    assert stations == sorted(stations)
    text = response.get_data(as_text=True)
    people = db.session.scalars(select(Contestant)).all()
    for person in people:
        assert person.name not in text
        assert person.id_number not in text
        assert person.phone not in text
        assert person.work_unit not in text


def test_recused_entries_are_not_offered_and_cannot_be_opened(demo, client):
    sign_in(client, "judge3")  # 柯美玲 works at 咸宁市社会福利院
    body = client.get("/api/v1/judge/assignments").get_json()
    offered = {e["entry_id"] for e in body[0]["modules"][0]["entries"]}
    own_unit = db.session.scalars(select(Entry).join(Entry.contestant).where(
        Entry.event_id == demo.id, Contestant.work_unit == RECUSED_UNIT)).all()
    assert len(own_unit) == 2
    assert offered and not offered & {e.id for e in own_unit}

    response = client.get(f"/api/v1/judge/sheets?entry_id={own_unit[0].id}"
                          f"&module_id={module_a(demo).id}")
    assert response.status_code == 403
    assert "回避" in response.get_json()["message"] or "recused" in response.get_json()["message"]
    assert count(ScoreSheet) == 0


def test_a_sheet_lists_every_criterion_with_its_rule(demo, client):
    sign_in(client, "judge6")
    lathe = db.session.scalar(select(Event).where(Event.name == "车工"))
    sheet = open_sheet(client, first_entry(lathe), module_a(lathe))
    assert sheet["status"] == "draft" and sheet["version"] == 1 and sheet["marks"] == {}
    assert set(sheet["entry"]) == {"id", "station", "code"}
    measured = [c for c in sheet["criteria"] if c["entry_mode"] == "measured"]
    assert measured and all(c["nominal"] and c["deduction_step"] for c in measured)
    criteria = count(Criterion, Criterion.module_id == module_a(lathe).id)
    assert len(sheet["criteria"]) == criteria
    # Opening it again gives the same sheet.
    assert open_sheet(client, first_entry(lathe), module_a(lathe))["id"] == sheet["id"]
    assert count(ScoreSheet) == 1


# --- Saving marks ----------------------------------------------------------------------------

def test_marks_are_saved_with_their_points_and_audited(demo, client):
    sign_in(client, "judge1")
    sheet = open_sheet(client, first_entry(demo), module_a(demo))
    first, second = sheet["criteria"][:2]
    response = save(client, sheet["id"], [
        {"criterion_id": first["id"], "value": "4.5", "previous": None},
        {"criterion_id": second["id"], "value": second["max_points"], "previous": None}])
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert sorted(body["applied"]) == sorted([first["id"], second["id"]])
    assert body["conflicts"] == []
    assert body["marks"][str(first["id"])] == {"value": "4.5", "points": "4.5"}
    assert body["sheet"]["version"] == 2 and body["sheet"]["status"] == "draft"
    assert Decimal(body["total"]) == Decimal("4.5") + Decimal(second["max_points"])
    assert count(Mark) == 2 and mark_writes() == 2


def test_a_retry_with_the_same_key_writes_once_and_gets_the_same_answer(demo, client):
    sign_in(client, "judge1")
    sheet = open_sheet(client, first_entry(demo), module_a(demo))
    change = [{"criterion_id": sheet["criteria"][0]["id"], "value": "3", "previous": None}]
    key = str(uuid.uuid4())
    first = save(client, sheet["id"], change, key)
    retry = save(client, sheet["id"], change, key)
    assert first.status_code == retry.status_code == 200
    assert retry.get_json() == first.get_json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert count(Mark) == 1 and mark_writes() == 1
    assert count(IdempotencyKey) == 1
    assert db.session.get(ScoreSheet, sheet["id"]).version == 2


def test_the_same_key_with_another_body_is_refused(demo, client):
    sign_in(client, "judge1")
    sheet = open_sheet(client, first_entry(demo), module_a(demo))
    criterion = sheet["criteria"][0]["id"]
    key = str(uuid.uuid4())
    assert save(client, sheet["id"], [{"criterion_id": criterion, "value": "3",
                                       "previous": None}], key).status_code == 200
    response = save(client, sheet["id"], [{"criterion_id": criterion, "value": "4",
                                           "previous": "3"}], key)
    assert response.status_code == 422
    assert "Idempotency-Key" in response.get_json()["message"]
    assert db.session.scalar(select(Mark.value)) == 3
    assert mark_writes() == 1


def test_the_key_is_required_and_at_most_64_characters(demo, client):
    sign_in(client, "judge1")
    sheet = open_sheet(client, first_entry(demo), module_a(demo))
    body = {"changes": [{"criterion_id": sheet["criteria"][0]["id"], "value": "1"}]}
    url = f"/api/v1/judge/sheets/{sheet['id']}/marks"
    assert client.post(url, json=body).status_code == 422
    assert client.post(url, json=body, headers={"Idempotency-Key": "k" * 65}).status_code == 422
    assert client.post(url, json=body, headers={"Idempotency-Key": "k" * 64}).status_code == 200
    assert count(Mark) == 1


def test_bad_marks_refuse_the_whole_save_listing_every_problem(demo, client):
    sign_in(client, "judge1")
    sheet = open_sheet(client, first_entry(demo), module_a(demo))
    a, b, c = sheet["criteria"][:3]
    response = save(client, sheet["id"], [
        {"criterion_id": a["id"], "value": "1", "previous": None},
        {"criterion_id": b["id"], "value": str(int(b["max_points"]) + 1), "previous": None},
        {"criterion_id": c["id"], "value": "0.125", "previous": None}])
    assert response.status_code == 422
    problems = response.get_json()["problems"]
    assert len(problems) == 2
    assert b["code"] in problems[0]["message"] and c["code"] in problems[1]["message"]
    assert count(Mark) == 0 and mark_writes() == 0 and count(IdempotencyKey) == 0


def test_a_mark_changed_elsewhere_is_returned_as_a_conflict_not_overwritten(demo, client):
    sign_in(client, "judge1")
    sheet = open_sheet(client, first_entry(demo), module_a(demo))
    criterion = sheet["criteria"][0]["id"]
    save(client, sheet["id"], [{"criterion_id": criterion, "value": "3", "previous": None}])
    # A second tablet that never saw the 3:
    response = save(client, sheet["id"], [{"criterion_id": criterion, "value": "5",
                                           "previous": None}])
    assert response.status_code == 200
    body = response.get_json()
    assert body["applied"] == []
    assert body["conflicts"] == [{"criterion_id": criterion, "server_value": "3",
                                  "your_value": "5"}]
    assert body["marks"][str(criterion)]["value"] == "3"
    assert db.session.scalar(select(Mark.value)) == 3


def test_two_tablets_saving_the_same_sheet_at_once_lose_nothing(demo, app, client):
    sign_in(client, "judge1")
    sheet = open_sheet(client, first_entry(demo), module_a(demo))
    first, second = sheet["criteria"][0]["id"], sheet["criteria"][1]["id"]
    other = second_tablet(app, "judge1")
    jobs = [(other, first, "2"), (second_tablet(app, "judge1"), second, "3")]
    answers = []

    def send(tablet, criterion, value, barrier=None):
        if barrier:
            barrier.wait()
        answers.append(on(app, save, tablet, sheet["id"], [
            {"criterion_id": criterion, "value": value, "previous": None}]))

    if on_postgresql():
        barrier = threading.Barrier(len(jobs))
        threads = [threading.Thread(target=send, args=(*job, barrier)) for job in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    else:  # SQLite serializes writers; the same requests one after the other
        for job in jobs:
            send(*job)
    assert [a.status_code for a in answers] == [200, 200]
    assert all(a.get_json()["conflicts"] == [] for a in answers)
    db.session.rollback()
    marks = dict(db.session.execute(select(Mark.criterion_id, Mark.value)).all())
    assert marks == {first: 2, second: 3}
    assert mark_writes() == 2
    assert db.session.get(ScoreSheet, sheet["id"]).version == 3


def test_two_identical_requests_at_once_write_once(demo, app, client):
    sign_in(client, "judge1")
    sheet = open_sheet(client, first_entry(demo), module_a(demo))
    change = [{"criterion_id": sheet["criteria"][0]["id"], "value": "2", "previous": None}]
    key = str(uuid.uuid4())
    tablets = [second_tablet(app, "judge1"), second_tablet(app, "judge1")]
    answers = []

    def send(tablet, barrier=None):
        if barrier:
            barrier.wait()
        answers.append(on(app, save, tablet, sheet["id"], change, key))

    if on_postgresql():
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=send, args=(t, barrier)) for t in tablets]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    else:
        for tablet in tablets:
            send(tablet)
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].get_json() == answers[1].get_json()
    assert sorted(a.headers.get("Idempotent-Replayed", "") for a in answers) == ["", "true"]
    assert count(Mark) == 1 and mark_writes() == 1 and count(IdempotencyKey) == 1


# --- Submitting, locks ----------------------------------------------------------------------

def fill(client, sheet: dict):
    changes = [{"criterion_id": c["id"], "previous": None,
                "value": "1" if c["entry_mode"] == "pass_fail" else c["max_points"]}
               for c in sheet["criteria"] if c["entry_mode"] != "measured"]
    response = save(client, sheet["id"], changes)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def submit(client, sheet_id: int, key: str | None = None):
    return client.post(f"/api/v1/judge/sheets/{sheet_id}/submit",
                       headers={"Idempotency-Key": key or str(uuid.uuid4())})


def test_submit_needs_every_mark_then_locks_the_sheet(demo, client):
    sign_in(client, "judge1")
    sheet = open_sheet(client, first_entry(demo), module_a(demo))
    response = submit(client, sheet["id"])
    assert response.status_code == 422
    assert sheet["criteria"][0]["code"] in response.get_json()["message"]
    assert db.session.get(ScoreSheet, sheet["id"]).status == "draft"

    fill(client, sheet)
    key = str(uuid.uuid4())
    response = submit(client, sheet["id"], key)
    assert response.status_code == 200
    assert response.get_json()["sheet"]["status"] == "submitted"
    assert response.get_json()["total"] == "100"  # every criterion at its maximum
    assert submit(client, sheet["id"], key).get_json() == response.get_json()
    assert count(AuditEvent, AuditEvent.action == "sheet.submit") == 1

    marks = count(Mark)
    response = save(client, sheet["id"], [{"criterion_id": sheet["criteria"][0]["id"],
                                           "value": "0", "previous":
                                           sheet["criteria"][0]["max_points"]}])
    assert response.status_code == 409
    body = response.get_json()
    assert body["sheet"]["status"] == "submitted" and body["sheet"]["id"] == sheet["id"]
    assert sheet["entry"]["code"] in body["message"]
    assert count(Mark) == marks
    assert count(IdempotencyKey) == 2  # the fill and the submit; nothing for the refusal


def test_a_refused_change_can_be_sent_again_with_its_key_after_the_sheet_is_reopened(
        demo, client):
    sign_in(client, "judge1")
    sheet = open_sheet(client, first_entry(demo), module_a(demo))
    fill(client, sheet)
    assert submit(client, sheet["id"]).status_code == 200
    criterion = sheet["criteria"][0]
    change = [{"criterion_id": criterion["id"], "value": "0",
               "previous": criterion["max_points"]}]
    key = str(uuid.uuid4())
    assert save(client, sheet["id"], change, key).status_code == 409
    scoring.reopen_sheet(db.session, user("chief1"), db.session.get(ScoreSheet, sheet["id"]),
                         "裁判员申请更正")
    db.session.commit()
    response = save(client, sheet["id"], change, key)
    assert response.status_code == 200
    assert response.get_json()["applied"] == [criterion["id"]]


def test_locked_scores_refuse_with_409(demo, client):
    sign_in(client, "judge1")
    sheet = open_sheet(client, first_entry(demo), module_a(demo))
    db.session.get(Event, demo.id).scores_locked_at = utcnow()
    db.session.commit()
    response = save(client, sheet["id"], [{"criterion_id": sheet["criteria"][0]["id"],
                                           "value": "1", "previous": None}])
    assert response.status_code == 409
    assert response.get_json()["sheet"]["status"] == "draft"
    assert count(Mark) == 0
    assert client.get("/api/v1/judge/assignments").get_json()[0]["locked"] is True


# --- Who may call it ------------------------------------------------------------------------

def test_anonymous_callers_are_asked_to_sign_in(demo, client):
    entry, module = first_entry(demo), module_a(demo)
    assert client.get("/api/v1/judge/assignments").status_code == 401
    assert client.get(f"/api/v1/judge/sheets?entry_id={entry.id}&module_id={module.id}"
                      ).status_code == 401
    assert client.post("/api/v1/judge/sheets/1/marks", json={"changes": []},
                       headers={"Idempotency-Key": "x"}).status_code == 401
    assert count(ScoreSheet) == 0


def test_organizers_are_not_judges(demo, client):
    sign_in(client, "organizer")
    entry, module = first_entry(demo), module_a(demo)
    assert client.get("/api/v1/judge/assignments").status_code == 403
    assert client.get(f"/api/v1/judge/sheets?entry_id={entry.id}&module_id={module.id}"
                      ).status_code == 403
    assert count(ScoreSheet) == 0


def test_a_judge_of_another_event_cannot_open_or_write_a_sheet(demo, app, client):
    sign_in(client, "judge1")
    sheet = open_sheet(client, first_entry(demo), module_a(demo))
    lathe_judge = second_tablet(app, "judge6")
    entry, module = first_entry(demo), module_a(demo)
    response = on(app, lathe_judge.get, f"/api/v1/judge/sheets?entry_id={entry.id}"
                                        f"&module_id={module.id}")
    assert response.status_code == 403
    assert "养老护理员" in response.get_json()["message"]
    response = on(app, save, lathe_judge, sheet["id"], [
        {"criterion_id": sheet["criteria"][0]["id"], "value": "1", "previous": None}])
    assert response.status_code == 403
    assert on(app, lathe_judge.get, f"/api/v1/judge/sheets/{sheet['id']}").status_code == 403
    assert count(Mark) == 0 and count(ScoreSheet) == 1
    assert all(a["event"] == "车工" for a in
               on(app, lathe_judge.get, "/api/v1/judge/assignments").get_json())


# Bodies no write accepts, and headers without a usable Idempotency-Key: a caller who may
# not write the sheet is refused for that, never for what they sent.
MALFORMED = (
    {"json": {}}, {"json": {"changes": "all of them"}}, {"json": [1, 2]},
    {"data": "{not json", "content_type": "application/json"}, {},
)
NO_KEY = ({}, {"Idempotency-Key": ""}, {"Idempotency-Key": "k" * 65})


@pytest.mark.parametrize("write", ["marks", "submit"])
def test_who_may_not_write_a_sheet_is_refused_whatever_they_send(demo, app, client, write):
    sign_in(client, "judge1")
    sheet = open_sheet(client, first_entry(demo), module_a(demo))
    url = f"/api/v1/judge/sheets/{sheet['id']}/{write}"
    callers = {"anonymous": app.test_client()}
    for username in ("judge2", "judge6", "organizer", "admin"):
        callers[username] = second_tablet(app, username)
    for who, caller in callers.items():
        for body in MALFORMED:
            for headers in NO_KEY:
                response = on(app, caller.post, url, headers=headers, **body)
                expected = 401 if who == "anonymous" else 403
                assert response.status_code == expected, (who, body, headers)
    # The sheet's own judge, once recused from the entry, is refused the same way.
    entry = db.session.get(Entry, sheet["entry"]["id"])
    expert_service.declare_conflict(db.session, demo, user("judge1").expert,
                                    contestant_id=entry.contestant_id, reason="亲属参赛",
                                    declared_by=user("organizer"))
    db.session.commit()
    for body in MALFORMED:
        for headers in NO_KEY:
            response = client.post(url, headers=headers, **body)
            assert response.status_code == 403, (body, headers)
            assert "回避" in response.get_json()["message"]
    assert count(Mark) == 0 and count(IdempotencyKey) == 0 and mark_writes() == 0
    assert db.session.get(ScoreSheet, sheet["id"]).status == "draft"


def test_a_bearer_token_works_like_the_session(demo, client):
    token = issue_api_token(db.session, user("judge1"), "平板")
    db.session.commit()
    response = client.get("/api/v1/judge/assignments",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.get_json()[0]["event"] == "养老护理员"


def test_the_tablet_api_is_in_the_openapi_document(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    for path in ("/api/v1/judge/assignments", "/api/v1/judge/sheets",
                 "/api/v1/judge/sheets/{sheet_id}/marks", "/api/v1/judge/sheets/{sheet_id}/submit"):
        assert path in paths
    post = paths["/api/v1/judge/sheets/{sheet_id}/marks"]["post"]
    assert {"name": "Idempotency-Key", "in": "header"}.items() <= post["parameters"][0].items()
    assert {"200", "401", "403", "409", "422"} <= set(post["responses"])
    submit_responses = paths["/api/v1/judge/sheets/{sheet_id}/submit"]["post"]["responses"]
    assert {"200", "401", "403", "409", "422"} <= set(submit_responses)


# --- The tablet's pages (their behaviour is tested in Chromium: test_browser_judging.py) ----

def sheet_page(event: Event) -> str:
    return f"/judge/entries/{first_entry(event).id}/modules/{module_a(event).id}"


@pytest.mark.parametrize("who, list_status, sheet_status", [
    (None, 302, 302),  # to the sign-in page
    ("organizer", 403, 403),
    ("admin", 200, 302),  # an admin passes the role check, but sits on no panel: back to /judge
])
def test_only_judges_open_the_tablet_pages(demo, client, who, list_status, sheet_status):
    if who:
        sign_in(client, who)
    assert client.get("/judge").status_code == list_status
    response = client.get(sheet_page(demo))
    assert response.status_code == sheet_status
    if sheet_status == 302:
        assert response.headers["Location"].startswith("/login" if who is None else "/judge")
    assert count(ScoreSheet) == 0


def test_a_judge_of_another_event_is_sent_back_to_their_list(demo, client):
    sign_in(client, "judge6")
    response = client.get(sheet_page(demo), follow_redirects=True)
    assert response.request.path == "/judge"
    assert "您不是养老护理员的裁判员" in response.get_data(as_text=True)
    assert count(ScoreSheet) == 0


def test_the_sheet_page_shows_codes_and_the_saved_marks(demo, client):
    sign_in(client, "judge1")
    entry = first_entry(demo)
    page = client.get("/judge").get_data(as_text=True)
    assert f"{entry.station} 号工位" in page and entry.code in page
    sheet = open_sheet(client, entry, module_a(demo))
    save(client, sheet["id"], [{"criterion_id": sheet["criteria"][0]["id"], "value": "2.5",
                                "previous": None}])
    page = client.get(sheet_page(demo)).get_data(as_text=True)
    assert entry.code in page and "提交评分表" in page and "满分" in page
    assert 'data-server-value="2.5"' in page
    # One heading names the sheet: the station, the anonymous code and the module.
    [heading] = re.findall(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    assert entry.code in heading and f"{entry.station} 号工位" in heading
    assert "模块A" in heading
    assert "草稿" in client.get("/judge").get_data(as_text=True)
    for person in db.session.scalars(select(Contestant)):
        assert person.name not in page and person.work_unit not in page
