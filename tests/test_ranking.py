"""The results engine against hand-computed cases, and its invariants."""

from decimal import Decimal as D  # noqa: N817 — short in tables of cases

import pytest
from hypothesis import given
from hypothesis import strategies as st

from competition.results.ranking import (
    CriterionInfo,
    EntryInput,
    JudgeMark,
    ModuleInfo,
    Rules,
    aggregate,
    band_limits,
    compute,
    median_scaled,
    z_scores,
)


@pytest.mark.parametrize("values, method, k, expected", [
    (["7", "8", "9"], "mean", 1, "8"),
    (["5", "7", "8", "9", "10"], "trimmed_mean", 1, "8"),       # middle three: 7, 8, 9
    (["6", "9", "7"], "trimmed_mean", 1, "7"),                  # 3 judges: the middle one
    (["1", "2", "3", "4", "5", "6", "100"], "trimmed_mean", 2, "4"),
    (["4", "8"], "trimmed_mean", 1, "6"),                        # too few: the median
    (["3", "1", "2", "10"], "median", 1, "2.5"),
    (["6.6667", "10", "3.3333"], "worldskills", 1, "6.6667"),    # (2+3+1)/3/3 × 10
    ([], "mean", 1, "0"),
])
def test_aggregation_methods(values, method, k, expected):
    assert aggregate([D(v) for v in values], method, k).quantize(D("0.0001")) == D(expected)


THEORY = ModuleInfo(id=1, code="T", kind="theory", weight=D(30))
PRACTICAL = ModuleInfo(id=2, code="A", kind="practical", weight=D(70), max_score=D(20),
                       criteria=(CriterionInfo(11, D(10), "judgement"),
                                 CriterionInfo(12, D(10), "measurement")))
MODULES = [THEORY, PRACTICAL]


def entry(entry_id, theory, judgement, measured="10", division=1, **kw):
    marks = [JudgeMark(j, 11, D(v)) for j, v in enumerate(judgement, start=1)]
    marks.append(JudgeMark(1, 12, D(measured)))
    return EntryInput(entry_id=entry_id, division_id=division, marks=marks,
                      external={1: D(theory)}, **kw)


def test_a_total_computed_by_hand():
    # Practical: trimmed mean of 6, 8, 9 → 8; plus 10 → 18 of 20 → 90. Total 0.3×80 + 0.7×90.
    [result] = compute(MODULES, Rules(aggregation="trimmed_mean"),
                       [entry(1, "80", ["6", "8", "9"])])
    assert result.module_scores == {1: D(80), 2: D(90)}
    assert result.total == D("87.00") and result.rank == 1


def test_penalties_come_off_the_module_or_the_total():
    [result] = compute(MODULES, Rules(), [entry(1, "80", ["8"], penalties=[(2, D(2)),
                                                                          (None, D("1.5"))])])
    # Module A: 18 − 2 = 16 of 20 → 80; total 0.3×80 + 0.7×80 − 1.5 = 78.5.
    assert result.module_scores[2] == D(80) and result.total == D("78.50")


def test_decimals_are_published_half_up_and_ties_broken_by_more_decimals():
    rules = Rules(decimals=1, tie_break=("more_decimals",))
    a = entry(1, "81.17", ["8"])   # 0.3×81.17 + 63 = 87.351 → 87.4
    b = entry(2, "81.2", ["8"])    # 87.36 → 87.4, ahead on more decimals
    c = entry(3, "81.0", ["8"])    # 87.3
    d = entry(4, "81.0", ["8"])    # 87.3
    results = {r.entry_id: r for r in compute(MODULES, rules, [a, b, c, d])}
    assert results[1].total == results[2].total == D("87.4")
    assert [results[i].rank for i in (2, 1, 3, 4)] == [1, 2, 3, 3]
    plain = {r.entry_id: r for r in compute(MODULES, Rules(decimals=1, tie_break=()),
                                            [a, b, c, d])}
    assert plain[1].rank == plain[2].rank == 1


def test_standard_competition_ranking_with_the_practical_then_the_chief_judge():
    rules = Rules(tie_break=("practical", "chief_judge"))
    # Equal totals 87: one stronger in practice, two identical in everything.
    a = entry(1, "80", ["8"])                      # 24 + 63 = 87
    b = entry(2, "90", ["7", "7"], measured="10")  # 27 + 0.7×85 = 86.5
    c = entry(3, "80", ["8"], chief_order=2)
    d = entry(4, "80", ["8"], chief_order=1)
    e = entry(5, "70", ["9"])                      # 21 + 66.5 = 87.5
    results = {r.entry_id: r for r in compute(MODULES, rules, [a, b, c, d, e])}
    assert results[5].rank == 1
    assert results[4].rank == 2 and results[3].rank == 3 and results[1].rank == 4
    assert results[2].rank == 5


