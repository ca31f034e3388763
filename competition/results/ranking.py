"""The results engine: from judges' marks to totals, ranks and awards. Pure.

No Flask, no database: the results stage loads plain values into these
dataclasses and stores or shows what comes out. Rules (docs/design.md section 5):

- Judgement criteria are aggregated over the judges by the event's method:
  mean; trimmed mean dropping the ``k`` highest and ``k`` lowest (5 judges,
  k=1 → the mean of the middle 3; 3 judges → the middle one; with too few
  marks to drop 2k, the median); median; WorldSkills 0–3 — the mean of the
  judges' 0–3 values ÷ 3 × the maximum, from the values themselves (a mark's
  points are kept to four decimals, so their mean is not exactly it).
- Measurement criteria are objective: one value, entered once and perhaps
  confirmed; when several judges entered it, their mean.
- A module's score is the sum of its criteria's points, less its penalties,
  scaled to 100 (``max_score`` is what it is marked out of). A module scored
  outside the sheets (an imported theory exam) brings its score as it is.
- The total is the weighted sum of the module scores on a 100-point scale,
  less penalties on the total, never below 0, published to the event's
  decimals (half up). It is computed exactly, as a fraction: nothing is
  rounded before it is published (module scores are rounded only to show).
- Ties: the event's chain — compare to more decimals, then the practical
  score, then the theory score, then the order the chief judge decided. Those
  still equal share a rank: standard competition ranking (1, 2, 2, 4), per
  division.
- Awards by quota of the ranked entries of a division (default 一等奖 10%,
  二等奖 20%, 三等奖 30%). How a quota becomes a number of places is the
  event's setting (``band_places``):

  * ``cumulative`` (the default): the bands' percentages added up, then
    rounded half up — 10 entries at 10/20/30 → last ranks 1, 3, 6;
  * ``per_band``: each band's own share rounded half up (3 entries →
    0.3 → 0, 0.6 → 1, 0.9 → 1);
  * ``never_more``: each band's own share rounded down, so no band ever has
    more places than its percentage (9 entries → 0, 1, 2).

  The default keeps the quota alone: 10% of a division of 3 is no first
  prize, which the pages say in words (``band_places`` per division). An
  organizer who wants otherwise sets the minimum division size for a first
  prize (``first_prize_min_entries``): a division with fewer ranked entries
  has no first prize; one with at least that many has at least one (a quota
  that rounds to 0 is raised to 1, unless the first-prize percentage is 0).
  Either way the second and third bands keep their own counts — places are
  never moved from one band to another — and no band gets more places than
  the entries left for it (the lowest bands give way).
- An entry whose rank falls within a band (rank ≤ the band's last place,
  counted cumulatively) gets its award, so entries tied across the edge of a
  band all get the higher one and the band exceeds its quota. That is never
  silent: ``award_check`` reports, per band, its places, the entries awarded
  and the entries tied across its edge. What must happen next is the
  event's setting (``award_ties``):

  * ``share``: the tied entries keep the higher award, and the division's
    results may be published only once the chief judge has acknowledged
    that overflow (its canonical ``AwardCheck.description``; a change of
    scores that changes it needs a new acknowledgement);
  * ``tie_break``: the tie-break chain decides and awards go by position;
    entries still tied at an edge after the whole chain wait for the chief
    judge's order (the ``chief_judge`` step). Until then they provisionally
    share the higher band — nothing is silently lost — and the results may
    not be published.
- A title (e.g. 咸宁市技术能手) goes to ranks 1..N.
"""

from __future__ import annotations

import hashlib
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from fractions import Fraction

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
    award_rounding: str = "cumulative"  # cumulative | per_band | never_more
    first_prize_min_entries: int | None = None  # None: the quota alone decides
    award_ties: str = "share"  # share | tie_break


@dataclass(frozen=True)
class JudgeMark:
    judge_id: int
    criterion_id: int
    points: Decimal
    # What the judge entered on the WorldSkills 0–3 scale (0, 1, 2 or 3), for a criterion
    # marked on it; None for any other criterion. Its ``points`` (value ÷ 3 × the
    # maximum) are kept to four decimals, so the WorldSkills method adds up the values.
    value: Decimal | None = None


