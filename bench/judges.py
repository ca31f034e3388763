"""Benchmark 3: 200 judges saving and submitting sheets at once through the JSON API.

An event of its own is added to the generated competition: one practical module of
30 criteria, 200 entries, a panel of 200 judges, each with an API bearer token.
Every judge, on a thread of its own with a keep-alive connection, starts at the
same moment and, for each of its entries, opens the sheet, saves the marks in two
halves and submits — each write with its own Idempotency-Key, and one write in
ten sent twice with the same key, as a tablet does when an answer is lost. Then
the database is counted: every mark sent is there once, with its value, on a
submitted sheet — nothing lost, nothing doubled.
"""

from __future__ import annotations

import random
import statistics
import threading
import time
import uuid
from contextlib import nullcontext
from datetime import date, timedelta
from decimal import Decimal

import requests
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from bench.generate import MAXIMA, PASSWORD, bulk, fix_sequences
from bench.serve import gunicorn
from competition.auth.credentials import issue_api_token
from competition.auth.models import Role, User
from competition.dbtypes import utcnow
from competition.entries.idcard import make_id_number
from competition.entries.models import Contestant, Entry
from competition.events.models import (
    Criterion,
    Division,
    Event,
    Expert,
    Module,
    Occupation,
    PanelMember,
    PanelRole,
)
from competition.extensions import db
from competition.judging.models import Mark, ScoreSheet

EVENT_NAME = "评分压测"
JUDGED_REGION = "420115"  # 武汉市江夏区: no other generated contestant comes from it


