"""Run benchmarks 1–5 and write the figures into ``bench/RESULTS.md``.

    make bench          # full size: 20 events, 10,000 contestants, 1.5 million marks
    make bench-quick    # 4 events, 1,000 contestants: a check that everything runs

Each figure is the median of several runs, beside a reference measured in the same
run on the same machine, and the ratio between them; the goals are ratios, since
these machines are noisy. The SQLite database is a file under ``instance/``; the
PostgreSQL one is ``$BENCH_DATABASE_URL`` (default: the database ``bench`` on the
local server, created if missing) and is emptied first.

Only the part of RESULTS.md between the ``figures`` markers is rewritten; what we
changed and what it gained is written by hand around it.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import runpy
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import importing, judges, pages, recompute, tickets
from bench.generate import SIZES, bench_app, generate, reset_schema
from competition.extensions import db

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
BEGIN, END = "<!-- figures -->", "<!-- /figures -->"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/bench"

# Per size: runs of each timed pass, wrk rounds × seconds, judges × sheets each, import rows.
PLANS = {
    "full": {"runs": 5, "rounds": 3, "seconds": 10, "judges": 200, "sheets": 5,
             "rows": 10_000, "import_runs": 3, "ticket_runs": 5},
    "quick": {"runs": 3, "rounds": 2, "seconds": 4, "judges": 50, "sheets": 3,
              "rows": 1_000, "import_runs": 3, "ticket_runs": 3},
}


def median(values: list[float]) -> float:
    return statistics.median(values)


def ensure_database(url: str) -> None:
    """Create the PostgreSQL benchmark database when it does not exist."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                           {"name": parsed.database}):
            conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def analyze() -> None:
    """Fresh planner statistics and visibility maps, as a live database has after
    autovacuum (which would otherwise start on the new rows in the middle of a run)."""
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE"))


