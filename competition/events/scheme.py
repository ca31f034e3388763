"""The rules a marking scheme (评分细则) must follow, and the measured-value rule.

Pure: nothing here reads the database or a request. Problems (``errors.Problem``)
carry an English message marked for translation (``N_``) and its parameters; pages
translate them when shown.
Sources: docs/design.md section 5 (weights on a 100-point scale; measured values
lose points per step out of tolerance, never below 0, and score 0 beyond a
limit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal, InvalidOperation

from competition.errors import N_, Problem, Term

MODULE_KINDS = ("theory", "practical")
CRITERION_KINDS = ("measurement", "judgement")
ENTRY_MODES = ("points", "pass_fail", "scale_0_3", "measured")
HUNDRED = Decimal(100)


# The fields of a criterion as problems name them.
FIELD_NAMES = {
    "nominal": N_("nominal size"),
    "tolerance_lower": N_("lower deviation"),
    "tolerance_upper": N_("upper deviation"),
    "deduction_step": N_("deduction step"),
    "deduction_points": N_("points deducted per step"),
    "deduction_limit": N_("deduction limit"),
}


def field_term(name: str) -> Term:
    return Term(name, FIELD_NAMES.get(name, name))


@dataclass
class CriterionSpec:
    code: str
    description: str
    max_points: Decimal | None
    kind: str
    entry_mode: str = "points"
    unit: str = ""
    nominal: Decimal | None = None
    tolerance_lower: Decimal | None = None
    tolerance_upper: Decimal | None = None
    deduction_step: Decimal | None = None
    deduction_points: Decimal | None = None
    deduction_limit: Decimal | None = None
    row: int | None = None  # where it came from, for error reports


@dataclass
class ModuleSpec:
    code: str
    name: str
    kind: str
    weight: Decimal | None
    max_score: Decimal | None = HUNDRED
    criteria: list[CriterionSpec] = field(default_factory=list)
    row: int | None = None


def to_decimal(value: object) -> Decimal | None:
    """A number from a form, a spreadsheet cell or JSON; None when it is not one."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def check_marking_scheme(modules: list[ModuleSpec]) -> list[Problem]:
    """Every problem of an event's modules and criteria, in reading order.

    - module codes unique, names given, kind theory or practical;
    - each weight a number in (0, 100], and the weights summing to 100;
    - criteria: codes unique within the module, a description, a positive
      maximum, kind measurement or judgement, an entry mode that suits the
      kind (0–3 scale only for judgement, measured value only for measurement),
      and a measured value's nominal size, tolerances and deduction rule;
    - a module with criteria: their maxima add up to the module's maximum.
    """
    problems: list[Problem] = []
    if not modules:
        return [Problem(N_("The event has no modules."))]
    seen_modules: set[str] = set()
    total_weight = Decimal(0)
    weights_known = True
    for module in modules:
        code = (module.code or "").strip()
        if code and code in seen_modules:
            problems.append(Problem(N_("Module code %(code)s is used twice."), {"code": code},
                                    row=module.row, column="module_code"))
        seen_modules.add(code)
        problems.extend(check_module(module))
        if module.weight is None or not (0 < module.weight <= HUNDRED):
            weights_known = False
        else:
            total_weight += module.weight
        problems.extend(_check_criteria(module))
    if weights_known and total_weight != HUNDRED:
        problems.append(Problem(N_("The module weights add up to %(total)s, not 100."),
                                {"total": _plain(total_weight)}, column="weight"))
    return problems


def check_aggregation(aggregation: str, modules: list[ModuleSpec]) -> list[Problem]:
    """The problems of a marking scheme under the event's aggregation method: one for
    each criterion the method cannot mark (``off_scale``)."""
    return [
        Problem(N_("Criterion %(code)s of module %(module)s is a judgement criterion not "
                   "marked on the 0–3 scale: with the WorldSkills method every judgement "
                   "criterion is marked 0–3."),
                {"code": (criterion.code or "").strip(), "module": (module.code or "").strip()},
                row=criterion.row, column="entry_mode")
        for module in modules for criterion in module.criteria
        if off_scale(aggregation, criterion)
    ]


def off_scale(aggregation: str, criterion: CriterionSpec) -> bool:
    """Whether the event's method cannot mark this criterion.

    WorldSkills marks judgement on the 0–3 scale (docs/design.md section 5): a
    criterion's points are the mean of the judges' 0–3 values ÷ 3 × its maximum,
    and marks more than 1 apart must be re-scored. Neither applies to a judgement
    criterion marked otherwise, so a WorldSkills event's judgement criteria must
    all be 0–3 criteria (measurement criteria are marked as usual).
    """
    return (aggregation == "worldskills" and criterion.kind == "judgement"
            and criterion.entry_mode != "scale_0_3")


def check_module(module: ModuleSpec) -> list[Problem]:
    """The problems of one module's own fields (not its criteria, not the weights' sum)."""
    problems: list[Problem] = []
    at = {"row": module.row}
    code = (module.code or "").strip()
    if not code:
        problems.append(Problem(N_("The module code is missing."), column="module_code", **at))
    if not (module.name or "").strip():
        problems.append(Problem(N_("The module name is missing."), column="module_name", **at))
    if module.kind not in MODULE_KINDS:
        problems.append(Problem(
            N_("Module kind %(kind)s is unknown: use theory or practical."),
            {"kind": module.kind or ""}, column="module_kind", **at))
    if module.weight is None or not (0 < module.weight <= HUNDRED):
        problems.append(Problem(
            N_("The weight of module %(code)s must be a number above 0 and at most 100."),
            {"code": code}, column="weight", **at))
    if module.max_score is None or module.max_score <= 0:
        problems.append(Problem(
            N_("The maximum score of module %(code)s must be a positive number."),
            {"code": code}, column="module_max", **at))
    return problems


