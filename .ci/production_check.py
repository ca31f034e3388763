"""The server docs/production.md made, used as a venue uses it (run by .ci/production).

Over TLS through nginx, trusting only the guide's own certificate: plain HTTP is sent to
HTTPS; 48 clients sending half a request do not hold the app up; a judge of the demo
competition signs in (the session cookie is Secure), scores a whole sheet through the
tablets' API and submits it, and the database holds every mark, while the organizer's
results page, streaming from the live updates' own server (``competition-streams``), is
told of the save; the organizer prints the
competition's admission tickets, the worker service (``competition-jobs``) makes them and
the PDF's QR codes point at the public name; then PostgreSQL is stopped (its port
closes): the health check, a page and the API answer 503 in Chinese with Retry-After;
PostgreSQL is started again and the same signed-in judge carries on without signing in
again.
"""

from __future__ import annotations

import queue
import re
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid

import requests

DOMAIN = sys.argv[1]
BASE = f"https://{DOMAIN}"
CA = "/etc/ssl/competition/fullchain.pem"
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ACCOUNT_LINE = re.compile(r"^\s+(judge\d+)\s+/\s+(\S+)\s+—", re.MULTILINE)
ORGANIZER_LINE = re.compile(r"^\s+(organizer)\s+/\s+(\S+)\s+—", re.MULTILINE)
WORKER_LOG = "/var/log/ci-systemd-competition-jobs.log"  # .ci/bin/systemctl writes it
STREAMS_PORT = 8001  # deploy/competition-streams.service
CLUSTER = subprocess.run(["ls", "/etc/postgresql"], capture_output=True, text=True,
                         check=True).stdout.split()[0]


def step(text: str) -> None:
    print(f"--- {text}", flush=True)


def as_app(*command: str) -> str:
    """A command as the guide's ``app`` helper runs it: the app's user, folder, settings."""
    script = ('cd /srv/competition && set -a && . /etc/competition.env && set +a && '
              'exec runuser -u competition -- "$@"')
    done = subprocess.run(["bash", "-c", script, "app", *command], capture_output=True,
                          text=True, check=True)
    return done.stdout


def sql(query: str) -> str:
    return subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-tA", "-d",
                           "competition", "-c", query], capture_output=True, text=True,
                          check=True).stdout.strip()


def sign_in(username: str, password: str) -> requests.Session | None:
    http = requests.Session()
    http.verify = CA
    http.trust_env = False  # REQUESTS_CA_BUNDLE would replace the guide's certificate
    page = http.get(f"{BASE}/login", timeout=30)
    page.raise_for_status()
    # As a browser does: over HTTPS the CSRF check also wants the page it came from.
    answer = http.post(f"{BASE}/login", allow_redirects=False, timeout=30,
                       headers={"Referer": f"{BASE}/login"}, data={
        "username": username, "password": password,
        "csrf_token": CSRF_FIELD.search(page.text).group(1)})
    if answer.status_code != 302:
        print(f"    {username} not signed in: {answer.status_code}")
        return None
    cookie = answer.headers.get("Set-Cookie", "")
    assert "Secure" in cookie and "HttpOnly" in cookie, cookie
    return http


def value_for(criterion: dict) -> str:
    mode = criterion["entry_mode"]
    if mode == "pass_fail":
        return "1"
    if mode == "scale_0_3":
        return "2"
    if mode == "measured":
        return criterion["nominal"]
    return criterion["max_points"]


def open_sheet(http: requests.Session) -> dict | None:
    """A draft sheet this judge may score, or None."""
    assignments = http.get(f"{BASE}/api/v1/judge/assignments", timeout=30)
    assignments.raise_for_status()
    for event in assignments.json():
        if event["locked"]:
            continue
        for module in event["modules"]:
            for entry in module["entries"]:
                if entry["state"] == "submitted":
                    continue
                sheet = http.get(f"{BASE}/api/v1/judge/sheets", timeout=30, params={
                    "entry_id": entry["entry_id"], "module_id": module["id"]})
                if sheet.status_code == 200 and sheet.json()["status"] == "draft":
                    return sheet.json()
    return None


