"""Keep competitions apart: contestants per competition, accounts scoped to one.

- A contestant row belongs to one competition. A person registered in several
  competitions is split into one row per competition (entries, conflicts and
  promotions follow their competition's row); rows without any entry belong to
  no competition and are removed.
- Accounts: the competition a judge's account acts in, a session stamp that ends
  every session when it changes, "must change password", who created it. An
  expert may hold one account per competition and one unscoped account.
- Experts: an optional ID number, and who added them to the pool.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _split_contestants(conn) -> None:
    contestants = sa.table(
        'contestants', sa.column('id', sa.Integer), sa.column('competition_id', sa.Integer))
    entries = sa.table('entries', sa.column('id', sa.Integer),
                       sa.column('event_id', sa.Integer), sa.column('contestant_id', sa.Integer))
    events = sa.table('events', sa.column('id', sa.Integer),
                      sa.column('competition_id', sa.Integer))
    conflicts = sa.table('conflicts', sa.column('competition_id', sa.Integer),
                         sa.column('contestant_id', sa.Integer))
    promotions = sa.table('promotions', sa.column('entry_id', sa.Integer),
                          sa.column('contestant_id', sa.Integer))
    pairs = conn.execute(
        sa.select(entries.c.contestant_id, events.c.competition_id)
        .join(events, events.c.id == entries.c.event_id)
        .distinct().order_by(entries.c.contestant_id, events.c.competition_id)).all()
    by_person: dict[int, list[int]] = {}
    for contestant_id, competition_id in pairs:
        by_person.setdefault(contestant_id, []).append(competition_id)
    full = sa.Table('contestants', sa.MetaData(), autoload_with=conn)
    copy_columns = [c.name for c in full.columns if c.name not in ('id', 'competition_id')]
    for contestant_id, competitions in by_person.items():
        first, *others = competitions
        conn.execute(contestants.update().where(contestants.c.id == contestant_id)
                     .values(competition_id=first))
        if not others:
            continue
        row = conn.execute(sa.select(full).where(full.c.id == contestant_id)).mappings().one()
        for competition_id in others:
            new_id = conn.execute(full.insert().values(
                competition_id=competition_id, **{name: row[name] for name in copy_columns}
            ).returning(full.c.id)).scalar_one()
            in_competition = sa.select(events.c.id).where(
                events.c.competition_id == competition_id).scalar_subquery()
            moved = sa.select(entries.c.id).where(
                entries.c.contestant_id == contestant_id,
                entries.c.event_id.in_(sa.select(events.c.id).where(
                    events.c.competition_id == competition_id)))
            conn.execute(promotions.update().where(promotions.c.entry_id.in_(moved))
                         .values(contestant_id=new_id))
            conn.execute(conflicts.update().where(
                conflicts.c.contestant_id == contestant_id,
                conflicts.c.competition_id == competition_id).values(contestant_id=new_id))
            conn.execute(entries.update().where(
                entries.c.contestant_id == contestant_id,
                entries.c.event_id.in_(in_competition)).values(contestant_id=new_id))
    conn.execute(contestants.delete().where(contestants.c.competition_id.is_(None)))


def upgrade():
    with op.batch_alter_table('contestants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('competition_id', sa.Integer(), nullable=True))
        batch_op.drop_constraint('uq_contestants_id_type_id_number', type_='unique')
    _split_contestants(op.get_bind())
    with op.batch_alter_table('contestants', schema=None) as batch_op:
        batch_op.alter_column('competition_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f('uq_contestants_competition_id_id_type_id_number'),
            ['competition_id', 'id_type', 'id_number'])
        batch_op.create_foreign_key(
            batch_op.f('fk_contestants_competition_id_competitions'), 'competitions',
            ['competition_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index(batch_op.f('ix_contestants_competition_id'),
                              ['competition_id'], unique=False)
        batch_op.create_index('ix_contestants_person', ['id_type', 'id_number'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('competition_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('session_stamp', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('created_by_id', sa.Integer(), nullable=True))
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('session_stamp', sa.String))
    conn = op.get_bind()
    for (user_id,) in conn.execute(sa.select(users.c.id)).all():
        conn.execute(users.update().where(users.c.id == user_id)
                     .values(session_stamp=secrets.token_hex(16)))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('session_stamp', existing_type=sa.String(length=32),
                              nullable=False)
        batch_op.drop_constraint('uq_users_expert_id', type_='unique')
        batch_op.create_index(batch_op.f('ix_users_expert_id'), ['expert_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_competition_id'), ['competition_id'],
                              unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_users_expert_id_competition_id'),
                                          ['expert_id', 'competition_id'])
        batch_op.create_index('uq_users_one_unscoped_account', ['expert_id'], unique=True,
                              sqlite_where=sa.text('competition_id IS NULL'),
                              postgresql_where=sa.text('competition_id IS NULL'))
        batch_op.create_foreign_key(batch_op.f('fk_users_competition_id_competitions'),
                                    'competitions', ['competition_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_users_created_by_id_users'), 'users',
                                    ['created_by_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('experts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('id_number', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('created_by_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_experts_id_number'), ['id_number'])
        batch_op.create_foreign_key(batch_op.f('fk_experts_created_by_id_users'), 'users',
                                    ['created_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('experts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_experts_created_by_id_users'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_experts_id_number'), type_='unique')
        batch_op.drop_column('created_by_id')
        batch_op.drop_column('id_number')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_created_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_users_competition_id_competitions'),
                                 type_='foreignkey')
        batch_op.drop_index('uq_users_one_unscoped_account')
        batch_op.drop_constraint(batch_op.f('uq_users_expert_id_competition_id'),
                                 type_='unique')
        batch_op.drop_index(batch_op.f('ix_users_competition_id'))
        batch_op.drop_index(batch_op.f('ix_users_expert_id'))
        batch_op.create_unique_constraint('uq_users_expert_id', ['expert_id'])
        batch_op.drop_column('created_by_id')
        batch_op.drop_column('must_change_password')
        batch_op.drop_column('session_stamp')
        batch_op.drop_column('competition_id')
    # Contestants split per competition are not merged back: a downgrade keeps every row
    # and only drops the column, so it needs ID numbers unique again by hand first.
    with op.batch_alter_table('contestants', schema=None) as batch_op:
        batch_op.drop_index('ix_contestants_person')
        batch_op.drop_index(batch_op.f('ix_contestants_competition_id'))
        batch_op.drop_constraint(batch_op.f('fk_contestants_competition_id_competitions'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_contestants_competition_id_id_type_id_number'),
                                 type_='unique')
        batch_op.create_unique_constraint('uq_contestants_id_type_id_number',
                                          ['id_type', 'id_number'])
        batch_op.drop_column('competition_id')
