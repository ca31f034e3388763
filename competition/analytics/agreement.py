"""How far judges agree: the statistics of the judge analytics, pure (no Flask, no
database, no numpy — plain Python and ``statistics``), so they are tested on tables
computed by hand.

- A judge's deviation on one entry and criterion is their mark less the mean of the
  OTHER judges' marks there: ``x − (S − x) / (n − 1)``, ``S`` the sum and ``n`` the
  number of the panel's marks (``deviation``). The deviations of one entry and
  criterion add up to 0, so a panel's deviations on a criterion have mean 0.
- A judge's severity (negative) or leniency (positive) is the mean of their
  deviations; their consistency the standard deviation of them (the sample standard
  deviation, n − 1 in the denominator): a judge who is always 2 points lower is severe
  but consistent; one who is 5 points higher here and 5 lower there is erratic
  (``Summary``, built from a count, a sum and a sum of squares).
- The panel's agreement over the entries' totals, one column per judge: Kendall's
  coefficient of concordance W, corrected for ties (``kendalls_w``), and the
  intraclass correlation ICC(2,1) of Shrout and Fleiss (``icc_2_1``). W compares
  the judges' orders of the entries only; ICC(2,1) their totals themselves, so a
  judge who orders the entries as the others do but marks them all lower lowers ICC,
  not W.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass


def deviation(mark: float, panel_sum: float, panel_count: int) -> float | None:
    """The mark less the mean of the other judges' marks on the same entry and criterion:
    ``mark − (panel_sum − mark) / (panel_count − 1)``; None without another judge."""
    if panel_count < 2:
        return None
    return mark - (panel_sum - mark) / (panel_count - 1)


@dataclass(frozen=True)
class Summary:
    """Values known by their count, sum and sum of squares: their mean and their sample
    standard deviation, ``√((Σx² − (Σx)²/n) / (n − 1))``."""

    count: int
    total: float
    squares: float

    @property
    def mean(self) -> float | None:
        return self.total / self.count if self.count else None

    @property
    def sd(self) -> float | None:
        if self.count < 2:
            return None
        # Rounding may leave a tiny negative where the values are all equal.
        return math.sqrt(max(0.0, (self.squares - self.total ** 2 / self.count)
                             / (self.count - 1)))

    def __add__(self, other: Summary) -> Summary:
        return Summary(self.count + other.count, self.total + other.total,
                       self.squares + other.squares)

    def scaled(self, factor: float) -> Summary:
        """The same values each multiplied by ``factor`` (e.g. 1 / the criterion's maximum)."""
        return Summary(self.count, self.total * factor, self.squares * factor * factor)


def summary(values: Sequence[float]) -> Summary:
    return Summary(len(values), sum(values), sum(v * v for v in values))


def average_ranks(values: Sequence[float]) -> list[float]:
    """Ranks 1..n of the values, lowest first; tied values share the mean of the ranks
    they take (2 and 3 tied are both 2.5)."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for position in range(start, end + 1):
            ranks[order[position]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def tie_sum(values: Sequence[float]) -> int:
    """Σ (t³ − t) over the groups of ``t`` tied values: one judge's ``T`` of Kendall's W."""
    return sum(t ** 3 - t for t in Counter(values).values() if t > 1)


@dataclass(frozen=True)
class KendallW:
    """Kendall's W of ``m`` judges ranking ``n`` entries, with what it is made of."""

    w: float
    m: int  # judges
    n: int  # entries
    s: float  # Σ (R_i − R̄)², R_i the sum of the ranks of entry i
    ties: int  # Σ over the judges of Σ (t³ − t)

    @property
    def chi_square(self) -> float:
        """``m (n − 1) W``, about χ² with n − 1 degrees of freedom for n > 7."""
        return self.m * (self.n - 1) * self.w


def kendalls_w(table: Sequence[Sequence[float]]) -> KendallW | None:
    """Kendall's coefficient of concordance W, with the correction for ties, of a table
    with one row per entry and one column per judge (every cell filled).

    Each judge's column is ranked (ties take their mean rank, ``average_ranks``);
    ``R_i`` is the sum of entry i's ranks, ``S = Σ (R_i − m(n + 1)/2)²`` and

        W = 12 S / (m² (n³ − n) − m Σ_j T_j),   T_j = Σ (t³ − t) over judge j's ties

    (Kendall & Babington Smith 1939, "The problem of m rankings", Ann. Math. Statist.
    10(3):275–287; the tie correction as in Siegel & Castellan 1988, Nonparametric
    Statistics for the Behavioral Sciences, 2nd ed., §9.4, eq. 9.16). 0: no agreement,
    1: every judge orders the entries alike. None with fewer than 2 entries or 2 judges,
    or when every judge ties every entry (the denominator is 0).
    """
    n = len(table)
    m = len(table[0]) if n else 0
    if n < 2 or m < 2:
        return None
    columns = [[row[j] for row in table] for j in range(m)]
    ranks = [average_ranks(column) for column in columns]
    sums = [sum(ranks[j][i] for j in range(m)) for i in range(n)]
    mean = m * (n + 1) / 2
    s = sum((r - mean) ** 2 for r in sums)
    ties = sum(tie_sum(column) for column in columns)
    denominator = m * m * (n ** 3 - n) - m * ties
    if denominator <= 0:
        return None
    return KendallW(w=12 * s / denominator, m=m, n=n, s=s, ties=ties)


@dataclass(frozen=True)
class ICC:
    """ICC(2,1) with the mean squares of its two-way analysis of variance."""

    value: float
    n: int  # entries (targets)
    k: int  # judges
    bms: float  # between targets (rows)
    jms: float  # between judges (columns)
    ems: float  # residual


def icc_2_1(table: Sequence[Sequence[float]]) -> ICC | None:
    """The intraclass correlation ICC(2,1) — two-way random effects, absolute agreement,
    one judge — of a table with one row per entry and one column per judge:

        ICC(2,1) = (BMS − EMS) / (BMS + (k − 1) EMS + k (JMS − EMS) / n)

    with ``BMS`` the rows' mean square (k Σ (row mean − grand mean)² / (n − 1)), ``JMS``
    the columns' (n Σ (column mean − grand mean)² / (k − 1)) and ``EMS`` the residual
    mean square (total sum of squares less the rows' and columns', over (n − 1)(k − 1))
    (Shrout & Fleiss 1979, "Intraclass correlations: uses in assessing rater
    reliability", Psychological Bulletin 86(2):420–428, Table 1 case 2; their 6 × 4
    example gives 0.29). None with fewer than 2 entries or 2 judges, or when every
    cell is equal.
    """
    n = len(table)
    k = len(table[0]) if n else 0
    if n < 2 or k < 2:
        return None
    grand = sum(sum(row) for row in table) / (n * k)
    row_means = [sum(row) / k for row in table]
    column_means = [sum(row[j] for row in table) / n for j in range(k)]
    rows_ss = k * sum((mean - grand) ** 2 for mean in row_means)
    columns_ss = n * sum((mean - grand) ** 2 for mean in column_means)
    total_ss = sum((value - grand) ** 2 for row in table for value in row)
    error_ss = max(0.0, total_ss - rows_ss - columns_ss)
    bms = rows_ss / (n - 1)
    jms = columns_ss / (k - 1)
    ems = error_ss / ((n - 1) * (k - 1))
    denominator = bms + (k - 1) * ems + k * (jms - ems) / n
    if denominator <= 0:
        return None
    return ICC(value=(bms - ems) / denominator, n=n, k=k, bms=bms, jms=jms, ems=ems)


# How an ICC reads (Koo & Li 2016, "A guideline of selecting and reporting intraclass
# correlation coefficients for reliability research", J. Chiropr. Med. 15(2):155–163):
# below 0.5 poor, 0.5 to 0.75 moderate, 0.75 to 0.9 good, above 0.9 excellent.
ICC_BANDS = ((0.5, "poor"), (0.75, "moderate"), (0.9, "good"))


def icc_band(value: float) -> str:
    """"poor", "moderate", "good" or "excellent" (Koo & Li 2016)."""
    for limit, band in ICC_BANDS:
        if value < limit:
            return band
    return "excellent"