def connections_to(port: int) -> int:
    """Open TCP connections to ``port`` on this machine (from /proc/net/tcp*)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table, encoding="ascii") as rows:
            for row in list(rows)[1:]:
                local, state = row.split()[1], row.split()[3]
                if state == "01" and int(local.rsplit(":", 1)[1], 16) == port:
                    count += 1
    return count


def follow(http: requests.Session, url: str) -> queue.Queue:
    """Open a live updates stream and read it in a thread: each event's name, in turn.
    The stream stays open until the check ends (closing it from another thread would
    wait for the reader's next line, up to a heartbeat away)."""
    stream = http.get(url, stream=True, timeout=(10, 60),
                      headers={"Accept": "text/event-stream"})
    assert stream.status_code == 200, (stream.status_code, stream.text[:200])
    assert stream.headers["Content-Type"].startswith("text/event-stream"), stream.headers
    names: queue.Queue = queue.Queue()

    def read() -> None:
        try:
            for line in stream.iter_lines(decode_unicode=True):
                if line.startswith("event: "):
                    names.put(line.removeprefix("event: "))
        except (requests.RequestException, AttributeError, ValueError):
            pass  # the stream is closed when the check is done with it

    threading.Thread(target=read, daemon=True).start()
    return names


def next_event(names: queue.Queue, wanted: str, seconds: float) -> float:
    """Seconds until the stream says ``wanted``; fails after ``seconds``."""
    started = time.monotonic()
    while True:
        left = seconds - (time.monotonic() - started)
        assert left > 0, f"no {wanted!r} from the stream within {seconds} s"
        try:
            if names.get(timeout=left) == wanted:
                return time.monotonic() - started
        except queue.Empty:
            continue


def slow_clients(count: int) -> list[ssl.SSLSocket]:
    """Clients that send half a request and then wait: half of them a header, half a
    body (a tablet on a failing Wi-Fi, or someone trying to tie the server up)."""
    context = ssl.create_default_context(cafile=CA)
    opened = []
    for number in range(count):
        raw = socket.create_connection(("127.0.0.1", 443), timeout=30)
        tls = context.wrap_socket(raw, server_hostname=DOMAIN)
        if number % 2:
            tls.sendall(f"GET /results HTTP/1.1\r\nHost: {DOMAIN}\r\nUser-Agent: sl".encode())
        else:
            tls.sendall((f"POST /login HTTP/1.1\r\nHost: {DOMAIN}\r\nContent-Length: 100000"
                         "\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\nuser"
                         ).encode())
        opened.append(tls)
    return opened


def print_run(organizer: requests.Session) -> None:
    """The organizer prints every admission ticket of the demo competition: the job waits
    in Redis, the worker service makes it, its page gives the PDF."""
    import io

    import zxingcpp
    from pypdf import PdfReader

    home = organizer.get(f"{BASE}/", timeout=30)
    home.raise_for_status()
    competition_id = re.search(r'href="/competitions/(\d+)"', home.text).group(1)
    page = organizer.get(f"{BASE}/competitions/{competition_id}", timeout=30)
    page.raise_for_status()
    started = organizer.post(
        f"{BASE}/competitions/{competition_id}/tickets/print", allow_redirects=False,
        timeout=30, headers={"Referer": f"{BASE}/competitions/{competition_id}"},
        data={"csrf_token": CSRF_FIELD.search(page.text).group(1), "size": "A4"})
    assert started.status_code == 302, started.status_code
    job_url = started.headers["Location"]
    assert "/jobs/" in job_url, job_url
    job_id = job_url.rstrip("/").rsplit("/", 1)[1]
    deadline = time.monotonic() + 300
    while True:
        job = organizer.get(f"{BASE}/jobs/{job_id}.json", timeout=30).json()
        if job["status"] in ("done", "failed") or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert job["status"] == "done", job
    pdf = organizer.get(f"{BASE}{job['file_url']}", timeout=60)
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(pdf.content)).pages
    codes = [code.text for image in pages[0].images
             for code in zxingcpp.read_barcodes(image.image)]
    assert codes and all(code.startswith(f"{BASE}/r/") for code in codes), codes
    entries = int(sql("SELECT count(*) FROM entries WHERE status = 'approved' "
                      "AND attendance <> 'withdrawn'"))
    assert job["total"] == job["done"] == entries, (job, entries)
    with open(WORKER_LOG, encoding="utf-8", errors="replace") as log:
        assert f"job {job_id} (tickets.competition) done" in log.read(), "not the worker's"
    print(f"    {entries} tickets on {len(pages)} pages, made by the worker service")


