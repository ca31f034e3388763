"""Benchmark 7: live updates (server-sent events) beside the judges' saves.

The production layout: judges' saves go to the app server (gunicorn with the
production settings, ``gunicorn.conf.py``); the pages that follow an event live (the
chief judge's console, the organizers' results, the big screen) hold their streams on
an app server of their own (threaded workers, ``LIVE_STREAMS`` raised), on the same
database, both with ``REDIS_URL`` set, so that a save on the one reaches a stream on
the other through Redis publish/subscribe (``competition.live``). Measured:

1. **Saves with and without open streams.** The judges' benchmark (``bench/judges.py``:
   every judge at once through the JSON API, on an event of its own) run on the app
   server with no stream open, and again with 50 streams open on the streams' server
   for the whole run, all following the event being scored; p50 and p99 per request
   kind of both, and the ratio of p99 with ÷ without (goal ≤ 1.1×). Flat out and at a
   venue's pace, in the order without, with, with, without, so that a drift in the
   machine's load favours neither side. The ``changed`` events each stream received
   are counted against the writes that announce one, and every stream that failed.
2. **Update latency.** With a stream open on the streams' server, single saves through
   the API on the app server, one at a time, each timed from just before it is sent to
   the moment the stream delivers its ``changed`` (goal: median under 1 s); and the same
   on an event of its own while the judges' runs with streams are under way.

The streams and the probe are read by processes of their own, so that reading them
never takes the judges' client's interpreter lock.

    .venv/bin/python -m bench.live --size quick            # 50 judges, about 2 min
    .venv/bin/python -m bench.live --size full             # 200 judges, 4–6 min
    .venv/bin/python -m bench.live --size full --reuse --output /tmp/live.md

The database (``--database``, default the PostgreSQL database ``bench_live``, created
if missing) is emptied and generated at the size asked (``bench/generate.py``), or used
as it is with ``--reuse``; every run adds events of its own to it. Redis: ``--redis``
(default db 12), for both servers. The figures are printed as a markdown section and,
with ``--output``, written to that file and, with ``--results``, into
``bench/RESULTS.md`` (``make bench``).
"""

from __future__ import annotations

import argparse
import http.client
import math
import multiprocessing
import os
import queue
import socket
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event as ProcessEvent
from pathlib import Path
from urllib.parse import urlsplit

import requests
from sqlalchemy import select, text

from bench import judges
from bench.generate import SIZES, bench_app, generate, reset_schema
from bench.run import (
    KIND_NAMES,
    PACE,
    RESULTS,
    SERVER,
    analyze,
    ensure_database,
    log,
    machine,
    write,
)
from bench.serve import WARM_CONNECTIONS, WARM_SECONDS, gunicorn
from competition.auth.credentials import issue_api_token
from competition.auth.models import User
from competition.events.models import Competition, CompetitionOrganizer, PanelMember, PanelRole
from competition.extensions import db
from competition.live import MIN_GAP_SECONDS

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_live"
DEFAULT_REDIS = "redis://127.0.0.1:6379/12"

# The streams' own app server: threaded workers with LIVE_STREAMS raised, and more
# threads than that, so that a stream past the limit is still answered (503).
STREAM_WORKERS = 2
STREAM_THREADS = 72
STREAM_LIMIT = 64

# Per size: judges × sheets each, streams held open, single saves timed alone.
PLANS = {
    "full": {"judges": 200, "sheets": 5, "streams": 50, "probes": 50},
    "quick": {"judges": 50, "sheets": 3, "streams": 50, "probes": 20},
}
# The load runs in turn: (seconds between one judge's requests or None: flat out,
# whether streams are open).
ORDER = ((None, False), (None, True), (PACE, True), (PACE, False))

