"""Long print runs and exports become background jobs, their files kept in the database.

Printing a provincial event's admission tickets, a competition's certificates or score
reports, or exporting its results ran inside one request and could outlast the server's
timeout. Each is now a row of ``jobs``: what it makes (``kind``) and for which
competition (deleted with it), who asked for it, its parameters (JSON), its status
(queued, running, done, failed), how far it is (``progress_done`` of
``progress_total``), the message a failure left in the requester's language, and the
finished file's name, type and size, with when it was asked for, started and finished.
The file itself is kept in ``job_file_parts``, in parts of at most 1 MiB (BLOB on
SQLite, bytea on PostgreSQL), so that any app server can serve it and nothing holds a
whole file. Nothing existing changes; the downgrade drops both tables, and with them
any job and file still kept.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('competition_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('progress_done', sa.Integer(), nullable=False),
    sa.Column('progress_total', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('mimetype', sa.String(length=100), nullable=False),
    sa.Column('file_size', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_jobs_status')),
    sa.ForeignKeyConstraint(['competition_id'], ['competitions.id'], name=op.f('fk_jobs_competition_id_competitions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_jobs_requested_by_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jobs_competition_id'), ['competition_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_finished_at'), ['finished_at'], unique=False)
        batch_op.create_index('ix_jobs_requested_by_id_created_at', ['requested_by_id', 'created_at'], unique=False)

    op.create_table('job_file_parts',
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_job_file_parts_job_id_jobs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('job_id', 'position', name=op.f('pk_job_file_parts'))
    )


def downgrade():
    op.drop_table('job_file_parts')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_requested_by_id_created_at')
        batch_op.drop_index(batch_op.f('ix_jobs_finished_at'))
        batch_op.drop_index(batch_op.f('ix_jobs_competition_id'))

    op.drop_table('jobs')
