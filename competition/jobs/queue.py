"""Starting jobs: a row queued in the request's transaction, handed to a backend only once
that transaction has committed.

A view calls ``start_job``; the job's row is part of the request's one transaction
(``web.CompetitionApp.dispatch_request`` commits it), so a request that fails queues
nothing. When the session commits, ``after_commit`` hands each new job to a backend:

- with ``JOBS_RUN_AT_ONCE`` (on in tests), the job runs right there, before the response
  is sent, so that a test sees it finished after the redirect;
- with ``REDIS_URL`` set and Redis answering, it goes to the RQ queue ``JOBS_QUEUE``,
  where ``flask jobs worker`` picks it up (production: a service of its own);
- otherwise (``make run`` on a machine without Redis, or Redis down) it runs in a
  thread of this process.

Each enqueue also clears what is old: files finished more than ``JOBS_KEEP_DAYS`` (7)
days ago are deleted with their jobs, and a job that waited a day without starting, or
ran far longer than a job may (its worker was stopped), is marked failed.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import timedelta

from flask import Flask, current_app, request
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import delete, event, or_, select, update
from sqlalchemy.orm import Session

from competition.dbtypes import utcnow
from competition.extensions import db
from competition.jobs.models import Job, JobFilePart, JobStatus

log = logging.getLogger(__name__)

PENDING = "jobs_to_start"  # the session's list of jobs to hand on once it commits
WAITING_LIMIT = timedelta(days=1)  # a job queued longer than this never started
# What ``perform`` runs in an RQ worker (``worker.run_worker``).
RQ_FUNCTION = "competition.jobs.runner.perform"


def init_jobs(app: Flask) -> None:
    """The jobs' settings, with their defaults."""
    app.config.setdefault("JOBS_RUN_AT_ONCE", bool(app.config.get("TESTING")))
    app.config.setdefault("JOBS_QUEUE", os.environ.get("JOBS_QUEUE") or "competition-jobs")
    app.config.setdefault("JOBS_TIMEOUT", int(os.environ.get("JOBS_TIMEOUT") or 3600))
    app.config.setdefault("JOBS_KEEP_DAYS", 7)
    # Pages of a long PDF are drawn this many items (tickets, certificates, reports) to a
    # ReportLab document; the documents are joined as they are made (``pdf_join``).
    app.config.setdefault("JOBS_PDF_CHUNK", 500)


def start_job(kind: str, competition_id: int, params: dict, *, scope: str) -> Job:
    """Queue a job of ``kind`` for the signed-in user, started once the request commits.

    ``params`` say what to make (ids and options, plain JSON); ``scope`` names it on the
    pages (the event and division, or the competition). The requester's language and the
    address the request came to are kept with them: the file is made in that language,
    and its absolute links (QR codes) point where today's downloads point."""
    purge(db.session)
    job = Job(kind=kind, competition_id=competition_id, requested_by_id=current_user.id,
              status=JobStatus.QUEUED, created_at=utcnow(),
              params={**params, "scope": scope, "locale": str(get_locale()),
                      "url_root": request.url_root})
    db.session.add(job)
    db.session.flush()
    db.session.info.setdefault(PENDING, []).append(
        (current_app._get_current_object(), job.id))
    return job


def purge(session: Session) -> None:
    """Delete the files finished more than ``JOBS_KEEP_DAYS`` days ago, with their jobs,
    and mark failed the jobs that will never finish (in the session's transaction)."""
    now = utcnow()
    expired = select(Job.id).where(Job.finished_at < now - timedelta(
        days=current_app.config["JOBS_KEEP_DAYS"]))
    session.execute(delete(JobFilePart).where(JobFilePart.job_id.in_(expired)))
    session.execute(delete(Job).where(Job.id.in_(expired)))
    running_limit = timedelta(seconds=2 * current_app.config["JOBS_TIMEOUT"])
    stuck = session.scalars(select(Job).where(or_(
        (Job.status == JobStatus.QUEUED) & (Job.created_at < now - WAITING_LIMIT),
        (Job.status == JobStatus.RUNNING) & (Job.started_at < now - running_limit)))).all()
    for job in stuck:
        session.execute(delete(JobFilePart).where(JobFilePart.job_id == job.id))
        with force_locale(job.params.get("locale") or "zh"):
            message = _("The job was interrupted before it finished (the server running it "
                        "was stopped). Start it again.")
        session.execute(update(Job).where(Job.id == job.id, Job.status == job.status)
                        .values(status=JobStatus.FAILED, error=message, finished_at=now))


@event.listens_for(Session, "after_commit")
def _hand_on(session: Session) -> None:
    """The request's transaction is committed: its new jobs may start."""
    for app, job_id in session.info.pop(PENDING, ()):
        dispatch(app, job_id)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    """The jobs of a transaction rolled back were never queued."""
    session.info.pop(PENDING, None)


def dispatch(app: Flask, job_id: int) -> None:
    """Hand a committed job to its backend: at once (tests), RQ, or a thread."""
    if app.config["JOBS_RUN_AT_ONCE"]:
        from competition.jobs.runner import run_job

        run_job(app, job_id)
        return
    if app.config.get("REDIS_URL"):
        from redis.exceptions import RedisError
        from rq import Queue

        try:
            Queue(app.config["JOBS_QUEUE"], connection=redis_connection(app)).enqueue(
                RQ_FUNCTION, job_id, job_timeout=app.config["JOBS_TIMEOUT"], result_ttl=0,
                failure_ttl=7 * 24 * 3600, description=f"competition job {job_id}")
            return
        except RedisError as error:
            log.warning("job %s runs in this process: Redis did not take it (%s)", job_id,
                        error)
    from competition.jobs.runner import run_job

    threading.Thread(target=run_job, args=(app, job_id), name=f"job-{job_id}",
                     daemon=True).start()


def redis_connection(app: Flask):
    """The app's connection to Redis for the queue (made once per app); it gives up on
    an unreachable Redis within seconds."""
    from redis import Redis

    connection = app.extensions.get("jobs_redis")
    if connection is None:
        connection = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=3,
                                    socket_timeout=10)
        app.extensions["jobs_redis"] = connection
    return connection