READY_SECONDS = 30  # for every stream to say "ready"
UPDATE_SECONDS = 10  # for a save's "changed" to arrive; later counts as missed
READ_SECONDS = 60  # silence on a stream (it sends a comment every 15 s) that is an error
# After the streams said "ready": the server subscribes right after sending it.
SETTLE_SECONDS = 0.5
PROBE_PAUSE = {"alone": 0.1, "load": 0.5}  # seconds between the probe's saves
SPREAD_AFTER = 3.0  # seconds into a run: when the connections per worker are counted
GOAL_RATIO = 1.1
GOAL_MEDIAN_MS = 1000


@dataclass(frozen=True)
class Stream:
    """A stream to open: its kind (console, results, screen), path and bearer token."""

    kind: str
    path: str
    token: str


PATHS = {"console": "/judge/events/{}/console/stream", "results": "/events/{}/results/stream",
         "screen": "/events/{}/screen/stream"}


class StreamReader(threading.Thread):
    """Reads one ``text/event-stream`` response line by line and counts its ``changed``
    events, putting the moment each arrives on ``arrivals`` when given."""

    def __init__(self, base: str, stream: Stream,
                 arrivals: queue.SimpleQueue | None = None) -> None:
        super().__init__(daemon=True)
        self.base, self.stream, self.arrivals = base, stream, arrivals
        self.status: int | None = None
        self.changed = 0
        self.error: str | None = None
        self.ready = threading.Event()  # set at "ready", or when the stream failed first
        self._closing = False
        self._sock: socket.socket | None = None

    def run(self) -> None:
        try:
            self._read()
        except (OSError, http.client.HTTPException) as error:
            if not self._closing:
                self.error = f"{type(error).__name__}: {error}"
        finally:
            self.ready.set()

    def _read(self) -> None:
        url = urlsplit(self.base)
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=READ_SECONDS)
        connection.request("GET", self.stream.path, headers={
            "Authorization": f"Bearer {self.stream.token}", "Accept": "text/event-stream"})
        self._sock = connection.sock
        response = connection.getresponse()
        self.status = response.status
        if response.status != 200:
            self.error = f"{response.status} {response.read(120).decode(errors='replace')}"
            return
        while line := response.readline():
            self._line(line.rstrip(b"\r\n"))
        if not self._closing:
            self.error = "closed by the server"

    def _line(self, line: bytes) -> None:
        if line == b"event: ready":
            self.ready.set()
        elif line == b"event: changed":
            self.changed += 1
            if self.arrivals is not None:
                self.arrivals.put(time.perf_counter())

    @property
    def is_open(self) -> bool:
        return self.status == 200 and self.error is None

    def close(self) -> None:
        """End the stream from this side (its thread's read then returns)."""
        self._closing = True
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


# --- The streams held open, in a process of their own --------------------------------

def hold_streams(base: str, streams: list[Stream], out: Queue, stop: ProcessEvent) -> None:
    """Open ``streams`` at once; put on ``out`` how many are open once every one said
    "ready" (or failed), then, when ``stop`` is set, each one's counts and errors."""
    readers = [StreamReader(base, stream) for stream in streams]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + READY_SECONDS
    for reader in readers:
        reader.ready.wait(max(0.0, deadline - time.monotonic()))
    out.put({"open": sum(r.is_open and r.ready.is_set() for r in readers)})
    cpu = time.process_time()
    stop.wait()
    found = {"kinds": [r.stream.kind for r in readers], "changed": [r.changed for r in readers],
             "statuses": [r.status for r in readers],
             "errors": [r.error for r in readers if r.error],
             "cpu": time.process_time() - cpu}
    for reader in readers:
        reader.close()
    for reader in readers:
        reader.join(5)
    out.put(found)


@contextmanager
def held_streams(base: str, streams: list[Stream]) -> Iterator[dict]:
    """Hold ``streams`` open on ``base`` from a process of their own until the block
    ends; the dict yielded is filled then with what they received."""
    context = multiprocessing.get_context("spawn")
    out, stop = context.Queue(), context.Event()
    process = context.Process(target=hold_streams, args=(base, streams, out, stop),
                              daemon=True)
    process.start()
    found: dict = {}
    try:
        found.update(out.get(timeout=READY_SECONDS + 30))
        time.sleep(SETTLE_SECONDS)
        yield found
    finally:
        stop.set()
        found.update(out.get(timeout=30))
        process.join(10)


