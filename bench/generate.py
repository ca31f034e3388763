"""A large competition, generated in bulk for the benchmarks.

Full size: 20 events of 500 contestants each (10,000), two divisions per event,
one practical module of 30 criteria (100 points), 5 judges and a chief judge per
event, every entry scored by every judge — 50,000 submitted sheets and 1.5
million marks, each within its criterion's maximum. The first event's scores are
locked and its divisions published for public notice; the others still take
registrations (the import benchmark adds to them).

The few setup rows (competition, events, criteria, experts, accounts) go through
the ORM; contestants, entries, sheets and marks are inserted in bulk — Core
``insert()`` executemany on SQLite, ``COPY`` on PostgreSQL — never through the
per-row services, so the full size takes about a minute, not hours.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python -m bench.generate --size full

The database named is emptied first (``--yes`` is implied for the SQLite file
and the PostgreSQL database called ``bench``; anything else must be confirmed).
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from flask_migrate import upgrade
from sqlalchemy import func, insert, select, text
from werkzeug.security import generate_password_hash

from competition import create_app
from competition.auth.models import Role, User
from competition.dbtypes import utcnow
from competition.entries.idcard import make_id_number
from competition.entries.models import Contestant, Entry
from competition.events.models import (
    AggregationMethod,
    Competition,
    CompetitionOrganizer,
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
from competition.results import publishing

PASSWORD = "bench-pass-2026"  # noqa: S105 — every generated account's password
OCCUPATIONS = [
    "养老护理员", "茶艺师", "电工", "焊工", "车工", "钳工", "数控车工", "汽车维修工",
    "中式烹调师", "美容师", "育婴员", "保育师", "电子商务师", "网络与信息安全管理员",
    "工业机器人系统操作员", "家政服务员", "健康管理师", "农业技术员", "砌筑工", "混凝土工",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘"
GIVEN = "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华建国红梅志斌春燕玉兵"
REGIONS = ["421202", "421281", "421221", "421222", "421223", "421224", "420102", "420106"]
# 30 criteria adding up to 100 points: 10 of 5, 10 of 3, 10 of 2.
MAXIMA = [5] * 10 + [3] * 10 + [2] * 10


@dataclass(frozen=True)
class Size:
    events: int
    contestants: int  # spread evenly over the events, one entry each
    judges: int  # per event; each scores every entry of the event
    criteria: int  # per event, in one practical module

    @property
    def marks(self) -> int:
        return self.contestants * self.judges * self.criteria


SIZES = {
    "full": Size(events=20, contestants=10_000, judges=5, criteria=30),
    "quick": Size(events=4, contestants=1_000, judges=5, criteria=30),
    "tiny": Size(events=2, contestants=40, judges=3, criteria=5),
}


@dataclass
class Generated:
    """What the benchmarks need to find in the generated database."""

    competition_id: int
    event_ids: list[int]
    published_division_ids: list[int]
    tokens: list[str] = field(default_factory=list)  # a sample of entries' private links
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def bench_app(database_url: str | None = None):
    """The app on the benchmark database, configured for a process of its own."""
    url = database_url or os.environ.get("DATABASE_URL")
    overrides = {"SECRET_KEY": "bench-" + "x" * 32, "RATELIMIT_STORAGE_URI": "memory://",
                 "DEBUG": False, "TESTING": True}
    if url:
        overrides["SQLALCHEMY_DATABASE_URI"] = url
    return create_app(overrides)


def reset_schema() -> None:
    """Empty the database and build it with the migrations, as a server's is (on
    PostgreSQL they also make the audit log's ``audit_chain_tail()``), without the rows
    the data migrations seed."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        db.drop_all()
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade()
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


