"""What a judge may enter for a criterion, and the points it earns. Pure.

Rules (docs/design.md section 5): points within [0, max] with at most two
decimals; all-or-nothing criteria take 0 or 1 (nothing or the maximum); the
WorldSkills judgement scale takes 0, 1, 2 or 3 and earns value/3 of the
maximum (kept to four decimals, as shown on the sheet; a WorldSkills event's
results compute it from the value, exactly: ``results.ranking.criterion_sum``);
a measured value is the gauge reading and earns points by the
criterion's tolerance and deduction rule (``events.scheme.measured_points``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from competition.errors import N_
from competition.events.scheme import measured_points

FOUR_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class CriterionRule:
    """The parts of a criterion that decide what may be entered."""

    code: str
    max_points: Decimal
    entry_mode: str
    nominal: Decimal | None = None
    tolerance_lower: Decimal | None = None
    tolerance_upper: Decimal | None = None
    deduction_step: Decimal | None = None
    deduction_points: Decimal | None = None
    deduction_limit: Decimal | None = None


class MarkRefused(ValueError):
    def __init__(self, message: str, **params) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def points_for(rule: CriterionRule, value: Decimal) -> Decimal:
    """The points ``value`` earns on the criterion, or ``MarkRefused`` saying why not."""
    value = value if isinstance(value, Decimal) else Decimal(str(value))
    if not value.is_finite():
        raise MarkRefused(N_("%(code)s: enter a number."), code=rule.code)
    if rule.entry_mode == "pass_fail":
        if value not in (0, 1):
            raise MarkRefused(N_("%(code)s is all or nothing: enter 0 or 1."), code=rule.code)
        return rule.max_points if value == 1 else Decimal(0)
    if rule.entry_mode == "scale_0_3":
        if value not in (0, 1, 2, 3):
            raise MarkRefused(N_("%(code)s is marked on the 0–3 scale: enter 0, 1, 2 or 3."),
                              code=rule.code)
        return (rule.max_points * value / 3).quantize(FOUR_PLACES, ROUND_HALF_UP)
    if rule.entry_mode == "measured":
        if _decimals(value) > 4:
            raise MarkRefused(N_("%(code)s: a reading has at most 4 decimals."), code=rule.code)
        if rule.nominal is not None and abs(value - rule.nominal) > abs(rule.nominal) + 1000:
            raise MarkRefused(N_("%(code)s: the reading %(value)s is not plausible."),
                              code=rule.code, value=value)
        return measured_points(
            value, max_points=rule.max_points, nominal=rule.nominal,
            tolerance_lower=rule.tolerance_lower, tolerance_upper=rule.tolerance_upper,
            deduction_step=rule.deduction_step, deduction_points=rule.deduction_points,
            deduction_limit=rule.deduction_limit)
    if value < 0 or value > rule.max_points:
        raise MarkRefused(N_("%(code)s: the mark must be between 0 and %(max)s."),
                          code=rule.code, max=_plain(rule.max_points))
    if _decimals(value) > 2:
        raise MarkRefused(N_("%(code)s: a mark has at most 2 decimals."), code=rule.code)
    return value


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")
