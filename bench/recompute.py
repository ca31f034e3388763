"""Benchmark 1: recomputing the results of every event (aggregation, ranking, awards).

Measured: ``results.standings.event_results`` for each event, as the publication and
the results pages call it. Two references, in the same run on the same data:

- the plain sum: one SQL aggregate query per event returning each entry's total (the
  sum of its submitted marks) plus a Python sort by division and total — the least
  any ranking must do, but not the same arithmetic;
- the same-math SQL: one hand-written statement per event doing the app's arithmetic
  in the database — per criterion the event's method (the trimmed mean dropping one
  mark at each end, ``(sum − min − max) ÷ (count − 2)``; measurement criteria the mean
  of their marks; with two marks or fewer, their mean, which is the median the app
  falls back to), per module the criteria's points summed and scaled to the module's
  score, per entry the weighted sum of its module scores, per division the rank. It
  covers what the generated competition holds and no more: the trimmed mean with
  ``trim_count`` 1, no penalties, no imported module scores (``covered`` refuses any
  other data rather than compare the app with something else). The median, other
  trims and the WorldSkills scale are left out.

Before timing, every entry's total from the same-math SQL is checked against the
app's published total to 2 decimals (``check_same_totals``), so the reference cannot
drift from the app's arithmetic unnoticed.
"""

from __future__ import annotations

import time
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select, text

from competition.entries.models import Entry
from competition.events.models import Event
from competition.extensions import db
from competition.judging.models import ExternalScore, Penalty
from competition.results.standings import event_results

REFERENCE_SQL = text("""
    SELECT s.entry_id, e.division_id, SUM(m.points) AS total
    FROM marks m
    JOIN score_sheets s ON s.id = m.sheet_id
    JOIN entries e ON e.id = s.entry_id
    WHERE e.event_id = :event_id AND e.status = 'approved' AND s.status = 'submitted'
    GROUP BY s.entry_id, e.division_id
""")

# The same arithmetic as the app, in one statement; runs on SQLite and PostgreSQL
# (``* 1.0``: SQLite divides integers as integers). The criteria are joined after the
# marks are grouped: joined to the marks, SQLite's planner starts from them and takes
# ten times as long.
SAME_MATH_SQL = text("""
    WITH per_criterion AS (
        SELECT s.entry_id, e.division_id, s.module_id, m.criterion_id,
               SUM(m.points) AS total, MIN(m.points) AS low, MAX(m.points) AS high,
               COUNT(*) AS n
        FROM marks m
        JOIN score_sheets s ON s.id = m.sheet_id
        JOIN entries e ON e.id = s.entry_id
        WHERE e.event_id = :event_id AND e.status = 'approved' AND s.status = 'submitted'
        GROUP BY s.entry_id, e.division_id, s.module_id, m.criterion_id
    ), per_module AS (
        SELECT pc.entry_id, pc.division_id, pc.module_id,
               SUM(CASE WHEN c.kind = 'judgement' AND pc.n > 2
                        THEN (pc.total - pc.low - pc.high) * 1.0 / (pc.n - 2)
                        ELSE pc.total * 1.0 / pc.n END) AS points
        FROM per_criterion pc
        JOIN criteria c ON c.id = pc.criterion_id
        GROUP BY pc.entry_id, pc.division_id, pc.module_id
    ), per_entry AS (
        SELECT pm.entry_id, pm.division_id,
               SUM(pm.points * 100 / mo.max_score * mo.weight / 100) AS total
        FROM per_module pm
        JOIN modules mo ON mo.id = pm.module_id
        GROUP BY pm.entry_id, pm.division_id
    )
    SELECT entry_id, division_id, total,
           RANK() OVER (PARTITION BY division_id ORDER BY total DESC) AS place
    FROM per_entry
""")

CENT = Decimal("0.01")


def app_pass(event_ids: list[int]) -> int:
    ranked = 0
    for event_id in event_ids:
        ranked += sum(1 for r in event_results(db.session, event_id) if r.rank is not None)
    return ranked


def reference_pass(event_ids: list[int]) -> int:
    ranked = 0
    for event_id in event_ids:
        rows = db.session.execute(REFERENCE_SQL, {"event_id": event_id}).all()
        rows.sort(key=lambda row: (row.division_id, -row.total))
        ranked += len(rows)
    return ranked


def same_math_pass(event_ids: list[int]) -> int:
    ranked = 0
    for event_id in event_ids:
        ranked += len(db.session.execute(SAME_MATH_SQL, {"event_id": event_id}).all())
    return ranked


def covered(event_ids: list[int]) -> None:
    """Refuse data the same-math SQL does not compute as the app does."""
    methods = set(db.session.execute(select(Event.aggregation, Event.trim_count)
                                     .where(Event.id.in_(event_ids))))
    if methods != {("trimmed_mean", 1)}:
        raise ValueError(f"the same-math SQL does the trimmed mean of trim 1 only: {methods}")
    for model in (Penalty, ExternalScore):
        if db.session.scalar(select(func.count()).select_from(model).join(
                Entry, Entry.id == model.entry_id).where(Entry.event_id.in_(event_ids))):
            raise ValueError(f"the same-math SQL leaves out {model.__tablename__}")


def check_same_totals(event_ids: list[int]) -> int:
    """Every entry's total from the same-math SQL, to 2 decimals (half up), equals the
    app's published total; the number of entries compared."""
    checked, wrong = 0, []
    for event_id in event_ids:
        app = {r.entry_id: r.total for r in event_results(db.session, event_id)}
        rows = db.session.execute(SAME_MATH_SQL, {"event_id": event_id}).all()
        reference = {row.entry_id: Decimal(str(row.total)).quantize(CENT, ROUND_HALF_UP)
                     for row in rows}
        if set(reference) != set(app):
            wrong.append((event_id, "entries", sorted(set(reference) ^ set(app))[:5]))
        wrong += [(event_id, entry_id, app[entry_id], total)
                  for entry_id, total in reference.items()
                  if entry_id in app and app[entry_id].quantize(CENT) != total]
        checked += len(reference)
    db.session.remove()
    assert not wrong, f"the same-math SQL and the app disagree: {wrong[:10]} ({len(wrong)})"
    return checked


def timed(work, *args) -> tuple[float, object]:
    db.session.remove()  # nothing cached from the previous pass
    started = time.perf_counter()
    out = work(*args)
    elapsed = time.perf_counter() - started
    db.session.remove()
    return elapsed, out


def run(event_ids: list[int], runs: int) -> dict:
    """Check the same-math SQL against the app, then run the three passes in turn
    ``runs`` times, each round starting with the next; the first (warm-up) round is not
    counted."""
    covered(event_ids)
    checked = check_same_totals(event_ids)
    passes = {"reference": reference_pass, "same_math": same_math_pass, "app": app_pass}
    for work in passes.values():
        timed(work, event_ids)
    times: dict[str, list[float]] = {name: [] for name in passes}
    counts: dict[str, int] = {}
    names = list(passes)
    for round_ in range(runs):
        # Each round starts with another pass: none always follows the same one, whose
        # reads leave the caches to it.
        for name in names[round_ % 3:] + names[:round_ % 3]:
            seconds, counts[name] = timed(passes[name], event_ids)
            times[name].append(seconds)
    return {"app": times["app"], "reference": times["reference"],
            "same_math": times["same_math"], "entries": counts["app"],
            "reference_entries": counts["reference"],
            "same_math_entries": counts["same_math"], "checked": checked,
            "events": len(event_ids)}