def machine() -> dict:
    memory = ""
    try:
        with open("/proc/meminfo") as info:
            kib = int(next(line for line in info if line.startswith("MemTotal")).split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return {"cores": os.cpu_count(), "memory": memory, "python": platform.python_version(),
            "system": f"{platform.system()} {platform.release()}",
            "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def bench_database(url: str, size: str, plan: dict, *, http: bool,
                   print_run: bool = False) -> dict:
    """Generate the competition into ``url`` and run the benchmarks that use it."""
    found: dict = {"url": make_url(url).render_as_string(hide_password=True)}
    app = bench_app(url)
    with app.app_context():
        found["dialect"] = db.engine.dialect.name
        found["server"] = db.session.scalar(text(
            "SELECT version()" if found["dialect"] == "postgresql" else "SELECT sqlite_version()"))
        log(f"{found['dialect']}: generating the {size} competition")
        reset_schema()
        made = generate(SIZES[size])
        analyze()
        found["generated"] = {"seconds": made.seconds, **made.counts}
        log(f"{found['dialect']}: generated in {made.seconds:.0f} s: {made.counts}")

        log(f"{found['dialect']}: 1. recomputing every event's results")
        found["recompute"] = recompute.run(made.event_ids, plan["runs"])
        if print_run:
            log(f"{found['dialect']}: 5. printing one event's admission tickets")
            found["tickets"] = tickets.run(app, made.event_ids[0], plan["ticket_runs"])
        if not http:
            return found

        log(f"{found['dialect']}: 4. importing {plan['rows']:,} rows")
        found["import"] = importing.run(made.competition_id, plan["rows"], plan["import_runs"])

        if pages.available():
            log(f"{found['dialect']}: 2. serving pages under gunicorn, loaded by wrk")
            found["pages"] = pages.run(url, made.tokens[0], made.published_division_ids[0],
                                       plan["rounds"], plan["seconds"])
        else:
            found["pages"] = None
            log("wrk is not installed (apt-get install wrk): benchmark 2 skipped")

        log(f"{found['dialect']}: 3. {plan['judges']} judges scoring through the API")
        setup = judges.setup(made.competition_id, plan["judges"], plan["sheets"])
        found["judges"] = judges.run(url, setup)
        log(f"{found['dialect']}: 3. the same, each judge one request every {PACE:g} s")
        setup = judges.setup(made.competition_id, plan["judges"], plan["sheets"])
        found["judges_paced"] = judges.run(url, setup, pace=PACE)
    return found


# Seconds between one judge's requests in the paced run of benchmark 3.
PACE = 2.0

KIND_NAMES = {"open": "open a sheet (GET)", "save": "save half a sheet's marks",
              "submit": "submit a sheet", "replay": "a write sent again (same key)"}


def _server_settings() -> str:
    """The production settings' workers and threads on this machine."""
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    return (f"{settings['workers']} {settings['worker_class']} workers × "
            f"{settings['threads']} threads, `gunicorn.conf.py`")


SERVER = _server_settings()


def ratio_line(name: str, app: list[float], reference: list[float], goal: str,
               within) -> str:
    a, r = median(app), median(reference)
    ratio = a / r
    verdict = "met" if within(ratio) else "**missed**"
    return (f"| {name} | {a * 1000:,.0f} ms | {r * 1000:,.0f} ms | {ratio:.2f}× | {goal} | "
            f"{verdict} |")


def report(size: str, plan: dict, runs: list[dict], seconds: float) -> str:
    m = machine()
    lines = [
        f"Latest run: `{'make bench' if size == 'full' else 'make bench-quick'}` ({size} size), "
        f"{m['date']}, on {m['cores']} cores and {m['memory']} of memory "
        f"({m['system']}, Python {m['python']}); the whole run took {seconds / 60:.1f} min.",
        "",
    ]
    for found in runs:
        counts = found["generated"]
        lines.append(f"Generated on {found['dialect']} ({found['server'].split(' on ')[0]}) in "
                     f"{counts['seconds']:.0f} s: {counts['events']} events, "
                     f"{counts['contestants']:,} contestants, {counts['sheets']:,} submitted "
                     f"sheets, {counts['marks']:,} marks.")
    lines += ["", "### 1. Recomputing every event's results", "",
              f"Median of {plan['runs']} runs over all events, the three passes in turn "
              "(each round starting with the next). "
              "References: the plain sum, one SQL aggregate per event (each entry's total "
              "of marks) plus a Python sort; the same-math SQL, one hand-written statement "
              "per event doing the app's arithmetic (trimmed mean as sum − min − max over "
              "count − 2, module scores, weighted total, `RANK()` per division; "
              "`bench/recompute.py`).", "",
              "| database | app | plain sum | app ÷ plain | goal | | same-math SQL | "
              "app ÷ same-math | goal | |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for found in runs:
        r = found["recompute"]
        a, p, s = median(r["app"]), median(r["reference"]), median(r["same_math"])
        lines.append(
            f"| {found['dialect']} | {a * 1000:,.0f} ms | {p * 1000:,.0f} ms | {a / p:.2f}× "
            f"| ≤ 2× | {'met' if a / p <= 2 else '**missed**'} | {s * 1000:,.0f} ms | "
            f"{a / s:.2f}× | ≤ 1.15× | {'met' if a / s <= 1.15 else '**missed**'} |")
        assert r["entries"] == r["reference_entries"], "the two passes ranked different entries"
    lines += ["", "Checked in the same run before timing: the same-math SQL's total equals "
              "the app's published total to 2 decimals for every entry ("
              + ", ".join(f"{f['recompute']['checked']:,} on {f['dialect']}" for f in runs)
              + ")."]
    for found in runs:
        if "import" not in found:
            continue
        i = found["import"]
        lines += ["", "### 4. Importing a contestant .xlsx", "",
                  f"{i['rows']:,} rows ({i['bytes'] / 1024:,.0f} KiB) on {found['dialect']}, "
                  f"median of {plan['import_runs']} runs, each checked against the rules and "
                  "the database and registered all or nothing, then rolled back. Reference: "
                  "openpyxl's read-only pass over the same file.", "",
                  "| | app | reference | ratio | goal | |", "|---|---|---|---|---|---|",
                  ratio_line("import", i["app"], i["reference"], "≤ 2×", lambda x: x <= 2),
                  "", f"Rows read {i['read']:,}, imported {i['imported']:,}, left in the "
                  f"database afterwards {i['left_in_db']}."]
        p = found["pages"]
        lines += ["", f"### 2. Pages under gunicorn ({SERVER}), loaded by wrk", ""]
        if p is None:
            lines.append("Not measured: wrk is not installed.")
        else:
            bare = median([x["rps"] for x in p["runs"]["bare"]])
            lines += [f"{pages.CONNECTIONS} connections, {pages.THREADS} wrk threads, "
                      f"{plan['rounds']} rounds of {plan['seconds']} s each in turn; medians. "
                      "Reference: a bare Flask app returning a short string, same gunicorn "
                      "settings. Both public pages are kept in the shared cache (Redis): "
                      "what is timed is a visitor arriving after the first, who costs one "
                      "query for the page's state and one cache read.", "",
                      "| page | requests/s | of bare | p50 | p99 | non-2xx | goal | |",
                      "|---|---|---|---|---|---|---|---|"]
            for name, label, goal in (("bare", "bare Flask `/`", ""),
                                      ("contestant", "`/r/<token>`", "≥ 0.5×"),
                                      ("results", "public results of a division",
                                       "≥ 0.5×")):
                rps = median([x["rps"] for x in p["runs"][name]])
                share = rps / bare
                verdict = ("met" if share >= 0.5 else "**missed**") if goal else ""
                lines.append(
                    f"| {label} | {rps:,.0f} | {share:.2f}× | "
                    f"{median([x['p50'] for x in p['runs'][name]]):.1f} ms | "
                    f"{median([x['p99'] for x in p['runs'][name]]):.1f} ms | "
                    f"{sum(x['non_2xx'] for x in p['runs'][name])} | {goal} | {verdict} |")
        lines += ["", "### 3. Judges scoring at once through the JSON API", "",
                  f"Gunicorn with the production settings ({SERVER}). "
                  "Each judge on its own thread and keep-alive connection; all start "
                  "together; every sheet is opened, saved in two halves and submitted; one "
                  "write in ten is sent twice with the same Idempotency-Key. Two runs, each "
                  "on an event of its own: **flat out**, every judge sending its next "
                  "request the moment the last is answered (a stress test: the latency is "
                  "the queue of 200 clients in front of the server, Little's law), and **at "
                  f"a venue's pace**, every judge starting a request every {PACE:g} s — "
                  "already ten times what a judge marking by hand sends.", ""]
        for j in (found["judges"], found.get("judges_paced")):
            if j is not None:
                lines += judges_section(j)
    for found in runs:
        if "tickets" in found:
            lines += ["", tickets_section(found["tickets"], plan)]
    return "\n".join(lines)


def judges_section(j: dict) -> list[str]:
    c = j["check"]
    paced = j.get("pace") is not None
    title = (f"At a venue's pace (one request every {j['pace']:g} s per judge)" if paced
             else "Flat out")
    goal = "p99 ≤ 1 s" if paced else ""
    verdict = ("met" if j["p99_ms"] <= 1000 else "**missed**") if paced else ""
    lines = [f"**{title}**: {j['judges']} judges, {j['sheets']:,} sheets, {j['replays']} "
             "replays answered from the record.", "",
             "| requests | kind | requests/s | p50 | p99 | failed | goal | |",
             "|---|---|---|---|---|---|---|---|",
             f"| {j['requests']:,} | all, in {j['seconds']:.1f} s | {j['rps']:,.0f} | "
             f"{j['p50_ms']:.0f} ms | {j['p99_ms']:.0f} ms | {j['failure_count']} | {goal} | "
             f"{verdict} |",
             *[f"| {k['requests']:,} | {KIND_NAMES[kind]} | | {k['p50_ms']:.0f} ms | "
               f"{k['p99_ms']:.0f} ms | | | |" for kind, k in j["kinds"].items()], "",
             f"Counted afterwards: {c['marks_in_db']:,} marks in the database for "
             f"{c['expected_marks']:,} sent; lost {c['lost']}, doubled {c['doubled']}, "
             f"wrong value {c['wrong_value']}, unexpected {c['unexpected']}; "
             f"{c['submitted']:,} of {c['expected_sheets']:,} sheets submitted — "
             + ("**nothing lost, nothing doubled**." if judges.ok(c) else "**MISMATCH**."),
             ""]
    if j["failures"]:
        lines += ["First failures:", ""] + [f"- `{f}`" for f in j["failures"]] + [""]
    return lines


def tickets_section(t: dict, plan: dict) -> str:
    n = t["tickets"]
    app, reprint, bare, library = (median(t[k]) / n * 1000
                                   for k in ("app", "reprint", "bare", "bare_library"))
    rss = t["rss"]
    return "\n".join([
        "### 5. Printing admission tickets", "",
        f"One event's print run: {n:,} tickets, two to an A4 page ({t['bytes'] / 1024:,.0f} "
        f"KiB), from the database to the PDF's bytes; median of {plan['ticket_runs']} runs, "
        "each with the QR codes' cache empty. Reference: the same number of bare ReportLab "
        "pages with one QR code each, drawn as the ticket draws it (same function, same "
        "size); beside it, the bare page with the `qrcode` library's default code (every "
        "mask tried).", "",
        "| | ms per ticket or page | of the bare page | goal | |", "|---|---|---|---|---|",
        f"| tickets | {app:.2f} | {app / bare:.2f}× | ≤ 2× | "
        f"{'met' if app <= 2 * bare else '**missed**'} |",
        f"| the same tickets reprinted (QR codes cached) | {reprint:.2f} | "
        f"{reprint / bare:.2f}× | | |",
        f"| bare page, the app's QR code | {bare:.2f} | 1.00× | | |",
        f"| bare page, the library's default QR code | {library:.2f} | {library / bare:.2f}× "
        "| | |", "",
        f"Peak RSS of a process printing {rss['tickets']:,} tickets in one PDF "
        f"({rss['bytes'] / 1024 / 1024:.1f} MiB, {rss['seconds']:.1f} s): "
        f"{rss['rss_peak_mib']:.0f} MiB, {rss['rss_peak_mib'] - rss['rss_before_mib']:.0f} "
        f"MiB above the same process before the run ({rss['rss_before_mib']:.0f} MiB: the "
        "app, its font and its libraries loaded)."])


def write(text_: str, path: Path = RESULTS, section: str = "") -> None:
    """Put ``text_`` between the figures' markers of ``path`` (those of ``section`` when
    named: ``<!-- figures:NAME -->``), leaving the rest of the file as it is."""
    begin, end = ((BEGIN, END) if not section else
                  (f"<!-- figures:{section} -->", f"<!-- /figures:{section} -->"))
    old = path.read_text() if path.exists() else "# Benchmarks\n"
    if begin not in old:
        old += f"\n{begin}\n{end}\n"
    head, rest = old.split(begin, 1)
    tail = rest.split(end, 1)[1] if end in rest else ""
    path.write_text(f"{head}{begin}\n{text_}\n{end}{tail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(PLANS), default="full")
    parser.add_argument("--postgres", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG))
    parser.add_argument("--sqlite", default=None,
                        help="SQLite file (default instance/bench-<size>.db)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    plan = PLANS[args.size]
    started = time.perf_counter()
    sqlite_file = Path(args.sqlite or ROOT / "instance" / f"bench-{args.size}.db")
    sqlite_file.parent.mkdir(parents=True, exist_ok=True)
    runs = [bench_database(f"sqlite:///{sqlite_file}", args.size, plan, http=False,
                           print_run=True)]
    ensure_database(args.postgres)
    runs.append(bench_database(args.postgres, args.size, plan, http=True))
    text_ = report(args.size, plan, runs, time.perf_counter() - started)
    write(text_, args.output)
    print(text_)
    log(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
