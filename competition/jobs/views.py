"""The pages of jobs: one job's progress and file, and the signed-in user's jobs.

A job, its progress and its file are shown to the user who asked for it and to the
organizers of its competition (and admins); anyone else is answered 404, as if there
were no such job.

Endpoints: ``jobs.my_jobs``, ``jobs.job``, ``jobs.job_json`` and ``jobs.job_file``.
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from competition.events.access import organizes
from competition.events.models import Competition
from competition.extensions import db
from competition.jobs.files import PartReader
from competition.jobs.models import Job, JobStatus
from competition.jobs.registry import kind_of

bp = Blueprint("jobs", __name__)

MY_JOBS_SHOWN = 100


def job_for_viewer(job_id: int) -> Job:
    """The job, if the signed-in user asked for it or organizes its competition; 404
    otherwise (a job of another competition is not shown to exist)."""
    job = db.session.get(Job, job_id)
    if job is None or not (job.requested_by_id == current_user.id
                           or organizes(current_user, job.competition_id)):
        abort(404)
    return job


def label_of(job: Job) -> str:
    """What the job makes, in the reader's language."""
    kind = kind_of(job.kind)
    return str(kind.label) if kind else job.kind


def _progress(job: Job) -> dict:
    return {
        "id": job.id, "status": job.status, "done": job.progress_done,
        "total": job.progress_total, "error": job.error or None,
        "file_name": job.file_name if job.status == JobStatus.DONE else None,
        "file_url": url_for("jobs.job_file", job_id=job.id)
        if job.status == JobStatus.DONE else None,
    }


@bp.get("/jobs")
@login_required
def my_jobs():
    """The signed-in user's jobs, newest first."""
    jobs = db.session.scalars(select(Job).where(Job.requested_by_id == current_user.id)
                              .order_by(Job.created_at.desc(), Job.id.desc())
                              .limit(MY_JOBS_SHOWN)).all()
    names = dict(db.session.execute(select(Competition.id, Competition.name).where(
        Competition.id.in_({job.competition_id for job in jobs}))).all()) if jobs else {}
    return render_template("jobs/list.html", jobs=jobs, competitions=names,
                           label_of=label_of)


@bp.get("/jobs/<int:job_id>")
@login_required
def job(job_id: int):
    """A job's progress (updated by static/js/jobs.js every second), then its file."""
    job = job_for_viewer(job_id)
    competition = db.session.get(Competition, job.competition_id)
    return render_template("jobs/job.html", job=job, competition=competition,
                           label=label_of(job), progress=_progress(job))


@bp.get("/jobs/<int:job_id>.json")
@login_required
def job_json(job_id: int):
    """How far the job is: status, done and total, the error or the file's address."""
    response = jsonify(_progress(job_for_viewer(job_id)))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/jobs/<int:job_id>/file")
@login_required
def job_file(job_id: int):
    """The job's file, streamed from the database a part at a time."""
    job = job_for_viewer(job_id)
    if job.status != JobStatus.DONE:
        abort(404)
    reader = PartReader(db.engine, job.id)
    response = send_file(reader, mimetype=job.mimetype, download_name=job.file_name,
                         as_attachment=job.mimetype != "application/pdf", max_age=0,
                         conditional=False, etag=False)
    response.content_length = job.file_size
    response.headers["Cache-Control"] = "private, no-store"
    return response
