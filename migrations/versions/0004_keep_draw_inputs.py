"""Keep a draw's inputs, so it can be recomputed from its seed, and what an entry
said about being a student.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_student', sa.Boolean(), nullable=True))

    with op.batch_alter_table('lot_draws', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inputs', sa.JSON(), nullable=False,
                                      server_default=sa.text("'{}'")))


def downgrade():
    with op.batch_alter_table('lot_draws', schema=None) as batch_op:
        batch_op.drop_column('inputs')

    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.drop_column('is_student')