def setup(competition_id: int, judges: int, per_judge: int, criteria: int = 30) -> dict:
    """Add the event, its entries and its panel; return what each judge scores."""
    session = db.session
    now = utcnow()
    # Each run adds an event of its own, so the benchmark can be run again on one database.
    run_number = session.scalar(select(func.count(Event.id)).where(
        Event.name.startswith(EVENT_NAME))) + 1
    name = f"{EVENT_NAME}{run_number}"
    event = Event(competition_id=competition_id, name=name, position=99,
                  occupation=Occupation(name=name), marking_started_at=now)
    event.divisions = [Division(name="职工组", kind="worker")]
    module = Module(code="A", name="实操模块A", kind="practical", weight=Decimal(100))
    module.criteria = [Criterion(code=f"A{c + 1}", description=f"第{c + 1}项",
                                 max_points=Decimal(MAXIMA[c % len(MAXIMA)]),
                                 kind="judgement", position=c) for c in range(criteria)]
    event.modules = [module]
    session.add(event)
    session.flush()
    count = judges  # as many entries as judges
    first = (session.scalar(select(func.max(Contestant.id))) or 0) + 1
    first_entry = (session.scalar(select(func.max(Entry.id))) or 0) + 1
    bulk(Contestant.__table__, [{
        "id": first + n, "competition_id": competition_id, "name": f"压测选手{n}",
        "id_type": "resident_id",
        "id_number": make_id_number(
            JUDGED_REGION, date(1991, 1, 1) + timedelta(days=run_number * 10 + n // 400),
            (n % 400) * 2 + 1, "M"),
        "sex": "M", "birth_date": date(1991, 1, 1), "phone": "", "work_unit": "选手单位",
        "current_certificate_no": "", "created_at": now} for n in range(count)])
    bulk(Entry.__table__, [{
        "id": first_entry + n, "event_id": event.id, "division_id": event.divisions[0].id,
        "contestant_id": first + n, "status": "approved", "attendance": "present",
        "source": "import", "token": uuid.uuid4().hex + uuid.uuid4().hex,
        "ticket_number": f"PC{run_number:03d}{n:06d}", "station": n + 1, "code": f"P{n + 1:04d}",
        "registered_at": now, "review_note": ""} for n in range(count)])
    fix_sequences([Contestant.__table__, Entry.__table__])
    password_hash = generate_password_hash(PASSWORD)
    plan = []
    for seat in range(judges + 1):
        expert = Expert(name=f"压测评委{seat}", work_unit="评委单位")
        role = PanelRole.CHIEF if seat == 0 else PanelRole.JUDGE
        session.add(PanelMember(event=event, expert=expert, role=role))
        user = User(username=f"bench{run_number}-judge-{seat}", display_name=f"压测评委{seat}",
                    role=Role.JUDGE, password_hash=password_hash, expert=expert)
        session.add(user)
        session.flush()
        if seat:
            j = seat - 1
            entries = [first_entry + (j + i * 41) % count for i in range(per_judge)]
            plan.append({"token": issue_api_token(session, user, "bench"), "user_id": user.id,
                         "entries": entries})
    session.commit()
    return {"event_id": event.id, "module_id": module.id, "plan": plan,
            "criteria": [(c.id, int(c.max_points)) for c in module.criteria]}


def expected_marks(setup_: dict, seed: int) -> dict[tuple[int, int, int], Decimal]:
    """(judge user id, entry id, criterion id) → the points the judge sends."""
    rng = random.Random(seed)
    values = {}
    for judge in setup_["plan"]:
        for entry_id in judge["entries"]:
            for criterion_id, maximum in setup_["criteria"]:
                values[(judge["user_id"], entry_id, criterion_id)] = \
                    Decimal(rng.randrange(0, maximum * 2 + 1)) / 2
    return values


class Judge(threading.Thread):
    def __init__(self, base: str, judge: dict, module_id: int, criteria, values, start,
                 retry_every: int, pace: float | None = None) -> None:
        super().__init__(daemon=True)
        self.base, self.judge, self.module_id = base, judge, module_id
        self.criteria, self.values, self.start_at = criteria, values, start
        self.retry_every = retry_every
        # Seconds between one request's start and the next (None: at once, flat out).
        self.pace = pace
        self.next_at = 0.0
        self.latencies: list[tuple[str, float]] = []  # (kind of request, seconds)
        self.failures: list[str] = []
        self.replays = 0
        self.writes = judge["user_id"]  # staggered, so every judge's count starts elsewhere

    def call(self, http, kind: str, method: str, path: str, **kwargs):
        if self.pace is not None:
            time.sleep(max(0.0, self.next_at - time.perf_counter()))
            self.next_at = max(self.next_at, time.perf_counter()) + self.pace
        started = time.perf_counter()
        response = http.request(method, self.base + path, timeout=60, **kwargs)
        self.latencies.append((kind, time.perf_counter() - started))
        if response.status_code != 200:
            self.failures.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
        return response

    def write(self, http, kind: str, path: str, body: dict | None) -> None:
        key = str(uuid.uuid4())
        headers = {"Idempotency-Key": key}
        self.call(http, kind, "POST", path, json=body, headers=headers)
        self.writes += 1
        if self.writes % self.retry_every == 0:  # the answer was "lost": send it again
            again = self.call(http, "replay", "POST", path, json=body, headers=headers)
            self.replays += again.headers.get("Idempotent-Replayed") == "true"

    def run(self) -> None:
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {self.judge['token']}"
        self.start_at.wait()
        if self.pace is not None:  # the judges' first requests spread over one interval
            self.next_at = time.perf_counter() + random.Random(self.judge["user_id"]).uniform(
                0, self.pace)
        user_id = self.judge["user_id"]
        for entry_id in self.judge["entries"]:
            sheet = self.call(http, "open", "GET", f"/api/v1/judge/sheets?entry_id={entry_id}"
                                           f"&module_id={self.module_id}")
            if sheet.status_code != 200:
                continue
            sheet_id = sheet.json()["id"]
            half = len(self.criteria) // 2
            for part in (self.criteria[:half], self.criteria[half:]):
                changes = [{"criterion_id": cid,
                            "value": str(self.values[(user_id, entry_id, cid)]),
                            "previous": None} for cid, _ in part]
                self.write(http, "save", f"/api/v1/judge/sheets/{sheet_id}/marks",
                           {"changes": changes})
            self.write(http, "submit", f"/api/v1/judge/sheets/{sheet_id}/submit", None)


# What each kind of request does: open a sheet (GET), save half of its marks, submit it,
# and a write sent again with the same Idempotency-Key (answered from the record).
KINDS = ("open", "save", "submit", "replay")


def run(database_url: str, setup_: dict, *, seed: int = 3, retry_every: int = 10,
        pace: float | None = None, site: str | None = None) -> dict:
    """Every judge at once against gunicorn with the production settings
    (``gunicorn.conf.py``: its workers and threads): flat out (each judge sends its next
    request as soon as the last is answered), or with ``pace`` seconds between one
    request's start and the next, as tablets at a venue do. ``site``: the base URL of
    such a server already running, loaded instead of starting one."""
    values = expected_marks(setup_, seed)
    start = threading.Event()
    server = nullcontext(site) if site else gunicorn("wsgi:app", database_url, workers=None,
                                                     threads=None)
    with server as site:
        judges = [Judge(site, judge, setup_["module_id"], setup_["criteria"], values, start,
                        retry_every, pace) for judge in setup_["plan"]]
        for judge in judges:
            judge.start()
        time.sleep(0.5)
        started = time.perf_counter()
        start.set()
        for judge in judges:
            judge.join()
        elapsed = time.perf_counter() - started
    latencies = sorted(x for j in judges for _, x in j.latencies)
    by_kind = {kind: sorted(x for j in judges for k, x in j.latencies if k == kind)
               for kind in KINDS}
    return {"judges": len(judges), "pace": pace, "requests": len(latencies),
            "started_at": started, "seconds": elapsed,
            "rps": len(latencies) / elapsed, **percentiles(latencies),
            "kinds": {kind: {"requests": len(xs), **percentiles(xs)}
                      for kind, xs in by_kind.items() if xs},
            "sheets": sum(len(j.judge["entries"]) for j in judges),
            "replays": sum(j.replays for j in judges),
            "failures": [f for j in judges for f in j.failures][:10],
            "failure_count": sum(len(j.failures) for j in judges),
            "check": check(setup_, values)}


def percentiles(seconds: list[float]) -> dict:
    """The median and the 99th percentile (nearest rank) of sorted latencies, in ms."""
    return {"p50_ms": statistics.median(seconds) * 1000,
            "p99_ms": seconds[max(0, -(-len(seconds) * 99 // 100) - 1)] * 1000}


def check(setup_: dict, values: dict) -> dict:
    """Count what the database holds against what the judges sent."""
    db.session.remove()
    rows = db.session.execute(
        select(ScoreSheet.judge_id, ScoreSheet.entry_id, Mark.criterion_id, Mark.points,
               ScoreSheet.status)
        .join(Mark, Mark.sheet_id == ScoreSheet.id)
        .where(ScoreSheet.module_id == setup_["module_id"])).all()
    held: dict[tuple[int, int, int], list[Decimal]] = {}
    submitted = set()
    for judge_id, entry_id, criterion_id, points, status in rows:
        held.setdefault((judge_id, entry_id, criterion_id), []).append(Decimal(points))
        if status == "submitted":
            submitted.add((judge_id, entry_id))
    sheets = db.session.scalar(select(func.count(ScoreSheet.id)).where(
        ScoreSheet.module_id == setup_["module_id"]))
    lost = [k for k in values if k not in held]
    doubled = [k for k, v in held.items() if len(v) > 1]
    wrong = [k for k, v in held.items() if k in values and v[0] != values[k]]
    unexpected = [k for k in held if k not in values]
    expected_sheets = {(k[0], k[1]) for k in values}
    return {"expected_marks": len(values), "marks_in_db": len(rows), "lost": len(lost),
            "doubled": len(doubled), "wrong_value": len(wrong), "unexpected": len(unexpected),
            "sheets_in_db": sheets, "expected_sheets": len(expected_sheets),
            "submitted": len(submitted & expected_sheets)}


def ok(check_: dict) -> bool:
    return (check_["marks_in_db"] == check_["expected_marks"] and not check_["lost"]
            and not check_["doubled"] and not check_["wrong_value"]
            and not check_["unexpected"] and check_["submitted"] == check_["expected_sheets"]
            and check_["sheets_in_db"] == check_["expected_sheets"])
