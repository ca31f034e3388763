"""Promotions a bureau can defend: conditions on the theory and practical scores,
checked grades, the reasons of every decision, the contest year, award rules,
reverted promotions, and the supervision and arbitration group.

Promotion rules made from a preset had "every module at least 60"; the presets
now say "theory at least 60 and practical at least 60" (the weighted score of
each kind), so those rules are rewritten to the new conditions. Rules an
organizer wrote by hand keep their per-module minimum.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('grade_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contestant_id', sa.Integer(), nullable=False),
    sa.Column('occupation_id', sa.Integer(), nullable=False),
    sa.Column('grade', sa.Integer(), nullable=False),
    sa.Column('certificate_number', sa.String(length=40), nullable=False),
    sa.Column('confirmed', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('checked_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('grade IS NULL OR grade BETWEEN 1 AND 5', name=op.f('ck_grade_checks_grade')),
    sa.ForeignKeyConstraint(['checked_by_id'], ['users.id'], name=op.f('fk_grade_checks_checked_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contestant_id'], ['contestants.id'], name=op.f('fk_grade_checks_contestant_id_contestants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['occupation_id'], ['occupations.id'], name=op.f('fk_grade_checks_occupation_id_occupations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grade_checks')),
    sa.UniqueConstraint('contestant_id', 'occupation_id', name=op.f('uq_grade_checks_contestant_id_occupation_id'))
    )
    with op.batch_alter_table('grade_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grade_checks_contestant_id'), ['contestant_id'], unique=False)

    op.create_table('countersignatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=16), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.CheckConstraint("subject IN ('lot_draw', 'score_lock')", name=op.f('ck_countersignatures_subject')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_countersignatures_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_countersignatures_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_countersignatures')),
    sa.UniqueConstraint('event_id', 'subject', 'reference', 'user_id', name=op.f('uq_countersignatures_event_id_subject_reference_user_id'))
    )
    with op.batch_alter_table('countersignatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_countersignatures_event_id'), ['event_id'], unique=False)

    op.create_table('award_acknowledgements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('division_id', sa.Integer(), nullable=False),
    sa.Column('overflow', sa.String(length=500), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['users.id'], name=op.f('fk_award_acknowledgements_acknowledged_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['division_id'], ['divisions.id'], name=op.f('fk_award_acknowledgements_division_id_divisions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_acknowledgements')),
    sa.UniqueConstraint('division_id', 'overflow', name=op.f('uq_award_acknowledgements_division_id_overflow'))
    )
    with op.batch_alter_table('award_acknowledgements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_award_acknowledgements_division_id'), ['division_id'], unique=False)

    op.create_table('promotion_outcomes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('promoted', sa.Boolean(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=True),
    sa.Column('rule_text', sa.Text(), nullable=False),
    sa.Column('from_grade', sa.Integer(), nullable=True),
    sa.Column('to_grade', sa.Integer(), nullable=True),
    sa.Column('grade_basis', sa.JSON(), nullable=False),
    sa.Column('misses', sa.JSON(), nullable=False),
    sa.CheckConstraint('from_grade IS NULL OR from_grade BETWEEN 1 AND 5', name=op.f('ck_promotion_outcomes_from_grade')),
    sa.CheckConstraint('to_grade IS NULL OR to_grade BETWEEN 1 AND 5', name=op.f('ck_promotion_outcomes_to_grade')),
    sa.ForeignKeyConstraint(['entry_id'], ['entries.id'], name=op.f('fk_promotion_outcomes_entry_id_entries'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['rule_id'], ['promotion_rules.id'], name=op.f('fk_promotion_outcomes_rule_id_promotion_rules'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promotion_outcomes')),
    sa.UniqueConstraint('entry_id', name=op.f('uq_promotion_outcomes_entry_id'))
    )
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chief_opinion', sa.Text(), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('chief_opinion_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('chief_opinion_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_appeals_chief_opinion_by_id_users'), 'users', ['chief_opinion_by_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('competitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('promotion_year', sa.Integer(), nullable=True))

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('award_rounding', sa.String(length=16), nullable=False,
                                      server_default='cumulative'))
        batch_op.add_column(sa.Column('first_prize_min_entries', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('award_ties', sa.String(length=16), nullable=False,
                                      server_default='share'))
        batch_op.create_check_constraint(
            'award_rounding', "award_rounding IN ('cumulative', 'per_band', 'never_more')")
        batch_op.create_check_constraint('award_ties', "award_ties IN ('share', 'tie_break')")
        batch_op.create_check_constraint(
            'first_prize_min_entries',
            'first_prize_min_entries IS NULL OR first_prize_min_entries >= 1')

    with op.batch_alter_table('promotion_rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_theory_score', sa.Numeric(precision=9, scale=4), nullable=True))
        batch_op.add_column(sa.Column('min_practical_score', sa.Numeric(precision=9, scale=4), nullable=True))
    rules = sa.table('promotion_rules', sa.column('preset', sa.String),
                     sa.column('min_module_score', sa.Numeric),
                     sa.column('min_theory_score', sa.Numeric),
                     sa.column('min_practical_score', sa.Numeric))
    op.execute(rules.update()
               .where(rules.c.preset != '', rules.c.min_module_score.is_not(None))
               .values(min_theory_score=rules.c.min_module_score,
                       min_practical_score=rules.c.min_module_score,
                       min_module_score=None))

    with op.batch_alter_table('promotions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reverted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reverted_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_promotions_reverted_by_id_users'), 'users', ['reverted_by_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint(
            'role', "role IN ('admin', 'organizer', 'judge', 'supervisor')")


def downgrade():
    op.execute("DELETE FROM users WHERE role = 'supervisor'")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_users_role'), type_='check')
        batch_op.create_check_constraint('role', "role IN ('admin', 'organizer', 'judge')")

    with op.batch_alter_table('promotions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_promotions_reverted_by_id_users'), type_='foreignkey')
        batch_op.drop_column('reverted_by_id')
        batch_op.drop_column('reverted_at')

    rules = sa.table('promotion_rules', sa.column('min_module_score', sa.Numeric),
                     sa.column('min_theory_score', sa.Numeric))
    op.execute(rules.update().where(rules.c.min_module_score.is_(None))
               .values(min_module_score=rules.c.min_theory_score))
    with op.batch_alter_table('promotion_rules', schema=None) as batch_op:
        batch_op.drop_column('min_practical_score')
        batch_op.drop_column('min_theory_score')

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_events_award_rounding'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_events_award_ties'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_events_first_prize_min_entries'), type_='check')
        batch_op.drop_column('award_ties')
        batch_op.drop_column('first_prize_min_entries')
        batch_op.drop_column('award_rounding')

    with op.batch_alter_table('competitions', schema=None) as batch_op:
        batch_op.drop_column('promotion_year')

    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_appeals_chief_opinion_by_id_users'), type_='foreignkey')
        batch_op.drop_column('chief_opinion_by_id')
        batch_op.drop_column('chief_opinion_at')
        batch_op.drop_column('chief_opinion')

    op.drop_table('promotion_outcomes')
    with op.batch_alter_table('award_acknowledgements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_award_acknowledgements_division_id'))

    op.drop_table('award_acknowledgements')
    with op.batch_alter_table('countersignatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_countersignatures_event_id'))

    op.drop_table('countersignatures')
    with op.batch_alter_table('grade_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grade_checks_contestant_id'))

    op.drop_table('grade_checks')
