"""Benchmark 1: recomputing the results of every event (aggregation, ranking, awards).

Measured: ``results.standings.event_results`` for each event, as the publication and
the results pages call it. Reference, in the same run on the same data: one SQL
aggregate query per event returning each entry's total (the sum of its submitted
marks) plus a Python sort by division and total — the least any ranking must do.
"""

from __future__ import annotations

import time

from sqlalchemy import text

from competition.extensions import db
from competition.results.standings import event_results

REFERENCE_SQL = text("""
    SELECT s.entry_id, e.division_id, SUM(m.points) AS total
    FROM marks m
    JOIN score_sheets s ON s.id = m.sheet_id
    JOIN entries e ON e.id = s.entry_id
    WHERE e.event_id = :event_id AND e.status = 'approved' AND s.status = 'submitted'
    GROUP BY s.entry_id, e.division_id
""")


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


def timed(work, *args) -> tuple[float, object]:
    db.session.remove()  # nothing cached from the previous pass
    started = time.perf_counter()
    out = work(*args)
    elapsed = time.perf_counter() - started
    db.session.remove()
    return elapsed, out


def run(event_ids: list[int], runs: int) -> dict:
    """Alternate the two passes ``runs`` times; the first (warm-up) pair is not counted."""
    timed(reference_pass, event_ids)
    timed(app_pass, event_ids)
    app_times, ref_times = [], []
    for _ in range(runs):
        seconds, ranked_ref = timed(reference_pass, event_ids)
        ref_times.append(seconds)
        seconds, ranked_app = timed(app_pass, event_ids)
        app_times.append(seconds)
    return {"app": app_times, "reference": ref_times, "entries": ranked_app,
            "reference_entries": ranked_ref, "events": len(event_ids)}
