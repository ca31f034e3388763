"""The results engine: from judges' marks to totals, ranks and awards. Pure.

No Flask, no database: the results stage loads plain values into these
dataclasses and stores or shows what comes out. Rules (docs/design.md section 5):

- Judgement criteria are aggregated over the judges by the event's method:
  mean; trimmed mean dropping the ``k`` highest and ``k`` lowest (5 judges,
  k=1 → the mean of the middle 3; 3 judges → the middle one; with too few
  marks to drop 2k, the median); median; WorldSkills 0–3 — the mean of the
  judges' 0–3 values ÷ 3 × the maximum, which is the mean of their points.
- Measurement criteria are objective: one value, entered once and perhaps
  confirmed; when several judges entered it, their mean.
- A module's score is the sum of its criteria's points, less its penalties,
  scaled to 100 (``max_score`` is what it is marked out of). A module scored
  outside the sheets (an imported theory exam) brings its score as it is.
- The total is the weighted sum of the module scores on a 100-point scale,
  less penalties on the total, never below 0, published to the event's
  decimals (half up).
- Ties: the event's chain — compare to more decimals, then the practical
  score, then the theory score, then the order the chief judge decided. Those
  still equal share a rank: standard competition ranking (1, 2, 2, 4), per
  division.
- Awards by quota of the ranked entries of a division (default 一等奖 10%,
  二等奖 20%, 三等奖 30%), counted cumulatively and rounded half up; an entry
  whose rank falls within a band gets its award, so tied entries share it. A
  title (e.g. 咸宁市技术能手) goes to ranks 1..N.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
HUNDRED = Decimal(100)
EXACT = Decimal("0.000001")


@dataclass(frozen=True)
class CriterionInfo:
    id: int
    max_points: Decimal
    kind: str  # "measurement" | "judgement"


@dataclass(frozen=True)
class ModuleInfo:
    id: int
    code: str
    kind: str  # "theory" | "practical"
    weight: Decimal
    max_score: Decimal = HUNDRED
    criteria: tuple[CriterionInfo, ...] = ()


@dataclass(frozen=True)
class Rules:
    aggregation: str = "mean"  # mean | trimmed_mean | median | worldskills
    trim_count: int = 1
    decimals: int = 2
    tie_break: tuple[str, ...] = ("more_decimals", "practical", "chief_judge")
    first_pct: Decimal = Decimal(10)
    second_pct: Decimal = Decimal(20)
    third_pct: Decimal = Decimal(30)
    title_top_n: int | None = None


@dataclass(frozen=True)
class JudgeMark:
    judge_id: int
    criterion_id: int
    points: Decimal


@dataclass
class EntryInput:
    entry_id: int
    division_id: int
    marks: list[JudgeMark] = field(default_factory=list)  # from submitted sheets only
    external: dict[int, Decimal] = field(default_factory=dict)  # module id → score /100
    penalties: list[tuple[int | None, Decimal]] = field(default_factory=list)
    chief_order: int | None = None  # the chief judge's decided order among ties
    ranked: bool = True  # absent or withdrawn entries are not ranked
    # The marks the criteria's methods take, summed per module and per how many a
    # criterion took (``module_sums``), when the database did it (``results.service``);
    # otherwise ``marks`` are aggregated here.
    kept: dict[int, dict[int, Decimal]] | None = None


@dataclass
class EntryResult:
    entry_id: int
    division_id: int
    module_scores: dict[int, Decimal]  # out of 100, exact
    penalty_points: Decimal
    exact_total: Decimal
    total: Decimal  # published, to the event's decimals
    rank: int | None = None
    award: str | None = None  # "first" | "second" | "third"
    has_title: bool = False


def effective_method(values: list[Decimal], method: str, trim: int = 1) -> str:
    """The method ``aggregate`` really applies: a trimmed mean with too few marks to drop
    ``2 × trim`` of them falls back to the median."""
    if method == "trimmed_mean" and trim > 0 and len(values) <= 2 * trim:
        return "median"
    return method


def kept(values: list[Decimal], method: str, trim: int = 1) -> list[Decimal]:
    """The marks ``aggregate`` takes, lowest first: all of them for the mean; the
    middle ones for a trimmed mean; the middle one or two for the median."""
    ordered = sorted(values)
    method = effective_method(ordered, method, trim)
    if method == "median":
        return ordered[(len(ordered) - 1) // 2:len(ordered) // 2 + 1]
    if method == "trimmed_mean" and trim > 0:
        return ordered[trim:len(ordered) - trim]
    return ordered


def aggregate(values: list[Decimal], method: str, trim: int = 1) -> Decimal:
    """One criterion's points from several judges' points, by the event's method: the
    mean of the marks it takes (``kept``)."""
    taken = kept(values, method, trim)
    return sum(taken, ZERO) / len(taken) if taken else ZERO


def criterion_method(criterion: CriterionInfo, rules: Rules) -> str:
    """Measurement criteria are objective: several entries of one are averaged."""
    return "mean" if criterion.kind == "measurement" else rules.aggregation


def marks_by_criterion(entry: EntryInput) -> dict[int, list[JudgeMark]]:
    by_criterion: dict[int, list[JudgeMark]] = defaultdict(list)
    for mark in entry.marks:
        by_criterion[mark.criterion_id].append(mark)
    return by_criterion


def is_imported(module: ModuleInfo, entry: EntryInput) -> bool:
    """A module scored outside the sheets (an imported theory exam) brings its score."""
    return module.id in entry.external or not module.criteria


def module_penalties(module: ModuleInfo, entry: EntryInput) -> list[Decimal]:
    return [p for m, p in entry.penalties if m == module.id]


def total_penalties(entry: EntryInput) -> list[Decimal]:
    return [p for m, p in entry.penalties if m is None]


def module_sums(module: ModuleInfo, entry: EntryInput, rules: Rules) -> dict[int, Decimal]:
    """The marks each criterion's method takes, summed over the module's criteria by how
    many marks a criterion took: ``{3: sum of the middle three marks of each criterion
    with five, 1: …}``. A criterion without marks adds nothing."""
    by_criterion = marks_by_criterion(entry)
    sums: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for criterion in module.criteria:
        taken = kept([mark.points for mark in by_criterion.get(criterion.id, [])],
                     criterion_method(criterion, rules), rules.trim_count)
        if taken:
            sums[len(taken)] += sum(taken, ZERO)
    return sums


def module_points(module: ModuleInfo, entry: EntryInput, rules: Rules) -> Decimal:
    """The sum of the module's criteria's points (before scaling to 100). Criteria that
    took as many marks share one division: the same sum, rounded once where dividing
    each criterion's marks first would round each."""
    sums = entry.kept.get(module.id, {}) if entry.kept is not None \
        else module_sums(module, entry, rules)
    return sum((total / count for count, total in sorted(sums.items())), ZERO)


