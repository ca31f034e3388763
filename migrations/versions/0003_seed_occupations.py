"""Seed the occupation catalogue with the occupations of the demo and the seed contests.

Codes as the national occupational classification (国家职业分类大典) gives them
in the marking-scheme notes; 茶艺师's code is unconfirmed there, so it stays
empty rather than guessed. An occupation already in the catalogue (by name) is
left as it is. Downgrading removes only the seeded occupations that no event
and no expert refers to.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

OCCUPATIONS = (
    ('养老护理员', '4-10-01-05'),
    ('车工', '6-18-01-01'),
    ('铣工', '6-18-01-02'),
    ('茶艺师', None),
    ('育婴员', '4-10-01-02'),
    ('保育师', '4-10-01-03'),
    ('家政服务员', '4-10-01-06'),
)

occupations = sa.table(
    'occupations',
    sa.column('id', sa.Integer),
    sa.column('name', sa.String),
    sa.column('code', sa.String),
)
events = sa.table('events', sa.column('occupation_id', sa.Integer))
expert_occupations = sa.table('expert_occupations', sa.column('occupation_id', sa.Integer))


def upgrade():
    connection = op.get_bind()
    names = [name for name, _ in OCCUPATIONS]
    present = set(connection.execute(
        sa.select(occupations.c.name).where(occupations.c.name.in_(names))).scalars())
    used_codes = set(connection.execute(
        sa.select(occupations.c.code).where(occupations.c.code.isnot(None))).scalars())
    rows = []
    for name, code in OCCUPATIONS:
        if name in present:
            continue
        # The code is unique: if another entry already holds it, seed the name without it.
        rows.append({'name': name, 'code': code if code not in used_codes else None})
    if rows:
        op.bulk_insert(occupations, rows)


def downgrade():
    connection = op.get_bind()
    names = [name for name, _ in OCCUPATIONS]
    connection.execute(
        occupations.delete()
        .where(occupations.c.name.in_(names))
        .where(~occupations.c.id.in_(
            sa.select(events.c.occupation_id).where(events.c.occupation_id.isnot(None))))
        .where(~occupations.c.id.in_(sa.select(expert_occupations.c.occupation_id)))
    )
