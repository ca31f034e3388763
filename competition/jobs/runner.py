"""Running one job: in an RQ worker, a thread of the app, or at once in tests.

A job runs outside any request, so it keeps its own transactions (this module is one of
the few allowed to commit, with the command line): its progress is written in short
transactions of their own, at most every half second; its file goes to the database in
parts of 1 MiB as it is made; reading what it prints never commits. It runs in the app's
context and in a request context made for the address its requester used (``url_root``),
so that ``url_for(..., _external=True)`` makes the same links, QR codes among them, as a
download in that request would have; and in the requester's language.

When the job's function fails, the parts written so far are deleted, the job is marked
failed with a message in the requester's language, and the traceback goes to the log.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterable, Iterator
from typing import BinaryIO, TypeVar

from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from competition.dbtypes import utcnow
from competition.errors import DomainError
from competition.extensions import db
from competition.jobs.models import PART_BYTES, Job, JobFilePart, JobStatus
from competition.jobs.pdf_join import PdfJoiner
from competition.jobs.registry import kind_of

log = logging.getLogger(__name__)

PROGRESS_SECONDS = 0.5  # the least time between two writes of a job's progress
T = TypeVar("T")

# The app a worker process made once (``attach``), and the process it was made in: a
# child forked to run a job drops the connections it inherited from its parent.
_worker_app: Flask | None = None
_worker_pid: int | None = None


class PartWriter:
    """A binary stream kept in the database: every full MiB written becomes a part (a row
    of ``job_file_parts``) in a transaction of its own; ``close`` writes the rest."""

    def __init__(self, store: Session, job_id: int) -> None:
        self._store, self._job_id = store, job_id
        self._buffer = bytearray()
        self._parts = 0
        self.size = 0

    def write(self, data: bytes) -> int:
        self._buffer += data
        self.size += len(data)
        while len(self._buffer) >= PART_BYTES:
            self._keep(bytes(self._buffer[:PART_BYTES]))
            del self._buffer[:PART_BYTES]
        return len(data)

    def tell(self) -> int:
        return self.size

    def close(self) -> None:
        if self._buffer or not self._parts:
            self._keep(bytes(self._buffer))
            self._buffer.clear()

    def _keep(self, data: bytes) -> None:
        self._store.execute(insert(JobFilePart).values(job_id=self._job_id,
                                                       position=self._parts, data=data))
        self._store.commit()
        self._parts += 1


class JobRun:
    """What a job's function works with: its ``params``, the ``session`` to read with
    (never committed), its progress (``set_total``, ``advance``) and its file (``output``,
    or ``write_pdf`` for a PDF made in chunks)."""

    def __init__(self, job_id: int, params: dict, store: Session) -> None:
        self.id = job_id
        self.params = params
        self.session = db.session
        self.chunk_size = int(current_app.config["JOBS_PDF_CHUNK"])
        self._store = store
        self._done = self._total = 0
        self._saved_at = 0.0
        self.file: PartWriter | None = None
        self.file_name = self.mimetype = ""

    # --- Progress ---------------------------------------------------------------------

    def set_total(self, total: int) -> None:
        """How many items the job makes (tickets, certificates, reports, events)."""
        self._total = total
        self._save_progress(force=True)

    def advance(self, count: int = 1) -> None:
        """``count`` more items made."""
        self._done += count
        self._save_progress()

    def counted(self, items: Iterable[T]) -> Iterator[T]:
        """The items, counted as made as each is taken."""
        for item in items:
            yield item
            self.advance()

    def _save_progress(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._saved_at < PROGRESS_SECONDS:
            return
        self._saved_at = now
        self._store.execute(update(Job).where(Job.id == self.id).values(
            progress_done=self._done, progress_total=max(self._total, self._done)))
        self._store.commit()

    # --- The file -------------------------------------------------------------------------

    def output(self, file_name: str, mimetype: str) -> PartWriter:
        """The stream the job writes its file to, and the file's name and type."""
        self.file_name, self.mimetype = safe_file_name(file_name), mimetype
        self.file = PartWriter(self._store, self.id)
        return self.file

    def write_pdf(self, file_name: str, chunks: Iterable[bytes], *, title: str = "") -> None:
        """A PDF made of ``chunks`` (each a whole PDF, made one at a time): see
        ``join_pdf``."""
        join_pdf(chunks, self.output(file_name, "application/pdf"), title=title)

    def in_chunks(self, items: list[T], *, per_page: int = 1) -> Iterator[list[T]]:
        """The items ``JOBS_PDF_CHUNK`` at a time (one chunk when there are none), rounded
        down to whole pages of ``per_page`` items, so that joined chunks leave no page
        half empty."""
        if not items:
            yield []
            return
        size = max(per_page, self.chunk_size - self.chunk_size % per_page)
        for start in range(0, len(items), size):
            yield items[start:start + size]

    # --- The end --------------------------------------------------------------------------

    def complete(self) -> None:
        if self.file is None:
            raise RuntimeError("the job's function made no file")
        self.file.close()
        self._store.execute(update(Job).where(Job.id == self.id).values(
            status=JobStatus.DONE, finished_at=utcnow(), file_name=self.file_name,
            mimetype=self.mimetype, file_size=self.file.size,
            progress_done=max(self._total, self._done),
            progress_total=max(self._total, self._done)))
        self._store.commit()

    def fail(self, message: str) -> None:
        """Keep nothing of the file, and say why (and how far the job got)."""
        self._store.rollback()
        self._store.execute(delete(JobFilePart).where(JobFilePart.job_id == self.id))
        self._store.execute(update(Job).where(Job.id == self.id).values(
            status=JobStatus.FAILED, finished_at=utcnow(), error=message,
            progress_done=self._done, progress_total=max(self._total, self._done)))
        self._store.commit()