def _check_criteria(module: ModuleSpec) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    total = Decimal(0)
    all_known = True
    for criterion in module.criteria:
        code = (criterion.code or "").strip()
        if code and code in seen:
            problems.append(Problem(
                N_("Criterion code %(code)s is used twice in module %(module)s."),
                {"code": code, "module": module.code}, row=criterion.row, column="code"))
        seen.add(code)
        problems.extend(check_criterion(criterion))
        if criterion.max_points is None or criterion.max_points <= 0:
            all_known = False
        else:
            total += criterion.max_points
    if module.criteria and all_known and module.max_score and total != module.max_score:
        problems.append(Problem(
            N_("The criteria of module %(module)s add up to %(total)s, not its maximum %(max)s."),
            {"module": module.code, "total": _plain(total), "max": _plain(module.max_score)},
            column="max_points", row=module.row))
    return problems


def check_criterion(criterion: CriterionSpec) -> list[Problem]:
    """The problems of one criterion on its own (not its place among the others)."""
    problems: list[Problem] = []
    at = {"row": criterion.row}
    code = (criterion.code or "").strip()
    if not code:
        problems.append(Problem(N_("The criterion code is missing."), column="code", **at))
    if not (criterion.description or "").strip():
        problems.append(Problem(N_("The description of criterion %(code)s is missing."),
                                {"code": code}, column="description", **at))
    if criterion.max_points is None or criterion.max_points <= 0:
        problems.append(Problem(
            N_("The maximum of criterion %(code)s must be a positive number."),
            {"code": code}, column="max_points", **at))
    if criterion.kind not in CRITERION_KINDS:
        problems.append(Problem(
            N_("Criterion kind %(kind)s is unknown: use measurement or judgement."),
            {"kind": criterion.kind or ""}, column="kind", **at))
    problems.extend(_check_entry_mode(criterion, code, at))
    return problems


def _check_entry_mode(criterion: CriterionSpec, code: str, at: dict) -> list[Problem]:
    mode = criterion.entry_mode
    if mode not in ENTRY_MODES:
        return [Problem(N_("Entry mode %(mode)s of criterion %(code)s is unknown."),
                        {"mode": mode or "", "code": code}, column="entry_mode", **at)]
    if mode == "scale_0_3" and criterion.kind != "judgement":
        return [Problem(N_("Criterion %(code)s: the 0–3 scale is for judgement criteria only."),
                        {"code": code}, column="entry_mode", **at)]
    if mode != "measured":
        return []
    problems = []
    if criterion.kind != "measurement":
        problems.append(Problem(
            N_("Criterion %(code)s: a measured value is for measurement criteria only."),
            {"code": code}, column="entry_mode", **at))
    needed = ("nominal", "tolerance_lower", "tolerance_upper", "deduction_step",
              "deduction_points")
    for name in needed:
        if getattr(criterion, name) is None:
            problems.append(Problem(
                N_("Criterion %(code)s is marked by measured value but has no %(field)s."),
                {"code": code, "field": field_term(name)}, column=name, **at))
    if criterion.tolerance_lower is not None and criterion.tolerance_upper is not None \
            and criterion.tolerance_lower > criterion.tolerance_upper:
        problems.append(Problem(
            N_("Criterion %(code)s: the lower tolerance is above the upper one."),
            {"code": code}, column="tolerance_lower", **at))
    for name in ("deduction_step", "deduction_points"):
        value = getattr(criterion, name)
        if value is not None and value <= 0:
            problems.append(Problem(N_("Criterion %(code)s: %(field)s must be positive."),
                                    {"code": code, "field": field_term(name)}, column=name,
                                    **at))
    if criterion.deduction_limit is not None and criterion.deduction_limit < 0:
        problems.append(Problem(N_("Criterion %(code)s: %(field)s must not be negative."),
                                {"code": code, "field": field_term("deduction_limit")},
                                column="deduction_limit", **at))
    return problems


def measured_points(reading: Decimal, *, max_points: Decimal, nominal: Decimal,
                    tolerance_lower: Decimal, tolerance_upper: Decimal,
                    deduction_step: Decimal, deduction_points: Decimal,
                    deduction_limit: Decimal | None) -> Decimal:
    """Points earned by a gauge reading (车工/铣工/数控 score sheets).

    Within [nominal + lower, nominal + upper] the criterion earns its maximum.
    Each started ``deduction_step`` out of tolerance costs ``deduction_points``
    (e.g. 1 point per 0.01 mm); never below 0; and more than
    ``deduction_limit`` out of tolerance scores 0.
    """
    low, high = nominal + tolerance_lower, nominal + tolerance_upper
    if low <= reading <= high:
        return max_points
    excess = (low - reading) if reading < low else (reading - high)
    if deduction_limit is not None and excess > deduction_limit:
        return Decimal(0)
    steps = (excess / deduction_step).to_integral_value(rounding=ROUND_CEILING)
    return max(Decimal(0), max_points - steps * deduction_points)


def _plain(number: Decimal) -> str:
    """100.00 → '100', 12.50 → '12.5'."""
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
