"""The worker process: ``flask jobs worker`` runs the jobs queued in Redis.

The app is made once, when the command starts; RQ's worker then takes the jobs of the
queue ``JOBS_QUEUE`` one at a time and runs each in a child process forked for it
(``--simple``: in the worker's own process), so that the memory a long print run takes
is given back when it ends. ``--burst`` stops once the queue is empty (tests,
benchmarks).
"""

from __future__ import annotations

from flask import Flask

from competition.jobs import runner


class NoQueue(RuntimeError):
    """The worker has no Redis to take jobs from."""


def run_worker(app: Flask, *, queue_name: str | None = None, burst: bool = False,
               simple: bool = False, name: str | None = None) -> bool:
    """Take jobs from the queue until stopped (or, with ``burst``, until it is empty)."""
    from redis import Redis
    from rq import Queue, SimpleWorker, Worker

    url = app.config.get("REDIS_URL")
    if not url:
        raise NoQueue("REDIS_URL is not set: without Redis, jobs run in a thread of the app "
                      "and no worker is needed.")
    connection = Redis.from_url(url, socket_connect_timeout=5)
    connection.ping()
    runner.attach(app)
    queue = Queue(queue_name or app.config["JOBS_QUEUE"], connection=connection)
    if simple:
        worker = SimpleWorker([queue], connection=connection, name=name)
    else:
        worker = Worker([queue], connection=connection, name=name,
                        work_horse_killed_handler=_when_killed(app))
    return worker.work(burst=burst, logging_level="INFO", with_scheduler=False)


def _when_killed(app: Flask):
    """What the worker does when the child running a job dies (out of memory, killed):
    the job is marked failed rather than left running."""

    def handler(rq_job, pid, status, usage) -> None:
        if rq_job is not None and rq_job.args:
            runner.record_lost(app, rq_job.args[0])

    return handler
