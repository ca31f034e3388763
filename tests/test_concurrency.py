"""Concurrency on PostgreSQL: a whole panel of judges saving and submitting marks
on one event at the same moment through the tablets' JSON API, each request sent twice
with its Idempotency-Key (the retry of a tablet that lost the answer), ends with every
mark present exactly once, written once, and the audit log intact.

``tests/test_judging_api.py`` covers two tablets on one sheet and two identical requests;
this is the load of a real panel: 20 judges × 3 sheets, every request at once.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from competition.audit.log import verify_chain
from competition.audit.models import AuditEvent
from competition.entries.idcard import make_id_number
from competition.entries.models import Contestant, Entry
from competition.events.models import Expert, PanelMember, PanelRole
from competition.extensions import db
from competition.integrity import verify_database
from competition.judging.models import IdempotencyKey, Mark, ScoreSheet
from tests import builders
from tests.conftest import make_app

JUDGES = 20
ENTRIES = 3
CRITERIA = 4


@pytest.fixture
def served(app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite lets one writer in at a time, so nothing runs concurrently there; "
                    "run with TEST_DATABASE_URL set to PostgreSQL")
    # A pool as large as the panel, as a production server with that many workers has.
    served = make_app(database_url, SQLALCHEMY_ENGINE_OPTIONS={
        "pool_pre_ping": True, "pool_size": JUDGES + 4, "max_overflow": 8})
    yield served
    with served.app_context():
        db.engine.dispose()


def panel_event():
    """An event with one module of four criteria, three entries, 20 judges and a chief."""
    competition = builders.competition("咸宁市第七届技能大赛")
    event = builders.event(competition, "养老护理员")
    module = builders.module(event, "A", criteria=tuple(
        (f"A{n}", 10, "judgement") for n in range(1, CRITERIA + 1)))
    division = event.divisions[0]
    entries = []
    for n in range(ENTRIES):
        person = Contestant(competition_id=competition.id, name=f"选手{n}", sex="F",
                            birth_date=date(1985, 1, 1 + n),
                            id_number=make_id_number("421202", date(1985, 1, 1 + n), 20 + 2 * n,
                                                     "F"),
                            work_unit="咸宁市社会福利院")
        db.session.add(person)
        db.session.flush()
        entry = Entry(event_id=event.id, division_id=division.id, contestant_id=person.id,
                      station=n + 1, code=f"J0{n + 1}")
        db.session.add(entry)
        entries.append(entry)
    judges = []
    for n in range(JUDGES + 1):
        expert = Expert(name=f"裁判{n}", work_unit=f"裁判单位{n}")
        db.session.add(expert)
        db.session.flush()
        db.session.add(PanelMember(event_id=event.id, expert_id=expert.id,
                                   role=PanelRole.CHIEF if n == JUDGES else PanelRole.JUDGE))
        judges.append(builders.user("judge", username=f"panel{n}", expert_id=expert.id))
    db.session.commit()
    return module, entries, judges[:JUDGES]


def expected_value(judge: int, entry: int, criterion: int) -> Decimal:
    return Decimal((judge + 2 * entry + 3 * criterion) % 11)


def twice(send, key: str):
    """Send a request and, at the same moment, its retry with the same key."""
    answers = [None, None]

    def one(slot):
        answers[slot] = send(key)

    retry = threading.Thread(target=one, args=(1,))
    retry.start()
    one(0)
    retry.join(timeout=60)
    return answers


def test_a_panel_scoring_at_once_with_retries_writes_every_mark_once(served):
    module, entries, judges = panel_event()
    entry_ids = [e.id for e in entries]
    criteria = [c.id for c in module.criteria]
    module_id = module.id
    start = threading.Barrier(JUDGES)
    failures: list[str] = []
    pairs: list[list] = []

    def judge_at_work(number: int, username: str) -> None:
        try:
            client = served.test_client()
            signed_in = client.post("/login", data={"username": username,
                                                    "password": builders.PASSWORD})
            assert signed_in.status_code == 302
            start.wait(timeout=30)
            for position, entry_id in enumerate(entry_ids):
                sheet = client.get(f"/api/v1/judge/sheets?entry_id={entry_id}"
                                   f"&module_id={module_id}")
                assert sheet.status_code == 200, sheet.get_json()
                sheet_id = sheet.get_json()["id"]
                for half in (criteria[:2], criteria[2:]):
                    changes = [{"criterion_id": c, "previous": None, "value": str(
                        expected_value(number, position, criteria.index(c)))} for c in half]
                    pairs.append(twice(lambda key, sid=sheet_id, body=changes: client.post(
                        f"/api/v1/judge/sheets/{sid}/marks", json={"changes": body},
                        headers={"Idempotency-Key": key}), str(uuid.uuid4())))
                pairs.append(twice(lambda key, sid=sheet_id: client.post(
                    f"/api/v1/judge/sheets/{sid}/submit", headers={"Idempotency-Key": key}),
                    str(uuid.uuid4())))
        except Exception as error:  # reported below, with the judge
            failures.append(f"{username}: {error!r}")

    threads = [threading.Thread(target=judge_at_work, args=(n, judge.username))
               for n, judge in enumerate(judges)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    assert len(pairs) == JUDGES * ENTRIES * 3
    for first, retry in pairs:
        assert (first.status_code, retry.status_code) == (200, 200), first.get_json()
        assert first.get_json() == retry.get_json()  # the retry gets the same answer
        assert sorted(a.headers.get("Idempotent-Replayed", "") for a in (first, retry)) \
            == ["", "true"]  # and exactly one of the two did the work

    db.session.rollback()
    judge_number = {judge.id: n for n, judge in enumerate(judges)}
    marks = db.session.execute(
        select(ScoreSheet.judge_id, ScoreSheet.entry_id, Mark.criterion_id, Mark.value)
        .join(Mark, Mark.sheet_id == ScoreSheet.id)).all()
    assert len(marks) == JUDGES * ENTRIES * CRITERIA
    assert {(judge_number[j], entry_ids.index(e), criteria.index(c)): v
            for j, e, c, v in marks} == {
        (j, e, c): expected_value(j, e, c)
        for j in range(JUDGES) for e in range(ENTRIES) for c in range(CRITERIA)}
    assert Counter(db.session.scalars(select(ScoreSheet.status))) == {
        "submitted": JUDGES * ENTRIES}
    actions = Counter(db.session.scalars(select(AuditEvent.action)))
    assert actions["mark.write"] == JUDGES * ENTRIES * CRITERIA  # each written once
    assert actions["sheet.submit"] == JUDGES * ENTRIES
    assert db.session.scalar(select(func.count()).select_from(IdempotencyKey)) == len(pairs)
    assert verify_chain(db.session) is None
    assert verify_database(db.session).problems == []
