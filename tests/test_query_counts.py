"""The main pages run the same number of SQL queries for a few entries as for a thousand.

The small competition's 茶艺师 event (``builders.tea_competition``: scored, locked, on
public notice) is measured with its 6 entries, then 994 more entries are added in bulk —
scored by its three judges in module A — and the published results recomputed; every page
must then run exactly as many queries as before (no query per entry, sheet or mark).
"""

import secrets
from datetime import date
from decimal import Decimal

from sqlalchemy import event as sa_event
from sqlalchemy import insert, select

from competition.auth.models import User
from competition.dbtypes import utcnow
from competition.entries.models import Contestant, Entry
from competition.events.models import Division, Event, PanelRole
from competition.extensions import db
from competition.judging.models import Mark, ScoreSheet
from competition.results import publishing
from tests import builders

FEW = len(builders.TEA_CONTESTANTS)
EXTRA = 1000 - FEW


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, *args) -> None:
        self.count += 1
        self.statements.append(statement)


def _sign_in(client, username):
    client.post("/logout")
    response = client.post("/login", data={"username": username,
                                           "password": builders.PASSWORD})
    assert response.status_code == 302


def _add_entries(event, count: int) -> None:
    """``count`` more approved, present entries with codes and stations, each scored by
    every judge of the panel in the first module; inserted in bulk."""
    division = event.divisions[0]
    first = max(db.session.scalars(select(Entry.station).where(
        Entry.event_id == event.id)).all()) + 1
    contestant_ids = db.session.execute(insert(Contestant).returning(Contestant.id), [
        {"competition_id": event.competition_id, "name": f"测试{n}",
         "id_number": f"4212{n:014d}", "sex": "F",
         "birth_date": date(1990, 1, 1), "phone": "", "work_unit": f"单位{n % 37}",
         "id_type": "resident_id", "created_at": utcnow()} for n in range(count)]).scalars().all()
    entry_ids = db.session.execute(insert(Entry).returning(Entry.id), [
        {"event_id": event.id, "division_id": division.id, "contestant_id": contestant_id,
         "status": "approved", "attendance": "present", "source": "import",
         "token": secrets.token_urlsafe(32), "ticket_number": f"QC{n:06d}",
         "station": first + n, "code": f"QC-{n:04d}", "registered_at": utcnow(),
         "review_note": ""}
        for n, contestant_id in enumerate(contestant_ids)]).scalars().all()
    module = next(m for m in event.modules if m.criteria)
    judges = db.session.scalars(select(User).where(User.expert_id.in_(
        [m.expert_id for m in event.panel if m.role == PanelRole.JUDGE]))).all()
    now = utcnow()
    sheet_ids = db.session.execute(insert(ScoreSheet).returning(ScoreSheet.id), [
        {"entry_id": entry_id, "module_id": module.id, "judge_id": judge.id,
         "status": "submitted", "source": "tablet", "version": 2, "entered_by_id": judge.id,
         "created_at": now, "updated_at": now, "submitted_at": now,
         "reopened_for_review": False}
        for entry_id in entry_ids for judge in judges]).scalars().all()
    db.session.execute(insert(Mark), [
        {"sheet_id": sheet_id, "criterion_id": criterion.id,
         "value": Decimal(criterion.max_points) / 2, "points": Decimal(criterion.max_points) / 2,
         "updated_at": now}
        for sheet_id in sheet_ids for criterion in module.criteria])
    db.session.commit()


def test_main_pages_run_as_many_queries_for_1000_entries_as_for_6(published_tea, client):
    event = published_tea
    division = event.divisions[0]
    event_id, division_id = event.id, division.id
    token = db.session.scalar(select(Entry.token).where(Entry.event_id == event.id))
    pages = [
        (builders.JUDGES[0], "/judge"),
        (builders.CHIEF, f"/judge/events/{event.id}/console"),
        (builders.CHIEF, f"/judge/events/{event.id}/console/data"),
        (builders.ORGANIZER, f"/events/{event.id}/entries"),
        (builders.ORGANIZER, f"/events/{event.id}/results"),
        (builders.ORGANIZER, f"/competitions/{event.competition_id}"),
        (None, f"/results/divisions/{division.id}"),
        (None, f"/r/{token}"),
    ]

    def counts() -> dict[str, int]:
        found = {}
        for username, url in pages:
            if username:
                _sign_in(client, username)
            else:
                client.post("/logout")
            # The test's app context (and its session) spans the requests: start each
            # measured request from an empty identity map, as a real request does.
            db.session.expunge_all()
            counter = QueryCounter()
            sa_event.listen(db.engine, "before_cursor_execute", counter)
            try:
                response = client.get(url)
            finally:
                sa_event.remove(db.engine, "before_cursor_execute", counter)
            assert response.status_code == 200, url
            found[url] = counter.count
        return found

    few = counts()
    event = db.session.get(Event, event_id)
    division = db.session.get(Division, division_id)
    _add_entries(event, EXTRA)
    organizer = db.session.scalar(select(User).where(User.username == builders.ORGANIZER))
    publishing.refresh(db.session, division, actor_id=organizer.id)
    db.session.commit()
    many = counts()
    assert many == few
    # Like is compared with like: the pages do list the added entries.
    assert client.get(f"/results/divisions/{division_id}").text.count("<tr>") >= EXTRA + FEW