def module_score(module: ModuleInfo, entry: EntryInput, rules: Rules) -> Decimal:
    """The module's score out of 100 (exact), penalties on the module deducted."""
    imported = is_imported(module, entry)
    if imported:
        scaled = entry.external.get(module.id, ZERO)
    else:
        scaled = module_points(module, entry, rules) / module.max_score * HUNDRED
    deduction = sum(module_penalties(module, entry), ZERO)
    deduction_scaled = deduction if imported else deduction / module.max_score * HUNDRED
    return max(ZERO, scaled - deduction_scaled)


def contribution(module: ModuleInfo, score: Decimal) -> Decimal:
    """What a module's score (out of 100) adds to the total: its weighted share."""
    return module.weight * score / HUNDRED


def exact_total(weighted: Decimal, on_total: Decimal) -> Decimal:
    """The total before publishing: never below 0, kept to six decimals."""
    return max(ZERO, weighted - on_total).quantize(EXACT, ROUND_HALF_UP)


def published_total(exact: Decimal, rules: Rules) -> Decimal:
    """The total to the event's decimals, half up."""
    return exact.quantize(Decimal(1).scaleb(-rules.decimals), ROUND_HALF_UP)


def score_entry(modules: list[ModuleInfo], entry: EntryInput, rules: Rules) -> EntryResult:
    scores = {m.id: module_score(m, entry, rules) for m in modules}
    weighted = sum((contribution(m, scores[m.id]) for m in modules), ZERO)
    on_total = sum(total_penalties(entry), ZERO)
    exact = exact_total(weighted, on_total)
    published = published_total(exact, rules)
    return EntryResult(entry_id=entry.entry_id, division_id=entry.division_id,
                       module_scores=scores,
                       penalty_points=sum((p for _, p in entry.penalties), ZERO),
                       exact_total=exact, total=published)