def main() -> None:
    step("plain HTTP is sent to HTTPS")
    redirect = requests.get(f"http://{DOMAIN}/login", allow_redirects=False, timeout=30)
    assert redirect.status_code == 301, redirect.status_code
    assert redirect.headers["Location"] == f"https://{DOMAIN}/login", redirect.headers

    step("slow clients, more than gunicorn has threads, do not hold the app up")
    held = slow_clients(48)
    try:
        started = time.monotonic()
        answer = requests.get(f"{BASE}/healthz", verify=CA, timeout=10)
        assert answer.status_code == 200, answer.status_code
        print(f"    answered in {time.monotonic() - started:.2f} s beside 48 slow clients")
    finally:
        for client in held:
            client.close()

    step("the demo competition, seeded with the app's own command")
    printed = as_app(".venv/bin/flask", "demo", "--if-empty")
    accounts = ACCOUNT_LINE.findall(printed)
    assert accounts, printed

    step("a judge signs in over TLS and finds a sheet to score")
    for username, password in accounts:
        http = sign_in(username, password)
        sheet = open_sheet(http) if http else None
        if sheet:
            break
    else:
        raise AssertionError("no demo judge has a sheet to score")
    print(f"    {username}: sheet {sheet['id']}, {len(sheet['criteria'])} criteria")

    step("the organizer's results page follows the event live, from the streams' server")
    printed_accounts = ORGANIZER_LINE.findall(printed)
    assert printed_accounts, printed
    organizer = sign_in(*printed_accounts[0])
    assert organizer, "the demo's organizer did not sign in"
    event_id = sql("SELECT entries.event_id FROM score_sheets JOIN entries "
                   f"ON entries.id = score_sheets.entry_id WHERE score_sheets.id = {sheet['id']}")
    stream_path = f"/events/{event_id}/results/stream"
    events = follow(organizer, f"{BASE}{stream_path}")
    next_event(events, "ready", 10)
    assert connections_to(STREAMS_PORT), "the stream is not held by competition-streams"

    step("the judge scores every criterion and submits")
    changes = [{"criterion_id": c["id"], "value": value_for(c), "previous": None}
               for c in sheet["criteria"]]
    saved = http.post(f"{BASE}/api/v1/judge/sheets/{sheet['id']}/marks", timeout=30,
                      json={"changes": changes}, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert saved.status_code == 200, saved.text
    told = next_event(events, "changed", 10)
    print(f"    the results page was told {told:.2f} s after the save was answered")
    submitted = http.post(f"{BASE}/api/v1/judge/sheets/{sheet['id']}/submit", timeout=30,
                          headers={"Idempotency-Key": str(uuid.uuid4())})
    assert submitted.status_code == 200, submitted.text
    assert sql(f"SELECT status FROM score_sheets WHERE id = {sheet['id']}") == "submitted"
    marks = int(sql(f"SELECT count(*) FROM marks WHERE sheet_id = {sheet['id']}"))
    assert marks == len(changes), (marks, len(changes))

    step("the organizer prints every ticket: the worker service makes the PDF")
    print_run(organizer)

    step("the database port closes: 503 in the visitor's language, at once")
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", CLUSTER, "main", "stop",
                    "-m", "fast"], check=True)
    try:
        started = time.monotonic()
        health = requests.get(f"{BASE}/healthz", verify=CA, timeout=60)
        assert health.status_code == 503, health.status_code
        assert health.json() == {"status": "unavailable", "database": "unreachable"}
        page = http.get(f"{BASE}/", timeout=60)
        assert page.status_code == 503 and page.headers["Retry-After"], page.status_code
        assert "服务暂时不可用" in page.text and "Traceback" not in page.text
        api = http.get(f"{BASE}/api/v1/judge/assignments", timeout=60)
        assert api.status_code == 503 and api.json()["code"] == 503, api.text
        print(f"    three 503 answers in {time.monotonic() - started:.1f} s")
    finally:
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", CLUSTER, "main",
                        "start"], check=True)

    step("the database is back: the app recovers by itself, the judge is still signed in")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if requests.get(f"{BASE}/healthz", verify=CA, timeout=30).status_code == 200:
            break
        time.sleep(0.5)
    assert requests.get(f"{BASE}/healthz", verify=CA, timeout=30).json() == {"status": "ok"}
    again = http.get(f"{BASE}/api/v1/judge/assignments", timeout=30)
    assert again.status_code == 200, again.text
    reread = http.get(f"{BASE}/api/v1/judge/sheets/{sheet['id']}", timeout=30)
    assert reread.status_code == 200 and reread.json()["status"] == "submitted"
    assert len(reread.json()["marks"]) == len(changes)
    print("production guide: every check passed")


if __name__ == "__main__":
    main()
