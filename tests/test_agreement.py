"""The statistics of the judge analytics (``analytics.agreement``), against values
computed by hand on small tables, each step written out."""

import math

import pytest

from competition.analytics.agreement import (
    Summary,
    average_ranks,
    deviation,
    icc_2_1,
    icc_band,
    kendalls_w,
    summary,
    tie_sum,
)

# Shrout & Fleiss (1979), Table 2: six targets (rows) rated by four judges (columns).
SHROUT_FLEISS = [
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
]


def test_deviation_is_the_mark_less_the_mean_of_the_other_judges():
    # Marks 7, 5, 6 on one entry and criterion: S = 18, n = 3.
    # 7 − (18 − 7)/2 = 7 − 5.5 = 1.5; 5 − 13/2 = −1.5; 6 − 12/2 = 0.
    assert deviation(7, 18, 3) == 1.5
    assert deviation(5, 18, 3) == -1.5
    assert deviation(6, 18, 3) == 0
    # The deviations of one entry and criterion add up to 0.
    assert deviation(7, 18, 3) + deviation(5, 18, 3) + deviation(6, 18, 3) == 0
    # Two judges: each is the other's distance; one judge alone has none.
    assert deviation(8, 14, 2) == 2 and deviation(6, 14, 2) == -2
    assert deviation(8, 8, 1) is None


def test_summary_mean_and_sample_standard_deviation():
    # 1.5, −0.5, 2.0: n = 3, Σx = 3.0, Σx² = 2.25 + 0.25 + 4 = 6.5, mean = 1.0,
    # variance = (6.5 − 3.0²/3) / 2 = (6.5 − 3) / 2 = 1.75, SD = √1.75 = 1.3229.
    found = summary([1.5, -0.5, 2.0])
    assert found == Summary(3, 3.0, 6.5)
    assert found.mean == 1.0
    assert found.sd == pytest.approx(math.sqrt(1.75))
    # Scaled by 1/10 (a criterion's maximum of 10): mean 0.1, SD a tenth.
    assert found.scaled(0.1).mean == pytest.approx(0.1)
    assert found.scaled(0.1).sd == pytest.approx(math.sqrt(1.75) / 10)
    # Two summaries add up to the summary of all the values.
    assert summary([1.5]) + summary([-0.5, 2.0]) == found
    # One value has a mean but no standard deviation; none has neither.
    assert summary([4.0]).sd is None and summary([]).mean is None
    assert summary([2.0, 2.0, 2.0]).sd == 0


def test_average_ranks_share_the_ranks_of_ties():
    assert average_ranks([9, 6, 8, 7, 10, 6]) == [5, 1.5, 4, 3, 6, 1.5]
    assert average_ranks([2, 1, 4, 1, 5, 2]) == [3.5, 1.5, 5, 1.5, 6, 3.5]
    # Three tied at the bottom share ranks 1, 2, 3.
    assert average_ranks([3, 3, 3, 5]) == [2, 2, 2, 4]
    assert tie_sum([2, 1, 4, 1, 5, 2]) == 6 + 6  # two pairs: 2 × (2³ − 2)
    assert tie_sum([3, 3, 3, 5]) == 24  # 3³ − 3


def test_kendalls_w_of_the_shrout_fleiss_table_with_ties():
    # Each judge's column ranked, ties sharing their mean rank:
    #   judge 1: 9 6 8 7 10 6 → 5   1.5 4   3   6   1.5   (one pair tied: T = 6)
    #   judge 2: 2 1 4 1 5 2  → 3.5 1.5 5   1.5 6   3.5   (two pairs: T = 12)
    #   judge 3: 5 3 6 2 6 4  → 4   2   5.5 1   5.5 3     (one pair: T = 6)
    #   judge 4: 8 2 8 6 9 7  → 4.5 1   4.5 2   6   3     (one pair: T = 6)
    # Rank sums R = 17, 6, 19, 7.5, 23.5, 11 (they add up to m n (n + 1)/2 = 84);
    # mean R = 14; deviations 3, −8, 5, −6.5, 9.5, −3;
    # S = 9 + 64 + 25 + 42.25 + 90.25 + 9 = 239.5.
    # Ties: Σ T = 6 + 12 + 6 + 6 = 30.
    # W = 12 S / (m² (n³ − n) − m Σ T) = 2874 / (16 × 210 − 4 × 30) = 2874 / 3240.
    found = kendalls_w(SHROUT_FLEISS)
    assert (found.m, found.n) == (4, 6)
    assert found.s == 239.5
    assert found.ties == 30
    assert found.w == pytest.approx(2874 / 3240)
    assert round(found.w, 4) == 0.8870
    # Without the correction it would be 2874 / 3360 = 0.8554: the ties raise W.
    assert found.w > 2874 / 3360
    # χ² = m (n − 1) W = 4 × 5 × 0.8870 = 17.74.
    assert found.chi_square == pytest.approx(20 * 2874 / 3240)


