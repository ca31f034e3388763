"""Answers a transaction may reuse until it writes: who sits on which panel, whose
conflicts, which sheet this request holds locked.

``remembered(session, key, compute)`` computes once and keeps the answer in the session,
so the second check of one request costs no query. Anything written (a flush with
changes) or the end of the transaction forgets every answer: nothing remembered ever
outlives what it was computed from.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

_KEY = "competition.memo"
T = TypeVar("T")


def remembered(session: Session, key: Hashable, compute: Callable[[], T]) -> T:
    store = session.info.setdefault(_KEY, {})
    if key not in store:
        store[key] = compute()
    return store[key]


def forget(session: Session) -> None:
    session.info.pop(_KEY, None)


@event.listens_for(Session, "after_flush")
def _forget_after_writing(session: Session, flush_context) -> None:
    forget(session)


@event.listens_for(Session, "after_transaction_end")
def _forget_at_the_end(session: Session, transaction) -> None:
    forget(session)
