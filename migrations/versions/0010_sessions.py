"""Sessions (场次) of an event, stations per session, and draws that add to a draw.

An event's practical exam may run in sessions, each with its time, room and
number of stations; an entry is placed in a session and at one of its stations.
A station is unique per session, or per event for entries in no session (every
entry before this revision). A draw is now of a kind: the first draw, a late
addition, or a substitute's place. An entry may name the withdrawn entry whose
place its substitute took.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('event_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reporting_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('room', sa.String(length=200), nullable=False),
    sa.Column('stations', sa.Integer(), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_event_sessions_ends_after_start')),
    sa.CheckConstraint('reporting_at IS NULL OR reporting_at <= starts_at', name=op.f('ck_event_sessions_reporting_before_start')),
    sa.CheckConstraint('stations >= 1', name=op.f('ck_event_sessions_stations_positive')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_sessions_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_sessions'))
    )
    with op.batch_alter_table('event_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_sessions_event_id'), ['event_id'], unique=False)

    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('replaces_entry_id', sa.Integer(), nullable=True))
        batch_op.drop_constraint(batch_op.f('uq_entries_event_id_station'), type_='unique')
        batch_op.create_index(batch_op.f('ix_entries_session_id'), ['session_id'], unique=False)
        batch_op.create_index('uq_entries_event_station', ['event_id', 'station'], unique=True, sqlite_where=sa.text('session_id IS NULL'), postgresql_where=sa.text('session_id IS NULL'))
        batch_op.create_index('uq_entries_session_station', ['session_id', 'station'], unique=True, sqlite_where=sa.text('session_id IS NOT NULL'), postgresql_where=sa.text('session_id IS NOT NULL'))
        batch_op.create_foreign_key(batch_op.f('fk_entries_replaces_entry_id_entries'), 'entries', ['replaces_entry_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_entries_session_id_event_sessions'), 'event_sessions', ['session_id'], ['id'], ondelete='RESTRICT')

    with op.batch_alter_table('lot_draws', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=False,
                                      server_default='draw'))
        batch_op.create_check_constraint('kind', "kind IN ('draw', 'addition', 'substitution')")



def downgrade():
    with op.batch_alter_table('lot_draws', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_lot_draws_kind'), type_='check')
        batch_op.drop_column('kind')

    # Entries of later sessions would share stations: the older schema allows one
    # entry per station of an event, so stations of entries in a session are cleared.
    op.execute("UPDATE entries SET station = NULL WHERE session_id IS NOT NULL")
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_entries_session_id_event_sessions'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_entries_replaces_entry_id_entries'), type_='foreignkey')
        batch_op.drop_index('uq_entries_session_station', sqlite_where=sa.text('session_id IS NOT NULL'), postgresql_where=sa.text('session_id IS NOT NULL'))
        batch_op.drop_index('uq_entries_event_station', sqlite_where=sa.text('session_id IS NULL'), postgresql_where=sa.text('session_id IS NULL'))
        batch_op.drop_index(batch_op.f('ix_entries_session_id'))
        batch_op.create_unique_constraint(batch_op.f('uq_entries_event_id_station'), ['event_id', 'station'])
        batch_op.drop_column('replaces_entry_id')
        batch_op.drop_column('session_id')

    with op.batch_alter_table('event_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_sessions_event_id'))

    op.drop_table('event_sessions')
