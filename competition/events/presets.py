"""Presets of promotion rules (晋升规则) an organizer starts from, then edits.

Pure: no Flask, no database. Each preset is a list of ``RuleSpec`` that mirror
the condition and effect columns of ``events.models.PromotionRule``; applying a
preset to an event (``events.promotion_rules.apply_preset``) turns every spec into one
rule per division of its kind. Rules are settings, never hard-coded: these are
only where an organizer starts.

How a rule reads (docs/design.md section 5): conditions left empty do not apply, and
the first matching rule of a contestant's division decides. The effect is
either "grant grade G" or "one level above the current grade", with a cap;
someone already at or above the granted grade gets one level up, within the
cap. Grades run 1 (一级/高级技师, the highest) to 5 (五级/初级工), as in
``competition.skill_grades``; they are plain numbers here so this module needs
nothing else.

Sources, as docs/design.md section 5 records them:

- national class-1 contests (全国一类大赛): ranks 1–5 → 技师 (holders of 技师 →
  高级技师); ranks 6–20 → 高级工 (holders of 高级工 → 技师); student division:
  ranks 1–5 → 高级工, nothing below;
- a city class-1 contest (Tianjin, 天津市级一类): top 10 → 技师 (students 高级工);
  class 2: top 6 → 高级工 (students 中级工);
- a Hubei provincial class-2 contest (湖北省级二类): top 3 up one level (技师
  holders may reach 高级技师); ranks 4–8 who hold a grade up one level, capped
  at 技师;
- enterprise and school contests (企业、院校): top 30% → 中级工 (holders → 高级工);
- conditions seen in these rules: theory and practical scores each at least
  60 of 100 ("理论和实操成绩均达到 60 分": the theory score and the practical
  score, each the weighted combination of that kind's modules); only once per
  person per year through competitions; age limits (men at most 60, women at
  most 55).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from competition.errors import N_

# The grades of competition.skill_grades.Grade, by number (1 is the highest).
SENIOR_TECHNICIAN = 1  # 一级/高级技师
TECHNICIAN = 2  # 二级/技师
SENIOR_WORKER = 3  # 三级/高级工
INTERMEDIATE_WORKER = 4  # 四级/中级工
JUNIOR_WORKER = 5  # 五级/初级工

WORKER = "worker"  # 职工组
STUDENT = "student"  # 学生组

GRANT = "grant"
STEP_UP = "step_up"

# The conditions docs/design.md section 5 lists, applied by every preset; the
# organizer edits them per rule.
MIN_KIND_SCORE = Decimal(60)
MAX_AGE_MALE = 60
MAX_AGE_FEMALE = 55


@dataclass(frozen=True)
class RuleSpec:
    """One promotion rule as plain values (the columns of ``PromotionRule``).

    ``division_kind`` says which divisions the rule is made for: ``"worker"``,
    ``"student"``, or ``None`` for one rule that covers every division.
    ``name`` is an English message id, translated when the rule is created.
    """

    division_kind: str | None
    name: str
    rank_from: int | None = None
    rank_to: int | None = None
    top_percent: Decimal | None = None
    min_total: Decimal | None = None
    min_theory_score: Decimal | None = MIN_KIND_SCORE
    min_practical_score: Decimal | None = MIN_KIND_SCORE
    min_module_score: Decimal | None = None
    required_grade: int | None = None
    max_age_male: int | None = MAX_AGE_MALE
    max_age_female: int | None = MAX_AGE_FEMALE
    once_per_year: bool = True
    effect: str = GRANT
    grant_grade: int | None = None
    cap_grade: int | None = None

    def columns(self) -> dict:
        """The values of a ``PromotionRule``'s condition and effect columns."""
        return {name: getattr(self, name) for name in RULE_COLUMNS}


# The columns a RuleSpec fills, in the order the rule form shows them.
RULE_COLUMNS = (
    "name", "rank_from", "rank_to", "top_percent", "min_total", "min_theory_score",
    "min_practical_score", "min_module_score", "required_grade", "max_age_male",
    "max_age_female", "once_per_year", "effect", "grant_grade", "cap_grade",
)


@dataclass(frozen=True)
class Preset:
    """A named set of rules, in the order they are tried."""

    key: str
    name: str  # English message id
    rules: tuple[RuleSpec, ...] = field(default_factory=tuple)