# --- The probe: single saves, each timed to its "changed" ----------------------------

@dataclass(frozen=True)
class Probe:
    """What the probe's judge saves: its token, its sheet's entry and module, and the
    criterion whose value it changes each time."""

    token: str
    entry_id: int
    module_id: int
    criterion_id: int


def probe(site: str, streams_site: str, stream: Stream, judge: Probe, count: int | None,
          pause: float, out: Queue, stop: ProcessEvent) -> None:
    """Follow ``stream``; save ``count`` times (None: until ``stop`` is set) through
    ``site``, one save at a time, and put on ``out`` each save's times."""
    arrivals: queue.SimpleQueue = queue.SimpleQueue()
    reader = StreamReader(streams_site, stream, arrivals)
    reader.start()
    reader.ready.wait(READY_SECONDS)
    out.put({"open": reader.is_open, "error": reader.error})
    if not reader.is_open:
        return
    time.sleep(SETTLE_SECONDS)
    try:
        found = probe_saves(site, judge, count, pause, arrivals, stop)
    except (requests.RequestException, ValueError, KeyError) as error:
        found = {"samples": [], "failures": [repr(error)], "failed": 1}
    reader.close()
    reader.join(5)
    out.put({**found, "stream_error": reader.error})


def probe_saves(site: str, judge: Probe, count: int | None, pause: float,
                arrivals: queue.SimpleQueue, stop: ProcessEvent) -> dict:
    """The probe's saves, each timed by ``save_once``, a change every time."""
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {judge.token}"
    sheet = http.get(f"{site}/api/v1/judge/sheets", timeout=60, params={
        "entry_id": judge.entry_id, "module_id": judge.module_id})
    sheet.raise_for_status()
    path = f"{site}/api/v1/judge/sheets/{sheet.json()['id']}/marks"
    samples: list[dict] = []
    failures: list[str] = []
    previous: str | None = None
    while (count is None or len(samples) < count) and not stop.is_set():
        value = "1" if previous == "2" else "2"  # a change every time: each one announced
        sample, failure = save_once(http, path, judge.criterion_id, value, previous, arrivals)
        if failure:
            failures.append(failure)
        else:
            previous = value
        samples.append(sample)
        time.sleep(pause)
    return {"samples": samples, "failures": failures[:5], "failed": len(failures)}


def save_once(http: requests.Session, path: str, criterion_id: int, value: str,
              previous: str | None, arrivals: queue.SimpleQueue) -> tuple[dict, str | None]:
    """One save, timed from just before it is sent to its answer and to the stream's
    next ``changed`` (None when none came within UPDATE_SECONDS); and why it failed,
    if it was not applied."""
    while not arrivals.empty():  # nothing else writes to the probe's event; be sure
        arrivals.get()
    sent = time.perf_counter()
    response = http.post(path, timeout=60, headers={"Idempotency-Key": str(uuid.uuid4())},
                         json={"changes": [{"criterion_id": criterion_id, "value": value,
                                            "previous": previous}]})
    answered = time.perf_counter()
    try:
        arrived: float | None = arrivals.get(timeout=UPDATE_SECONDS)
    except queue.Empty:
        arrived = None
    sample = {"sent": sent, "answer": answered - sent,
              "update": None if arrived is None else arrived - sent}
    if response.status_code == 200 and response.json().get("applied"):
        return sample, None
    return sample, f"{response.status_code} {response.text[:150]}"