def join_pdf(chunks: Iterable[bytes], out: BinaryIO, *, title: str = "") -> None:
    """Write the PDF made of ``chunks`` to ``out``: one chunk is written as it is (the same
    file a single document makes); several are joined page by page as they come
    (``pdf_join.PdfJoiner``), so that only one chunk is in memory at a time."""
    chunks = iter(chunks)
    first = next(chunks)
    second = next(chunks, None)
    if second is None:
        out.write(first)
        return
    joiner = PdfJoiner(out, title=title)
    joiner.add(first)
    del first
    joiner.add(second)
    del second
    for chunk in chunks:
        joiner.add(chunk)
    joiner.finish()


def safe_file_name(name: str) -> str:
    """A file name every file system accepts: no \\ / : * ? " < > | or line breaks."""
    return re.sub(r'[\\/:*?"<>|\r\n]+', "_", name)[:255]


def failure_message(error: BaseException) -> str:
    """What the requester reads about a failed job, in the current language."""
    if isinstance(error, DomainError):
        return error.translated()
    if type(error).__name__ == "JobTimeoutException":  # rq.timeouts, raised in the worker
        return _("The job took longer than %(minutes)s minutes and was stopped. Print a "
                 "smaller selection, or tell the system administrator.",
                 minutes=current_app.config["JOBS_TIMEOUT"] // 60)
    return _("Something went wrong while making the file; nothing was kept. The error "
             "has been logged: try again, and tell the system administrator if it happens "
             "again.")


def run_job(app: Flask, job_id: int) -> None:
    """Run a queued job to its end: done with its file, or failed with a message. A job
    that is no longer queued (already taken, or deleted) is left alone."""
    with app.app_context():
        store = Session(db.engine)
        try:
            _run(app, job_id, store)
        finally:
            store.close()
            db.session.remove()


def _run(app: Flask, job_id: int, store: Session) -> None:
    taken = store.execute(update(Job).where(Job.id == job_id, Job.status == JobStatus.QUEUED)
                          .values(status=JobStatus.RUNNING, started_at=utcnow()))
    store.commit()
    if taken.rowcount != 1:
        log.info("job %s is not waiting to run; left alone", job_id)
        return
    kind_name, params = store.execute(select(Job.kind, Job.params)
                                      .where(Job.id == job_id)).one()
    base_url = params.get("url_root") or "http://localhost/"
    with app.test_request_context(base_url=base_url), \
            force_locale(params.get("locale") or app.config["BABEL_DEFAULT_LOCALE"]):
        run = JobRun(job_id, params, store)
        started = time.perf_counter()
        try:
            kind = kind_of(kind_name)
            if kind is None:
                raise RuntimeError(f"no function is registered for jobs of kind {kind_name!r}")
            kind.function(run)
            run.complete()
        except Exception as error:  # a job must end, whatever went wrong
            log.exception("job %s (%s) failed", job_id, kind_name)
            db.session.rollback()
            try:
                run.fail(failure_message(error))
            except Exception:
                log.exception("job %s: its failure could not be recorded", job_id)
                store.rollback()
        else:
            log.info("job %s (%s) done in %.1f s: %s bytes", job_id, kind_name,
                     time.perf_counter() - started, run.file.size)
        finally:
            db.session.rollback()


def record_lost(app: Flask, job_id: int) -> None:
    """A job whose process ended while it ran (killed for lack of memory, say): nothing of
    its file is kept, and it is marked failed, saying so in its requester's language."""
    with app.app_context():
        store = Session(db.engine)
        try:
            params = store.scalar(select(Job.params).where(
                Job.id == job_id, Job.status == JobStatus.RUNNING))
            if params is None:
                return
            with app.test_request_context(), force_locale(
                    params.get("locale") or app.config["BABEL_DEFAULT_LOCALE"]):
                message = _("The job stopped before it finished: its process ended "
                            "unexpectedly, perhaps for lack of memory. Start it again, or "
                            "print a smaller selection.")
            store.execute(delete(JobFilePart).where(JobFilePart.job_id == job_id))
            store.execute(update(Job).where(Job.id == job_id, Job.status == JobStatus.RUNNING)
                          .values(status=JobStatus.FAILED, error=message,
                                  finished_at=utcnow()))
            store.commit()
            log.error("job %s: its process ended before the job did", job_id)
        finally:
            store.close()


def attach(app: Flask) -> None:
    """Make ``app`` the one a worker process runs its jobs in."""
    global _worker_app, _worker_pid
    _worker_app, _worker_pid = app, os.getpid()


def perform(job_id: int) -> None:
    """What the RQ queue calls: run the job in the worker's app (made once, by
    ``flask jobs worker``)."""
    app = _worker_app
    if app is None:
        raise RuntimeError("no app to run the job in: start the worker with "
                           "`flask jobs worker`, not RQ's own command")
    if os.getpid() != _worker_pid:
        # A child forked for this job: the parent's pooled connections are not its own.
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose(close=False)
    run_job(app, job_id)
