"""Benchmark 5: printing admission tickets — one event's print run, as the organizer's
"all tickets" button makes it (``entries.tickets``: each approved entry's ticket, two
to an A4 page), in ms per ticket.

Reference, in the same run, per page: a bare ReportLab page with nothing on it but one
QR code, drawn as a ticket draws it — ``competition.pdf.qr_image`` at the ticket's size
(``tickets.QR_SIZE``), one page per code, the same number of codes. A second figure
shows the same bare page with the QR code as the ``qrcode`` library makes it by default
(the mask chosen by trying all eight), which is how tickets drew it before.

Each pass starts with the QR codes' cache emptied (``qr_modules``), so every code is
encoded, as in a first print run; a reprint (the cache warm) is timed once more.

``peak_rss`` runs 1,000 tickets in a process of its own and reports its peak resident
memory (``resource.getrusage``), before and after the run.
"""

from __future__ import annotations

import io
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import qrcode
from flask import url_for
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from competition.entries import tickets
from competition.entries.models import Attendance, Entry, RegistrationStatus
from competition.events.models import Event
from competition.extensions import db
from competition.pdf import qr_image, qr_modules

RSS_TICKETS = 1_000


def load(event_id: int | None, limit: int | None = None) -> list[Entry]:
    """The entries whose tickets the print run makes, loaded as the tickets view does."""
    query = (select(Entry).where(Entry.status == RegistrationStatus.APPROVED,
                                 Entry.attendance != Attendance.WITHDRAWN)
             .options(joinedload(Entry.contestant), joinedload(Entry.division),
                      joinedload(Entry.session),
                      selectinload(Entry.event).selectinload(Event.competition))
             .order_by(Entry.event_id, Entry.station.nulls_last(),
                       Entry.ticket_number.nulls_last(), Entry.id))
    if event_id is not None:
        query = query.where(Entry.event_id == event_id)
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def print_run(event_id: int | None, limit: int | None = None) -> tuple[int, int]:
    """One print run, from the database to the PDF's bytes: (tickets, bytes)."""
    db.session.remove()
    entries = load(event_id, limit)
    made = [tickets.ticket_for(entry, url_for("public.contestant_page", token=entry.token,
                                              _external=True)) for entry in entries]
    pdf = tickets.build_pdf(made, "A4", title="bench")
    return len(made), len(pdf)


def library_qr(url: str):
    """The QR code as the library makes it by default: every mask tried and scored."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=8, border=2)
    code.add_data(url)
    code.make(fit=True)
    return code.make_image(fill_color="black", back_color="white").get_image().convert("L")


def bare_pages(urls: list[str], make=qr_image) -> int:
    """One A4 page per URL with only its QR code on it, at the ticket's size."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    for url in urls:
        canvas.drawImage(ImageReader(make(url)), 100, 400, tickets.QR_SIZE, tickets.QR_SIZE)
        canvas.showPage()
    canvas.save()
    return len(buffer.getvalue())


def timed(work, *args, cold: bool = True) -> float:
    if cold:
        qr_modules.cache_clear()
    started = time.perf_counter()
    work(*args)
    return time.perf_counter() - started


def run(app, event_id: int, runs: int) -> dict:
    """Alternate the print run, its reprint and the two bare-page references ``runs``
    times (after a warm-up); then the peak memory of 1,000 tickets."""
    with app.test_request_context():
        count, size = print_run(event_id)
        urls = [url_for("public.contestant_page", token=token, _external=True)
                for token in db.session.scalars(select(Entry.token).where(
                    Entry.event_id == event_id, Entry.status == RegistrationStatus.APPROVED,
                    Entry.attendance != Attendance.WITHDRAWN))]
        assert len(urls) == count
        bare_pages(urls[:10])
        found: dict[str, list[float]] = {"app": [], "reprint": [], "bare": [],
                                         "bare_library": []}
        for _ in range(runs):
            found["app"].append(timed(print_run, event_id))
            found["reprint"].append(timed(print_run, event_id, cold=False))
            found["bare"].append(timed(bare_pages, urls))
            found["bare_library"].append(timed(bare_pages, urls, library_qr))
        db.session.remove()
    return {"tickets": count, "bytes": size,
            "rss": peak_rss(app.config["SQLALCHEMY_DATABASE_URI"], RSS_TICKETS), **found}


def peak_rss(database_url: str, count: int) -> dict:
    """Peak resident memory of a process of its own printing ``count`` tickets."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.tickets", "--rss", database_url, str(count)],
        capture_output=True, text=True, check=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__)))).stdout
    return json.loads(out.strip().splitlines()[-1])


def _max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def rss_run(database_url: str, count: int) -> dict:
    """Print a run of ``count`` tickets in a process of its own, the app loaded; its peak
    RSS before and after the run.

    The run is made in a child forked for it: Linux carries a process's peak RSS over
    ``exec``, so this process, started from the big benchmark process, would report
    that one's peak; a forked child starts from its own (this process's size at the
    fork: the app, its font and its libraries)."""
    from bench.generate import bench_app

    app = bench_app(database_url)
    with app.test_request_context():
        tickets.build_pdf([])  # the font loaded, as in a serving process
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(reader)
            before = _max_rss_mib()
            started = time.perf_counter()
            made, size = print_run(None, count)
            seconds = time.perf_counter() - started
            os.write(writer, json.dumps({
                "tickets": made, "bytes": size, "seconds": seconds,
                "rss_before_mib": before, "rss_peak_mib": _max_rss_mib()}).encode())
            os._exit(0)
        os.close(writer)
        with os.fdopen(reader, "rb") as pipe:
            found = pipe.read()
        _, status = os.waitpid(pid, 0)
        assert status == 0 and found, f"the ticket run failed ({status})"
    return json.loads(found)


def main(argv: list[str] | None = None) -> int:
    """This benchmark alone on a SQLite file, its section of RESULTS.md printed:
    ``python -m bench.tickets --size quick``. (``--rss URL COUNT``: the peak-memory run.)"""
    import argparse

    from bench.generate import SIZES, bench_app, generate, reset_schema
    from bench.run import PLANS, ROOT, tickets_section

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(PLANS), default="quick")
    parser.add_argument("--sqlite", default=None, help="default instance/bench-<size>.db")
    parser.add_argument("--rss", nargs=2, metavar=("DATABASE_URL", "COUNT"))
    args = parser.parse_args(argv)
    if args.rss:
        print(json.dumps(rss_run(args.rss[0], int(args.rss[1]))))
        return 0
    path = Path(args.sqlite or ROOT / "instance" / f"bench-{args.size}.db")
    path.parent.mkdir(parents=True, exist_ok=True)
    app = bench_app(f"sqlite:///{path}")
    with app.app_context():
        reset_schema()
        made = generate(SIZES[args.size])
        print(tickets_section(run(app, made.event_ids[0], PLANS[args.size]["ticket_runs"]),
                              PLANS[args.size]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