@contextmanager
def probing(site: str, streams_site: str, stream: Stream, judge: Probe,
            count: int | None, pause: float) -> Iterator[dict]:
    """Run the probe in a process of its own while the block runs (``count`` None) or
    until its ``count`` saves are done; the dict yielded is filled with its samples."""
    context = multiprocessing.get_context("spawn")
    out, stop = context.Queue(), context.Event()
    process = context.Process(target=probe, daemon=True, args=(
        site, streams_site, stream, judge, count, pause, out, stop))
    process.start()
    found: dict = out.get(timeout=READY_SECONDS + 30)
    if not found["open"]:
        process.join(10)
        raise RuntimeError(f"the probe's stream did not open: {found['error']}")
    try:
        yield found
    finally:
        if count is None:
            stop.set()
        found.update(out.get(timeout=UPDATE_SECONDS + 120))
        process.join(10)


# --- Accounts, events and servers ----------------------------------------------------

def bearer(user: User) -> str:
    token = issue_api_token(db.session, user, "bench-live")
    db.session.commit()
    return token


def chief_of(event_id: int) -> User:
    return db.session.scalars(
        select(User).join(PanelMember, PanelMember.expert_id == User.expert_id)
        .where(PanelMember.event_id == event_id, PanelMember.role == PanelRole.CHIEF)).one()


def organizer_of(competition_id: int) -> User:
    return db.session.scalars(
        select(User).join(CompetitionOrganizer, CompetitionOrganizer.user_id == User.id)
        .where(CompetitionOrganizer.competition_id == competition_id)
        .order_by(User.id)).first()


def streams_of(competition_id: int, event_id: int, count: int) -> list[Stream]:
    """``count`` streams following the event, taking turns: the console as its chief
    judge, the results and the big screen as the competition's organizer."""
    chief, organizer = bearer(chief_of(event_id)), bearer(organizer_of(competition_id))
    kinds = list(PATHS)
    return [Stream(kind, PATHS[kind].format(event_id),
                   chief if kind == "console" else organizer)
            for kind in (kinds[n % len(kinds)] for n in range(count))]


def probe_event(competition_id: int) -> tuple[Stream, Probe]:
    """An event of its own for the probe (one judge, one entry) and the console stream
    of its chief judge."""
    setup = judges.setup(competition_id, 1, 1)
    judge = setup["plan"][0]
    stream = Stream("console", PATHS["console"].format(setup["event_id"]),
                    bearer(chief_of(setup["event_id"])))
    return stream, Probe(judge["token"], judge["entries"][0], setup["module_id"],
                         setup["criteria"][0][0])


@contextmanager
def app_server(database_url: str) -> Iterator[str]:
    """The app server judges save to, with the production settings, once it answers."""
    with gunicorn("wsgi:app", database_url) as site:
        yield site


@contextmanager
def streams_server(database_url: str) -> Iterator[str]:
    """The streams' own app server, once it answers. It is stopped without waiting for
    the streams the benchmark has closed (the server notices a gone client only at its
    next heartbeat, up to 15 s later)."""
    with gunicorn("wsgi:app", database_url, workers=STREAM_WORKERS, threads=STREAM_THREADS,
                  extra_env={"LIVE_STREAMS": str(STREAM_LIMIT),
                             "GUNICORN_CMD_ARGS": "--graceful-timeout 1"}) as site:
        yield site


# --- The runs ------------------------------------------------------------------------

def server_pids(site: str) -> list[int]:
    """The gunicorn processes serving ``site`` (its master and workers), found by the
    address in their command line."""
    bind = urlsplit(site).netloc.encode()
    pids = []
    for process in Path("/proc").iterdir():
        try:
            if process.name.isdigit() and bind in (process / "cmdline").read_bytes():
                pids.append(int(process.name))
        except OSError:  # the process has gone meanwhile
            continue
    return pids


def server_cpu(site: str) -> float:
    """CPU seconds used so far by the gunicorn processes serving ``site``, from /proc."""
    ticks = 0
    for pid in server_pids(site):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime and stime
    return ticks / os.sysconf("SC_CLK_TCK")


