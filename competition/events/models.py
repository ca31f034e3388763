"""Set-up of a competition: its events, divisions, marking schemes, rules and panels.

Glossary (docs/design.md section 3): 大赛 Competition, 赛项 Event, 职业 Occupation,
组别 Division, 模块 Module, 评分项 Criterion, 专家库 Expert, 裁判组 panel
(PanelMember rows of one event), 晋升规则 PromotionRule.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from competition.dbtypes import Points, UTCDateTime, Weight, grade_check, one_of, utcnow
from competition.errors import N_, DomainError
from competition.extensions import db
from competition.labels import label

if TYPE_CHECKING:
    from competition.auth.models import User


class CompetitionLevel(enum.StrEnum):
    NATIONAL = "national"
    PROVINCIAL = "provincial"
    CITY = "city"
    ENTERPRISE = "enterprise"
    SCHOOL = "school"


class CompetitionStatus(enum.StrEnum):
    """Moves forward only, in this order."""

    DRAFT = "draft"
    REGISTRATION = "registration"
    RUNNING = "running"
    SCORING_CLOSED = "scoring_closed"
    PUBLISHED = "published"
    FINAL = "final"


class NameDisplay(enum.StrEnum):
    """How names appear on public result lists: in full, or masked like 张*明."""

    FULL = "full"
    MASKED = "masked"


# Each status, and the one that may follow it.
NEXT_STATUS = {
    CompetitionStatus.DRAFT: CompetitionStatus.REGISTRATION,
    CompetitionStatus.REGISTRATION: CompetitionStatus.RUNNING,
    CompetitionStatus.RUNNING: CompetitionStatus.SCORING_CLOSED,
    CompetitionStatus.SCORING_CLOSED: CompetitionStatus.PUBLISHED,
    CompetitionStatus.PUBLISHED: CompetitionStatus.FINAL,
}


class StatusError(DomainError):
    """A competition status change that the order of a competition does not allow."""


class Competition(db.Model):
    __tablename__ = "competitions"
    __table_args__ = (
        one_of("level", CompetitionLevel, "level"),
        one_of("status", CompetitionStatus, "status"),
        one_of("name_display", NameDisplay, "name_display"),
        CheckConstraint("level_class IS NULL OR level_class IN (1, 2)", name="level_class"),
        CheckConstraint("ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on",
                        name="dates_ordered"),
        CheckConstraint("edition IS NULL OR edition >= 1", name="edition_positive"),
        one_of("evaluator_type", ["S", "Y"], "evaluator_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    edition: Mapped[int | None]
    level: Mapped[str] = mapped_column(String(16))
    # 一类 / 二类 for national, provincial and city contests (人社部 classification).
    level_class: Mapped[int | None]
    host: Mapped[str] = mapped_column(String(200), default="")  # 主办单位
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    venue: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default=CompetitionStatus.DRAFT)
    name_display: Mapped[str] = mapped_column(String(8), default=NameDisplay.MASKED)
    self_registration: Mapped[bool] = mapped_column(default=False)
    # Certificate numbering (docs/design.md section 5): every part is a setting.
    evaluator_type: Mapped[str] = mapped_column(String(1), default="S")
    evaluator_code: Mapped[str] = mapped_column(String(4), default="0000")
    province_code: Mapped[str] = mapped_column(String(2), default="42")
    site_sequence: Mapped[str] = mapped_column(String(6), default="000001")
    certificate_issuer: Mapped[str] = mapped_column(String(200), default="")
    # The contest year the once-a-year promotion limit counts in; empty: the year of
    # the first day (or, without dates, of the decision).
    promotion_year: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    events: Mapped[list[Event]] = relationship(
        back_populates="competition", cascade="all, delete-orphan", order_by="Event.position"
    )
    organizers: Mapped[list[User]] = relationship(secondary="competition_organizers")

    def __repr__(self) -> str:
        return f"<Competition {self.id} {self.name}>"

    @property
    def next_status(self) -> CompetitionStatus | None:
        return NEXT_STATUS.get(CompetitionStatus(self.status))

    def advance_to(self, status: str) -> None:
        """Move the status forward by one step; anything else is refused.

        Preconditions that need other stages (every event ready, scores locked)
        are checked by ``events.setup.advance_competition`` before calling this.
        """
        if status not in set(CompetitionStatus):
            raise StatusError(N_("Unknown status %(status)s."), status=status)
        if status == self.status:
            raise StatusError(N_("The competition already has this status."))
        order = list(CompetitionStatus)
        if order.index(CompetitionStatus(status)) < order.index(CompetitionStatus(self.status)):
            raise StatusError(N_("A competition's status only moves forward; it cannot go "
                                 "back to an earlier stage."))
        if status != self.next_status:
            raise StatusError(N_("A competition's status moves one step at a time; "
                                 "the next step is “%(next)s”."),
                              next=label(self.next_status, "competition_status"))
        self.status = status


class CompetitionOrganizer(db.Model):
    """Which organizer accounts manage which competition."""

    __tablename__ = "competition_organizers"

    competition_id: Mapped[int] = mapped_column(
        ForeignKey("competitions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Occupation(db.Model):
    """An entry of the national occupation catalogue (国家职业分类大典)."""

    __tablename__ = "occupations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # e.g. 4-10-01-05; a few codes are unconfirmed, so it may be left empty.
    code: Mapped[str | None] = mapped_column(String(20), unique=True)


class AggregationMethod(enum.StrEnum):
    MEAN = "mean"
    TRIMMED_MEAN = "trimmed_mean"
    MEDIAN = "median"
    WORLDSKILLS = "worldskills"


class AwardRounding(enum.StrEnum):
    """How an award quota (a percentage of the ranked entries) becomes a number of places."""

    CUMULATIVE = "cumulative"  # the bands' percentages added up, then rounded half up
    PER_BAND = "per_band"  # each band's own share rounded half up
    NEVER_MORE = "never_more"  # each band's share rounded down: never more than the quota


class AwardTies(enum.StrEnum):
    """What happens to entries tied across the edge of an award band."""

    SHARE = "share"  # all share the higher band; the chief judge acknowledges the overflow
    TIE_BREAK = "tie_break"  # the tie-break chain, to the chief judge's order, decides


class Event(db.Model):
    """One occupation within a competition (赛项), with its scoring and award rules."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("competition_id", "name"),
        one_of("aggregation", AggregationMethod, "aggregation"),
        grade_check("grade_min", "grade_min"),
        grade_check("grade_max", "grade_max"),
        # Grade 1 is the highest, so the "highest" target has the smaller number.
        CheckConstraint("grade_min IS NULL OR grade_max IS NULL OR grade_max <= grade_min",
                        name="grade_range"),
        CheckConstraint("trim_count >= 0", name="trim_count"),
        CheckConstraint("decimals BETWEEN 0 AND 4", name="decimals"),
        CheckConstraint(
            "first_prize_pct >= 0 AND second_prize_pct >= 0 AND third_prize_pct >= 0 AND "
            "first_prize_pct + second_prize_pct + third_prize_pct <= 100",
            name="prize_quotas",
        ),
        CheckConstraint("title_top_n IS NULL OR title_top_n >= 1", name="title_top_n"),
        one_of("award_rounding", AwardRounding, "award_rounding"),
        one_of("award_ties", AwardTies, "award_ties"),
        CheckConstraint("first_prize_min_entries IS NULL OR first_prize_min_entries >= 1",
                        name="first_prize_min_entries"),
        CheckConstraint("appeal_window_hours >= 0", name="appeal_window"),
        CheckConstraint("notice_days >= 0", name="notice_days"),
        CheckConstraint("min_age IS NULL OR min_age >= 0", name="min_age"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    competition_id: Mapped[int] = mapped_column(
        ForeignKey("competitions.id", ondelete="CASCADE"), index=True
    )
    occupation_id: Mapped[int] = mapped_column(ForeignKey("occupations.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(default=0)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    venue: Mapped[str] = mapped_column(String(200), default="")
    # Target grades (职业技能等级) the event can award, e.g. 三级 to 二级.
    grade_min: Mapped[int | None]
    grade_max: Mapped[int | None]
    aggregation: Mapped[str] = mapped_column(String(16), default=AggregationMethod.MEAN)
    trim_count: Mapped[int] = mapped_column(default=1)
    decimals: Mapped[int] = mapped_column(default=2)
    # Tie-break chain after the total, e.g. ["more_decimals", "practical", "chief_judge"].
    tie_break: Mapped[list] = mapped_column(
        JSON, default=lambda: ["more_decimals", "practical", "chief_judge"]
    )
    first_prize_pct: Mapped[Decimal] = mapped_column(Weight, default=Decimal(10))
    second_prize_pct: Mapped[Decimal] = mapped_column(Weight, default=Decimal(20))
    third_prize_pct: Mapped[Decimal] = mapped_column(Weight, default=Decimal(30))
    award_rounding: Mapped[str] = mapped_column(String(16), default=AwardRounding.CUMULATIVE)
    # The smallest division (ranked entries) that awards a first prize; empty: any.
    first_prize_min_entries: Mapped[int | None]
    award_ties: Mapped[str] = mapped_column(String(16), default=AwardTies.SHARE)
    title_name: Mapped[str] = mapped_column(String(100), default="")  # e.g. 咸宁市技术能手
    title_top_n: Mapped[int | None]
    appeal_window_hours: Mapped[int] = mapped_column(default=2)
    notice_days: Mapped[int] = mapped_column(default=5)
    # Eligibility: age limits by sex, on the competition's first day.
    min_age: Mapped[int | None]
    max_age_male: Mapped[int | None]
    max_age_female: Mapped[int | None]
    # Set by the judging stage when the first mark or score is recorded: from
    # then on the marking scheme's structure and maxima are frozen.
    marking_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Sign-off by the chief judge: after it, codes may be decoded to names.
    scores_locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scores_locked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    competition: Mapped[Competition] = relationship(back_populates="events")
    occupation: Mapped[Occupation] = relationship()
    divisions: Mapped[list[Division]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Division.position"
    )
    modules: Mapped[list[Module]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Module.position"
    )
    promotion_rules: Mapped[list[PromotionRule]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="PromotionRule.position"
    )
    panel: Mapped[list[PanelMember]] = relationship(
        back_populates="event", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.name}>"


class DivisionKind(enum.StrEnum):
    WORKER = "worker"  # 职工组
    STUDENT = "student"  # 学生组
    TEACHER = "teacher"  # 教师组
    OTHER = "other"


class Division(db.Model):
    """A group ranked separately within an event (组别)."""

    __tablename__ = "divisions"
    __table_args__ = (
        UniqueConstraint("event_id", "name"),
        # Lets an entry's (division, event) pair be checked by a foreign key.
        UniqueConstraint("id", "event_id"),
        one_of("kind", DivisionKind, "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(16), default=DivisionKind.WORKER)
    position: Mapped[int] = mapped_column(default=0)

    event: Mapped[Event] = relationship(back_populates="divisions")


class ModuleKind(enum.StrEnum):
    THEORY = "theory"
    PRACTICAL = "practical"


class Module(db.Model):
    """A scored part of an event (理论知识, 实操模块A …) with its weight in the total."""

    __tablename__ = "modules"
    __table_args__ = (
        UniqueConstraint("event_id", "code"),
        UniqueConstraint("id", "event_id"),
        one_of("kind", ModuleKind, "kind"),
        CheckConstraint("weight > 0 AND weight <= 100", name="weight_range"),
        CheckConstraint("max_score > 0", name="max_score_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    weight: Mapped[Decimal] = mapped_column(Weight)
    # The module is marked out of this many points and scaled to its weight.
    max_score: Mapped[Decimal] = mapped_column(Points, default=Decimal(100))
    position: Mapped[int] = mapped_column(default=0)

    event: Mapped[Event] = relationship(back_populates="modules")
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="module", cascade="all, delete-orphan", order_by="Criterion.position"
    )


class CriterionKind(enum.StrEnum):
    MEASUREMENT = "measurement"  # objective: checked against a standard
    JUDGEMENT = "judgement"  # subjective: several judges' opinion, aggregated


class EntryMode(enum.StrEnum):
    """How a judge enters the mark of a criterion on the tablet."""

    POINTS = "points"  # a number in [0, max]
    PASS_FAIL = "pass_fail"  # noqa: S105 — all or nothing: 0 or max
    SCALE_0_3 = "scale_0_3"  # WorldSkills judgement scale 0–3, scaled to max
    MEASURED = "measured"  # a gauge reading; points follow from tolerance


class Criterion(db.Model):
    """One line of the marking scheme (评分细则)."""

    __tablename__ = "criteria"
    __table_args__ = (
        UniqueConstraint("module_id", "code"),
        one_of("kind", CriterionKind, "kind"),
        one_of("entry_mode", EntryMode, "entry_mode"),
        CheckConstraint("max_points > 0", name="max_points_positive"),
        CheckConstraint(
            "entry_mode <> 'scale_0_3' OR kind = 'judgement'", name="scale_only_judgement"
        ),
        CheckConstraint(
            "entry_mode <> 'measured' OR (kind = 'measurement' AND nominal IS NOT NULL "
            "AND tolerance_upper IS NOT NULL AND tolerance_lower IS NOT NULL "
            "AND tolerance_lower <= tolerance_upper "
            "AND deduction_step > 0 AND deduction_points > 0)",
            name="measured_rule_complete",
        ),
        CheckConstraint("deduction_limit IS NULL OR deduction_limit >= 0",
                        name="deduction_limit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    max_points: Mapped[Decimal] = mapped_column(Points)
    kind: Mapped[str] = mapped_column(String(16))
    entry_mode: Mapped[str] = mapped_column(String(16), default=EntryMode.POINTS)
    # Measured value (车工, 铣工, 数控): nominal size and tolerance, e.g. Ø38 0/-0.025
    # is nominal 38, lower -0.025, upper 0. Each ``deduction_step`` out of tolerance
    # costs ``deduction_points``; beyond ``deduction_limit`` out, the criterion scores 0.
    unit: Mapped[str] = mapped_column(String(8), default="")
    nominal: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    tolerance_lower: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    tolerance_upper: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    deduction_step: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    deduction_points: Mapped[Decimal | None] = mapped_column(Points)
    deduction_limit: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    position: Mapped[int] = mapped_column(default=0)

    module: Mapped[Module] = relationship(back_populates="criteria")


class RuleEffect(enum.StrEnum):
    GRANT = "grant"  # grant grade G
    STEP_UP = "step_up"  # one level above the current grade


class PromotionRule(db.Model):
    """Which results earn which grade (晋升规则). Evaluated by ``grades.rules``.

    Conditions left empty do not apply. The first matching rule (by
    ``position``) decides. ``division_id`` empty means every division.
    """

    __tablename__ = "promotion_rules"
    __table_args__ = (
        one_of("effect", RuleEffect, "effect"),
        grade_check("grant_grade", "grant_grade"),
        grade_check("cap_grade", "cap_grade"),
        grade_check("required_grade", "required_grade"),
        CheckConstraint("effect <> 'grant' OR grant_grade IS NOT NULL", name="grant_has_grade"),
        CheckConstraint("rank_from IS NULL OR rank_from >= 1", name="rank_from"),
        CheckConstraint("rank_to IS NULL OR rank_from IS NULL OR rank_to >= rank_from",
                        name="rank_range"),
        CheckConstraint("top_percent IS NULL OR (top_percent > 0 AND top_percent <= 100)",
                        name="top_percent"),
        ForeignKeyConstraint(
            ["division_id", "event_id"], ["divisions.id", "divisions.event_id"],
            ondelete="CASCADE",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    division_id: Mapped[int | None] = mapped_column()
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(200), default="")
    preset: Mapped[str] = mapped_column(String(40), default="")
    rank_from: Mapped[int | None]
    rank_to: Mapped[int | None]
    top_percent: Mapped[Decimal | None] = mapped_column(Weight)
    min_total: Mapped[Decimal | None] = mapped_column(Points)
    # The theory score (the theory modules weighted together, out of 100) must reach this.
    min_theory_score: Mapped[Decimal | None] = mapped_column(Points)
    # The practical score (the practical modules weighted together, out of 100).
    min_practical_score: Mapped[Decimal | None] = mapped_column(Points)
    # Every module on its own must reach this score out of 100 (a stricter option).
    min_module_score: Mapped[Decimal | None] = mapped_column(Points)
    # The contestant must already hold this grade or a higher one.
    required_grade: Mapped[int | None]
    max_age_male: Mapped[int | None]
    max_age_female: Mapped[int | None]
    once_per_year: Mapped[bool] = mapped_column(default=True)
    effect: Mapped[str] = mapped_column(String(16), default=RuleEffect.GRANT)
    grant_grade: Mapped[int | None]
    # The highest grade this rule may lead to (smallest number).
    cap_grade: Mapped[int | None]

    event: Mapped[Event] = relationship(back_populates="promotion_rules")
    division: Mapped[Division | None] = relationship(
        foreign_keys=[division_id], primaryjoin="PromotionRule.division_id == Division.id",
        viewonly=True,
    )


class ExaminerLevel(enum.StrEnum):
    EXAMINER = "examiner"  # 考评员
    SENIOR_EXAMINER = "senior_examiner"  # 高级考评员


class Expert(db.Model):
    """A qualified judge in the pool kept across competitions (专家库).

    The pool is the installation's (one bureau's): every organizer chooses from
    it and may add to it; a record is changed only by an admin, or by the
    organizer who added it while it sits on no other competition's panel
    (``events.tenancy.may_edit_expert``). ID number and phone are sensitive.
    """

    __tablename__ = "experts"
    __table_args__ = (
        one_of("examiner_level", ExaminerLevel, "examiner_level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    # 身份证号 (GB 11643), to tell two experts of one name apart; optional.
    id_number: Mapped[str | None] = mapped_column(String(32), unique=True)
    work_unit: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(100), default="")  # 职称, e.g. 高级技师
    phone: Mapped[str] = mapped_column(String(20), default="")
    examiner_level: Mapped[str] = mapped_column(String(16), default=ExaminerLevel.EXAMINER)
    # 考评员证: valid three years from issue.
    certificate_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    certificate_expires_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Who added the expert to the pool (``tenancy.may_edit_expert``). ``use_alter``: users
    # refer to experts too, and the tables are emptied and created in dependency order.
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", use_alter=True))

    occupations: Mapped[list[Occupation]] = relationship(secondary="expert_occupations")


class ExpertOccupation(db.Model):
    __tablename__ = "expert_occupations"

    expert_id: Mapped[int] = mapped_column(
        ForeignKey("experts.id", ondelete="CASCADE"), primary_key=True
    )
    occupation_id: Mapped[int] = mapped_column(
        ForeignKey("occupations.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class PanelRole(enum.StrEnum):
    JUDGE = "judge"  # 裁判员
    CHIEF = "chief"  # 裁判长


class PanelDraw(db.Model):
    """A random draw of judges from the pool, kept so it can be shown to be fair."""

    __tablename__ = "panel_draws"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    seed: Mapped[str] = mapped_column(String(64))
    candidate_ids: Mapped[list] = mapped_column(JSON)
    chosen_ids: Mapped[list] = mapped_column(JSON)
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class PanelMember(db.Model):
    """An expert judging one event; exactly one of them is its chief judge."""

    __tablename__ = "panel_members"
    __table_args__ = (
        UniqueConstraint("event_id", "expert_id"),
        one_of("role", PanelRole, "role"),
        Index(
            "uq_panel_members_one_chief", "event_id", unique=True,
            sqlite_where=text("role = 'chief'"), postgresql_where=text("role = 'chief'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    expert_id: Mapped[int] = mapped_column(
        ForeignKey("experts.id", ondelete="RESTRICT"), index=True
    )
    role: Mapped[str] = mapped_column(String(8), default=PanelRole.JUDGE)
    draw_id: Mapped[int | None] = mapped_column(ForeignKey("panel_draws.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship(back_populates="panel")
    expert: Mapped[Expert] = relationship()

