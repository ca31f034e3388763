"""Requests a device may safely send again: the ``Idempotency-Key`` header.

A tablet on flaky Wi-Fi sends a change, loses the answer, and sends the same
request again. Each request carries a key the device made up (a UUID) before
sending it the first time. The first request that gets through claims the key:
its row in ``idempotency_keys`` is written in the same transaction as the
marks, and gets the answer once the work is done. A retry with the same key and
the same request gets that stored answer back and writes nothing; the same key
with a different request is refused (``IdempotencyKeyReused``, 422).

The key is written *after* the work, with its answer, in one statement: the
normal save costs one insert and no read. A retry does the work again on what the
first request left (a mark already at its new value is not written again), then
finds the key taken: its transaction is rolled back, so nothing is written twice,
and it answers with the stored answer. A retry whose work is now refused (the
sheet was submitted since) also answers with the stored answer when there is
one. Two identical requests at the same moment are serialized by the row lock
on the sheet they change (PostgreSQL) or the database's write lock (SQLite); the
second one's key insert fails once the first commits.

Only answers of work that was done are stored. A refused request (the sheet
was submitted meanwhile, the judge is recused…) leaves nothing behind, so the
device may send the same request again once the situation changed, e.g. after
the chief judge reopened the sheet.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from competition.audit.log import canonical
from competition.errors import N_, DomainError
from competition.judging.models import IdempotencyKey

MAX_KEY_LENGTH = 64
HEADER = "Idempotency-Key"


class IdempotencyKeyReused(DomainError):
    """The key was already used for another request (or by another user)."""


@dataclass(frozen=True)
class Answer:
    body: dict
    status_code: int
    replayed: bool  # True: the stored answer of an earlier request with this key


def request_hash(method: str, path: str, payload: object) -> str:
    """SHA-256 of the request: method, path and the canonical JSON of its parsed body.

    The parsed body (numbers as decimals, keys sorted), so "7.50" and "7.5" are
    the same request; the path, so a key reused on another sheet is refused.
    """
    text = f"{method.upper()} {path}\n{canonical(payload)}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stored_answer(session: Session, key: str, user_id: int, digest: str) -> Answer | None:
    """The answer kept for ``key``, or None when no request used it yet."""
    row = session.get(IdempotencyKey, key, populate_existing=True)
    if row is None:
        return None
    if row.user_id != user_id or row.request_hash != digest:
        raise IdempotencyKeyReused(N_("This Idempotency-Key was already used for a "
                                      "different request; send each new change with "
                                      "a new key."))
    return Answer(body=row.response, status_code=row.status_code, replayed=True)


def run_once(session: Session, *, key: str, user_id: int, digest: str,
             work: Callable[[], tuple[dict, int]]) -> Answer:
    """Do ``work`` once for ``key`` and keep its answer; a retry gets the kept answer.

    ``work`` changes the database (flushing, not committing) and returns the
    JSON answer and its status code. The key is added with that answer, so the
    request's commit saves the key and the work together or not at all. When
    ``work`` raises and no earlier request kept an answer under ``key``, the
    transaction is rolled back and the error goes on.
    """
    try:
        body, status_code = work()
    except DomainError:
        session.rollback()
        earlier = stored_answer(session, key, user_id, digest)
        if earlier is None:
            raise
        return earlier
    except BaseException:
        session.rollback()
        raise
    session.add(IdempotencyKey(key=key, user_id=user_id, request_hash=digest, response=body,
                               status_code=status_code))
    try:
        session.flush()  # a twin holding the key makes this wait (PostgreSQL), then fail
    except IntegrityError:
        session.rollback()
        earlier = stored_answer(session, key, user_id, digest)
        if earlier is None:  # the twin was rolled back between our insert and this read
            raise
        return earlier
    return Answer(body=body, status_code=status_code, replayed=False)


def forget_before(session: Session, moment: datetime) -> int:
    """Delete keys older than ``moment`` (a device retries for hours, not weeks)."""
    result = session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < moment))
    return result.rowcount or 0