def connections_per_worker(site: str) -> list[int]:
    """How many clients' connections each process serving ``site`` holds now, most
    first: a threaded worker keeps a keep-alive connection it accepted to the end, so
    clients that connect at once may crowd one worker while the others idle."""
    port = urlsplit(site).port
    established = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                established.add(f"socket:[{fields[9]}]")
    counts = [sum(1 for link in socket_links(pid) if link in established)
              for pid in server_pids(site)]
    return sorted((n for n in counts if n), reverse=True)


def socket_links(pid: int) -> list[str]:
    links = []
    try:
        descriptors = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return links
    for descriptor in descriptors:
        try:
            links.append(os.readlink(f"/proc/{pid}/fd/{descriptor}"))
        except OSError:
            continue
    return links


def timed_load(database_url: str, setup: dict, pace: float | None, site: str,
               streams_site: str | None = None) -> dict:
    """The judges' run on ``site``, with the CPU seconds each server and this process
    (the judges' client, and the count afterwards) used meanwhile, the machine's load
    average when it started, and the connections per worker of each server a few
    seconds in."""
    servers = {"app": site, "streams": streams_site}
    before = {name: server_cpu(url) for name, url in servers.items() if url}
    before["client"] = time.process_time()
    load_average = os.getloadavg()[0]
    spread: dict[str, list[int]] = {}
    sample = threading.Timer(SPREAD_AFTER, lambda: spread.update(
        {name: connections_per_worker(url) for name, url in servers.items() if url}))
    sample.start()
    found = judges.run(database_url, setup, pace=pace, site=site)
    sample.cancel()
    cpu = {name: server_cpu(servers[name]) - cpu for name, cpu in before.items()
           if name != "client"}
    return {"judges": found, "load_average": load_average, "spread": spread,
            "cpu": {**cpu, "client": time.process_time() - before["client"]}}


def update_alone(database_url: str, competition_id: int, count: int) -> dict:
    """Benchmark 6.2 without load: ``count`` single saves, one at a time."""
    stream, judge = probe_event(competition_id)
    with app_server(database_url) as site, streams_server(database_url) as streams_site, \
            probing(site, streams_site, stream, judge, count, PROBE_PAUSE["alone"]) as found:
        pass
    return found


def load_run(database_url: str, competition_id: int, plan: dict, pace: float | None,
             with_streams: bool) -> dict:
    """Benchmark 6.1: the judges' run, with no stream open or with ``plan['streams']``
    following the event scored (and the probe timing updates on an event of its own)."""
    setup = judges.setup(competition_id, plan["judges"], plan["sheets"])
    if not with_streams:
        with app_server(database_url) as site:
            return timed_load(database_url, setup, pace, site)
    streams = streams_of(competition_id, setup["event_id"], plan["streams"])
    probe_stream, judge = probe_event(competition_id)
    with app_server(database_url) as site, streams_server(database_url) as streams_site, \
            held_streams(streams_site, streams) as held, \
            probing(site, streams_site, probe_stream, judge, None, PROBE_PAUSE["load"]) as probed:
        found = timed_load(database_url, setup, pace, site, streams_site)
    start = found["judges"]["started_at"]
    end = start + found["judges"]["seconds"]
    probed["samples"] = [s for s in probed["samples"] if start <= s["sent"] <= end]
    return {**found, "held": held, "probe": probed}


def prepare(size: str, reuse: bool) -> tuple[int, dict | None]:
    """The competition to add events to: generated afresh, or the one there."""
    if reuse:
        competition_id = db.session.scalar(select(Competition.id).order_by(Competition.id))
        if competition_id is None:
            raise SystemExit("--reuse: no competition in the database; run without it")
        return competition_id, None
    reset_schema()
    made = generate(SIZES[size])
    analyze()
    return made.competition_id, {"seconds": made.seconds, **made.counts}