def test_ties_share_a_rank_and_the_next_rank_is_skipped():
    results = compute(MODULES, Rules(tie_break=()), [entry(1, "90", ["8"]),
                                                     entry(2, "80", ["8"]),
                                                     entry(3, "80", ["8"]),
                                                     entry(4, "70", ["8"])])
    assert [r.rank for r in results] == [1, 2, 2, 4]


@pytest.mark.parametrize("count, limits", [(10, (1, 3, 6)), (14, (1, 4, 8)), (5, (1, 2, 3)),
                                           (1, (0, 0, 1)), (0, (0, 0, 0))])
def test_award_bands_are_cumulative_and_rounded_half_up(count, limits):
    assert band_limits(count, Rules()) == limits


def test_awards_titles_and_divisions_are_ranked_separately():
    rules = Rules(title_top_n=2)
    workers = [entry(i, str(60 + i), ["8"], division=1) for i in range(1, 11)]
    students = [entry(100 + i, str(60 + i), ["8"], division=2) for i in range(1, 4)]
    absent = entry(200, "0", [], division=1, ranked=False)
    results = {r.entry_id: r for r in compute(MODULES, rules, workers + students + [absent])}
    assert [results[i].award for i in range(10, 0, -1)] == (
        ["first"] + ["second"] * 2 + ["third"] * 3 + [None] * 4)
    assert results[10].has_title and results[9].has_title and not results[8].has_title
    assert results[103].rank == 1 and results[101].rank == 3
    assert results[200].rank is None and results[200].award is None


def test_standardised_scores():
    z = z_scores({1: D(70), 2: D(80), 3: D(90)})
    assert z[2] == 0 and z[1] == -z[3]
    assert median_scaled({1: D(60), 2: D(80), 3: D(100)}, D(75)) == {
        1: D("56.25"), 2: D("75.00"), 3: D("93.75")}


# --- Invariants ----------------------------------------------------------------------

marks_st = st.lists(st.decimals(min_value=0, max_value=10, places=2), min_size=1, max_size=7)


@given(marks_st, st.sampled_from(["mean", "trimmed_mean", "median", "worldskills"]),
       st.randoms())
def test_the_order_of_judges_does_not_matter(values, method, rnd):
    shuffled = list(values)
    rnd.shuffle(shuffled)
    assert aggregate(values, method, 1) == aggregate(shuffled, method, 1)


@given(marks_st, st.sampled_from(["mean", "trimmed_mean", "median"]))
def test_an_aggregate_lies_within_the_marks(values, method):
    assert min(values) <= aggregate(values, method, 1) <= max(values)


contestants_st = st.lists(
    st.tuples(st.decimals(min_value=0, max_value=100, places=1),
              st.lists(st.decimals(min_value=0, max_value=10, places=1), min_size=3,
                       max_size=3)),
    min_size=1, max_size=12)


@given(contestants_st)
def test_ranks_follow_the_1_2_2_4_pattern(contestants):
    entries = [entry(i, str(t), [str(v) for v in js]) for i, (t, js) in enumerate(contestants)]
    results = sorted(compute(MODULES, Rules(tie_break=()), entries), key=lambda r: r.rank)
    assert results[0].rank == 1
    for position, result in enumerate(results, start=1):
        same = [r for r in results if r.total == result.total]
        assert result.rank == min(position for position, r in enumerate(results, start=1)
                                  if r.total == result.total)
        assert all(r.rank == result.rank for r in same)
    assert max(r.rank for r in results) <= len(results)


@given(contestants_st, st.integers(min_value=0, max_value=11),
       st.decimals(min_value=0, max_value=5, places=1))
def test_raising_a_mark_never_lowers_the_rank(contestants, who, raise_by):
    who = who % len(contestants)
    entries = [entry(i, str(t), [str(v) for v in js]) for i, (t, js) in enumerate(contestants)]
    before = {r.entry_id: r.rank for r in compute(MODULES, Rules(), entries)}
    theory, judges = contestants[who]
    higher = [str(min(D(10), judges[0] + raise_by))] + [str(v) for v in judges[1:]]
    entries[who] = entry(who, str(theory), higher)
    after = {r.entry_id: r.rank for r in compute(MODULES, Rules(), entries)}
    assert after[who] <= before[who]
