"""Benchmark: a whole competition's admission tickets printed as one background job —
10,000 tickets at full size (1,000 quick), two to an A4 page — in a worker process of its
own, in ms per ticket and the worker's peak resident memory before and after the job.

    .venv/bin/python -m bench.jobs                # quick: 1,000 tickets
    .venv/bin/python -m bench.jobs --size full    # 10,000 tickets
    .venv/bin/python -m bench.jobs --compare      # also the same tickets drawn otherwise

The database is generated first (``bench.generate`` at the same size: one entry per
contestant, every entry approved, drawn and with a ticket number). The job is queued as
the print button queues it and run by RQ's worker (``competition.jobs.worker.run_worker``,
in burst mode and in its own process, ``--simple``, so the job's memory is the worker's)
when Redis answers at ``$REDIS_URL`` (default ``redis://127.0.0.1:6379/13``), else by
``jobs.runner.run_job`` in that fresh process. The peak is read from
``/proc/self/status`` (``VmHWM``): ``ru_maxrss`` would carry the benchmark process's own
peak across ``exec``.

``--compare`` runs the same print run in fresh processes two other ways: one ReportLab
document for every ticket (today's synchronous download), and the job's chunks joined by
pypdf's ``PdfWriter`` instead of ``jobs.pdf_join``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"quick": 1_000, "full": 10_000}  # the contestants of bench.generate's sizes
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"


def memory() -> dict[str, float]:
    """This process's resident memory now and its peak (MiB), from /proc."""
    found = {}
    try:
        with open("/proc/self/status") as status:
            for line in status:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    found[key] = int(value.split()[0]) / 1024
    except OSError:  # not Linux: the peak since the process started
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        found = {"VmRSS": peak, "VmHWM": peak}
    return {"rss_mib": found["VmRSS"], "peak_mib": found["VmHWM"]}


def generate_database(url: str, size: str) -> int:
    """Fill the database at ``url``; the competition's id."""
    from bench.generate import SIZES as GENERATED
    from bench.generate import bench_app, generate, reset_schema

    app = bench_app(url)
    with app.app_context():
        reset_schema()
        made = generate(GENERATED[size])
        from competition.extensions import db

        db.engine.dispose()
    return made.competition_id


def queue_job(url: str, competition_id: int, size: str = "A4") -> int:
    """A tickets job of the whole competition, queued as the print button queues it."""
    from bench.generate import bench_app
    from competition.auth.models import User
    from competition.extensions import db
    from competition.jobs.models import Job

    app = bench_app(url)
    with app.app_context():
        organizer = db.session.scalar(select(User).where(User.username == "organizer"))
        job = Job(kind="tickets.competition", competition_id=competition_id,
                  requested_by_id=organizer.id,
                  params={"competition_id": competition_id, "size": size, "scope": "bench",
                          "locale": "zh", "url_root": "https://jineng.example.cn/"})
        db.session.add(job)
        db.session.commit()
        job_id = job.id
        db.engine.dispose()
    return job_id


def worker(url: str, job_id: int, queue: str | None, strategy: str, chunk: int) -> dict:
    """In a fresh process: make the app, then run the job (or another strategy) and
    report the time and the memory before and after."""
    from bench.generate import bench_app
    from competition.entries import tickets

    app = bench_app(url)
    app.config["JOBS_PDF_CHUNK"] = chunk
    app.config["REDIS_URL"] = os.environ.get("REDIS_URL", DEFAULT_REDIS) if queue else None
    with app.test_request_context():
        tickets.build_pdf([])  # the font loaded, as in a worker that has printed before
    before = memory()
    started = time.perf_counter()
    if strategy == "job" and queue:
        from competition.jobs.worker import run_worker

        run_worker(app, queue_name=queue, burst=True, simple=True)
        backend = "rq"
    elif strategy == "job":
        from competition.jobs.runner import run_job

        run_job(app, job_id)
        backend = "in-process"
    else:
        size = _other_way(app, job_id, strategy)
        backend = strategy
    seconds = time.perf_counter() - started
    after = memory()
    result = {"backend": backend, "seconds": seconds, "rss_before_mib": before["rss_mib"],
              "peak_before_mib": before["peak_mib"], "peak_after_mib": after["peak_mib"]}
    if strategy != "job":
        result["bytes"] = size
    return result


def _other_way(app, job_id: int, strategy: str) -> int:
    """The same tickets as one ReportLab document (``single``), or drawn in the job's
    chunks and joined by pypdf's PdfWriter (``pypdf``): the size of the PDF."""
    from pypdf import PdfWriter
    from sqlalchemy.orm import joinedload, selectinload

    from competition.entries import ticket_jobs, tickets
    from competition.entries.models import Entry
    from competition.events.models import Event
    from competition.extensions import db
    from competition.jobs.models import Job

    with app.test_request_context(base_url="https://jineng.example.cn/"):
        params = db.session.get(Job, job_id).params
        query = (ticket_jobs.printed_entries(Event.position, Event.id)
                 .join(Event, Event.id == Entry.event_id)
                 .where(Event.competition_id == params["competition_id"]))
        ids = list(db.session.scalars(query))
        options = (joinedload(Entry.contestant), joinedload(Entry.division),
                   joinedload(Entry.session),
                   selectinload(Entry.event).selectinload(Event.competition))

        def load(chunk):
            found = {e.id: e for e in db.session.scalars(
                select(Entry).where(Entry.id.in_(chunk)).options(*options))}
            return [ticket_jobs.entry_ticket(found[i]) for i in chunk]

        if strategy == "single":
            every = []
            for start in range(0, len(ids), 500):
                every += load(ids[start:start + 500])
            return len(tickets.build_pdf(every, "A4", title="bench"))
        writer = PdfWriter()
        for start in range(0, len(ids), app.config["JOBS_PDF_CHUNK"]):
            part = tickets.build_pdf(load(ids[start:start + app.config["JOBS_PDF_CHUNK"]]),
                                     "A4", title="bench")
            writer.append(io.BytesIO(part))
            db.session.expunge_all()
        out = io.BytesIO()
        writer.write(out)
        return len(out.getvalue())


