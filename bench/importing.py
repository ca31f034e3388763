"""Benchmark 4: importing a 10,000-row contestant .xlsx, against openpyxl's own
read-only pass over the same file.

The file is written as an organizer's would be (the template's header row, one
contestant per row, spread over every event still taking registrations — all but
the first, whose scores are locked — and both divisions). Measured: the
import as the import page runs it — read, check every row against the rules and
the database, register all or nothing — inside a transaction that is then rolled
back, so every run imports the same file into the same database. Reference:
``openpyxl.load_workbook(read_only=True)`` iterating every row's values.
"""

from __future__ import annotations

import io
import random
import time
from datetime import date, timedelta

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from competition.entries import importer
from competition.entries.idcard import make_id_number
from competition.entries.models import Entry
from competition.events.models import Competition, Event
from competition.extensions import db

REGION = "420111"  # 武汉市洪山区: no generated contestant comes from it


def workbook(competition_id: int, rows: int, seed: int = 4) -> bytes:
    rng = random.Random(seed)
    events = db.session.scalars(
        select(Event).where(Event.competition_id == competition_id,
                            Event.name.not_like("评分压测%"),
                            Event.scores_locked_at.is_(None))
        .options(selectinload(Event.divisions)).order_by(Event.position)).all()
    book = Workbook(write_only=True)
    sheet = book.create_sheet(importer.SHEET)
    sheet.append(list(importer.HEADERS))
    for n in range(rows):
        event = events[n % len(events)]
        division = event.divisions[(n // len(events)) % len(event.divisions)]
        sex = "男" if n % 2 else "女"
        birth = date(1975, 1, 1) + timedelta(days=n // 500)
        id_number = make_id_number(REGION, birth, (n % 500) * 2 + (1 if n % 2 else 0),
                                   "M" if n % 2 else "F")
        student = division.kind == "student"
        sheet.append([f"导入{n}", id_number, sex, f"139{rng.randrange(10**8):08d}",
                      f"导入单位{n % 53}", event.name, division.name,
                      "" if student else rng.choice(["四级/中级工", "三级", "", "无"]),
                      "", "是" if student else "否"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def reference_pass(data: bytes) -> int:
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    count = sum(1 for _ in book[importer.SHEET].iter_rows(values_only=True))
    book.close()
    return count


def app_pass(competition_id: int, data: bytes) -> int:
    session = db.session
    competition = session.get(Competition, competition_id)
    try:
        entries = importer.import_file(session, competition, "bench.xlsx", data, date.today())
        session.flush()
        return len(entries)
    finally:
        session.rollback()
        session.remove()


def run(competition_id: int, rows: int, runs: int) -> dict:
    data = workbook(competition_id, rows)
    before = db.session.scalar(select(func.count(Entry.id)))
    db.session.remove()
    app_times, ref_times, imported = [], [], 0
    for _ in range(runs):
        started = time.perf_counter()
        read = reference_pass(data)
        ref_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        imported = app_pass(competition_id, data)
        app_times.append(time.perf_counter() - started)
    after = db.session.scalar(select(func.count(Entry.id)))
    return {"app": app_times, "reference": ref_times, "rows": rows, "read": read - 1,
            "imported": imported, "left_in_db": after - before, "bytes": len(data)}
