"""Print runs and exports as background jobs: the job's row and its progress, its file kept
in the database in parts and streamed back, who may see it, failures, old files cleared,
and each backend — at once (tests), a thread of the app, and a real RQ worker on Redis.

The jobs' own pages are checked in English where they show words new with the jobs: the
messages of a job are made in its requester's language, and the English ids do not wait
for a translation."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from competition.dbtypes import utcnow
from competition.entries import draws
from competition.extensions import db
from competition.grades import certificates
from competition.jobs import runner
from competition.jobs.models import Job, JobFilePart, JobStatus
from competition.jobs.registry import register
from competition.jobs.runner import run_job
from tests import builders
from tests.builders import entries_of, entry, setup_event
from tests.helpers import (
    empty_tables,
    job_file,
    make_app,
    private_url,
    qr_codes,
    read_pdf,
    text_of,
)

REDIS_TEST_URL = "redis://127.0.0.1:6379/14"


def _job(job_id: int) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def _job_id(response) -> int:
    assert response.status_code == 302, response.status_code
    location = response.headers["Location"]
    assert location.startswith("/jobs/"), location
    return int(location.rsplit("/", 1)[1])


def _parts(job_id: int) -> list[bytes]:
    db.session.expire_all()
    return [bytes(p) for p in db.session.scalars(
        select(JobFilePart.data).where(JobFilePart.job_id == job_id)
        .order_by(JobFilePart.position))]


def _drawn_event(organizer, count: int = 3, divisions=("职工组",), entries=None):
    _, event = setup_event(organizer, divisions=divisions, entries=entries or (count,))
    draws.draw_lots(db.session, event, None, organizer, "A")
    db.session.commit()
    return event


# --- A print run from the button to the file ------------------------------------------------

def test_the_print_button_makes_a_job_whose_page_offers_the_tickets(app, client, login_as):
    organizer = login_as("organizer")
    event = _drawn_event(organizer, 3)

    started = client.post(f"/events/{event.id}/tickets/print", data={"size": "A5"})
    job = _job(_job_id(started))
    assert (job.kind, job.status, job.requested_by_id) == ("tickets.event", "done",
                                                           organizer.id)
    assert (job.progress_done, job.progress_total) == (3, 3)
    assert job.params["event_id"] == event.id and job.params["size"] == "A5"
    assert job.params["url_root"] == "http://localhost/"
    assert job.file_name == "养老护理员-准考证.pdf" and job.mimetype == "application/pdf"
    assert job.started_at and job.finished_at and job.error == ""
    assert sum(len(p) for p in _parts(job.id)) == job.file_size

    page = client.get(f"/jobs/{job.id}").text
    assert '<progress id="job-progress" max="3" value="3">' in page
    assert f'href="/jobs/{job.id}/file"' in page and 'id="job-download"' in page
    assert "jobs.js" in page
    status = client.get(f"/jobs/{job.id}.json").json
    assert status == {"id": job.id, "status": "done", "done": 3, "total": 3, "error": None,
                      "file_name": "养老护理员-准考证.pdf", "file_url": f"/jobs/{job.id}/file"}

    response = client.get(f"/jobs/{job.id}/file")
    assert response.headers["Cache-Control"] == "private, no-store"
    assert int(response.headers["Content-Length"]) == job.file_size
    pdf = read_pdf(response)
    by_station = sorted(entries_of(event), key=lambda e: e.station)
    assert len(pdf.pages) == 3
    assert [qr_codes(p)[0] for p in pdf.pages] == [private_url(app, e) for e in by_station]
    for page_, person in zip(pdf.pages, by_station, strict=True):
        assert person.contestant.name in page_.extract_text()


def test_a_long_run_is_drawn_in_chunks_joined_into_one_pdf_kept_in_parts(
        app, client, login_as, monkeypatch):
    organizer = login_as("organizer")
    event = _drawn_event(organizer, entries=(4, 3), divisions=("职工组", "企业组"))
    by_station = sorted(entries_of(event), key=lambda e: e.station)
    single = read_pdf(job_file(client, f"/events/{event.id}/tickets/print", {"size": "A5"}))

    app.config["JOBS_PDF_CHUNK"] = 2  # four ReportLab documents, joined
    monkeypatch.setattr(runner, "PART_BYTES", 20_000)  # the file in several parts
    started = client.post(f"/events/{event.id}/tickets/print", data={"size": "A5"})
    job = _job(_job_id(started))
    parts = _parts(job.id)
    assert len(parts) > 1 and all(len(p) <= 20_000 for p in parts)
    data = client.get(f"/jobs/{job.id}/file").data
    assert data == b"".join(parts) and len(data) == job.file_size
    joined = PdfReader(io.BytesIO(data), strict=True)
    assert len(joined.pages) == 7
    assert [qr_codes(p)[0] for p in joined.pages] == [private_url(app, e) for e in by_station]
    assert [p.extract_text() for p in joined.pages] == [p.extract_text() for p in single.pages]
    assert joined.metadata.title == "养老护理员 · 准考证"

    # On A4 two to a page: a chunk is whole pages (3 becomes 2), so no page is half empty
    # but the last.
    app.config["JOBS_PDF_CHUNK"] = 3
    a4 = read_pdf(job_file(client, f"/events/{event.id}/tickets/print", {"size": "A4"}))
    assert len(a4.pages) == 4
    assert [len(qr_codes(p)) for p in a4.pages] == [2, 2, 2, 1]


def test_a_whole_competitions_tickets_come_event_after_event(app, client, login_as):
    organizer = login_as("organizer")
    event = _drawn_event(organizer, 2)
    other = builders.event(event.competition, "车工", occupation=builders.occupation(
        "车工", "6-18-01-01"), position=1)
    late = [entry(other, f"车工选手{n}") for n in range(3)]
    db.session.commit()
    app.config["JOBS_PDF_CHUNK"] = 2

    response = job_file(client, f"/competitions/{event.competition_id}/tickets/print",
                        {"size": "A5"})
    pdf = read_pdf(response)
    assert len(pdf.pages) == 5
    first = sorted(entries_of(event), key=lambda e: e.station)
    assert [qr_codes(p)[0] for p in pdf.pages] == [private_url(app, e)
                                                   for e in first + late]
    assert "车工选手2" in pdf.pages[4].extract_text()
    job = db.session.scalars(select(Job).order_by(Job.id.desc())).first()
    assert job.kind == "tickets.competition"
    assert job.file_name == f"{event.competition.name}-准考证.pdf"
    assert "UTF-8''" in response.headers["Content-Disposition"]


# --- Certificates, score reports, workbooks ---------------------------------------------------

def test_certificates_of_a_division_and_of_the_competition(final_tea, client, auth):
    auth.login(builders.ORGANIZER)
    valid = [c for division in final_tea.divisions
             for c in certificates.printable_certificates(db.session, division)]
    assert valid
    whole = read_pdf(job_file(client, f"/competitions/{final_tea.competition_id}"
                                      "/certificates/print"))
    assert len(whole.pages) == len(valid)
    for page, certificate in zip(whole.pages, valid, strict=True):
        assert certificate.number in page.extract_text()
    division = next(d for d in final_tea.divisions
                    if certificates.printable_certificates(db.session, d))
    one = read_pdf(job_file(client, f"/divisions/{division.id}/certificates/print"))
    assert len(one.pages) == len(certificates.printable_certificates(db.session, division))


def test_every_score_report_of_an_event_in_one_pdf(published_tea, client, auth):
    auth.login(builders.ORGANIZER)
    people = [e for e in entries_of(published_tea)]
    bundle = read_pdf(job_file(client, f"/events/{published_tea.id}/score-reports/print"))
    text = text_of(bundle)
    assert text.count("成绩单") >= len(people)
    for person in people:
        assert person.contestant.name in text
    # Each report as it prints alone, on pages of its own.
    alone = read_pdf(client.get(f"/entries/{people[0].id}/score-report.pdf"))
    first_lines = alone.pages[0].extract_text().splitlines()[:6]
    assert any(page.extract_text().splitlines()[:6] == first_lines for page in bundle.pages)
    job = db.session.scalars(select(Job).order_by(Job.id.desc())).first()
    assert job.progress_total == job.progress_done >= len(people)

    whole = read_pdf(job_file(client, f"/competitions/{published_tea.competition_id}"
                                      "/score-reports/print"))
    assert len(whole.pages) >= len(bundle.pages)


def test_the_results_workbook_of_an_event_and_of_the_competition(published_tea, client, auth):
    auth.login(builders.ORGANIZER)
    one = job_file(client, f"/events/{published_tea.id}/results/export")
    assert one.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in one.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(one.data))
    assert book.sheetnames == [d.name for d in published_tea.divisions]
    whole = load_workbook(io.BytesIO(job_file(
        client, f"/competitions/{published_tea.competition_id}/results/export").data))
    assert [f"茶艺师 {d.name}" for d in published_tea.divisions] == whole.sheetnames[
        :len(published_tea.divisions)]
    assert len(whole.sheetnames) > len(book.sheetnames)  # 车工's sheets, as a draft
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows == list(whole.worksheets[0].iter_rows(values_only=True))


# --- Who sees a job ---------------------------------------------------------------------------

def test_only_the_requester_and_the_competitions_organizers_see_a_job(
        app, client, auth, login_as):
    organizer = login_as("organizer")
    event = _drawn_event(organizer, 1)
    job_id = _job_id(client.post(f"/events/{event.id}/tickets/print"))
    urls = (f"/jobs/{job_id}", f"/jobs/{job_id}.json", f"/jobs/{job_id}/file")
    assert all(client.get(url).status_code == 200 for url in urls)
    client.post("/logout")

    # An organizer of another competition, and a judge: no such job.
    for role in ("organizer", "judge"):
        login_as(role)
        assert [client.get(url).status_code for url in urls] == [404, 404, 404]
        assert f"/jobs/{job_id}" not in client.get("/jobs").text
        client.post("/logout")
    # Another organizer of the same competition sees it; signed out, nobody does.
    colleague = builders.user("organizer")
    from competition.events.models import CompetitionOrganizer

    db.session.add(CompetitionOrganizer(competition_id=event.competition_id,
                                        user_id=colleague.id))
    db.session.commit()
    auth.login(colleague.username)
    assert all(client.get(url).status_code == 200 for url in urls)
    client.post("/logout")
    assert all("/login" in client.get(url).headers["Location"] for url in urls)
    assert client.get("/jobs/999999").status_code == 302


def test_my_jobs_lists_the_users_own_newest_first(app, client, login_as):
    organizer = login_as("organizer")
    event = _drawn_event(organizer, 1)
    first = _job_id(client.post(f"/events/{event.id}/tickets/print"))
    second = _job_id(client.post(f"/events/{event.id}/results/export"))
    page = client.get("/jobs").text
    assert page.index(f'id="job-{second}"') < page.index(f'id="job-{first}"')
    assert page.count(f'href="/jobs/{first}/file"') == 1


# --- Failures -------------------------------------------------------------------------------

def _half_then_fail(run) -> None:
    """A job that writes three parts of its file, then breaks."""
    run.set_total(2)
    out = run.output("half.pdf", "application/pdf")
    out.write(b"x" * (3 * runner.PART_BYTES))
    run.advance()
    raise RuntimeError("the printer's driver exploded")


register("test.half_then_fail", _half_then_fail, label="test")


def _queued(kind: str, user, competition_id: int, **params) -> Job:
    job = Job(kind=kind, competition_id=competition_id, requested_by_id=user.id,
              params={"scope": "测试", "locale": "en", "url_root": "http://localhost/",
                      **params})
    db.session.add(job)
    db.session.commit()
    return job


def test_a_failed_job_keeps_nothing_and_says_why_in_the_users_language(
        app, client, login_as, caplog, monkeypatch):
    organizer = login_as("organizer")
    event = _drawn_event(organizer, 1)
    monkeypatch.setattr(runner, "PART_BYTES", 1000)
    job = _queued("test.half_then_fail", organizer, event.competition_id)
    run_job(app, job.id)
    job = _job(job.id)
    assert job.status == JobStatus.FAILED and job.finished_at
    assert (job.progress_done, job.progress_total) == (1, 2)
    assert job.error.startswith("Something went wrong while making the file; nothing was "
                                "kept.")
    assert "exploded" not in job.error
    assert _parts(job.id) == []  # the three parts written are gone
    assert "the printer's driver exploded" in caplog.text and "Traceback" in caplog.text
    assert job.file_name == ""

    client.get("/lang/en")
    page = client.get(f"/jobs/{job.id}").text
    assert 'id="job-error"' in page and "nothing was kept" in page
    assert 'id="job-download"' not in page
    assert client.get(f"/jobs/{job.id}/file").status_code == 404
    # Running it again does nothing: it is no longer waiting.
    run_job(app, job.id)
    assert _job(job.id).status == JobStatus.FAILED


def test_a_broken_rule_found_by_the_job_is_its_message(app, client, auth, monkeypatch):
    organizer, event, issued_here = builders.issued(2)
    auth.login(organizer.username)
    # The certificates are revoked between the click and the job's start.
    from competition.jobs import queue

    monkeypatch.setattr(queue, "dispatch", lambda app_, job_id: None)
    division = event.divisions[0]
    job_id = _job_id(client.post(f"/divisions/{division.id}/certificates/print"))
    assert _job(job_id).status == JobStatus.QUEUED
    for certificate in issued_here:
        certificates.revoke(db.session, organizer, certificate, "测试撤销")
    db.session.commit()
    run_job(app, job_id)
    job = _job(job_id)
    assert job.status == JobStatus.FAILED
    assert job.error == f"{event.name} · {division.name} 没有可打印的有效证书。"
    page = client.get(f"/jobs/{job_id}").text
    assert job.error in page


def test_a_job_whose_worker_process_dies_is_marked_failed(app, login_as):
    """The RQ worker's child running the job is killed (out of memory, say): the worker
    marks the job failed, its parts gone, instead of leaving it running."""
    from types import SimpleNamespace

    from competition.jobs.worker import _when_killed

    organizer = login_as("organizer")
    event = _drawn_event(organizer, 1)
    job = _queued("tickets.event", organizer, event.competition_id, event_id=event.id)
    job.status, job.started_at = JobStatus.RUNNING, utcnow()
    db.session.add(JobFilePart(job_id=job.id, position=0, data=b"half"))
    db.session.commit()
    _when_killed(app)(SimpleNamespace(args=(job.id,)), 4242, 9, None)
    job = _job(job.id)
    assert job.status == JobStatus.FAILED and _parts(job.id) == []
    assert job.error.startswith("The job stopped before it finished")


# --- Progress ------------------------------------------------------------------------------

def _count_to_five(run) -> None:
    from sqlalchemy.orm import Session

    run.set_total(5)
    seen = []
    with Session(db.engine) as other:  # what another connection sees while it runs
        for _ in range(5):
            run.advance()
            seen.append(other.scalar(select(Job.progress_done).where(Job.id == run.id)))
            other.rollback()
    run.output("five.txt", "text/plain").write(repr(seen).encode())


register("test.count_to_five", _count_to_five, label="test")


@pytest.mark.parametrize(("step", "seen"), [
    (0.6, [1, 2, 3, 4, 5]),  # more than half a second between items: each one is written
    (0.2, [0, 0, 3, 3, 3]),  # quicker: at most every half second
])
def test_progress_is_written_at_most_every_half_second(app, login_as, monkeypatch, step,
                                                       seen):
    organizer = login_as("organizer")
    event = _drawn_event(organizer, 1)
    clock = iter(range(1000))
    monkeypatch.setattr(runner.time, "monotonic", lambda: next(clock) * step)
    job = _queued("test.count_to_five", organizer, event.competition_id)
    run_job(app, job.id)
    assert _job(job.id).status == JobStatus.DONE
    assert b"".join(_parts(job.id)).decode() == repr(seen)
    assert (_job(job.id).progress_done, _job(job.id).progress_total) == (5, 5)


# --- Old files ------------------------------------------------------------------------------

def test_files_older_than_a_week_are_deleted_at_the_next_print(app, client, login_as):
    organizer = login_as("organizer")
    event = _drawn_event(organizer, 1)
    now = utcnow()

    def kept(days_ago: float, status=JobStatus.DONE, **values) -> int:
        job = Job(kind="tickets.event", competition_id=event.competition_id,
                  requested_by_id=organizer.id, params={"locale": "en", "scope": "x"},
                  status=status, created_at=now - timedelta(days=days_ago),
                  finished_at=now - timedelta(days=days_ago)
                  if status in (JobStatus.DONE, JobStatus.FAILED) else None, **values)
        db.session.add(job)
        db.session.flush()
        db.session.add(JobFilePart(job_id=job.id, position=0, data=b"old"))
        return job.id

    old, old_failed = kept(8), kept(7.5, JobStatus.FAILED)
    recent = kept(6)
    stuck_waiting = kept(2, JobStatus.QUEUED)
    stuck_running = kept(1, JobStatus.RUNNING, started_at=now - timedelta(hours=3))
    still_running = kept(0.01, JobStatus.RUNNING, started_at=now - timedelta(minutes=5))
    db.session.commit()

    job_file(client, f"/events/{event.id}/tickets/print")
    db.session.expire_all()
    assert db.session.get(Job, old) is None and db.session.get(Job, old_failed) is None
    assert _parts(old) == []
    assert _job(recent).status == JobStatus.DONE and _parts(recent) == [b"old"]
    for stuck in (stuck_waiting, stuck_running):
        job = _job(stuck)
        assert job.status == JobStatus.FAILED and _parts(stuck) == []
        assert job.error.startswith("The job was interrupted before it finished")
    assert _job(still_running).status == JobStatus.RUNNING
    client.get("/lang/en")
    assert "Finished files are kept for 7 days, then deleted." in client.get("/jobs").text


# --- The backends ---------------------------------------------------------------------------

def _wait_until_finished(job_id: int, seconds: float = 60) -> Job:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = _job(job_id)
        if job.finished:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish: {_job(job_id).status}")


def test_without_redis_a_job_runs_in_a_thread_of_the_app(app, client, login_as):
    organizer = login_as("organizer")
    event = _drawn_event(organizer, 2)
    app.config["JOBS_RUN_AT_ONCE"] = False
    app.config["REDIS_URL"] = None
    job_id = _job_id(client.post(f"/events/{event.id}/tickets/print", data={"size": "A5"}))
    job = _wait_until_finished(job_id)
    assert job.status == JobStatus.DONE
    assert len(read_pdf(client.get(f"/jobs/{job_id}/file")).pages) == 2


def test_a_redis_that_does_not_answer_leaves_the_job_to_a_thread(app, client, login_as,
                                                                   caplog):
    organizer = login_as("organizer")
    event = _drawn_event(organizer, 1)
    app.config["JOBS_RUN_AT_ONCE"] = False
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    app.extensions.pop("jobs_redis", None)
    try:
        job_id = _job_id(client.post(f"/events/{event.id}/tickets/print"))
        assert _wait_until_finished(job_id).status == JobStatus.DONE
    finally:
        app.extensions.pop("jobs_redis", None)
    assert "Redis did not take it" in caplog.text


def test_a_request_that_fails_queues_nothing(app, client, login_as):
    organizer = login_as("organizer")
    event = _drawn_event(organizer, 1)
    assert client.post(f"/events/{event.id}/tickets/print",
                       data={"division_id": 99999}).status_code == 404
    assert db.session.scalar(select(func.count(Job.id))) == 0


def test_the_worker_command_needs_redis(app):
    app.config["REDIS_URL"] = None
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL is not set" in result.output


@pytest.fixture
def redis_queue():
    """A queue of its own on Redis database 14 for this test process; skipped without
    Redis."""
    import redis

    connection = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except redis.RedisError as error:
        if os.environ.get("CI"):
            pytest.fail(f"Redis at {REDIS_TEST_URL} does not answer: {error}")
        pytest.skip(f"Redis at {REDIS_TEST_URL} does not answer ({error}): start "
                    "redis-server to run the worker test")
    name = f"test-jobs-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{uuid.uuid4().hex[:8]}"
    yield name
    for key in connection.scan_iter(f"rq:*{name}*"):
        connection.delete(key)
    connection.srem("rq:queues", f"rq:queue:{name}")
    connection.close()


def test_a_real_rq_worker_runs_the_job_queued_by_the_app(database_url, redis_queue):
    """``flask jobs worker`` in a process of its own on the same database takes the job
    the app queued in Redis and makes the same file."""
    queued_app = make_app(database_url, JOBS_RUN_AT_ONCE=False, REDIS_URL=REDIS_TEST_URL,
                          JOBS_QUEUE=redis_queue)
    with queued_app.app_context():
        try:
            organizer = builders.user("organizer")
            event = _drawn_event(organizer, 3)
            client = queued_app.test_client()
            client.post("/login", data={"username": organizer.username,
                                        "password": builders.PASSWORD})
            job_id = _job_id(client.post(f"/events/{event.id}/tickets/print",
                                         data={"size": "A5"}))
            assert _job(job_id).status == JobStatus.QUEUED  # in Redis, waiting
            environment = {**os.environ, "DATABASE_URL": database_url, "FLASK_DEBUG": "1",
                           "REDIS_URL": REDIS_TEST_URL, "FLASK_APP": "wsgi.py"}
            done = subprocess.run(
                [sys.executable, "-m", "flask", "jobs", "worker", "--burst",
                 "--queue", redis_queue], env=environment, capture_output=True, text=True,
                timeout=180, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
            assert done.returncode == 0, done.stderr
            job = _job(job_id)
            assert job.status == JobStatus.DONE, (job.error, done.stderr)
            assert (job.progress_done, job.progress_total) == (3, 3)
            pdf = read_pdf(client.get(f"/jobs/{job_id}/file"))
            by_station = sorted(entries_of(event), key=lambda e: e.station)
            assert [qr_codes(p)[0] for p in pdf.pages] == [
                private_url(queued_app, e) for e in by_station]
        finally:
            db.session.rollback()
            empty_tables()
            db.session.remove()
            db.engine.dispose()
