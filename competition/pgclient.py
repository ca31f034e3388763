"""PostgreSQL connections that stop waiting for a server that has stopped answering.

The server cancels a statement after ``statement_timeout``, and TCP settings give up on a
network that drops packets; neither helps when the server's machine still acknowledges
packets but its processes do not answer (a frozen host, a stopped process, a storage
stall). Then the driver would wait for the answer for ever and a worker with it. Here the
client waits at most ``DATABASE_CLIENT_TIMEOUT`` seconds (a little longer than the
statement timeout, so a server that is merely slow gets to cancel the statement first)
for any answer, then closes the connection and raises ``OperationalError``: the pool
drops the connection and the request gets the app's 503.
"""

from __future__ import annotations

import psycopg
from psycopg import errors
from sqlalchemy import event
from sqlalchemy.engine import Engine


class GuardedConnection(psycopg.Connection):
    """A psycopg connection whose every wait for the server has a deadline."""

    answer_timeout: float | None = None

    def wait(self, gen, interval=0.1, timeout=None):
        if timeout is None:
            timeout = self.answer_timeout
        try:
            return super().wait(gen, interval=interval, timeout=timeout)
        except errors._WaitTimeout:  # the driver's own "no answer in time" signal
            self.pgconn.finish()
            raise psycopg.OperationalError(
                f"the database server did not answer within {timeout:g} s; "
                "the connection was closed") from None


def guard_connections(engine: Engine, timeout: float) -> None:
    """Open the engine's PostgreSQL connections as ``GuardedConnection`` with ``timeout``."""
    guarded = type("GuardedConnection", (GuardedConnection,), {"answer_timeout": timeout})

    @event.listens_for(engine, "do_connect")
    def connect(dialect, connection_record, cargs, cparams):
        return guarded.connect(*cargs, **cparams)
