"""Benchmark 2: serving a contestant's page ``/r/<token>`` and a public results page
under gunicorn with two workers, loaded by ``wrk`` from a second process on loopback,
against a bare Flask app returning a short string under the same settings.

Each round loads the bare app, ``/r/<token>`` and the results page in turn, so the
three share the machine's noise; the figures are medians over the rounds.
"""

from __future__ import annotations

import re
import shutil
import subprocess

from bench.serve import gunicorn

CONNECTIONS = 16
THREADS = 2
WARM_UP = 3  # seconds
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def wrk(url: str, seconds: int) -> dict:
    """Requests per second and latency percentiles (ms) of one ``wrk`` run."""
    out = subprocess.run(
        ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", url],
        capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    percentiles = {p: _ms(v, u) for p, v, u in
                   re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50": percentiles.get("50"), "p99": percentiles.get("99"),
            "non_2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1) if socket_errors else ""}


def _ms(value: str, unit: str) -> float:
    return float(value) * UNITS[unit]


def available() -> bool:
    return shutil.which("wrk") is not None


def run(database_url: str, token: str, division_id: int, rounds: int, seconds: int) -> dict:
    paths = {"contestant": f"/r/{token}", "results": f"/results/divisions/{division_id}"}
    found: dict[str, list[dict]] = {"bare": [], "contestant": [], "results": []}
    with gunicorn("bench.bare:app") as bare, gunicorn("wsgi:app", database_url) as site:
        # Warm up every worker: imports, templates compiled, connection pools filled.
        for path in paths.values():
            wrk(site + path, WARM_UP)
        wrk(bare + "/", WARM_UP)
        for _ in range(rounds):
            found["bare"].append(wrk(bare + "/", seconds))
            for name, path in paths.items():
                found[name].append(wrk(site + path, seconds))
    return {"runs": found, "paths": paths, "connections": CONNECTIONS}
