"""Create the whole data model of the glossary (DESIGN.md section 3).

Every stage's tables, with the rules that must always hold written as
constraints: one chief judge per event (a partial unique index), an entry's
division belonging to its event (a composite foreign key), grades 1–5,
positive maxima and weights, award quotas within 100%, a paper sheet
confirmed by someone other than who typed it, 22-character certificate
numbers with unique serials per series, year and grade.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('certificate_serials',
    sa.Column('series', sa.String(length=13), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('grade', sa.Integer(), nullable=False),
    sa.Column('last_serial', sa.Integer(), nullable=False),
    sa.CheckConstraint('grade IS NULL OR grade BETWEEN 1 AND 5', name=op.f('ck_certificate_serials_grade')),
    sa.CheckConstraint('last_serial >= 0', name=op.f('ck_certificate_serials_last_serial')),
    sa.PrimaryKeyConstraint('series', 'year', 'grade', name=op.f('pk_certificate_serials'))
    )
    op.create_table('competitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('edition', sa.Integer(), nullable=True),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('level_class', sa.Integer(), nullable=True),
    sa.Column('host', sa.String(length=200), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('venue', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('name_display', sa.String(length=8), nullable=False),
    sa.Column('self_registration', sa.Boolean(), nullable=False),
    sa.Column('evaluator_type', sa.String(length=1), nullable=False),
    sa.Column('evaluator_code', sa.String(length=4), nullable=False),
    sa.Column('province_code', sa.String(length=2), nullable=False),
    sa.Column('site_sequence', sa.String(length=6), nullable=False),
    sa.Column('certificate_issuer', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("evaluator_type IN ('S', 'Y')", name=op.f('ck_competitions_evaluator_type')),
    sa.CheckConstraint("level IN ('national', 'provincial', 'city', 'enterprise', 'school')", name=op.f('ck_competitions_level')),
    sa.CheckConstraint("name_display IN ('full', 'masked')", name=op.f('ck_competitions_name_display')),
    sa.CheckConstraint("status IN ('draft', 'registration', 'running', 'scoring_closed', 'published', 'final')", name=op.f('ck_competitions_status')),
    sa.CheckConstraint('edition IS NULL OR edition >= 1', name=op.f('ck_competitions_edition_positive')),
    sa.CheckConstraint('ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on', name=op.f('ck_competitions_dates_ordered')),
    sa.CheckConstraint('level_class IS NULL OR level_class IN (1, 2)', name=op.f('ck_competitions_level_class')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_competitions'))
    )
    op.create_table('contestants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('id_type', sa.String(length=16), nullable=False),
    sa.Column('id_number', sa.String(length=32), nullable=False),
    sa.Column('sex', sa.String(length=1), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('work_unit', sa.String(length=200), nullable=False),
    sa.Column('current_grade', sa.Integer(), nullable=True),
    sa.Column('current_certificate_no', sa.String(length=40), nullable=False),
    sa.Column('photo_path', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("id_type IN ('resident_id', 'other')", name=op.f('ck_contestants_id_type')),
    sa.CheckConstraint("sex IN ('M', 'F')", name=op.f('ck_contestants_sex')),
    sa.CheckConstraint('current_grade IS NULL OR current_grade BETWEEN 1 AND 5', name=op.f('ck_contestants_current_grade')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contestants')),
    sa.UniqueConstraint('id_type', 'id_number', name=op.f('uq_contestants_id_type_id_number'))
    )
    op.create_table('experts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('work_unit', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('examiner_level', sa.String(length=16), nullable=False),
    sa.Column('certificate_number', sa.String(length=40), nullable=True),
    sa.Column('certificate_expires_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("examiner_level IN ('examiner', 'senior_examiner')", name=op.f('ck_experts_examiner_level')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_experts')),
    sa.UniqueConstraint('certificate_number', name=op.f('uq_experts_certificate_number'))
    )
    op.create_table('occupations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_occupations')),
    sa.UniqueConstraint('code', name=op.f('uq_occupations_code')),
    sa.UniqueConstraint('name', name=op.f('uq_occupations_name'))
    )
    op.create_table('expert_occupations',
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('occupation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['expert_id'], ['experts.id'], name=op.f('fk_expert_occupations_expert_id_experts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['occupation_id'], ['occupations.id'], name=op.f('fk_expert_occupations_occupation_id_occupations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('expert_id', 'occupation_id', name=op.f('pk_expert_occupations'))
    )
    with op.batch_alter_table('expert_occupations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_occupations_occupation_id'), ['occupation_id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("role IN ('admin', 'organizer', 'judge')", name=op.f('ck_users_role')),
    sa.ForeignKeyConstraint(['expert_id'], ['experts.id'], name=op.f('fk_users_expert_id_experts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('expert_id', name=op.f('uq_users_expert_id')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('access_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("purpose IN ('signin', 'api')", name=op.f('ck_access_tokens_purpose')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_access_tokens_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_access_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_access_tokens_token_hash'))
    )
    with op.batch_alter_table('access_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('competition_organizers',
    sa.Column('competition_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['competition_id'], ['competitions.id'], name=op.f('fk_competition_organizers_competition_id_competitions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_competition_organizers_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('competition_id', 'user_id', name=op.f('pk_competition_organizers'))
    )
    with op.batch_alter_table('competition_organizers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_competition_organizers_user_id'), ['user_id'], unique=False)

    op.create_table('conflicts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('competition_id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('contestant_id', sa.Integer(), nullable=True),
    sa.Column('work_unit', sa.String(length=200), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('declared_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('declared_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(contestant_id IS NOT NULL AND work_unit IS NULL) OR (contestant_id IS NULL AND work_unit IS NOT NULL)', name=op.f('ck_conflicts_one_target')),
    sa.ForeignKeyConstraint(['competition_id'], ['competitions.id'], name=op.f('fk_conflicts_competition_id_competitions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contestant_id'], ['contestants.id'], name=op.f('fk_conflicts_contestant_id_contestants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['declared_by_id'], ['users.id'], name=op.f('fk_conflicts_declared_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['expert_id'], ['experts.id'], name=op.f('fk_conflicts_expert_id_experts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conflicts'))
    )
    with op.batch_alter_table('conflicts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conflicts_competition_id'), ['competition_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_conflicts_expert_id'), ['expert_id'], unique=False)

    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('competition_id', sa.Integer(), nullable=False),
    sa.Column('occupation_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('venue', sa.String(length=200), nullable=False),
    sa.Column('grade_min', sa.Integer(), nullable=True),
    sa.Column('grade_max', sa.Integer(), nullable=True),
    sa.Column('aggregation', sa.String(length=16), nullable=False),
    sa.Column('trim_count', sa.Integer(), nullable=False),
    sa.Column('decimals', sa.Integer(), nullable=False),
    sa.Column('tie_break', sa.JSON(), nullable=False),
    sa.Column('first_prize_pct', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('second_prize_pct', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('third_prize_pct', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('title_name', sa.String(length=100), nullable=False),
    sa.Column('title_top_n', sa.Integer(), nullable=True),
    sa.Column('appeal_window_hours', sa.Integer(), nullable=False),
    sa.Column('notice_days', sa.Integer(), nullable=False),
    sa.Column('min_age', sa.Integer(), nullable=True),
    sa.Column('max_age_male', sa.Integer(), nullable=True),
    sa.Column('max_age_female', sa.Integer(), nullable=True),
    sa.Column('scores_locked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('scores_locked_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("aggregation IN ('mean', 'trimmed_mean', 'median', 'worldskills')", name=op.f('ck_events_aggregation')),
    sa.CheckConstraint('appeal_window_hours >= 0', name=op.f('ck_events_appeal_window')),
    sa.CheckConstraint('decimals BETWEEN 0 AND 4', name=op.f('ck_events_decimals')),
    sa.CheckConstraint('first_prize_pct >= 0 AND second_prize_pct >= 0 AND third_prize_pct >= 0 AND first_prize_pct + second_prize_pct + third_prize_pct <= 100', name=op.f('ck_events_prize_quotas')),
    sa.CheckConstraint('grade_max IS NULL OR grade_max BETWEEN 1 AND 5', name=op.f('ck_events_grade_max')),
    sa.CheckConstraint('grade_min IS NULL OR grade_max IS NULL OR grade_max <= grade_min', name=op.f('ck_events_grade_range')),
    sa.CheckConstraint('grade_min IS NULL OR grade_min BETWEEN 1 AND 5', name=op.f('ck_events_grade_min')),
    sa.CheckConstraint('min_age IS NULL OR min_age >= 0', name=op.f('ck_events_min_age')),
    sa.CheckConstraint('notice_days >= 0', name=op.f('ck_events_notice_days')),
    sa.CheckConstraint('title_top_n IS NULL OR title_top_n >= 1', name=op.f('ck_events_title_top_n')),
    sa.CheckConstraint('trim_count >= 0', name=op.f('ck_events_trim_count')),
    sa.ForeignKeyConstraint(['competition_id'], ['competitions.id'], name=op.f('fk_events_competition_id_competitions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['occupation_id'], ['occupations.id'], name=op.f('fk_events_occupation_id_occupations')),
    sa.ForeignKeyConstraint(['scores_locked_by_id'], ['users.id'], name=op.f('fk_events_scores_locked_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    sa.UniqueConstraint('competition_id', 'name', name=op.f('uq_events_competition_id_name'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_competition_id'), ['competition_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_occupation_id'), ['occupation_id'], unique=False)

    op.create_table('idempotency_keys',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('response', sa.JSON(), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_idempotency_keys_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_idempotency_keys'))
    )
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_keys_created_at'), ['created_at'], unique=False)

    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.String(length=40), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('old_value', sa.Text(), nullable=False),
    sa.Column('new_value', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_events_actor_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_audit_events_event_id_events'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_events_hash'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_event_id'), ['event_id'], unique=False)

    op.create_table('divisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('worker', 'student', 'teacher', 'other')", name=op.f('ck_divisions_kind')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_divisions_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_divisions')),
    sa.UniqueConstraint('event_id', 'name', name=op.f('uq_divisions_event_id_name')),
    sa.UniqueConstraint('id', 'event_id', name=op.f('uq_divisions_id_event_id'))
    )
    op.create_table('modules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('weight', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('max_score', sa.Numeric(precision=9, scale=4), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('theory', 'practical')", name=op.f('ck_modules_kind')),
    sa.CheckConstraint('max_score > 0', name=op.f('ck_modules_max_score_positive')),
    sa.CheckConstraint('weight > 0 AND weight <= 100', name=op.f('ck_modules_weight_range')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_modules_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_modules')),
    sa.UniqueConstraint('event_id', 'code', name=op.f('uq_modules_event_id_code')),
    sa.UniqueConstraint('id', 'event_id', name=op.f('uq_modules_id_event_id'))
    )
    op.create_table('panel_draws',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('seed', sa.String(length=64), nullable=False),
    sa.Column('candidate_ids', sa.JSON(), nullable=False),
    sa.Column('chosen_ids', sa.JSON(), nullable=False),
    sa.Column('drawn_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('drawn_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['drawn_by_id'], ['users.id'], name=op.f('fk_panel_draws_drawn_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_panel_draws_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_draws'))
    )
    with op.batch_alter_table('panel_draws', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_panel_draws_event_id'), ['event_id'], unique=False)

    op.create_table('criteria',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('max_points', sa.Numeric(precision=9, scale=4), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('entry_mode', sa.String(length=16), nullable=False),
    sa.Column('unit', sa.String(length=8), nullable=False),
    sa.Column('nominal', sa.Numeric(precision=12, scale=4), nullable=True),
    sa.Column('tolerance_lower', sa.Numeric(precision=12, scale=4), nullable=True),
    sa.Column('tolerance_upper', sa.Numeric(precision=12, scale=4), nullable=True),
    sa.Column('deduction_step', sa.Numeric(precision=12, scale=4), nullable=True),
    sa.Column('deduction_points', sa.Numeric(precision=9, scale=4), nullable=True),
    sa.Column('deduction_limit', sa.Numeric(precision=12, scale=4), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.CheckConstraint("entry_mode <> 'measured' OR (kind = 'measurement' AND nominal IS NOT NULL AND tolerance_upper IS NOT NULL AND tolerance_lower IS NOT NULL AND tolerance_lower <= tolerance_upper AND deduction_step > 0 AND deduction_points > 0)", name=op.f('ck_criteria_measured_rule_complete')),
    sa.CheckConstraint("entry_mode <> 'scale_0_3' OR kind = 'judgement'", name=op.f('ck_criteria_scale_only_judgement')),
    sa.CheckConstraint("entry_mode IN ('points', 'pass_fail', 'scale_0_3', 'measured')", name=op.f('ck_criteria_entry_mode')),
    sa.CheckConstraint("kind IN ('measurement', 'judgement')", name=op.f('ck_criteria_kind')),
    sa.CheckConstraint('deduction_limit IS NULL OR deduction_limit >= 0', name=op.f('ck_criteria_deduction_limit')),
    sa.CheckConstraint('max_points > 0', name=op.f('ck_criteria_max_points_positive')),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_criteria_module_id_modules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_criteria')),
    sa.UniqueConstraint('module_id', 'code', name=op.f('uq_criteria_module_id_code'))
    )
    op.create_table('lot_draws',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('division_id', sa.Integer(), nullable=True),
    sa.Column('seed', sa.String(length=64), nullable=False),
    sa.Column('drawn_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('drawn_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['division_id'], ['divisions.id'], name=op.f('fk_lot_draws_division_id_divisions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['drawn_by_id'], ['users.id'], name=op.f('fk_lot_draws_drawn_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_lot_draws_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lot_draws'))
    )
    with op.batch_alter_table('lot_draws', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lot_draws_event_id'), ['event_id'], unique=False)

    op.create_table('panel_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.Column('draw_id', sa.Integer(), nullable=True),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('judge', 'chief')", name=op.f('ck_panel_members_role')),
    sa.ForeignKeyConstraint(['draw_id'], ['panel_draws.id'], name=op.f('fk_panel_members_draw_id_panel_draws'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_panel_members_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['expert_id'], ['experts.id'], name=op.f('fk_panel_members_expert_id_experts'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_members')),
    sa.UniqueConstraint('event_id', 'expert_id', name=op.f('uq_panel_members_event_id_expert_id'))
    )
    with op.batch_alter_table('panel_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_panel_members_expert_id'), ['expert_id'], unique=False)
        batch_op.create_index('uq_panel_members_one_chief', ['event_id'], unique=True, sqlite_where=sa.text("role = 'chief'"), postgresql_where=sa.text("role = 'chief'"))

    op.create_table('promotion_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('division_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('preset', sa.String(length=40), nullable=False),
    sa.Column('rank_from', sa.Integer(), nullable=True),
    sa.Column('rank_to', sa.Integer(), nullable=True),
    sa.Column('top_percent', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('min_total', sa.Numeric(precision=9, scale=4), nullable=True),
    sa.Column('min_module_score', sa.Numeric(precision=9, scale=4), nullable=True),
    sa.Column('required_grade', sa.Integer(), nullable=True),
    sa.Column('max_age_male', sa.Integer(), nullable=True),
    sa.Column('max_age_female', sa.Integer(), nullable=True),
    sa.Column('once_per_year', sa.Boolean(), nullable=False),
    sa.Column('effect', sa.String(length=16), nullable=False),
    sa.Column('grant_grade', sa.Integer(), nullable=True),
    sa.Column('cap_grade', sa.Integer(), nullable=True),
    sa.CheckConstraint("effect <> 'grant' OR grant_grade IS NOT NULL", name=op.f('ck_promotion_rules_grant_has_grade')),
    sa.CheckConstraint("effect IN ('grant', 'step_up')", name=op.f('ck_promotion_rules_effect')),
    sa.CheckConstraint('cap_grade IS NULL OR cap_grade BETWEEN 1 AND 5', name=op.f('ck_promotion_rules_cap_grade')),
    sa.CheckConstraint('grant_grade IS NULL OR grant_grade BETWEEN 1 AND 5', name=op.f('ck_promotion_rules_grant_grade')),
    sa.CheckConstraint('rank_from IS NULL OR rank_from >= 1', name=op.f('ck_promotion_rules_rank_from')),
    sa.CheckConstraint('rank_to IS NULL OR rank_from IS NULL OR rank_to >= rank_from', name=op.f('ck_promotion_rules_rank_range')),
    sa.CheckConstraint('required_grade IS NULL OR required_grade BETWEEN 1 AND 5', name=op.f('ck_promotion_rules_required_grade')),
    sa.CheckConstraint('top_percent IS NULL OR (top_percent > 0 AND top_percent <= 100)', name=op.f('ck_promotion_rules_top_percent')),
    sa.ForeignKeyConstraint(['division_id', 'event_id'], ['divisions.id', 'divisions.event_id'], name=op.f('fk_promotion_rules_division_id_divisions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_promotion_rules_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promotion_rules'))
    )
    with op.batch_alter_table('promotion_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_promotion_rules_event_id'), ['event_id'], unique=False)

    op.create_table('publications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('division_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('appeal_deadline', sa.DateTime(timezone=True), nullable=False),
    sa.Column('notice_ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finalized_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finalized_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status <> 'final' OR finalized_at IS NOT NULL", name=op.f('ck_publications_final_has_time')),
    sa.CheckConstraint("status IN ('notice', 'final')", name=op.f('ck_publications_status')),
    sa.CheckConstraint('notice_ends_at >= published_at', name=op.f('ck_publications_notice_after_publish')),
    sa.ForeignKeyConstraint(['division_id'], ['divisions.id'], name=op.f('fk_publications_division_id_divisions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['finalized_by_id'], ['users.id'], name=op.f('fk_publications_finalized_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_publications_published_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publications')),
    sa.UniqueConstraint('division_id', name=op.f('uq_publications_division_id'))
    )
    op.create_table('entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('division_id', sa.Integer(), nullable=False),
    sa.Column('contestant_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attendance', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('ticket_number', sa.String(length=32), nullable=True),
    sa.Column('station', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=16), nullable=True),
    sa.Column('draw_id', sa.Integer(), nullable=True),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=False),
    sa.CheckConstraint("attendance IN ('expected', 'present', 'absent', 'withdrawn')", name=op.f('ck_entries_attendance')),
    sa.CheckConstraint("source IN ('manual', 'import', 'self')", name=op.f('ck_entries_source')),
    sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name=op.f('ck_entries_status')),
    sa.CheckConstraint('station IS NULL OR station >= 1', name=op.f('ck_entries_station_positive')),
    sa.ForeignKeyConstraint(['contestant_id'], ['contestants.id'], name=op.f('fk_entries_contestant_id_contestants'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['division_id', 'event_id'], ['divisions.id', 'divisions.event_id'], name=op.f('fk_entries_division_id_divisions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['draw_id'], ['lot_draws.id'], name=op.f('fk_entries_draw_id_lot_draws'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_entries_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_entries_reviewed_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entries')),
    sa.UniqueConstraint('event_id', 'code', name=op.f('uq_entries_event_id_code')),
    sa.UniqueConstraint('event_id', 'contestant_id', name=op.f('uq_entries_event_id_contestant_id')),
    sa.UniqueConstraint('event_id', 'station', name=op.f('uq_entries_event_id_station')),
    sa.UniqueConstraint('ticket_number', name=op.f('uq_entries_ticket_number')),
    sa.UniqueConstraint('token', name=op.f('uq_entries_token'))
    )
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_entries_contestant_id'), ['contestant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_entries_division_id'), ['division_id'], unique=False)

    op.create_table('appeals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=False),
    sa.CheckConstraint("status = 'pending' OR (decided_at IS NOT NULL AND length(decision_reason) > 0)", name=op.f('ck_appeals_decision_complete')),
    sa.CheckConstraint("status IN ('pending', 'accepted', 'rejected')", name=op.f('ck_appeals_status')),
    sa.CheckConstraint('length(text) > 0', name=op.f('ck_appeals_text_given')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_appeals_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['entry_id'], ['entries.id'], name=op.f('fk_appeals_entry_id_entries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appeals'))
    )
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appeals_entry_id'), ['entry_id'], unique=False)

    op.create_table('external_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Numeric(precision=9, scale=4), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('imported_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('score >= 0', name=op.f('ck_external_scores_score_nonnegative')),
    sa.ForeignKeyConstraint(['entry_id'], ['entries.id'], name=op.f('fk_external_scores_entry_id_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['imported_by_id'], ['users.id'], name=op.f('fk_external_scores_imported_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_external_scores_module_id_modules'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_external_scores')),
    sa.UniqueConstraint('entry_id', 'module_id', name=op.f('uq_external_scores_entry_id_module_id'))
    )
    with op.batch_alter_table('external_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_external_scores_module_id'), ['module_id'], unique=False)

    op.create_table('penalties',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=True),
    sa.Column('points', sa.Numeric(precision=9, scale=4), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.Column('withdraw_reason', sa.Text(), nullable=False),
    sa.CheckConstraint('length(reason) > 0', name=op.f('ck_penalties_reason_given')),
    sa.CheckConstraint('points > 0', name=op.f('ck_penalties_points_positive')),
    sa.CheckConstraint('withdrawn_at IS NULL OR length(withdraw_reason) > 0', name=op.f('ck_penalties_withdraw_reason_given')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_penalties_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['entry_id'], ['entries.id'], name=op.f('fk_penalties_entry_id_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_penalties_module_id_modules'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['users.id'], name=op.f('fk_penalties_withdrawn_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_penalties'))
    )
    with op.batch_alter_table('penalties', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_penalties_entry_id'), ['entry_id'], unique=False)

    op.create_table('promotions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('contestant_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=True),
    sa.Column('rule_text', sa.Text(), nullable=False),
    sa.Column('from_grade', sa.Integer(), nullable=True),
    sa.Column('to_grade', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('from_grade IS NULL OR from_grade BETWEEN 1 AND 5', name=op.f('ck_promotions_from_grade')),
    sa.CheckConstraint('from_grade IS NULL OR to_grade < from_grade', name=op.f('ck_promotions_is_a_promotion')),
    sa.CheckConstraint('to_grade IS NOT NULL', name=op.f('ck_promotions_to_grade_set')),
    sa.CheckConstraint('to_grade IS NULL OR to_grade BETWEEN 1 AND 5', name=op.f('ck_promotions_to_grade')),
    sa.ForeignKeyConstraint(['contestant_id'], ['contestants.id'], name=op.f('fk_promotions_contestant_id_contestants'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['entry_id'], ['entries.id'], name=op.f('fk_promotions_entry_id_entries'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['rule_id'], ['promotion_rules.id'], name=op.f('fk_promotions_rule_id_promotion_rules'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promotions')),
    sa.UniqueConstraint('entry_id', name=op.f('uq_promotions_entry_id'))
    )
    with op.batch_alter_table('promotions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_promotions_contestant_id'), ['contestant_id'], unique=False)

    op.create_table('results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('publication_id', sa.Integer(), nullable=False),
    sa.Column('module_scores', sa.JSON(), nullable=False),
    sa.Column('penalty_points', sa.Numeric(precision=9, scale=4), nullable=False),
    sa.Column('total', sa.Numeric(precision=9, scale=4), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('award', sa.String(length=8), nullable=True),
    sa.Column('has_title', sa.Boolean(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("award IN ('first', 'second', 'third')", name=op.f('ck_results_award')),
    sa.CheckConstraint('rank IS NULL OR rank >= 1', name=op.f('ck_results_rank_positive')),
    sa.CheckConstraint('total >= 0', name=op.f('ck_results_total_nonnegative')),
    sa.ForeignKeyConstraint(['entry_id'], ['entries.id'], name=op.f('fk_results_entry_id_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['publication_id'], ['publications.id'], name=op.f('fk_results_publication_id_publications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_results')),
    sa.UniqueConstraint('entry_id', name=op.f('uq_results_entry_id'))
    )
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_results_publication_id'), ['publication_id'], unique=False)

    op.create_table('score_sheets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('judge_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("source IN ('tablet', 'paper')", name=op.f('ck_score_sheets_source')),
    sa.CheckConstraint("status <> 'submitted' OR submitted_at IS NOT NULL", name=op.f('ck_score_sheets_submitted_has_time')),
    sa.CheckConstraint("status IN ('draft', 'submitted')", name=op.f('ck_score_sheets_status')),
    sa.CheckConstraint('confirmed_by_id IS NULL OR entered_by_id IS NULL OR confirmed_by_id <> entered_by_id', name=op.f('ck_score_sheets_confirmer_differs')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_score_sheets_version_positive')),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_score_sheets_confirmed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_score_sheets_entered_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['entry_id'], ['entries.id'], name=op.f('fk_score_sheets_entry_id_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['judge_id'], ['users.id'], name=op.f('fk_score_sheets_judge_id_users'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_score_sheets_module_id_modules'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_score_sheets')),
    sa.UniqueConstraint('entry_id', 'module_id', 'judge_id', name=op.f('uq_score_sheets_entry_id_module_id_judge_id'))
    )
    with op.batch_alter_table('score_sheets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_score_sheets_judge_id'), ['judge_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_score_sheets_module_id'), ['module_id'], unique=False)

    op.create_table('tie_break_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('position >= 1', name=op.f('ck_tie_break_decisions_position_positive')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_tie_break_decisions_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['entry_id'], ['entries.id'], name=op.f('fk_tie_break_decisions_entry_id_entries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tie_break_decisions')),
    sa.UniqueConstraint('entry_id', name=op.f('uq_tie_break_decisions_entry_id'))
    )
    op.create_table('certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('promotion_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=22), nullable=False),
    sa.Column('series', sa.String(length=13), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('grade', sa.Integer(), nullable=False),
    sa.Column('serial', sa.Integer(), nullable=False),
    sa.Column('verification_code', sa.String(length=32), nullable=False),
    sa.Column('issuer', sa.String(length=200), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('revoke_reason', sa.Text(), nullable=False),
    sa.CheckConstraint('grade IS NULL OR grade BETWEEN 1 AND 5', name=op.f('ck_certificates_grade')),
    sa.CheckConstraint('length(number) = 22', name=op.f('ck_certificates_number_length')),
    sa.CheckConstraint('revoked_at IS NULL OR length(revoke_reason) > 0', name=op.f('ck_certificates_revoke_reason_given')),
    sa.CheckConstraint('serial >= 1 AND serial <= 999999', name=op.f('ck_certificates_serial_range')),
    sa.ForeignKeyConstraint(['promotion_id'], ['promotions.id'], name=op.f('fk_certificates_promotion_id_promotions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_certificates_revoked_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates')),
    sa.UniqueConstraint('number', name=op.f('uq_certificates_number')),
    sa.UniqueConstraint('promotion_id', name=op.f('uq_certificates_promotion_id')),
    sa.UniqueConstraint('series', 'year', 'grade', 'serial', name=op.f('uq_certificates_series_year_grade_serial'))
    )
    op.create_table('marks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sheet_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Numeric(precision=12, scale=4), nullable=False),
    sa.Column('points', sa.Numeric(precision=9, scale=4), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('points >= 0', name=op.f('ck_marks_points_nonnegative')),
    sa.ForeignKeyConstraint(['criterion_id'], ['criteria.id'], name=op.f('fk_marks_criterion_id_criteria'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['sheet_id'], ['score_sheets.id'], name=op.f('fk_marks_sheet_id_score_sheets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_marks_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marks')),
    sa.UniqueConstraint('sheet_id', 'criterion_id', name=op.f('uq_marks_sheet_id_criterion_id'))
    )
    with op.batch_alter_table('marks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_marks_criterion_id'), ['criterion_id'], unique=False)



def downgrade():
    with op.batch_alter_table('marks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_marks_criterion_id'))

    op.drop_table('marks')
    op.drop_table('certificates')
    op.drop_table('tie_break_decisions')
    with op.batch_alter_table('score_sheets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_score_sheets_module_id'))
        batch_op.drop_index(batch_op.f('ix_score_sheets_judge_id'))

    op.drop_table('score_sheets')
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_results_publication_id'))

    op.drop_table('results')
    with op.batch_alter_table('promotions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_promotions_contestant_id'))

    op.drop_table('promotions')
    with op.batch_alter_table('penalties', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_penalties_entry_id'))

    op.drop_table('penalties')
    with op.batch_alter_table('external_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_external_scores_module_id'))

    op.drop_table('external_scores')
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appeals_entry_id'))

    op.drop_table('appeals')
    with op.batch_alter_table('entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_entries_division_id'))
        batch_op.drop_index(batch_op.f('ix_entries_contestant_id'))

    op.drop_table('entries')
    op.drop_table('publications')
    with op.batch_alter_table('promotion_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_promotion_rules_event_id'))

    op.drop_table('promotion_rules')
    with op.batch_alter_table('panel_members', schema=None) as batch_op:
        batch_op.drop_index('uq_panel_members_one_chief', sqlite_where=sa.text("role = 'chief'"), postgresql_where=sa.text("role = 'chief'"))
        batch_op.drop_index(batch_op.f('ix_panel_members_expert_id'))

    op.drop_table('panel_members')
    with op.batch_alter_table('lot_draws', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lot_draws_event_id'))

    op.drop_table('lot_draws')
    op.drop_table('criteria')
    with op.batch_alter_table('panel_draws', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_panel_draws_event_id'))

    op.drop_table('panel_draws')
    op.drop_table('modules')
    op.drop_table('divisions')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_event_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))

    op.drop_table('audit_events')
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_keys_created_at'))

    op.drop_table('idempotency_keys')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_occupation_id'))
        batch_op.drop_index(batch_op.f('ix_events_competition_id'))

    op.drop_table('events')
    with op.batch_alter_table('conflicts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conflicts_expert_id'))
        batch_op.drop_index(batch_op.f('ix_conflicts_competition_id'))

    op.drop_table('conflicts')
    with op.batch_alter_table('competition_organizers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_competition_organizers_user_id'))

    op.drop_table('competition_organizers')
    with op.batch_alter_table('access_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_tokens_user_id'))

    op.drop_table('access_tokens')
    op.drop_table('users')
    with op.batch_alter_table('expert_occupations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_occupations_occupation_id'))

    op.drop_table('expert_occupations')
    op.drop_table('occupations')
    op.drop_table('experts')
    op.drop_table('contestants')
    op.drop_table('competitions')
    op.drop_table('certificate_serials')