def generate(size: Size, *, seed: int = 8) -> Generated:
    """Fill the (empty) database of the current app with a competition of ``size``."""
    started = time.perf_counter()
    rng = random.Random(seed)
    session = db.session
    now = utcnow()
    password_hash = generate_password_hash(PASSWORD)

    def account(username: str, role: str, expert: Expert | None = None) -> User:
        user = User(username=username, display_name=username, role=role,
                    password_hash=password_hash, expert=expert)
        session.add(user)
        return user

    account("admin", Role.ADMIN)
    organizer = account("organizer", Role.ORGANIZER)
    competition = Competition(
        name="湖北省第一届职业技能大赛（压测）", level="provincial", level_class=1,
        host="湖北省人力资源和社会保障厅", starts_on=date(2026, 11, 20),
        ends_on=date(2026, 11, 22), status="running", name_display="masked")
    session.add(competition)
    session.flush()
    session.add(CompetitionOrganizer(competition_id=competition.id, user_id=organizer.id))

    events: list[Event] = []
    judges: dict[int, list[User]] = {}
    for number in range(size.events):
        name = OCCUPATIONS[number % len(OCCUPATIONS)]
        if number >= len(OCCUPATIONS):
            name = f"{name}{number // len(OCCUPATIONS) + 1}"
        event = Event(competition=competition, name=name, position=number,
                      occupation=Occupation(name=name), aggregation=AggregationMethod.TRIMMED_MEAN,
                      trim_count=1, marking_started_at=now)
        event.divisions = [Division(name="职工组", kind="worker", position=0),
                           Division(name="学生组", kind="student", position=1)]
        module = Module(code="A", name="实操模块A", kind="practical", weight=Decimal(100),
                        max_score=Decimal(100), position=0)
        module.criteria = [
            Criterion(code=f"A{c + 1}", description=f"评分细则第{c + 1}项",
                      max_points=Decimal(MAXIMA[c % len(MAXIMA)]),
                      kind="measurement" if c % 3 == 2 else "judgement", position=c)
            for c in range(size.criteria)]
        event.modules = [module]
        session.add(event)
        session.flush()
        panel = []
        for seat in range(size.judges + 1):
            role = PanelRole.CHIEF if seat == 0 else PanelRole.JUDGE
            expert = Expert(name=f"评委{number + 1}-{seat}", work_unit=f"评委单位{number + 1}",
                            title="高级技师")
            session.add(PanelMember(event=event, expert=expert, role=role))
            label = "chief" if seat == 0 else "judge"
            user = account(f"{label}{number + 1}-{seat}", Role.JUDGE, expert)
            if seat:
                panel.append(user)
        events.append(event)
        judges[event.id] = panel
    session.flush()

    per_event = size.contestants // size.events
    contestant_rows, entry_rows = [], []
    first_contestant = (session.scalar(select(func.max(Contestant.id))) or 0) + 1
    first_entry = (session.scalar(select(func.max(Entry.id))) or 0) + 1
    tokens = []
    for index in range(size.events * per_event):
        event = events[index // per_event]
        station = index % per_event + 1
        sex = "M" if index % 2 else "F"
        birth = date(1970, 1, 1) + timedelta(days=rng.randrange(0, 365 * 30))
        sequence = (index % 500) * 2 + (1 if sex == "M" else 0)
        id_number = make_id_number(REGIONS[(index // 500) % len(REGIONS)], birth,
                                   sequence, sex)
        division = event.divisions[station % 2]
        contestant_rows.append({
            "id": first_contestant + index, "competition_id": competition.id,
            "name": rng.choice(SURNAMES)
            + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
            "id_type": "resident_id", "id_number": id_number, "sex": sex, "birth_date": birth,
            "phone": f"13{rng.randrange(10**9):09d}", "work_unit": f"咸宁市单位{index % 97}",
            "current_certificate_no": "", "created_at": now})
        token = secrets.token_urlsafe(32)
        if station <= 50:
            tokens.append(token)
        entry_rows.append({
            "id": first_entry + index, "event_id": event.id, "division_id": division.id,
            "contestant_id": first_contestant + index, "status": "approved",
            "attendance": "present", "source": "import",
            "is_student": division.kind == "student", "token": token,
            "ticket_number": f"2026{competition.id:03d}{index + 1:05d}", "station": station,
            "code": f"J{station:04d}", "registered_at": now, "checked_in_at": now,
            "review_note": ""})
    bulk(Contestant.__table__, contestant_rows)
    bulk(Entry.__table__, entry_rows)

    first_sheet = (session.scalar(select(func.max(ScoreSheet.id))) or 0) + 1
    first_mark = (session.scalar(select(func.max(Mark.id))) or 0) + 1
    sheet_rows, mark_rows = [], []
    criteria = {event.id: [(c.id, int(c.max_points)) for c in event.modules[0].criteria]
                for event in events}
    for entry in entry_rows:
        event_id = entry["event_id"]
        module_id = events[(entry["id"] - first_entry) // per_event].modules[0].id
        # Each contestant has a level; judges' marks scatter around it.
        level = rng.uniform(0.45, 0.95)
        for judge in judges[event_id]:
            sheet_id = first_sheet + len(sheet_rows)
            sheet_rows.append({
                "id": sheet_id, "entry_id": entry["id"], "module_id": module_id,
                "judge_id": judge.id, "status": "submitted", "source": "tablet",
                "version": 2, "entered_by_id": judge.id, "created_at": now,
                "updated_at": now, "submitted_at": now, "reopened_for_review": False})
            for criterion_id, maximum in criteria[event_id]:
                halves = round(min(1.0, max(0.0, rng.gauss(level, 0.12))) * maximum * 2)
                points = Decimal(halves) / 2
                mark_rows.append({
                    "id": first_mark + len(mark_rows), "sheet_id": sheet_id,
                    "criterion_id": criterion_id, "value": points, "points": points,
                    "updated_at": now, "updated_by_id": judge.id})
        if len(mark_rows) >= 200_000:
            bulk(ScoreSheet.__table__, sheet_rows)
            bulk(Mark.__table__, mark_rows)
            first_sheet += len(sheet_rows)
            first_mark += len(mark_rows)
            sheet_rows, mark_rows = [], []
    bulk(ScoreSheet.__table__, sheet_rows)
    bulk(Mark.__table__, mark_rows)
    fix_sequences([Contestant.__table__, Entry.__table__, ScoreSheet.__table__,
                   Mark.__table__])

    events[0].scores_locked_at = now
    events[0].scores_locked_by_id = None
    session.flush()
    for division in events[0].divisions:
        publishing.publish(session, organizer, division)
    session.commit()
    counts = {
        "events": len(events),
        "contestants": session.scalar(select(func.count(Contestant.id))),
        "entries": session.scalar(select(func.count(Entry.id))),
        "sheets": session.scalar(select(func.count(ScoreSheet.id))),
        "marks": session.scalar(select(func.count(Mark.id))),
    }
    return Generated(competition_id=competition.id, event_ids=[e.id for e in events],
                     published_division_ids=[d.id for d in events[0].divisions],
                     tokens=tokens[:50], counts=counts,
                     seconds=time.perf_counter() - started)


def bulk(table, rows: list[dict]) -> None:
    """Insert ``rows`` in the session's transaction: COPY on PostgreSQL, else executemany."""
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        columns = list(rows[0])
        raw = connection.connection.driver_connection
        with raw.cursor() as cursor:
            statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
            with cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])
        return
    for start in range(0, len(rows), 50_000):
        connection.execute(insert(table), rows[start:start + 50_000])


def fix_sequences(tables) -> None:
    """After explicit ids, move PostgreSQL's id sequences past them."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"(SELECT coalesce(max(id), 1) FROM {table.name}))"))


def describe(database_url: str | None) -> str:
    url = database_url or os.environ.get("DATABASE_URL") or "sqlite (instance/)"
    return url.split("@")[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="quick")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"),
                        help="SQLAlchemy URL; default $DATABASE_URL")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("give --database-url or DATABASE_URL (the database is emptied first)")
    app = bench_app(args.database_url)
    with app.app_context():
        reset_schema()
        made = generate(SIZES[args.size], seed=args.seed)
    print(f"generated {args.size} in {made.seconds:.1f} s on {describe(args.database_url)}: "
          + ", ".join(f"{k} {v:,}" for k, v in made.counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
