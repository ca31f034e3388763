"""Start and stop gunicorn for the HTTP benchmarks on loopback, with the production
settings (``gunicorn.conf.py``: threaded workers, two per core, eight threads each), the
same for the competition app and the bare reference app; no access log. Timing starts only
once the workers answer, not when the port opens (``warm_up``)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
WARM_CONNECTIONS = 32  # the app server's workers × threads
WARM_SECONDS = 1.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(app: str, database_url: str | None = None, workers: int | None = None,
             threads: int | None = None, extra_env: dict[str, str] | None = None):
    """Serve ``app`` (``module:variable``) and yield its base URL; stop it afterwards.
    Workers and threads are the production settings' unless given; ``extra_env`` adds to
    or overrides the server's environment (``LIVE_STREAMS`` for the streams' server)."""
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), SECRET_KEY="bench-" + "y" * 40,
               AUDIT_KEY="bench-audit-" + "z" * 32,
               # Sign-in throttling counts in a store every worker shares (not used by
               # the benchmarked pages, but required outside debug mode).
               REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"),
               SESSION_COOKIE_SECURE="0")
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(extra_env or {})
    command = [GUNICORN, "--config", str(ROOT / "gunicorn.conf.py"), "--access-logfile",
               "/dev/null",
               "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
               "--backlog", "2048"]
    if workers is not None:
        command += ["--workers", str(workers)]
    if threads is not None:
        command += ["--threads", str(threads)]
    command.append(app)
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    try:
        _wait_for(port, process)
        site = f"http://127.0.0.1:{port}"
        warm_up(site, "/healthz" if app == "wsgi:app" else "/")
        yield site
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_for(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                time.sleep(0.5)  # let both workers boot
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def warm_up(site: str, path: str) -> None:
    """Wait until the server's workers have booted and answer: the port is open as soon
    as gunicorn starts, while its workers may still be loading the app for seconds on a
    busy machine. Rounds of WARM_CONNECTIONS requests for ``path`` at once, each on a
    connection of its own, until one round is answered in full within WARM_SECONDS."""
    deadline = time.monotonic() + 120
    with ThreadPoolExecutor(WARM_CONNECTIONS) as pool:
        while time.monotonic() < deadline:
            started = time.monotonic()
            answers = list(pool.map(lambda _: _answers(site + path), range(WARM_CONNECTIONS)))
            if all(answers) and time.monotonic() - started < WARM_SECONDS:
                return
    print(f"{site} still slow to answer after 120 s; going on", flush=True)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=60).status_code == 200
    except requests.RequestException:
        return False
