"""Key the audit log's chain with AUDIT_KEY (HMAC-SHA-256 instead of plain SHA-256).

The existing chain is checked first with the plain hashes it was written with; a broken
chain is not re-keyed (the upgrade stops and says where it is broken). An intact chain
is then re-hashed, record by record, with the key from the app's configuration, so that
from now on someone who can write to the database but does not hold the key cannot
rewrite the log to match a change.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""
import hashlib
import hmac
from datetime import UTC

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

GENESIS = "0" * 64
_events = sa.table(
    'audit_events', sa.column('id', sa.Integer), sa.column('occurred_at', sa.DateTime()),
    sa.column('actor_id', sa.Integer), sa.column('action', sa.String),
    sa.column('object_type', sa.String), sa.column('object_id', sa.String),
    sa.column('event_id', sa.Integer), sa.column('old_value', sa.Text),
    sa.column('new_value', sa.Text), sa.column('reason', sa.Text),
    sa.column('prev_hash', sa.String), sa.column('hash', sa.String))


def _payload(row, prev_hash: str) -> bytes:
    occurred = row.occurred_at
    if occurred.tzinfo is None:
        occurred = occurred.replace(tzinfo=UTC)
    occurred = occurred.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    return "\x1f".join([
        prev_hash, occurred, str(row.actor_id or ""), row.action, row.object_type,
        row.object_id, str(row.event_id or ""), row.old_value, row.new_value, row.reason,
    ]).encode("utf-8")


def _rehash(plain_check: bool, key: bytes | None) -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(_events).order_by(_events.c.id)).all()
    previous_old, previous_new = GENESIS, GENESIS
    for row in rows:
        if plain_check:
            if row.prev_hash != previous_old or \
                    hashlib.sha256(_payload(row, row.prev_hash)).hexdigest() != row.hash:
                raise RuntimeError(
                    f"The audit log is broken at record {row.id}: it was changed outside the "
                    "app, so it is not re-keyed. Restore a backup taken before the change, "
                    "then upgrade again.")
        else:
            previous_old = row.hash
        new_hash = (hmac.new(key, _payload(row, previous_new), hashlib.sha256).hexdigest()
                    if key else hashlib.sha256(_payload(row, previous_new)).hexdigest())
        if plain_check:
            previous_old = row.hash
        conn.execute(_events.update().where(_events.c.id == row.id)
                     .values(prev_hash=previous_new, hash=new_hash))
        previous_new = new_hash


def _key() -> bytes:
    from flask import current_app

    return current_app.config["AUDIT_KEY"].encode("utf-8")


def upgrade():
    _rehash(plain_check=True, key=_key())


def downgrade():
    # Back to plain SHA-256 (the chain is trusted as the keyed check would find it).
    _rehash(plain_check=False, key=None)
