"""The promotion-rule presets encode docs/design.md section 5 exactly.

A tiny evaluator written here (not the promotion engine) reads a preset the way
docs/design.md says rules read: conditions left empty do not apply, the first
matching rule decides, "grant G" gives G, and someone already at or above G
goes one level up within the cap; "one level up" is capped too.
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from competition.events import presets
from competition.events.presets import PRESETS, RuleSpec, get_preset, preset_choices
from competition.skill_grades import Grade

# Grades by number: 1 一级/高级技师 … 5 五级/初级工.
SENIOR_TECH, TECH, SENIOR, MIDDLE, JUNIOR = 1, 2, 3, 4, 5


def first_match(preset_key: str, *, kind: str, rank: int, size: int = 100,
                grade: int | None = None) -> RuleSpec | None:
    """The first rule of the preset that a contestant of ``kind`` ranked ``rank`` of
    ``size`` in their division matches (module scores and age taken as passing)."""
    for spec in PRESETS[preset_key].rules:
        if spec.division_kind not in (None, kind):
            continue
        if spec.rank_from is not None and rank < spec.rank_from:
            continue
        if spec.rank_to is not None and rank > spec.rank_to:
            continue
        if spec.top_percent is not None and rank > size * spec.top_percent / 100:
            continue
        if spec.required_grade is not None and (grade is None or grade > spec.required_grade):
            continue
        return spec
    return None


def outcome(spec: RuleSpec | None, grade: int | None) -> int | None:
    """The grade the contestant ends with, or None when there is no promotion."""
    if spec is None:
        return None
    if spec.effect == "grant" and (grade is None or grade > spec.grant_grade):
        return spec.grant_grade
    target = (grade if grade is not None else JUNIOR + 1) - 1
    if spec.cap_grade is not None and target < spec.cap_grade:
        return None
    return target


def promoted(preset_key: str, *, kind: str, rank: int, size: int = 100,
             grade: int | None = None) -> int | None:
    return outcome(first_match(preset_key, kind=kind, rank=rank, size=size, grade=grade),
                   grade)


# (preset, division kind, rank, division size, current grade) → grade after, or None.
CASES = [
    # National class 1: workers 1–5 → 技师 (技师 holders → 高级技师).
    ("national_class1", "worker", 1, 60, None, TECH),
    ("national_class1", "worker", 5, 60, MIDDLE, TECH),
    ("national_class1", "worker", 3, 60, TECH, SENIOR_TECH),
    ("national_class1", "worker", 2, 60, SENIOR_TECH, None),
    # … ranks 6–20 → 高级工 (高级工 holders → 技师; 技师 holders stay).
    ("national_class1", "worker", 6, 60, None, SENIOR),
    ("national_class1", "worker", 20, 60, MIDDLE, SENIOR),
    ("national_class1", "worker", 12, 60, SENIOR, TECH),
    ("national_class1", "worker", 12, 60, TECH, None),
    ("national_class1", "worker", 21, 60, None, None),
    # … students 1–5 → 高级工, nothing below and nothing above.
    ("national_class1", "student", 1, 60, None, SENIOR),
    ("national_class1", "student", 5, 60, MIDDLE, SENIOR),
    ("national_class1", "student", 5, 60, SENIOR, None),
    ("national_class1", "student", 6, 60, None, None),
    # City class 1 (Tianjin): top 10 → 技师, students 高级工; never above 技师.
    ("city_class1", "worker", 1, 40, None, TECH),
    ("city_class1", "worker", 10, 40, SENIOR, TECH),
    ("city_class1", "worker", 10, 40, TECH, None),
    ("city_class1", "worker", 11, 40, None, None),
    ("city_class1", "student", 10, 40, None, SENIOR),
    ("city_class1", "student", 11, 40, None, None),
    # City class 2: top 6 → 高级工, students 中级工; never above 高级工.
    ("city_class2", "worker", 6, 40, None, SENIOR),
    ("city_class2", "worker", 6, 40, SENIOR, None),
    ("city_class2", "worker", 7, 40, None, None),
    ("city_class2", "student", 1, 40, None, MIDDLE),
    ("city_class2", "student", 6, 40, MIDDLE, SENIOR),
    ("city_class2", "student", 7, 40, None, None),
    # Provincial class 2 (Hubei): top 3 up one level, 技师 holders may reach 高级技师.
    ("provincial_class2", "worker", 1, 30, TECH, SENIOR_TECH),
    ("provincial_class2", "student", 3, 30, MIDDLE, SENIOR),
    ("provincial_class2", "worker", 1, 30, SENIOR_TECH, None),
    # … ranks 4–8 holding a grade up one level, capped at 技师.
    ("provincial_class2", "worker", 4, 30, JUNIOR, MIDDLE),
    ("provincial_class2", "worker", 8, 30, SENIOR, TECH),
    ("provincial_class2", "worker", 8, 30, TECH, None),
    ("provincial_class2", "worker", 5, 30, None, None),
    ("provincial_class2", "worker", 9, 30, JUNIOR, None),
    # Enterprise / school: top 30% → 中级工 (holders → 高级工).
    ("enterprise_school_top30", "worker", 30, 100, None, MIDDLE),
    ("enterprise_school_top30", "student", 3, 10, JUNIOR, MIDDLE),
    ("enterprise_school_top30", "worker", 3, 10, MIDDLE, SENIOR),
    ("enterprise_school_top30", "worker", 3, 10, SENIOR, None),
    ("enterprise_school_top30", "worker", 31, 100, None, None),
    ("enterprise_school_top30", "worker", 4, 10, None, None),
]


@pytest.mark.parametrize(("key", "kind", "rank", "size", "grade", "expected"), CASES)
def test_each_preset_promotes_as_design_md_says(key, kind, rank, size, grade, expected):
    assert promoted(key, kind=kind, rank=rank, size=size, grade=grade) == expected


def _numbers(spec: RuleSpec) -> tuple:
    return (spec.division_kind, spec.rank_from, spec.rank_to, spec.top_percent,
            spec.required_grade, spec.effect, spec.grant_grade, spec.cap_grade)


def test_the_encoded_numbers_match_design_md_section_5():
    table = {key: [_numbers(spec) for spec in preset.rules] for key, preset in PRESETS.items()}
    assert table == {
        "national_class1": [
            ("worker", 1, 5, None, None, "grant", TECH, SENIOR_TECH),
            ("worker", 6, 20, None, None, "grant", SENIOR, TECH),
            ("student", 1, 5, None, None, "grant", SENIOR, SENIOR),
        ],
        "city_class1": [
            ("worker", 1, 10, None, None, "grant", TECH, TECH),
            ("student", 1, 10, None, None, "grant", SENIOR, TECH),
        ],
        "city_class2": [
            ("worker", 1, 6, None, None, "grant", SENIOR, SENIOR),
            ("student", 1, 6, None, None, "grant", MIDDLE, SENIOR),
        ],
        "provincial_class2": [
            (None, 1, 3, None, None, "step_up", None, SENIOR_TECH),
            (None, 4, 8, None, JUNIOR, "step_up", None, TECH),
        ],
        "enterprise_school_top30": [
            (None, None, None, Decimal(30), None, "grant", MIDDLE, SENIOR),
        ],
    }


def test_every_rule_carries_the_default_conditions():
    for preset in PRESETS.values():
        for spec in preset.rules:
            assert spec.min_theory_score == spec.min_practical_score == Decimal(60)
            assert spec.min_module_score is None
            assert spec.once_per_year is True
            assert (spec.max_age_male, spec.max_age_female) == (60, 55)
            assert spec.min_total is None


def test_rules_are_consistent_with_the_database_checks():
    for preset in PRESETS.values():
        assert preset.rules, preset.key
        for spec in preset.rules:
            assert spec.name
            assert spec.effect in ("grant", "step_up")
            assert (spec.effect == "grant") == (spec.grant_grade is not None)
            for grade in (spec.grant_grade, spec.cap_grade, spec.required_grade):
                assert grade is None or 1 <= grade <= 5
            if spec.grant_grade is not None and spec.cap_grade is not None:
                assert spec.cap_grade <= spec.grant_grade
            if spec.rank_from is not None and spec.rank_to is not None:
                assert 1 <= spec.rank_from <= spec.rank_to


def test_the_grade_numbers_are_those_of_skill_grades():
    assert (presets.SENIOR_TECHNICIAN, presets.TECHNICIAN, presets.SENIOR_WORKER,
            presets.INTERMEDIATE_WORKER, presets.JUNIOR_WORKER) == tuple(Grade)


def test_presets_are_offered_in_order_and_found_by_key():
    assert [key for key, _ in preset_choices()] == [
        "national_class1", "city_class1", "city_class2", "provincial_class2",
        "enterprise_school_top30",
    ]
    assert get_preset("city_class2").name == "City class-2 contest (Tianjin)"
    assert get_preset("nonsense") is None


def test_columns_are_what_a_promotion_rule_stores():
    spec = PRESETS["national_class1"].rules[0]
    columns = spec.columns()
    assert "division_kind" not in columns
    assert columns["grant_grade"] == TECH and columns["rank_to"] == 5
    with pytest.raises(FrozenInstanceError):
        spec.rank_to = 6  # type: ignore[misc]


def test_presets_module_imports_neither_flask_nor_the_database():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(presets))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not any(name.startswith(("flask", "sqlalchemy", "competition.extensions"))
                   for name in imported if name)
    assert "competition.events.models" not in imported


@given(key=st.sampled_from(sorted(PRESETS)), kind=st.sampled_from(["worker", "student"]),
       rank=st.integers(1, 200), size=st.integers(1, 200),
       grade=st.sampled_from([None, 1, 2, 3, 4, 5]))
def test_a_preset_only_ever_promotes_within_its_caps(key, kind, rank, size, grade):
    spec = first_match(key, kind=kind, rank=rank, size=size, grade=grade)
    after = outcome(spec, grade)
    if after is None:
        return
    assert 1 <= after <= 5
    assert grade is None or after < grade  # a promotion goes up
    assert spec.cap_grade is None or after >= spec.cap_grade or after == spec.grant_grade
    # Nobody gains more than one level, except someone granted a grade outright.
    assert grade is None or after == grade - 1 or after == spec.grant_grade
