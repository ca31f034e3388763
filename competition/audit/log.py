"""The tamper-evident audit log: every change to a score, chained by keyed hashes.

Each record's hash covers its own fields and the previous record's hash
(HMAC-SHA-256 with ``AUDIT_KEY``, a secret kept outside the database), so changing
or deleting any row in the database breaks the chain from that row on, and someone
who can write to the database but does not hold the key cannot recompute the
chain to match; ``verify_chain`` finds the first bad record. The chain's head at a
publication is printed on the notice (docs/audit.md).

Appending takes a lock so two writers never chain onto the same record: an
advisory lock on PostgreSQL and the database's own write lock on SQLite.

A transaction's records are appended when it commits, not as they are made:
the lock is then held for the few inserts of the commit rather than for the
whole request, so judges saving marks at once do not queue behind each other
(bench/RESULTS.md). Records made in a savepoint that is rolled back are
dropped with it; records of a transaction that is rolled back never exist.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import event as sqlalchemy_event
from sqlalchemy import select, text
from sqlalchemy.orm import Session, scoped_session

from competition import live
from competition.audit.models import AuditEvent
from competition.dbtypes import utcnow

GENESIS = "0" * 64


def canonical(value: object) -> str:
    """JSON with sorted keys and plain numbers, the same on every database and run."""

    def default(obj):
        if isinstance(obj, Decimal):
            return format(obj.normalize(), "f")
        if isinstance(obj, datetime):
            return obj.astimezone(UTC).isoformat()
        return str(obj)

    if value is None or value == "":
        return ""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=default)


_PENDING_KEY = "audit_pending"


def _innermost_transaction(session: Session):
    plain = session.registry() if isinstance(session, scoped_session) else session
    return plain.get_nested_transaction() or plain.get_transaction()


def audit_key() -> bytes:
    """The key of the chain, from the application's configuration."""
    from flask import current_app

    return current_app.config["AUDIT_KEY"].encode("utf-8")


def record_hash(event, key: bytes | None = None) -> str:
    """The keyed hash of a record (an ``AuditEvent`` or a row of its table)."""
    occurred = event.occurred_at.astimezone(UTC).replace(tzinfo=None).isoformat(
        timespec="microseconds")
    payload = "\x1f".join([
        event.prev_hash, occurred, str(event.actor_id or ""), event.action,
        event.object_type, event.object_id, str(event.event_id or ""),
        event.old_value, event.new_value, event.reason,
    ])
    return hmac.new(key or audit_key(), payload.encode("utf-8"), hashlib.sha256).hexdigest()


def _lock_tail(session: Session) -> str:
    """The hash to chain onto, holding a lock until the transaction ends."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        # One appender at a time: a transaction-scoped advisory lock for the log, and the
        # tail read after it, in one round trip (migration 0011's function).
        return session.scalar(text("SELECT audit_chain_tail()")) or GENESIS
    if dialect == "sqlite" and not session.info.get(_WROTE_KEY):
        # Take SQLite's write lock now, so the tail read below cannot go stale. A
        # transaction that already wrote holds it.
        session.execute(text("UPDATE audit_events SET id = id WHERE 0"))
    last = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    return last or GENESIS


_WROTE_KEY = "competition.audit.wrote"


@sqlalchemy_event.listens_for(Session, "after_flush")
def _note_writing(session: Session, flush_context) -> None:
    """The transaction has written (and so, on SQLite, holds the write lock)."""
    session.info[_WROTE_KEY] = True


def record(session: Session, *, actor_id: int | None, action: str, object_type: str,
           object_id: object, event_id: int | None = None, old: object = None,
           new: object = None, reason: str = "") -> AuditEvent:
    """Record who (``actor_id``) did what (``action``) to which object, from ``old``
    to ``new`` and why. The record joins the chain when the caller commits its change
    (``_append_pending``), in the order the records were made."""
    entry = AuditEvent(
        occurred_at=utcnow(),
        actor_id=actor_id, action=action, object_type=object_type,
        object_id=str(object_id), event_id=event_id,
        old_value=canonical(old), new_value=canonical(new), reason=reason or "",
    )
    plain = session.registry() if isinstance(session, scoped_session) else session
    plain.info.setdefault(_PENDING_KEY, []).append((_innermost_transaction(session), entry))
    if event_id is not None:  # every recorded change to an event: its open pages follow
        live.announce(plain, event_id)
    return entry


@sqlalchemy_event.listens_for(Session, "before_commit")
def _append_pending(session: Session) -> None:
    """Chain the transaction's records onto the log, just before it commits."""
    if session.in_nested_transaction():
        return  # a savepoint released: its records wait for the real commit
    pending = session.info.pop(_PENDING_KEY, None)
    if not pending:
        return
    previous = _lock_tail(session)
    key = audit_key()
    for _, entry in pending:
        entry.prev_hash = previous
        entry.hash = previous = record_hash(entry, key)
        session.add(entry)
    session.flush()


@sqlalchemy_event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, rolled_back) -> None:
    """Forget the records made in a transaction or savepoint that was rolled back."""
    pending = session.info.get(_PENDING_KEY)
    if not pending:
        return

    def inside(transaction) -> bool:
        while transaction is not None:
            if transaction is rolled_back:
                return True
            transaction = transaction.parent
        return False

    session.info[_PENDING_KEY] = [(t, e) for t, e in pending if not inside(t)]


@sqlalchemy_event.listens_for(Session, "after_transaction_end")
def _forget_ended(session: Session, transaction) -> None:
    """A transaction that ended without committing them takes its records with it."""
    if transaction.parent is None:
        session.info.pop(_PENDING_KEY, None)
        session.info.pop(_WROTE_KEY, None)


def seals(session: Session, object_type: str, object_id: object,
          actions: tuple[str, ...]) -> list[AuditEvent]:
    """The records of ``actions`` on an object, oldest first. A record's hash is the
    chain's head just after it: printed on paper (a notice), it anchors the whole log up
    to that moment, so a log rewritten later contradicts what was handed out."""
    return list(session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id),
        AuditEvent.action.in_(actions)).order_by(AuditEvent.id)))


@dataclass(frozen=True)
class ChainBreak:
    record_id: int
    why: str


def verify_chain(session: Session, batch: int = 5000) -> ChainBreak | None:
    """The first record that does not fit the chain, or None when it is intact."""
    expected_prev = GENESIS
    last_id = 0
    key = audit_key()
    table = AuditEvent.__table__
    while True:
        # Plain rows, not ORM objects: a long log never fills the session.
        rows = session.execute(select(table).where(table.c.id > last_id)
                               .order_by(table.c.id).limit(batch)).all()
        if not rows:
            return None
        for row in rows:
            if row.prev_hash != expected_prev:
                return ChainBreak(row.id, "its link to the record before it is broken "
                                          "(a record was changed, inserted or deleted)")
            if record_hash(row, key) != row.hash:
                return ChainBreak(row.id, "its content does not match its hash "
                                          "(the record was changed)")
            expected_prev = row.hash
            last_id = row.id
