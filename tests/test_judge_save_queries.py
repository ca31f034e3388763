"""A judge's save is a handful of database statements, however big the competition: the
venue's 200 tablets save at once, and each statement is a round trip on the saves' path.
Counted here, not timed (``bench/judges.py`` measures the time)."""

from __future__ import annotations

import contextlib
import uuid

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select

from competition.entries.models import Contestant, Entry
from competition.events.models import Event
from competition.extensions import db

RECUSED_UNIT = "咸宁市社会福利院"  # a judge's own work unit: recused from its contestants
# A save: who is signed in, the Idempotency-Key (claimed and its answer kept), the sheet
# locked with what the checks need, the marks, the written mark, its audit record, the
# sheet's version, the answer's marks. No statement for each criterion or each rule.
SAVE_STATEMENTS = 10


@contextlib.contextmanager
def statements() -> list[str]:
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement.split()[0].upper() + " " + statement[:200])

    sa_event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", count)


@pytest.fixture
def sheet(seeded_demo, client):
    event = db.session.scalar(select(Event).where(Event.name == "养老护理员"))
    module = next(m for m in event.modules if m.code == "A")
    entry = db.session.scalars(
        select(Entry).join(Entry.contestant)
        .where(Entry.event_id == event.id, Contestant.work_unit != RECUSED_UNIT)
        .order_by(Entry.station)).first()
    assert client.post("/login", data={"username": "judge1",
                                       "password": "demo-judge1-2026"}).status_code == 302
    response = client.get(f"/api/v1/judge/sheets?entry_id={entry.id}&module_id={module.id}")
    assert response.status_code == 200
    return response.get_json()


def save(client, sheet: dict, index: int, value: str, previous: str | None):
    criterion = sheet["criteria"][index]
    return client.post(f"/api/v1/judge/sheets/{sheet['id']}/marks",
                       json={"changes": [{"criterion_id": criterion["id"], "value": value,
                                          "previous": previous}]},
                       headers={"Idempotency-Key": str(uuid.uuid4())})


def warm(client, sheet: dict) -> None:
    """The event's first save starts its marking (the scheme is frozen from then on); the
    next one reads the frozen criteria once for this process."""
    save(client, sheet, 0, "1", None)
    save(client, sheet, 2, "1", None)
    db.session.expire_all()


def test_a_save_takes_at_most_ten_statements(sheet, client):
    warm(client, sheet)
    with statements() as seen:
        response = save(client, sheet, 1, "1", None)
    assert response.status_code == 200 and response.get_json()["applied"]
    assert len(seen) <= SAVE_STATEMENTS, "\n".join(seen)


def test_changing_a_mark_takes_no_more(sheet, client):
    warm(client, sheet)
    with statements() as seen:
        response = save(client, sheet, 0, "0", "1")
    assert response.status_code == 200 and response.get_json()["applied"]
    assert len(seen) <= SAVE_STATEMENTS, "\n".join(seen)
