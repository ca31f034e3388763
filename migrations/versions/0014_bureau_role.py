"""The bureau's (人社局) read-only role.

An administrator opens accounts with the role ``bureau``: they read the statistics of
every competition (/bureau, its workbook and the API's statistics) and change nothing.
The CHECK on ``users.role`` learns the new value; the downgrade deletes the bureau's
accounts, which the older schema cannot hold.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint(
            'role', "role IN ('admin', 'organizer', 'judge', 'supervisor', 'bureau')")


def downgrade():
    op.execute("DELETE FROM users WHERE role = 'bureau'")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint(
            'role', "role IN ('admin', 'organizer', 'judge', 'supervisor')")
