"""The audit chain's tail read under its lock in one statement (PostgreSQL).

Appending to the audit chain takes a transaction-scoped advisory lock, then reads
the hash of the last record. ``audit_chain_tail()`` does both in one round trip. It
is VOLATILE, so its second statement takes a fresh snapshot after the lock is
granted (READ COMMITTED) and sees the record a concurrent appender just committed.
SQLite has no such function and is not changed.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE FUNCTION audit_chain_tail() RETURNS varchar
        LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock(7315001);
            RETURN (SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1);
        END
        $$
    """)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION audit_chain_tail()")
