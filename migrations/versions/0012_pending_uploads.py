"""Uploaded import files wait for their confirmation in the database.

An uploaded list (contestants, experts, theory scores) was kept on the app
server's disk between its preview and the organizer's confirmation, so the
confirmation had to reach the same server. It is now a row of
``pending_uploads``: the random token the confirmation form names it by, its
owner, what it was checked against (a competition, an event, or 0 for the
expert pool), the kind of import, the file's name and content (BLOB on SQLite,
bytea on PostgreSQL) and when it was kept; rows older than an hour are deleted
as the files were. Files kept on disk before the upgrade are not carried over
(an organizer who previewed one uploads it again); the downgrade drops the
table, and with it any file waiting for its confirmation.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pending_uploads',
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('scope_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_pending_uploads_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_pending_uploads'))
    )
    with op.batch_alter_table('pending_uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_uploads_created_at'), ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('pending_uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_uploads_created_at'))

    op.drop_table('pending_uploads')
