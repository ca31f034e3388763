"""Start and stop gunicorn for the HTTP benchmarks on loopback, with the production
settings (``gunicorn.conf.py``: threaded workers, two per core, eight threads each), the
same for the competition app and the bare reference app; no access log."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


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
        yield f"http://127.0.0.1:{port}"
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