def measure(database_url: str, size: str, reuse: bool) -> dict:
    """Every run of the benchmark, in turn."""
    plan = PLANS[size]
    found: dict = {"plan": plan, "machine": machine(), "load_average": os.getloadavg()}
    app = bench_app(database_url)
    with app.app_context():
        found["server"] = db.session.scalar(text("SELECT version()")).split(" on ")[0]
        log(f"{'reusing' if reuse else 'generating'} the {size} competition")
        competition_id, found["generated"] = prepare(size, reuse)
        log(f"6.2 update latency: {plan['probes']} single saves, one at a time")
        found["alone"] = update_alone(database_url, competition_id, plan["probes"])
        found["runs"] = []
        for pace, with_streams in ORDER:
            log(f"6.1 {plan['judges']} judges, {'at a pace' if pace else 'flat out'}, "
                f"{'with' if with_streams else 'without'} {plan['streams']} streams")
            found["runs"].append(load_run(database_url, competition_id, plan, pace,
                                          with_streams))
    return found


# --- The report ----------------------------------------------------------------------

def ms(seconds: list[float], share: float) -> float:
    """The ``share`` percentile (nearest rank) of ``seconds``, in ms."""
    ordered = sorted(seconds)
    return ordered[max(0, math.ceil(len(ordered) * share) - 1)] * 1000


def latency_rows(without: dict, with_: dict) -> list[str]:
    """Per request kind: p50 and p99 of both runs and the ratio of p99."""
    rows = []
    pairs = [("all", without, with_)] + [
        (kind, without["kinds"][kind], with_["kinds"][kind])
        for kind in judges.KINDS if kind in without["kinds"] and kind in with_["kinds"]]
    for kind, a, b in pairs:
        ratio = b["p99_ms"] / a["p99_ms"]
        goal, verdict = ("", "")
        if kind == "all":
            goal = f"≤ {GOAL_RATIO}×"
            verdict = "met" if ratio <= GOAL_RATIO else "**missed**"
        name = "all requests" if kind == "all" else KIND_NAMES[kind]
        rows.append(f"| {name} | {a.get('requests', 0):,} / {b.get('requests', 0):,} | "
                    f"{a['p50_ms']:.0f} ms | {b['p50_ms']:.0f} ms | {a['p99_ms']:.0f} ms | "
                    f"{b['p99_ms']:.0f} ms | {ratio:.2f}× | {goal} | {verdict} |")
    return rows


def announced(j: dict) -> int:
    """The judges' writes that announce a change: saves and submits (replays are
    answered from the record, without writing)."""
    return sum(j["kinds"].get(kind, {}).get("requests", 0) for kind in ("save", "submit"))


def streams_line(run: dict, plan: dict) -> str:
    held, j = run["held"], run["judges"]
    counts = held["changed"]
    kinds = {k: held["kinds"].count(k) for k in PATHS}
    never = sum(1 for c in counts if c == 0)
    status_other = sum(1 for s in held["statuses"] if s != 200)
    return (f"Streams: {held['open']} of {plan['streams']} open and ready before the judges "
            f"started ({kinds['console']} consoles as the chief judge, {kinds['results']} "
            f"results and {kinds['screen']} big screens as the organizer); `changed` events "
            f"received {sum(counts):,} in all, {min(counts):,}–{max(counts):,} per stream, "
            f"for {announced(j):,} saves and submits answered by the app server (a stream "
            f"tells changes closer together than {MIN_GAP_SECONDS:g} s as one); "
            f"{never} streams never told; answered other than 200: {status_other}; "
            f"stream errors: {len(held['errors'])}"
            + (f" (first: `{held['errors'][0]}`)" if held["errors"] else "") + ".")


def check_line(j: dict) -> str:
    c = j["check"]
    verdict = "nothing lost, nothing doubled" if judges.ok(c) else "**MISMATCH**"
    return (f"{c['marks_in_db']:,} marks in the database for {c['expected_marks']:,} sent, "
            f"{c['submitted']:,} of {c['expected_sheets']:,} sheets submitted, "
            f"{j['failure_count']} requests failed: {verdict}")