def _redis_queue() -> str | None:
    """A queue of its own on Redis, or None when Redis does not answer."""
    try:
        import redis

        redis.Redis.from_url(os.environ.get("REDIS_URL", DEFAULT_REDIS),
                             socket_connect_timeout=2).ping()
    except Exception:
        return None
    return f"bench-jobs-{uuid.uuid4().hex[:8]}"


def _enqueue(queue: str, job_id: int) -> None:
    import redis
    from rq import Queue

    from competition.jobs.queue import RQ_FUNCTION

    connection = redis.Redis.from_url(os.environ.get("REDIS_URL", DEFAULT_REDIS))
    Queue(queue, connection=connection).enqueue(RQ_FUNCTION, job_id, job_timeout=7200,
                                                result_ttl=0)


def _forget(queue: str) -> None:
    """Delete the benchmark's queue from Redis."""
    import redis

    connection = redis.Redis.from_url(os.environ.get("REDIS_URL", DEFAULT_REDIS))
    for key in connection.scan_iter(f"rq:*{queue}*"):
        connection.delete(key)
    connection.srem("rq:queues", f"rq:queue:{queue}")


def _in_fresh_process(url: str, job_id: int, queue: str | None, strategy: str,
                      chunk: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.jobs", "--worker", url, str(job_id), queue or "-",
         strategy, str(chunk)], capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    if out.returncode:
        raise SystemExit(f"the {strategy} run failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _job_facts(url: str, job_id: int) -> dict:
    from pypdf import PdfReader

    from bench.generate import bench_app
    from competition.extensions import db
    from competition.jobs.files import PartReader
    from competition.jobs.models import Job, JobFilePart

    app = bench_app(url)
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job.status == "done", (job.status, job.error)
        parts = db.session.scalar(select(func.count()).where(JobFilePart.job_id == job_id))
        pages = len(PdfReader(io.BytesIO(PartReader(db.engine, job_id).read())).pages)
        facts = {"tickets": job.progress_total, "bytes": job.file_size, "parts": parts,
                 "pages": pages, "job_seconds": (job.finished_at - job.started_at)
                 .total_seconds()}
        db.engine.dispose()
    return facts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="quick")
    parser.add_argument("--sqlite", default=None,
                        help="SQLite file (default instance/bench-jobs-<size>.db)")
    parser.add_argument("--database-url", default=None,
                        help="another database instead (it is emptied first)")
    parser.add_argument("--chunk", type=int, default=500, help="tickets per document")
    parser.add_argument("--compare", action="store_true",
                        help="also one ReportLab document, and pypdf's PdfWriter")
    parser.add_argument("--worker", nargs=5,
                        metavar=("URL", "JOB_ID", "QUEUE", "STRATEGY", "CHUNK"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        url, job_id, queue, strategy, chunk = args.worker
        print(json.dumps(worker(url, int(job_id), None if queue == "-" else queue,
                                strategy, int(chunk))))
        return 0

    path = Path(args.sqlite or ROOT / "instance" / f"bench-jobs-{args.size}.db")
    path.parent.mkdir(parents=True, exist_ok=True)
    url = args.database_url or f"sqlite:///{path}"
    started = time.perf_counter()
    competition_id = generate_database(url, args.size)
    print(f"generated {SIZES[args.size]:,} entries in {time.perf_counter() - started:.1f} s",
          flush=True)
    job_id = queue_job(url, competition_id)
    queue = _redis_queue()
    if queue:
        _enqueue(queue, job_id)
    try:
        run = _in_fresh_process(url, job_id, queue, "job", args.chunk)
    finally:
        if queue:
            _forget(queue)
    facts = _job_facts(url, job_id)
    per_ticket = run["seconds"] / facts["tickets"] * 1000
    print(f"job of {facts['tickets']:,} tickets ({facts['pages']:,} A4 pages, "
          f"{facts['bytes'] / 1024 / 1024:.1f} MiB in {facts['parts']} parts of ≤ 1 MiB), "
          f"{args.chunk} tickets a document, worker: {run['backend']}")
    print(f"  {run['seconds']:.1f} s in the worker ({facts['job_seconds']:.1f} s from start "
          f"to done): {per_ticket:.2f} ms per ticket")
    print(f"  worker's resident memory: {run['rss_before_mib']:.0f} MiB before the job "
          f"(peak {run['peak_before_mib']:.0f} MiB), peak {run['peak_after_mib']:.0f} MiB "
          f"after it: +{run['peak_after_mib'] - run['peak_before_mib']:.0f} MiB")
    if args.compare:
        for strategy, words in (("single", "one ReportLab document"),
                                ("pypdf", f"chunks of {args.chunk} joined by PdfWriter")):
            other = _in_fresh_process(url, job_id, None, strategy, args.chunk)
            print(f"  {words}: {other['seconds'] / facts['tickets'] * 1000:.2f} ms per "
                  f"ticket, peak {other['peak_after_mib']:.0f} MiB "
                  f"(+{other['peak_after_mib'] - other['peak_before_mib']:.0f} MiB), "
                  f"{other['bytes'] / 1024 / 1024:.1f} MiB")
    print(json.dumps({"size": args.size, "chunk": args.chunk, **facts, **run}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