@dataclass
class EntryInput:
    entry_id: int
    division_id: int
    marks: list[JudgeMark] = field(default_factory=list)  # from submitted sheets only
    external: dict[int, Decimal] = field(default_factory=dict)  # module id → score /100
    penalties: list[tuple[int | None, Decimal]] = field(default_factory=list)
    chief_order: int | None = None  # the chief judge's decided order among ties
    ranked: bool = True  # absent or withdrawn entries are not ranked
    # The marks the criteria's methods take, summed per module and per what a
    # criterion's sum is divided by (``module_sums``), when the database did it
    # (``results.standings``); otherwise ``marks`` are aggregated here.
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


def takes(place, n, method: str, trim: int, all_of, any_of):
    """Whether a method takes the mark at ``place`` (1 = the lowest points) of ``n``:
    every mark for the mean; ranks ``trim+1 .. n-trim`` for a trimmed mean, which with
    ``n <= 2 × trim`` is the median; the middle one or two for the median.

    The one statement of this rule: ``kept`` applies it to numbers (``all_of``/``any_of``
    are ``all``/``any``), ``results.standings.kept_marks`` to SQL columns (``and_``/``or_``).
    """
    middle = any_of(place == (n + 1) // 2, place == (n + 2) // 2)
    if method == "median":
        return middle
    if method == "trimmed_mean":
        return any_of(all_of(n > 2 * trim, place > trim, place <= n - trim),
                      all_of(n <= 2 * trim, middle))
    return place >= 1


def _all(*conditions) -> bool:
    return all(conditions)


def _any(*conditions) -> bool:
    return any(conditions)


def kept(values: list[Decimal], method: str, trim: int = 1) -> list[Decimal]:
    """The marks ``aggregate`` takes (``takes``), lowest first."""
    ordered = sorted(values)
    n = len(ordered)
    return [value for place, value in enumerate(ordered, start=1)
            if takes(place, n, method, trim, _all, _any)]


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


def from_values(criterion: CriterionInfo, marks: list[JudgeMark], rules: Rules) -> bool:
    """Whether a criterion's points come from its judges' 0–3 values rather than their
    points: a judgement criterion marked on the 0–3 scale, in a WorldSkills event."""
    return (rules.aggregation == "worldskills" and criterion.kind == "judgement"
            and bool(marks) and all(mark.value is not None for mark in marks))


def criterion_sum(criterion: CriterionInfo, marks: list[JudgeMark],
                  rules: Rules) -> tuple[int, Decimal] | None:
    """What a criterion adds to its module's sums: ``(divisor, sum)``, its points being
    ``sum ÷ divisor`` (None without marks). By its method, the marks it takes and how
    many. On the WorldSkills 0–3 scale, the judges' values × the maximum and 3 × how
    many judges: the mean of the values ÷ 3 × the maximum, exactly. (A judge's points
    are kept to four decimals — 2 of 3 on a maximum of 1 is 0.6667 — and their mean
    would carry that rounding into the total.)"""
    if from_values(criterion, marks, rules):
        values = sum((mark.value for mark in marks), ZERO)
        return 3 * len(marks), values * criterion.max_points
    taken = kept([mark.points for mark in marks], criterion_method(criterion, rules),
                 rules.trim_count)
    return (len(taken), sum(taken, ZERO)) if taken else None


def criterion_points(criterion: CriterionInfo, marks: list[JudgeMark], rules: Rules) -> Decimal:
    """One criterion's points from its judges' marks, as shown (to 28 digits: the total
    divides each module's sums once, exactly — ``exact_module_score``)."""
    found = criterion_sum(criterion, marks, rules)
    return found[1] / found[0] if found else ZERO


def module_sums(module: ModuleInfo, entry: EntryInput, rules: Rules) -> dict[int, Decimal]:
    """The criteria's sums (``criterion_sum``) added up over the module by what they are
    divided by: ``{3: the middle three marks of each criterion with five, with the 0–3
    values × the maximum of each WorldSkills criterion marked by one judge; 9: the 0–3
    values × the maximum of each marked by three; 1: …}`` — sums over one divisor add
    up, ``a/d + b/d = (a + b)/d``. A criterion without marks adds nothing."""
    by_criterion = marks_by_criterion(entry)
    sums: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for criterion in module.criteria:
        found = criterion_sum(criterion, by_criterion.get(criterion.id, []), rules)
        if found:
            divisor, total = found
            sums[divisor] += total
    return sums


def _sums(module: ModuleInfo, entry: EntryInput, rules: Rules) -> dict[int, Decimal]:
    return entry.kept.get(module.id, {}) if entry.kept is not None \
        else module_sums(module, entry, rules)


def module_points(module: ModuleInfo, entry: EntryInput, rules: Rules) -> Decimal:
    """The sum of the module's criteria's points (before scaling to 100), as shown: to 28
    digits. Criteria with one divisor share one division: the same sum, rounded once
    where dividing each criterion's marks first would round each."""
    sums = _sums(module, entry, rules)
    return sum((total / divisor for divisor, total in sorted(sums.items())), ZERO)


def module_score(module: ModuleInfo, entry: EntryInput, rules: Rules) -> Decimal:
    """The module's score out of 100, penalties on the module deducted, as shown: to 28
    digits (the total adds the exact scores, ``exact_module_score``)."""
    imported = is_imported(module, entry)
    if imported:
        scaled = entry.external.get(module.id, ZERO)
    else:
        scaled = module_points(module, entry, rules) / module.max_score * HUNDRED
    deduction = sum(module_penalties(module, entry), ZERO)
    deduction_scaled = deduction if imported else deduction / module.max_score * HUNDRED
    return max(ZERO, scaled - deduction_scaled)


def exact_module_score(module: ModuleInfo, entry: EntryInput, rules: Rules) -> Fraction:
    """The module's score out of 100, penalties on the module deducted, exactly."""
    return Fraction(*_score_ratio(module, entry, rules))


def _ratio(number: Decimal) -> tuple[int, int]:
    return number.as_integer_ratio()


def _score_ratio(module: ModuleInfo, entry: EntryInput, rules: Rules) -> tuple[int, int]:
    """``exact_module_score`` as a numerator and a denominator, not reduced: the module's
    sums each divided by its divisor, less penalties, never below 0, scaled to 100. In
    whole numbers, as that is many times quicker than fractions for a big event."""
    penalty, per = _ratio(sum(module_penalties(module, entry), ZERO))
    if is_imported(module, entry):
        score, over = _ratio(entry.external.get(module.id, ZERO))
        return max(0, score * per - penalty * over), over * per
    points, over = 0, 1
    for divisor, total in _sums(module, entry, rules).items():
        summed, by = _ratio(total)
        points, over = points * by * divisor + summed * over, over * by * divisor
    maximum, by = _ratio(module.max_score)
    return max(0, (points * per - penalty * over) * 100 * by), over * per * maximum


def contribution(module: ModuleInfo, score: Decimal) -> Decimal:
    """What a module's score (out of 100) adds to the total: its weighted share."""
    return module.weight * score / HUNDRED


def unrounded_total(modules: list[ModuleInfo], entry: EntryInput, rules: Rules) -> Fraction:
    """The total, exactly: the weighted sum of the modules' exact scores, less penalties
    on the total, never below 0. Nothing is rounded before the published total."""
    total, over = 0, 1
    for module in modules:
        score, by = _score_ratio(module, entry, rules)
        weight, per = _ratio(module.weight)
        total, over = total * by * per + score * weight * over, over * by * per
    penalty, per = _ratio(sum(total_penalties(entry), ZERO))
    return Fraction(max(0, total * per - penalty * over * 100), over * per * 100)


def _half_up(value: Fraction | Decimal, places: int) -> Decimal:
    """``value`` to ``places`` decimals, half away from zero (``ROUND_HALF_UP``)."""
    numerator, denominator = value.as_integer_ratio()
    whole = (2 * abs(numerator) * 10 ** places + denominator) // (2 * denominator)
    return Decimal(-whole if numerator < 0 else whole).scaleb(-places)


def published_total(total: Fraction | Decimal, rules: Rules) -> Decimal:
    """The total to the event's decimals, half up, from the exact total."""
    return _half_up(total, rules.decimals)


def exact_total(total: Fraction, rules: Rules) -> Decimal:
    """The total as shown beside the published one and compared by the more-decimals
    tie-break: to six decimals, half up — but never rounded up onto the boundary of the
    event's decimals that the exact total falls short of (84.9949999 is shown 84.994999,
    not 84.995000, which publishes as 85.00), so it publishes as the total does."""
    places = -EXACT.as_tuple().exponent
    shown = _half_up(total, places)
    if shown.quantize(Decimal(1).scaleb(-rules.decimals), ROUND_HALF_UP) \
            != published_total(total, rules):
        numerator, denominator = total.as_integer_ratio()
        shown = Decimal(numerator * 10 ** places // denominator).scaleb(-places)
    return shown


def score_entry(modules: list[ModuleInfo], entry: EntryInput, rules: Rules) -> EntryResult:
    total = unrounded_total(modules, entry, rules)
    return EntryResult(entry_id=entry.entry_id, division_id=entry.division_id,
                       module_scores={m.id: module_score(m, entry, rules) for m in modules},
                       penalty_points=sum((p for _, p in entry.penalties), ZERO),
                       exact_total=exact_total(total, rules),
                       total=published_total(total, rules))


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


BANDS = ("first", "second", "third")


def _places(count: int, pct: Decimal, rounding: str) -> int:
    share = Decimal(count) * pct / HUNDRED
    return int(share.quantize(Decimal(1), ROUND_DOWN if rounding == "down" else ROUND_HALF_UP))


def band_places(count: int, rules: Rules) -> tuple[int, int, int]:
    """How many places the first, second and third prize have for ``count`` ranked
    entries, by the event's rounding and minimum division size for a first prize (the
    module docstring). 20 entries at 10/20/30: 2, 4, 6 by any rounding; 7 entries:
    cumulative 1, 1, 2 (0.7 → 1, 2.1 → 2, 4.2 → 4); per band 1, 1, 2; never more
    0, 1, 2."""
    pcts = (rules.first_pct, rules.second_pct, rules.third_pct)
    if rules.award_rounding == "per_band":
        places = [_places(count, pct, "half_up") for pct in pcts]
    elif rules.award_rounding == "never_more":
        places = [_places(count, pct, "down") for pct in pcts]
    else:  # cumulative
        limits = [_places(count, sum(pcts[:i + 1], ZERO), "half_up") for i in range(3)]
        places = [limits[0], limits[1] - limits[0], limits[2] - limits[1]]
    minimum = rules.first_prize_min_entries
    if minimum is not None:
        if count < minimum:
            places[0] = 0
        elif rules.first_pct > 0:
            places[0] = max(places[0], 1)
    room, capped = count, []
    for number in places:
        capped.append(max(0, min(number, room)))
        room -= capped[-1]
    return capped[0], capped[1], capped[2]


def band_limits(count: int, rules: Rules) -> tuple[int, int, int]:
    """The last rank of each award band for ``count`` ranked entries: the places of
    ``band_places`` counted cumulatively."""
    first, second, third = band_places(count, rules)
    return first, first + second, first + second + third


def rank_division(modules: list[ModuleInfo], rules: Rules,
                  results: list[tuple[EntryResult, EntryInput]]) -> None:
    """Ranks (1, 2, 2, 4), awards and titles for one division, in place.

    An entry gets the band its rank falls in, so entries tied across a band's edge
    share the higher band in either tie mode (in ``tie_break`` mode only until the
    chief judge orders them, which ``award_check`` reports)."""
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


@dataclass(frozen=True)
class BandOutcome:
    """One award band of a division: its places (the quota), the entries awarded it and
    the entries tied across its last place — all awarded this band, ``excess`` more
    than the places of the bands up to this one allow."""

    band: str  # "first" | "second" | "third"
    places: int
    awarded: tuple[int, ...]  # entry ids, by rank
    tied: tuple[int, ...] = ()  # entry ids tied across the band's edge; empty: none
    excess: int = 0

    @property
    def overflows(self) -> bool:
        return bool(self.tied)


# The canonical description is kept in ``AwardAcknowledgement.overflow`` (500 characters).
DESCRIPTION_LIMIT = 500


@dataclass(frozen=True)
class AwardCheck:
    """The awards of one division against its quotas (``award_check``)."""

    division_id: int
    ranked: int  # ranked entries
    ties: str  # the event's ``award_ties``
    bands: tuple[BandOutcome, ...]

    @property
    def overflows(self) -> tuple[BandOutcome, ...]:
        return tuple(band for band in self.bands if band.overflows)

    @property
    def description(self) -> str:
        """The overflow, canonically ("" when none): what the chief judge acknowledges
        in ``share`` mode, e.g. ``second 2/4 tied 11,12,13``. A change of places, of the
        entries awarded or of those tied changes it."""
        text = "; ".join(f"{b.band} {b.places}/{len(b.awarded)} tied "
                         + ",".join(str(i) for i in sorted(b.tied)) for b in self.overflows)
        if len(text) > DESCRIPTION_LIMIT:
            digest = hashlib.sha256(text.encode()).hexdigest()
            text = f"{text[:DESCRIPTION_LIMIT - 75]} … sha256 {digest}"
        return text

    @property
    def needs_order(self) -> bool:
        """``tie_break`` mode with entries still tied at an edge: the chief judge must
        order them before the results are published."""
        return self.ties == "tie_break" and bool(self.overflows)

    @property
    def needs_acknowledgement(self) -> bool:
        """``share`` mode with an overflow: the chief judge must acknowledge it."""
        return self.ties != "tie_break" and bool(self.overflows)


def award_check(results: list[EntryResult], rules: Rules,
                division_id: int | None = None) -> AwardCheck:
    """The awards of one ranked division (``rank_division`` done) against its quotas:
    per band its places, the entries awarded and those tied across its edge.

    A band's edge is its last place, counted cumulatively (``band_limits``): when
    more entries rank at or above it than it allows, the entries sharing the rank
    that reaches it are tied across it. They are reported with the band their rank
    gives them (entries tied across two edges, once)."""
    ranked = sorted((r for r in results if r.rank is not None),
                    key=lambda r: (r.rank, r.entry_id))
    if division_id is None:
        division_id = ranked[0].division_id if ranked else 0
    places = band_places(len(ranked), rules)
    limits = band_limits(len(ranked), rules)
    bands = []
    for index, band in enumerate(BANDS):
        limit, previous = limits[index], limits[index - 1] if index else 0
        awarded = tuple(r.entry_id for r in ranked if r.award == band)
        within = [r for r in ranked if r.rank <= limit]
        tied: tuple[int, ...] = ()
        excess = 0
        if limit and len(within) > limit:
            edge_rank = within[-1].rank
            if edge_rank > previous:
                tied = tuple(r.entry_id for r in ranked if r.rank == edge_rank)
                excess = len(within) - limit
        bands.append(BandOutcome(band, places[index], awarded, tied, excess))
    return AwardCheck(division_id=division_id, ranked=len(ranked), ties=rules.award_ties,
                      bands=tuple(bands))


def award_checks(results: list[EntryResult], rules: Rules) -> dict[int, AwardCheck]:
    """``award_check`` of every division of an event's results, by division id."""
    by_division: dict[int, list[EntryResult]] = defaultdict(list)
    for result in results:
        by_division[result.division_id].append(result)
    return {division_id: award_check(group, rules, division_id)
            for division_id, group in by_division.items()}


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