def cpu_line(without: dict, with_: dict) -> str:
    """Where the CPU went during each run: the servers, and the benchmark's own stream
    readers (a browser's work in production, on this machine here)."""
    a, b = without["judges"]["seconds"], with_["judges"]["seconds"]

    def share(seconds: float, over: float) -> str:
        return f"{seconds:.1f} s ({seconds / over:.0%} of a core)"

    return (f"CPU used during the runs: without streams the app server "
            f"{share(without['cpu']['app'], a)}, the judges' client "
            f"{share(without['cpu']['client'], a)}; with streams the app server "
            f"{share(with_['cpu']['app'], b)}, the judges' client "
            f"{share(with_['cpu']['client'], b)}, the streams' server "
            f"{share(with_['cpu']['streams'], b)}; the benchmark's stream readers "
            f"{with_['held']['cpu']:.1f} s over the whole time they were open. "
            "Load average (1 min) at the start: "
            f"{without['load_average']:.1f} without, {with_['load_average']:.1f} with.")


def spread_line(without: dict, with_: dict) -> str:
    """The clients' connections per worker, counted a few seconds into each run."""

    def workers(counts: list[int] | None) -> str:
        return " + ".join(str(n) for n in counts) if counts else "not counted"

    return (f"Connections per worker {SPREAD_AFTER:g} s in (a worker keeps the keep-alive "
            "connections it accepted): app server "
            f"{workers(without['spread'].get('app'))} without streams, "
            f"{workers(with_['spread'].get('app'))} with; streams' server "
            f"{workers(with_['spread'].get('streams'))}.")


def load_section(title: str, without: dict, with_: dict, plan: dict) -> list[str]:
    a, b = without["judges"], with_["judges"]
    return [
        f"**{title}**: {a['judges']} judges, {a['sheets']:,} sheets per run; without streams "
        f"{a['seconds']:.1f} s ({a['rps']:,.0f} requests/s), with {b['seconds']:.1f} s "
        f"({b['rps']:,.0f} requests/s).", "",
        "| requests | count without / with | p50 without | p50 with | p99 without | "
        "p99 with | p99 with ÷ without | goal | |",
        "|---|---|---|---|---|---|---|---|---|",
        *latency_rows(a, b), "",
        streams_line(with_, plan), "",
        cpu_line(without, with_), "",
        spread_line(without, with_), "",
        f"Counted afterwards: without streams {check_line(a)}; with streams {check_line(b)}.",
        ""]


def update_row(name: str, found: dict) -> str:
    samples = found["samples"]
    updates = [s["update"] for s in samples if s["update"] is not None]
    after = [s["update"] - s["answer"] for s in samples if s["update"] is not None]
    answers = [s["answer"] for s in samples]
    missed = len(samples) - len(updates)
    if not updates:
        return f"| {name} | {len(samples)} | | | | | | {missed} | {found['failed']} | | |"
    median = statistics.median(updates) * 1000
    verdict = "met" if median < GOAL_MEDIAN_MS and not missed else "**missed**"
    return (f"| {name} | {len(samples)} | {statistics.median(answers) * 1000:.0f} ms | "
            f"{median:.0f} ms | {ms(updates, 0.95):.0f} ms | {max(updates) * 1000:.0f} ms | "
            f"{statistics.median(after) * 1000:.0f} / {max(after) * 1000:.0f} ms | "
            f"{missed} | {found['failed']} | < {GOAL_MEDIAN_MS / 1000:g} s | {verdict} |")