def test_kendalls_w_is_one_for_the_same_order_and_zero_for_opposite_orders():
    assert kendalls_w([[1, 10], [2, 20], [3, 30]]).w == pytest.approx(1)
    # Two judges in opposite orders: R = 4, 4, 4, S = 0.
    assert kendalls_w([[1, 3], [2, 2], [3, 1]]).w == 0
    # Too small, or every entry tied for every judge: no W.
    assert kendalls_w([[1, 2]]) is None
    assert kendalls_w([[5], [6]]) is None
    assert kendalls_w([[5, 5], [5, 5]]) is None


def test_icc_2_1_of_the_shrout_fleiss_example_is_0_29():
    # n = 6 entries, k = 4 judges. Grand total T = 127, correction C = T²/nk = 16129/24
    # = 672.0417. Row sums 24, 12, 26, 16, 30, 19; column sums 46, 15, 26, 40; Σx² = 841.
    # Rows:  SS = (24² + 12² + 26² + 16² + 30² + 19²)/4 − C = 2913/4 − C = 56.2083,
    #        BMS = 56.2083 / (n − 1) = 11.2417.
    # Judges: SS = (46² + 15² + 26² + 40²)/6 − C = 4617/6 − C = 97.4583,
    #        JMS = 97.4583 / (k − 1) = 32.4861.
    # Total: SS = 841 − C = 168.9583; residual SS = 168.9583 − 56.2083 − 97.4583
    #        = 15.2917, EMS = 15.2917 / ((n − 1)(k − 1)) = 15.2917 / 15 = 1.0194.
    # (The paper's Table 3: BMS 11.24, JMS 32.49, EMS 1.02.)
    # ICC(2,1) = (BMS − EMS) / (BMS + (k − 1) EMS + k (JMS − EMS)/n)
    #          = 10.2222 / (11.2417 + 3.0583 + 4 × 31.4667 / 6)
    #          = 10.2222 / (11.2417 + 3.0583 + 20.9778) = 10.2222 / 35.2778 = 0.2898.
    found = icc_2_1(SHROUT_FLEISS)
    assert (found.n, found.k) == (6, 4)
    assert found.bms == pytest.approx((2913 / 4 - 16129 / 24) / 5)
    assert found.jms == pytest.approx((4617 / 6 - 16129 / 24) / 3)
    assert found.ems == pytest.approx(15.291667 / 15, abs=1e-6)
    assert round(found.bms, 2) == 11.24 and round(found.jms, 2) == 32.49
    assert round(found.ems, 2) == 1.02
    assert found.value == pytest.approx(10.2222 / 35.2778, abs=1e-4)
    assert round(found.value, 2) == 0.29
    assert icc_band(found.value) == "poor"


def test_icc_2_1_counts_a_judge_who_marks_everyone_higher():
    # Judges who agree exactly: 1.
    assert icc_2_1([[1, 1], [2, 2], [4, 4]]).value == pytest.approx(1)
    # The second judge always 10 higher: the same order (W = 1), but ICC(2,1) measures
    # absolute agreement. Row means 6, 7, 9, grand mean 22/3 = 7.3333:
    # BMS = 2 × ((−4/3)² + (−1/3)² + (5/3)²) / 2 = 42/9 = 4.6667;
    # column means 7/3 and 37/3: JMS = 3 × (5² + 5²) / 1 = 150;
    # the columns differ by a constant, so EMS = 0;
    # ICC(2,1) = 4.6667 / (4.6667 + 0 + 2 × 150 / 3) = 4.6667 / 104.6667 = 0.0446.
    shifted = [[1, 11], [2, 12], [4, 14]]
    assert kendalls_w(shifted).w == pytest.approx(1)
    found = icc_2_1(shifted)
    assert found.bms == pytest.approx(42 / 9)
    assert found.jms == pytest.approx(150)
    assert found.ems == pytest.approx(0, abs=1e-9)
    assert found.value == pytest.approx((42 / 9) / (42 / 9 + 100))
    assert round(found.value, 4) == 0.0446
    assert icc_2_1([[3, 3], [3, 3]]) is None
    assert icc_2_1([[1, 2, 3]]) is None


@pytest.mark.parametrize(("value", "band"), [
    (0.2, "poor"), (0.5, "moderate"), (0.74, "moderate"), (0.75, "good"), (0.9, "excellent"),
])
def test_icc_bands_of_koo_and_li(value, band):
    assert icc_band(value) == band
