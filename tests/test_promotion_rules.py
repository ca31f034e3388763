"""The promotion engine (grades.rules): every preset against a table of cases, and its
invariants. Pure: no app, no database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from competition.events.presets import PRESETS, STEP_UP
from competition.grades import rules as engine
from competition.grades.rules import Candidate, ModuleScore, Rule

WORKERS, STUDENTS = 1, 2
FIRST_DAY = date(2026, 11, 20)
YEAR = 2026
# Grades by number: 1 一级/高级技师 … 5 五级/初级工.
SENIOR_TECH, TECH, SENIOR, MIDDLE, JUNIOR = 1, 2, 3, 4, 5


def preset_rules(key: str) -> list[Rule]:
    """A preset applied to an event with a workers' and a students' division."""
    divisions = {"worker": WORKERS, "student": STUDENTS, None: None}
    return [Rule.from_spec(spec, key=number, division_id=divisions[spec.division_kind])
            for number, spec in enumerate(PRESETS[key].rules, start=1)]


def candidate(*, division: int = WORKERS, rank: int | None = 1, grade: int | None = None,
              theory: str = "80", practical: str = "80", total: str = "80", sex: str = "M",
              age: int = 40, promoted_in: tuple[int, ...] = ()) -> Candidate:
    born = date(FIRST_DAY.year - age, FIRST_DAY.month, FIRST_DAY.day)
    return Candidate(
        entry_id=1, division_id=division, rank=rank, total=Decimal(total),
        module_scores=(ModuleScore("Theory", Decimal(theory)),
                       ModuleScore("Practical", Decimal(practical))),
        theory_score=Decimal(theory), practical_score=Decimal(practical),
        current_grade=grade, sex=sex, birth_date=born, promoted_years=frozenset(promoted_in))


def text(phrase: engine.Phrase) -> str:
    return phrase.message % phrase.params if phrase.params else phrase.message


def run(key: str, ranked: int = 20, **kwargs) -> engine.Outcome:
    return engine.evaluate(preset_rules(key), candidate(**kwargs), ranked_count=ranked,
                           first_day=FIRST_DAY, year=YEAR)


# (preset, case) → the grade reached (None: not promoted) and, if not, a reason given.
CASES = [
    # National class-1: workers 1–5 → 技师 (技师 holders → 高级技师); 6–20 → 高级工
    # (高级工 holders → 技师); students 1–5 → 高级工 and nothing above.
    ("national_class1", {"rank": 1}, TECH, None),
    ("national_class1", {"rank": 5, "grade": SENIOR}, TECH, None),
    ("national_class1", {"rank": 3, "grade": TECH}, SENIOR_TECH, None),
    ("national_class1", {"rank": 2, "grade": SENIOR_TECH}, None, "Already at the highest grade"),
    ("national_class1", {"rank": 6}, SENIOR, None),
    ("national_class1", {"rank": 20, "grade": SENIOR}, TECH, None),
    ("national_class1", {"rank": 12, "grade": TECH}, None,
     "Already at the highest grade this rule gives (2)"),
    ("national_class1", {"rank": 21}, None, "Rank 21 is outside 6–20"),
    ("national_class1", {"rank": 1, "division": STUDENTS}, SENIOR, None),
    ("national_class1", {"rank": 4, "division": STUDENTS, "grade": MIDDLE}, SENIOR, None),
    ("national_class1", {"rank": 3, "division": STUDENTS, "grade": SENIOR}, None,
     "Already at the highest grade this rule gives (3)"),
    ("national_class1", {"rank": 6, "division": STUDENTS}, None, "Rank 6 is outside 1–5"),
    ("national_class1", {"rank": 1, "theory": "55"}, None, "Theory score 55 < 60"),
    ("national_class1", {"rank": 7, "practical": "59.99"}, None, "Practical score 59.99 < 60"),
    ("national_class1", {"rank": 1, "theory": "60", "practical": "60.00"}, TECH, None),
    ("national_class1", {"rank": 1, "age": 61}, None,
     "Age 61 is above the limit for men (60)"),
    ("national_class1", {"rank": 1, "age": 60}, TECH, None),
    ("national_class1", {"rank": 1, "sex": "F", "age": 56}, None,
     "Age 56 is above the limit for women (55)"),
    ("national_class1", {"rank": 1, "sex": "F", "age": 55}, TECH, None),
    ("national_class1", {"rank": 1, "promoted_in": (2026,)}, None, "Already promoted in 2026"),
    ("national_class1", {"rank": 1, "promoted_in": (2025,)}, TECH, None),
    ("national_class1", {"rank": None}, None, "Not ranked (absent or withdrawn)"),
    # City class-1 (Tianjin): top 10 → 技师 (students 高级工), never above 技师.
    ("city_class1", {"rank": 10}, TECH, None),
    ("city_class1", {"rank": 4, "grade": TECH}, None,
     "Already at the highest grade this rule gives (2)"),
    ("city_class1", {"rank": 11}, None, "Rank 11 is outside 1–10"),
    ("city_class1", {"rank": 10, "division": STUDENTS}, SENIOR, None),
    ("city_class1", {"rank": 1, "division": STUDENTS, "grade": SENIOR}, TECH, None),
    ("city_class1", {"rank": 1, "division": STUDENTS, "grade": TECH}, None,
     "Already at the highest grade this rule gives (2)"),
    # City class-2: top 6 → 高级工 (students 中级工), never above 高级工.
    ("city_class2", {"rank": 6, "grade": JUNIOR}, SENIOR, None),
    ("city_class2", {"rank": 6, "grade": SENIOR}, None,
     "Already at the highest grade this rule gives (3)"),
    ("city_class2", {"rank": 2, "division": STUDENTS}, MIDDLE, None),
    ("city_class2", {"rank": 2, "division": STUDENTS, "grade": MIDDLE}, SENIOR, None),
    ("city_class2", {"rank": 7, "division": STUDENTS}, None, "Rank 7 is outside 1–6"),
    # Provincial class-2 (Hubei): top 3 up one level (up to 高级技师); ranks 4–8 who
    # hold a grade up one level, at most 技师.
    ("provincial_class2", {"rank": 1}, JUNIOR, None),
    ("provincial_class2", {"rank": 2, "grade": MIDDLE}, SENIOR, None),
    ("provincial_class2", {"rank": 3, "grade": TECH, "division": STUDENTS}, SENIOR_TECH, None),
    ("provincial_class2", {"rank": 3, "grade": SENIOR_TECH}, None,
     "Already at the highest grade"),
    ("provincial_class2", {"rank": 5}, None,
     "Holds no grade; the rule requires 5 or higher"),
    ("provincial_class2", {"rank": 8, "grade": SENIOR}, TECH, None),
    ("provincial_class2", {"rank": 4, "grade": TECH}, None,
     "Already at the highest grade this rule gives (2)"),
    ("provincial_class2", {"rank": 9, "grade": SENIOR}, None, "Rank 9 is outside 4–8"),
    # Enterprise or school: top 30% → 中级工 (holders → 高级工 at most).
    ("enterprise_school_top30", {"rank": 3, "ranked": 10}, MIDDLE, None),
    ("enterprise_school_top30", {"rank": 4, "ranked": 10}, None,
     "Rank 4 is outside the top 30% of 10 ranked"),
    ("enterprise_school_top30", {"rank": 3, "ranked": 8}, None,
     "Rank 3 is outside the top 30% of 8 ranked"),
    ("enterprise_school_top30", {"rank": 2, "ranked": 8, "division": STUDENTS}, MIDDLE, None),
    ("enterprise_school_top30", {"rank": 1, "ranked": 10, "grade": MIDDLE}, SENIOR, None),
    ("enterprise_school_top30", {"rank": 1, "ranked": 10, "grade": SENIOR}, None,
     "Already at the highest grade this rule gives (3)"),
]


@pytest.mark.parametrize(("key", "case", "reached", "reason"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_presets(key, case, reached, reason):
    case = dict(case)
    outcome = run(key, ranked=case.pop("ranked", 20), **case)
    if reached is None:
        assert outcome.promotion is None
        assert reason in [text(r) for r in outcome.reasons]
    else:
        assert outcome.promotion is not None, [text(r) for r in outcome.reasons]
        assert outcome.promotion.to_grade == reached
        assert outcome.promotion.from_grade == case.get("grade")
        assert outcome.reasons == []


def test_reasons_name_each_rule_tried_in_order():
    outcome = run("national_class1", rank=25, theory="55")
    assert [miss.rule.key for miss in outcome.misses] == [1, 2]
    assert [text(r) for r in outcome.misses[0].reasons] == [
        "Rank 25 is outside 1–5", "Theory score 55 < 60"]
    assert [text(r) for r in outcome.misses[1].reasons] == [
        "Rank 25 is outside 6–20", "Theory score 55 < 60"]


def test_students_are_not_judged_by_workers_rules():
    outcome = run("national_class1", division=STUDENTS, rank=8)
    assert [miss.rule.key for miss in outcome.misses] == [3]


def test_division_without_rules():
    outcome = run("national_class1", division=99)
    assert outcome.promotion is None
    assert [text(r) for r in outcome.reasons] == ["No promotion rule applies to this division"]


def test_reasons_carry_grades_and_params_for_translation():
    outcome = run("provincial_class2", rank=6, grade=None)
    (reason,) = outcome.misses[1].reasons
    assert reason.params == {"required": JUNIOR}
    assert isinstance(reason.params["required"], engine.GradeNumber)


def test_first_matching_rule_decides_even_when_it_gives_nothing():
    """A 技师 holder ranked 1 meets the city rule (cap 技师) first: a later, more generous
    rule is not tried."""
    generous = Rule(key=9, name="Top 20: one level up", rank_from=1, rank_to=20,
                    effect=STEP_UP, division_id=WORKERS)
    rules = [*preset_rules("city_class1"), generous]
    outcome = engine.evaluate(rules, candidate(rank=1, grade=TECH), ranked_count=20,
                              first_day=FIRST_DAY, year=YEAR)
    assert outcome.promotion is None
    assert [miss.rule.key for miss in outcome.misses] == [1]
    # Ranked 11, the city rule does not match, so the generous one decides.
    outcome = engine.evaluate(rules, candidate(rank=11, grade=TECH), ranked_count=20,
                              first_day=FIRST_DAY, year=YEAR)
    assert outcome.promotion.rule.key == 9 and outcome.promotion.to_grade == SENIOR_TECH


def test_age_on_the_first_day():
    assert engine.age_on(date(1966, 11, 21), FIRST_DAY) == 59  # birthday the next day
    assert engine.age_on(date(1966, 11, 20), FIRST_DAY) == 60
    assert engine.age_on(date(2004, 2, 29), date(2026, 2, 28)) == 21
    assert engine.age_on(date(2004, 2, 29), date(2026, 3, 1)) == 22


def test_top_percent_counts_only_ranked_entries_and_keeps_ties():
    rules = preset_rules("enterprise_school_top30")
    people = [candidate(rank=r) for r in (1, 2, 3, 3, 5, 6, 7, 8, 9, 10)] + [
        candidate(rank=None), candidate(rank=None)]
    outcomes = engine.evaluate_division(rules, people, first_day=FIRST_DAY, year=YEAR)
    promoted = [o.candidate.rank for o in outcomes if o.promotion]
    assert promoted == [1, 2, 3, 3]


def test_a_rule_in_words():
    (rule,) = preset_rules("enterprise_school_top30")
    words = [text(p) for p in engine.describe(rule)]
    assert words[0] == "In the top 30% of the division"
    assert "Theory score at least 60 of 100" in words
    assert "Practical score (the practical modules weighted together) at least 60 of 100" \
        in words
    assert "Men at most 60, women at most 55 years old" in words
    assert words[-1] == "Grant 4, at most 3"


# --- Invariants ----------------------------------------------------------------------

grades = st.integers(min_value=1, max_value=5)
optional_grades = st.none() | grades
scores = st.decimals(min_value=0, max_value=100, places=2)


# Fewer examples than the default keep the suite fast; the strategies are built so that
# about a third of the cases are promoted and a tenth are stopped by a cap.
def sometimes(strategy):
    """A condition set one time in four, so that rules often match."""
    return st.one_of(st.none(), st.none(), st.none(), strategy)


@st.composite
def rules_strategy(draw, key: int = 0) -> Rule:
    effect = draw(st.sampled_from(["grant", "step_up"]))
    grant = draw(grades) if effect == "grant" else None
    cap = draw(sometimes(st.integers(min_value=1, max_value=grant or 5)))
    rank_from = draw(sometimes(st.integers(min_value=1, max_value=10)))
    rank_to = draw(sometimes(st.integers(min_value=rank_from or 1, max_value=30)))
    ages = st.integers(min_value=18, max_value=70)
    return Rule(
        key=key, name=f"rule {key}",
        division_id=draw(st.sampled_from([None, WORKERS, STUDENTS])),
        rank_from=rank_from, rank_to=rank_to,
        top_percent=draw(sometimes(st.decimals(min_value=1, max_value=100, places=0))),
        min_total=draw(sometimes(scores)), min_module_score=draw(sometimes(scores)),
        required_grade=draw(sometimes(grades)),
        max_age_male=draw(sometimes(ages)), max_age_female=draw(sometimes(ages)),
        once_per_year=draw(st.booleans()), effect=effect, grant_grade=grant, cap_grade=cap)


@st.composite
def rule_lists(draw) -> list[Rule]:
    count = draw(st.integers(min_value=0, max_value=5))
    return [draw(rules_strategy(key=k)) for k in range(count)]


@st.composite
def candidates(draw) -> Candidate:
    age = draw(st.integers(min_value=16, max_value=70))
    return Candidate(
        entry_id=1, division_id=draw(st.sampled_from([WORKERS, STUDENTS])),
        rank=draw(st.none() | st.integers(min_value=1, max_value=30)), total=draw(scores),
        module_scores=(ModuleScore("Theory", draw(scores)),
                       ModuleScore("Practical", draw(scores))),
        current_grade=draw(optional_grades), sex=draw(st.sampled_from(["M", "F"])),
        birth_date=date(FIRST_DAY.year - age, 6, 15),
        promoted_years=frozenset(draw(st.sets(st.sampled_from([2025, 2026, 2027])))))


def _evaluate(rules, person):
    return engine.evaluate(rules, person, ranked_count=30, first_day=FIRST_DAY, year=YEAR)


def _first_matching(rules, person):
    for rule in rules:
        if rule.applies_to(person.division_id) and not engine.failed_conditions(
                rule, person, ranked_count=30, first_day=FIRST_DAY, year=YEAR):
            return rule
    return None


@settings(max_examples=60)
@given(rule_lists(), candidates())
def test_never_downwards_never_above_the_cap(rules, person):
    promotion = _evaluate(rules, person).promotion
    if promotion is None:
        return
    assert 1 <= promotion.to_grade <= 5
    assert promotion.from_grade == person.current_grade
    if person.current_grade is not None:
        assert promotion.to_grade < person.current_grade
    if promotion.rule.cap_grade is not None:
        assert promotion.to_grade >= promotion.rule.cap_grade
    if promotion.rule.effect == "grant" and (person.current_grade is None
                                             or person.current_grade > promotion.rule.grant_grade):
        assert promotion.to_grade == promotion.rule.grant_grade
    elif person.current_grade is not None:
        assert promotion.to_grade == person.current_grade - 1  # one level, never more


@settings(max_examples=60)
@given(rule_lists(), candidates())
def test_first_matching_rule_wins(rules, person):
    outcome = _evaluate(rules, person)
    first = _first_matching(rules, person)
    if first is None:
        assert outcome.promotion is None
        assert outcome.reasons  # always says why
    elif outcome.promotion is not None:
        assert outcome.promotion.rule is first
    else:
        assert outcome.misses[-1].rule is first
        assert engine.target_grade(first, person.current_grade) is None


@settings(max_examples=60)
@given(rule_lists(), rules_strategy(key=99), candidates())
def test_rules_after_the_deciding_one_change_nothing(rules, extra, person):
    outcome = _evaluate(rules, person)
    if _first_matching(rules, person) is None:
        return
    later = _evaluate([*rules, extra], person)
    assert later.promotion == outcome.promotion
    assert later.misses == outcome.misses


@settings(max_examples=60)
@given(rule_lists(), candidates())
def test_promoted_once_a_year_at_most(rules, person):
    """Where every rule keeps the yearly limit, someone promoted this year is not again."""
    rules = [Rule(**{**r.__dict__, "once_per_year": True}) for r in rules]
    person = Candidate(**{**person.__dict__, "promoted_years": frozenset({YEAR})})
    assert _evaluate(rules, person).promotion is None