def report(found: dict, size: str, seconds: float) -> str:
    plan, m = found["plan"], found["machine"]
    runs = dict(zip(ORDER, found["runs"], strict=True))
    generated = found["generated"]
    lines = [
        "### 7. Live updates (server-sent events) beside the judges' saves", "",
        f"`.venv/bin/python -m bench.live --size {size}`, {m['date']}, on {m['cores']} cores "
        f"({m['system']}, Python {m['python']}; load average "
        f"{found['load_average'][0]:.1f} when it started); the whole run took "
        f"{seconds / 60:.1f} min. {found['server']}"
        + (f", generated in {generated['seconds']:.0f} s: {generated['events']} events, "
           f"{generated['marks']:,} marks." if generated else ", the database reused."), "",
        f"Two app servers on the same database and Redis (publish/subscribe): judges save to "
        f"the app server ({SERVER}); the streams are held on a server of their own "
        f"({STREAM_WORKERS} gthread workers × {STREAM_THREADS} threads, "
        f"`LIVE_STREAMS={STREAM_LIMIT}`), started afresh for each run and timed only once "
        "their workers answer (health checks until a round of "
        f"{WARM_CONNECTIONS} at once is answered within {WARM_SECONDS:g} s). The streams "
        "and the probe are read by processes apart from the judges' client. The runs went "
        "in the order flat out without and with streams, at a venue's pace with and "
        "without.", ""]
    lines += load_section("Flat out", runs[(None, False)], runs[(None, True)], plan)
    lines += load_section(f"At a venue's pace (one request every {PACE:g} s per judge)",
                          runs[(PACE, False)], runs[(PACE, True)], plan)
    lines += [
        "**Update latency**: one save of one mark through the API on the app server, "
        "timed from just before it is sent to the moment the stream on the streams' "
        "server delivers its `changed` (the console of the probe's own event, as its "
        "chief judge); one save at a time. During the loaded runs the probe saves every "
        f"{PROBE_PAUSE['load']:g} s on an event of its own, beside the {plan['streams']} "
        "streams (its few saves are counted in no other figure), on a connection of its "
        "own that waits in whichever worker accepted it: a judge's save under that load "
        "waits as long as the judges' saves above, and its `changed` follows as soon. The "
        "event leaves when the save commits, before its answer is sent, so it may arrive "
        "before the answer is read (below 0 ms after it).", "",
        "| when | saves | save answered, p50 | update p50 | update p95 | update max | "
        "`changed` after the answer, p50 / max | missed (no event in 10 s) | failed saves "
        "| goal | |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        update_row("alone, no other load", found["alone"]),
        update_row(f"during the {plan['judges']} judges' run flat out",
                   runs[(None, True)]["probe"]),
        update_row(f"during the {plan['judges']} judges' run at a venue's pace",
                   runs[(PACE, True)]["probe"])]
    lines += probe_problems([found["alone"], runs[(None, True)]["probe"],
                             runs[(PACE, True)]["probe"]])
    return "\n".join(lines)


def probe_problems(probes: list[dict]) -> list[str]:
    """The probe's first failed saves and stream errors, if any."""
    problems = [f for found in probes for f in found["failures"]] + [
        f"stream: {found['stream_error']}" for found in probes if found.get("stream_error")]
    if not problems:
        return []
    return ["", "The probe's failures:", ""] + [f"- `{problem}`" for problem in problems]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(PLANS), default="full")
    parser.add_argument("--database", default=os.environ.get("BENCH_LIVE_DATABASE_URL",
                                                             DEFAULT_PG))
    parser.add_argument("--redis", default=DEFAULT_REDIS)
    parser.add_argument("--reuse", action="store_true",
                        help="use the competition already in the database")
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--results", action="store_true",
                        help="also write the section into bench/RESULTS.md, between its markers")
    args = parser.parse_args(argv)
    os.environ["BENCH_REDIS_URL"] = args.redis  # both servers' REDIS_URL (bench.serve)
    started = time.perf_counter()
    ensure_database(args.database)
    found = measure(args.database, args.size, args.reuse)
    text_ = report(found, args.size, time.perf_counter() - started)
    print(text_)
    if args.output:
        args.output.write_text(text_ + "\n")
        log(f"written to {args.output}")
    if args.results:
        write(text_, RESULTS, "live")
        log(f"written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