def _national_class1() -> Preset:
    """National class-1 contest (全国一类大赛), docs/design.md section 5.

    Workers ranked 1–5 are granted 二级/技师, and holders of 技师 go up to
    一级/高级技师 (cap 1); ranks 6–20 are granted 三级/高级工, and holders of
    高级工 go up to 技师 (cap 2). Students ranked 1–5 are granted 三级/高级工 and
    nothing above it (cap 3); students below rank 5 get nothing.
    """
    return Preset("national_class1", N_("National class-1 contest"), (
        RuleSpec(WORKER, N_("Workers ranked 1–5: Level 2 / Technician"),
                 rank_from=1, rank_to=5, grant_grade=TECHNICIAN, cap_grade=SENIOR_TECHNICIAN),
        RuleSpec(WORKER, N_("Workers ranked 6–20: Level 3 / Senior worker"),
                 rank_from=6, rank_to=20, grant_grade=SENIOR_WORKER, cap_grade=TECHNICIAN),
        RuleSpec(STUDENT, N_("Students ranked 1–5: Level 3 / Senior worker"),
                 rank_from=1, rank_to=5, grant_grade=SENIOR_WORKER, cap_grade=SENIOR_WORKER),
    ))


def _city_class1() -> Preset:
    """City class-1 contest, after Tianjin's rules (docs/design.md section 5).

    The top 10 workers are granted 二级/技师, the top 10 students 三级/高级工.
    The source names no step for holders, so a city contest never leads above
    its highest grant, 技师 (cap 2 in both divisions, as the demo contest has).
    """
    return Preset("city_class1", N_("City class-1 contest (Tianjin)"), (
        RuleSpec(WORKER, N_("Workers in the top 10: Level 2 / Technician"),
                 rank_from=1, rank_to=10, grant_grade=TECHNICIAN, cap_grade=TECHNICIAN),
        RuleSpec(STUDENT, N_("Students in the top 10: Level 3 / Senior worker"),
                 rank_from=1, rank_to=10, grant_grade=SENIOR_WORKER, cap_grade=TECHNICIAN),
    ))


def _city_class2() -> Preset:
    """City class-2 contest, after Tianjin's rules (docs/design.md section 5).

    The top 6 workers are granted 三级/高级工, the top 6 students 四级/中级工;
    never above the preset's highest grant, 高级工 (cap 3 in both divisions).
    """
    return Preset("city_class2", N_("City class-2 contest (Tianjin)"), (
        RuleSpec(WORKER, N_("Workers in the top 6: Level 3 / Senior worker"),
                 rank_from=1, rank_to=6, grant_grade=SENIOR_WORKER, cap_grade=SENIOR_WORKER),
        RuleSpec(STUDENT, N_("Students in the top 6: Level 4 / Intermediate worker"),
                 rank_from=1, rank_to=6, grant_grade=INTERMEDIATE_WORKER,
                 cap_grade=SENIOR_WORKER),
    ))


def _provincial_class2() -> Preset:
    """Provincial class-2 contest, after Hubei's rules (docs/design.md section 5).

    Every division: the top 3 go one level up, and holders of 技师 may reach
    一级/高级技师 (cap 1); ranks 4–8 who already hold a grade (at least 五级) go
    one level up, capped at 二级/技师.
    """
    return Preset("provincial_class2", N_("Provincial class-2 contest (Hubei)"), (
        RuleSpec(None, N_("Top 3: one level up"),
                 rank_from=1, rank_to=3, effect=STEP_UP, cap_grade=SENIOR_TECHNICIAN),
        RuleSpec(None, N_("Ranks 4–8 holding a grade: one level up"),
                 rank_from=4, rank_to=8, required_grade=JUNIOR_WORKER, effect=STEP_UP,
                 cap_grade=TECHNICIAN),
    ))


def _enterprise_school_top30() -> Preset:
    """Enterprise and school contests (docs/design.md section 5).

    Every division: the top 30% are granted 四级/中级工, and holders of 中级工
    or above go one level up, to 三级/高级工 at most (cap 3).
    """
    return Preset("enterprise_school_top30", N_("Enterprise or school contest: top 30%"), (
        RuleSpec(None, N_("Top 30%: Level 4 / Intermediate worker"),
                 top_percent=Decimal(30), grant_grade=INTERMEDIATE_WORKER,
                 cap_grade=SENIOR_WORKER),
    ))


PRESETS: dict[str, Preset] = {
    preset.key: preset
    for preset in (_national_class1(), _city_class1(), _city_class2(), _provincial_class2(),
                   _enterprise_school_top30())
}


def get_preset(key: str) -> Preset | None:
    return PRESETS.get(key)


def preset_choices() -> list[tuple[str, str]]:
    """(key, English name) of every preset, in the order they are offered."""
    return [(preset.key, preset.name) for preset in PRESETS.values()]

