"""gunicorn's settings for the app (read by ``gunicorn wsgi:app`` from this folder).

Threaded workers (``gthread``): a judge's save spends most of its time waiting for the
database, so one process serves several requests at once, and a slow client holds a
thread, not a whole process (nginx in front buffers requests and answers, so slow
tablets rarely reach gunicorn at all). Sized for a venue of 200 tablets on a 2-core
server: 2 workers per core, 8 threads each, 32 requests in progress at once; each
process keeps up to 8 database connections (the pool's 5 plus overflow), so 4 workers
need about 40 of PostgreSQL's 100. Change the numbers with ``WEB_CONCURRENCY`` and
``GUNICORN_THREADS``; ``GUNICORN_BIND`` says where to listen.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# A request that runs longer than this restarts its worker (the database gives up on a
# statement after DATABASE_STATEMENT_TIMEOUT, 30 s by default, and answers 503 first).
timeout = 60
graceful_timeout = 30
# Keep a tablet's connection between requests (nginx talks to gunicorn on loopback and
# lets its idle connections go sooner: deploy/nginx.conf).
keepalive = 15
# Restart each worker now and then, so a slow leak cannot grow for a whole contest day.
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
errorlog = "-"
# The proxy on this machine may say the request came over HTTPS.
forwarded_allow_ips = "127.0.0.1,::1"
