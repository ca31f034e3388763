"""How an entry's result came about: every step from each judge's marks to its rank. Pure.

Given the same inputs as ``ranking.compute``, ``explain`` lays out what the
engine did for one entry — per criterion, each judge's points (and 0–3 value),
the method and the marks it dropped (trimmed mean) or did not take (median), the
criterion's points; per module, the raw sum, its penalties and the score out of 100, or
the imported score; the weighted contributions, penalties on the total, the
exact and published totals; the tie-break steps against the entries with the
same published total; the rank, the award bands and the title.

Every figure comes from the engine's own functions (``criterion_points``,
``module_score``, ``score_entry``, ``compute`` …), so an explanation cannot
disagree with the ranking; ``tests/test_explain.py`` checks that on many
generated cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from competition.results.ranking import (
    HUNDRED,
    ZERO,
    EntryInput,
    EntryResult,
    ModuleInfo,
    Rules,
    band_limits,
    compute,
    contribution,
    criterion_method,
    criterion_points,
    effective_method,
    from_values,
    is_imported,
    marks_by_criterion,
    module_penalties,
    module_points,
    module_score,
    tie_break_steps,
    total_penalties,
)


@dataclass(frozen=True)
class JudgePoints:
    judge_id: int
    points: Decimal
    # False for a mark a trimmed mean dropped or that is not the median's middle.
    counted: bool = True
    value: Decimal | None = None  # what the judge entered on the 0–3 scale, if marked on it


@dataclass(frozen=True)
class CriterionStep:
    criterion_id: int
    kind: str
    max_points: Decimal
    method: str  # as set: mean | trimmed_mean | median | worldskills (mean for measurement)
    applied: str  # what was applied: a trimmed mean of too few marks is their median
    marks: tuple[JudgePoints, ...]
    points: Decimal
    # WorldSkills 0–3: the judges' values added up, the points being this sum × the
    # maximum ÷ (3 × the number of judges); None when the points come from the points.
    values_sum: Decimal | None = None


@dataclass(frozen=True)
class ModuleStep:
    module_id: int
    code: str
    kind: str
    weight: Decimal
    max_score: Decimal
    imported: bool  # scored outside the sheets: the score is taken as it is
    score_missing: bool  # imported, but no score was imported: it counts as 0
    criteria: tuple[CriterionStep, ...]
    raw_points: Decimal  # sum of the criteria's points, out of max_score
    scaled: Decimal  # out of 100, before penalties (the imported score for imported ones)
    penalties: tuple[Decimal, ...]  # as entered, on the module's own scale
    deduction: Decimal  # the penalties out of 100
    score: Decimal  # out of 100, never below 0 (the engine's module score)
    contribution: Decimal  # weight × score ÷ 100


@dataclass(frozen=True)
class TieStep:
    step: str  # more_decimals | practical | theory | chief_judge
    mine: object
    theirs: object
    outcome: str  # "ahead" | "behind" | "equal"


@dataclass(frozen=True)
class TieComparison:
    """Against one entry of the division with the same published total."""

    other_entry_id: int
    other_rank: int | None
    steps: tuple[TieStep, ...]  # up to the deciding one
    outcome: str  # "ahead" | "behind" | "shared" (still equal after every step)
    decided_by: str | None  # the deciding step


@dataclass(frozen=True)
class Explanation:
    entry_id: int
    division_id: int
    modules: tuple[ModuleStep, ...]
    weighted_sum: Decimal
    total_penalties: tuple[Decimal, ...]
    exact_total: Decimal
    decimals: int
    total: Decimal  # published
    ranked: bool
    rank: int | None
    ranked_count: int  # ranked entries of the division
    bands: tuple[int, int, int]  # last rank of the first, second and third prize
    award: str | None
    title_top_n: int | None
    has_title: bool
    tie_break: tuple[str, ...]
    ties: tuple[TieComparison, ...]


def explain_criteria(module: ModuleInfo, entry: EntryInput,
                     rules: Rules) -> tuple[CriterionStep, ...]:
    by_criterion = marks_by_criterion(entry)
    steps = []
    for criterion in module.criteria:
        marks = by_criterion.get(criterion.id, [])
        values = [mark.points for mark in marks]
        method = criterion_method(criterion, rules)
        applied = effective_method(values, method, rules.trim_count)
        counted = _counted(len(marks), applied, rules.trim_count)
        # Judges by their points, as ``kept`` sorts them; equal points by judge.
        ordered = sorted(marks, key=lambda mark: (mark.points, mark.judge_id))
        on_scale = from_values(criterion, marks, rules)
        steps.append(CriterionStep(
            criterion_id=criterion.id, kind=criterion.kind, max_points=criterion.max_points,
            method=method, applied=applied,
            marks=tuple(JudgePoints(m.judge_id, m.points, counted[i], m.value)
                        for i, m in enumerate(ordered)),
            points=criterion_points(criterion, marks, rules),
            values_sum=sum((m.value for m in marks), ZERO) if on_scale else None))
    return tuple(steps)


def _counted(count: int, applied: str, trim: int) -> list[bool]:
    """Which of ``count`` sorted marks the method takes."""
    if applied == "trimmed_mean" and trim > 0:
        return [trim <= i < count - trim for i in range(count)]
    if applied == "median" and count:
        middle = {(count - 1) // 2, count // 2}
        return [i in middle for i in range(count)]
    return [True] * count


def explain_module(module: ModuleInfo, entry: EntryInput, rules: Rules) -> ModuleStep:
    imported = is_imported(module, entry)
    criteria = () if imported else explain_criteria(module, entry, rules)
    # The engine's sum: the criteria's points, divided once (``module_points``).
    raw = ZERO if imported else module_points(module, entry, rules)
    penalties = tuple(module_penalties(module, entry))
    deduction = sum(penalties, ZERO)
    if imported:
        scaled = entry.external.get(module.id, ZERO)
    else:
        scaled = raw / module.max_score * HUNDRED
        deduction = deduction / module.max_score * HUNDRED
    score = module_score(module, entry, rules)
    return ModuleStep(
        module_id=module.id, code=module.code, kind=module.kind, weight=module.weight,
        max_score=module.max_score, imported=imported,
        score_missing=imported and module.id not in entry.external, criteria=criteria,
        raw_points=raw,
        scaled=scaled, penalties=penalties, deduction=deduction, score=score,
        contribution=contribution(module, score))


def _compare(modules: list[ModuleInfo], rules: Rules, mine: EntryResult, mine_order,
             other: EntryResult, other_order) -> TieComparison:
    steps = []
    pairs = zip(tie_break_steps(modules, rules, mine, mine_order),
                tie_break_steps(modules, rules, other, other_order), strict=True)
    for (step, my_value, my_key), (_, their_value, their_key) in pairs:
        outcome = "equal" if my_key == their_key else "ahead" if my_key < their_key \
            else "behind"
        steps.append(TieStep(step, my_value, their_value, outcome))
        if outcome != "equal":
            return TieComparison(other.entry_id, other.rank, tuple(steps), outcome, step)
    return TieComparison(other.entry_id, other.rank, tuple(steps), "shared", None)


def explain(modules: list[ModuleInfo], rules: Rules, entries: list[EntryInput],
            entry_id: int) -> Explanation:
    """Every step of ``entry_id``'s result; ``entries`` are all the event's inputs, as
    given to ``ranking.compute`` (the rank depends on the others)."""
    inputs = {entry.entry_id: entry for entry in entries}
    entry = inputs[entry_id]
    results = {result.entry_id: result for result in compute(modules, rules, entries)}
    result = results[entry_id]
    module_steps = tuple(explain_module(m, entry, rules) for m in modules)
    # The shown contributions added up. The engine adds the exact ones (fractions,
    # ``ranking.unrounded_total``): the two agree to 28 digits, and the exact total and
    # the published one shown are the engine's.
    weighted = sum((step.contribution for step in module_steps), ZERO)
    division = [e for e in entries if e.division_id == entry.division_id and e.ranked]
    ties = ()
    if entry.ranked:
        ties = tuple(
            _compare(modules, rules, result, entry.chief_order, results[other.entry_id],
                     other.chief_order)
            for other in sorted(division, key=lambda e: (results[e.entry_id].rank,
                                                         e.entry_id))
            if other.entry_id != entry_id and results[other.entry_id].total == result.total)
    return Explanation(
        entry_id=entry_id, division_id=entry.division_id, modules=module_steps,
        weighted_sum=weighted, total_penalties=tuple(total_penalties(entry)),
        exact_total=result.exact_total, decimals=rules.decimals, total=result.total,
        ranked=entry.ranked, rank=result.rank, ranked_count=len(division),
        bands=band_limits(len(division), rules), award=result.award,
        title_top_n=rules.title_top_n, has_title=result.has_title,
        tie_break=tuple(rules.tie_break), ties=ties)