def _kind_score(modules: list[ModuleInfo], result: EntryResult, kind: str) -> Decimal:
    return sum((contribution(m, result.module_scores[m.id])
                for m in modules if m.kind == kind), ZERO)


def tie_break_steps(modules: list[ModuleInfo], rules: Rules, result: EntryResult,
                    chief_order: int | None) -> list[tuple[str, object, object]]:
    """Each step of the event's tie-break chain as ``(step, value, key)``: the value
    compared (more decimals: the exact total; practical or theory: the weighted score
    of those modules; chief judge: the decided order) and its sort key, lower first."""
    steps: list[tuple[str, object, object]] = []
    for step in rules.tie_break:
        if step == "more_decimals":
            steps.append((step, result.exact_total, -result.exact_total))
        elif step in ("practical", "theory"):
            value = _kind_score(modules, result, step)
            steps.append((step, value, -value))
        elif step == "chief_judge":
            steps.append((step, chief_order,
                          chief_order if chief_order is not None else float("inf")))
    return steps


def _sort_key(modules: list[ModuleInfo], rules: Rules, result: EntryResult,
              chief_order: int | None) -> tuple:
    key: list = [-result.total]
    key.extend(k for _, _, k in tie_break_steps(modules, rules, result, chief_order))
    return tuple(key)


def band_limits(count: int, rules: Rules) -> tuple[int, int, int]:
    """The last rank of each award band for ``count`` ranked entries (cumulative)."""
    def limit(pct: Decimal) -> int:
        return int((Decimal(count) * pct / HUNDRED).quantize(Decimal(1), ROUND_HALF_UP))

    first = limit(rules.first_pct)
    second = limit(rules.first_pct + rules.second_pct)
    third = limit(rules.first_pct + rules.second_pct + rules.third_pct)
    return first, second, third


def rank_division(modules: list[ModuleInfo], rules: Rules,
                  results: list[tuple[EntryResult, EntryInput]]) -> None:
    """Ranks (1, 2, 2, 4), awards and titles for one division, in place."""
    ranked = [(r, e) for r, e in results if e.ranked]
    keyed = sorted(((_sort_key(modules, rules, r, e.chief_order), r) for r, e in ranked),
                   key=lambda pair: pair[0])
    previous_key, previous_rank = None, 0
    for position, (key, result) in enumerate(keyed, start=1):
        result.rank = previous_rank if key == previous_key else position
        previous_key, previous_rank = key, result.rank
    first, second, third = band_limits(len(keyed), rules)
    for _, result in keyed:
        if result.rank <= first:
            result.award = "first"
        elif result.rank <= second:
            result.award = "second"
        elif result.rank <= third:
            result.award = "third"
        result.has_title = bool(rules.title_top_n) and result.rank <= rules.title_top_n


def compute(modules: list[ModuleInfo], rules: Rules,
            entries: list[EntryInput]) -> list[EntryResult]:
    """Every entry's result, ranked within its division."""
    results = [(score_entry(modules, entry, rules), entry) for entry in entries]
    by_division: dict[int, list[tuple[EntryResult, EntryInput]]] = defaultdict(list)
    for pair in results:
        by_division[pair[1].division_id].append(pair)
    for group in by_division.values():
        rank_division(modules, rules, group)
    return [result for result, _ in results]


def z_scores(totals: dict[int, Decimal]) -> dict[int, Decimal]:
    """Standardised totals for comparing across events: (total − mean) ÷ SD."""
    if len(totals) < 2:
        return {key: ZERO for key in totals}
    values = list(totals.values())
    mean = sum(values, ZERO) / len(values)
    sd = Decimal(statistics.pstdev([float(v) for v in values]))
    if sd == 0:
        return {key: ZERO for key in totals}
    return {key: ((v - mean) / sd).quantize(Decimal("0.0001"), ROUND_HALF_UP)
            for key, v in totals.items()}


def median_scaled(totals: dict[int, Decimal], target: Decimal = Decimal(75)) -> dict[int, Decimal]:
    """Totals scaled so the event's median maps to ``target``."""
    if not totals:
        return {}
    median = Decimal(statistics.median(list(totals.values())))
    if median == 0:
        return dict(totals)
    return {key: (v * target / median).quantize(Decimal("0.01"), ROUND_HALF_UP)
            for key, v in totals.items()}
