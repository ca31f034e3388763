"""The pure rules of a marking scheme and of measured-value criteria."""

from decimal import Decimal as D  # noqa: N817 — short in tables of cases

import pytest
from hypothesis import given
from hypothesis import strategies as st

from competition.events.scheme import (
    CriterionSpec,
    ModuleSpec,
    check_marking_scheme,
    measured_points,
    to_decimal,
)


def crit(code="A1", max_points="10", kind="judgement", mode="points", **kw):
    return CriterionSpec(code=code, description=f"{code} 描述", max_points=to_decimal(max_points),
                         kind=kind, entry_mode=mode, **kw)


def module(code="A", weight="80", kind="practical", criteria=(), max_score="100"):
    return ModuleSpec(code=code, name=f"模块{code}", kind=kind, weight=to_decimal(weight),
                      max_score=to_decimal(max_score), criteria=list(criteria))


def messages(problems):
    return [p.message % p.params if p.params else p.message for p in problems]


def test_a_good_scheme_has_no_problems():
    scheme = [module("T", "20", "theory"),
              module("A", "80", criteria=[crit("A1", "60"), crit("A2", "40", "measurement")])]
    assert check_marking_scheme(scheme) == []


def test_weights_must_sum_to_100():
    scheme = [module("T", "20", "theory"), module("A", "70", criteria=[crit("A1", "100")])]
    assert messages(check_marking_scheme(scheme)) == ["The module weights add up to 90, not 100."]


def test_every_problem_is_reported_at_once():
    scheme = [
        module("A", "50", criteria=[crit("A1", "60"), crit("A1", "-5"), crit("A3", None),
                                    crit("A4", "10", kind="opinion")]),
        module("A", "abc", kind="lab"),
    ]
    found = messages(check_marking_scheme(scheme))
    assert "Criterion code A1 is used twice in module A." in found
    assert "The maximum of criterion A1 must be a positive number." in found
    assert "The maximum of criterion A3 must be a positive number." in found
    assert "Criterion kind opinion is unknown: use measurement or judgement." in found
    assert "Module code A is used twice." in found
    assert "Module kind lab is unknown: use theory or practical." in found
    assert "The weight of module A must be a number above 0 and at most 100." in found


def test_criteria_must_add_up_to_the_module_maximum():
    scheme = [module("A", "100", criteria=[crit("A1", "60"), crit("A2", "30")])]
    assert messages(check_marking_scheme(scheme)) == [
        "The criteria of module A add up to 90, not its maximum 100."]


@pytest.mark.parametrize("spec, expected", [
    (crit(kind="measurement", mode="scale_0_3"),
     "Criterion A1: the 0–3 scale is for judgement criteria only."),
    (crit(kind="judgement", mode="measured", nominal=D(38), tolerance_lower=D("-0.025"),
          tolerance_upper=D(0), deduction_step=D("0.01"), deduction_points=D(1)),
     "Criterion A1: a measured value is for measurement criteria only."),
    (crit(kind="measurement", mode="measured", nominal=D(38)),
     "Criterion A1 is marked by measured value but has no lower deviation."),
    (crit(kind="measurement", mode="measured", nominal=D(38), tolerance_lower=D("0.1"),
          tolerance_upper=D(0), deduction_step=D("0.01"), deduction_points=D(1)),
     "Criterion A1: the lower tolerance is above the upper one."),
    (crit(mode="dice"), "Entry mode dice of criterion A1 is unknown."),
])
def test_entry_modes_must_suit_the_criterion(spec, expected):
    scheme = [module("A", "100", criteria=[spec], max_score="10")]
    assert expected in messages(check_marking_scheme(scheme))


@pytest.mark.parametrize("value, expected", [
    ("12.5", D("12.5")), (7, D(7)), ("", None), (None, None), ("abc", None), ("NaN", None),
    (True, None), (" 3 ", D(3)),
])
def test_to_decimal(value, expected):
    assert to_decimal(value) == expected


# Ø38 (0/-0.025), 6 points, 1 point per 0.01 mm out, nothing beyond 0.05 mm out.
DIAMETER = dict(max_points=D(6), nominal=D(38), tolerance_lower=D("-0.025"),
                tolerance_upper=D(0), deduction_step=D("0.01"), deduction_points=D(1),
                deduction_limit=D("0.05"))


@pytest.mark.parametrize("reading, points", [
    ("38.000", 6), ("37.975", 6), ("37.990", 6),       # within tolerance
    ("38.001", 5), ("38.010", 5), ("38.011", 4),       # each started 0.01 costs a point
    ("37.965", 5), ("37.955", 4), ("38.050", 1),
    ("38.051", 0), ("37.900", 0),                       # beyond the limit
])
def test_measured_points(reading, points):
    assert measured_points(D(reading), **DIAMETER) == D(points)


def test_measured_points_never_go_below_zero_without_a_limit():
    rule = dict(DIAMETER, deduction_limit=None)
    assert measured_points(D("39"), **rule) == 0


@given(st.decimals(min_value=D("37.5"), max_value=D("38.5"), places=3),
       st.decimals(min_value=D("0.001"), max_value=D("0.2"), places=3))
def test_measured_points_never_rise_as_the_reading_moves_away(reading, further):
    here = measured_points(reading, **DIAMETER)
    assert 0 <= here <= 6
    if reading >= 38:
        assert measured_points(reading + further, **DIAMETER) <= here
    if reading <= D("37.975"):
        assert measured_points(reading - further, **DIAMETER) <= here
