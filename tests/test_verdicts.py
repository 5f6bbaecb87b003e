import math

import numpy as np
import pytest
from scipy import stats

from banlib.paper.verdicts import (AGREES_TWIN, INCONCLUSIVE, MARGINS, NOT_REPLICATED, NOT_TESTABLE, PLANTED,
                                   REPLICATED, all_greater, equivalence, margins_markdown, mean_sd_equivalence,
                                   newcombe_difference, paired_direction, proportion_equivalence, shown,
                                   spearman_exact, t_interval, welch_difference, wilson_interval)


def test_wilson_interval_has_width_at_zero_and_one():
    lo, hi = wilson_interval(0, 10, 0.95)
    assert lo == 0 and hi == pytest.approx(0.2775, abs=1e-4)           # the textbook value
    lo, hi = wilson_interval(30, 30, 0.95)
    assert hi == pytest.approx(1) and 0.85 < lo < 0.9                   # 100 %: not a zero-width interval
    lo, hi = wilson_interval(1, 1, 0.95)                                 # n = 1
    assert 0 < lo < 1 and hi == pytest.approx(1)


def test_newcombe_difference_matches_newcombe_1998():
    d, lo, hi = newcombe_difference(56, 70, 48, 80, 0.95)                # his example: 0.0524 to 0.3339 (method 10)
    assert d == pytest.approx(0.2) and lo == pytest.approx(0.0524, abs=1e-3) and hi == pytest.approx(0.3339, abs=1e-3)
    d, lo, hi = newcombe_difference(30, 30, 30, 30, 0.90)                # both 100 %: an interval around 0, not a point
    assert d == 0 and lo < -0.05 and hi > 0.05


def test_welch_difference_agrees_with_scipys_test():
    ci = welch_difference(0.20, 0.02, 5, 0.148, 0.023, 5, 0.95)
    p = stats.ttest_ind_from_stats(0.20, 0.02, 5, 0.148, 0.023, 5, equal_var=False).pvalue
    assert ci[0] == pytest.approx(0.052) and (ci[1] > 0) == (p < 0.05)
    ci = welch_difference(0.15, 0.02, 5, 0.148, 0.023, 5, 0.95)
    assert ci[1] < 0 < ci[2]
    assert welch_difference(0.15, 0.0, 5, 0.148, 0.0, 5, 0.95) is None            # sd 0 on both sides: no interval
    assert welch_difference(0.15, 0.02, 1, 0.148, 0.023, 5, 0.95) is None          # n 1: no sd
    assert welch_difference(0.15, 0.0, 5, 0.148, 0.023, 5, 0.95) is not None       # one side's sd 0 is fine


def test_equivalence_has_three_outcomes():
    assert equivalence((0.01, -0.02, 0.04), (0.01, -0.03, 0.05), 0.05).verdict == REPLICATED
    trivial = equivalence((0.02, 0.01, 0.03), (0.02, 0.005, 0.035), 0.05)
    assert trivial.verdict == REPLICATED and "trivially different" in trivial.note
    assert equivalence((0.2, 0.1, 0.3), (0.2, 0.08, 0.32), 0.05).verdict == NOT_REPLICATED
    assert equivalence((0.02, -0.1, 0.14), (0.02, -0.12, 0.16), 0.05).verdict == INCONCLUSIVE
    assert equivalence(None, None, 0.05).verdict == INCONCLUSIVE


def test_a_value_inside_the_old_tolerance_without_equivalence_is_inconclusive():
    # 0.16 against the paper's .40 over 30 clips: the old rule (two binomial SEs, at least .1) said "replicated" for
    # anything within .18; 0.30 is within it, but over 30 trials it is neither equivalent within .15 nor different
    out = proportion_equivalence(0.30, 30, 0.40, 30, MARGINS["proportion"].value)
    assert out.verdict == INCONCLUSIVE and "neither" in out.note
    # a Table II cell 0.01 from the paper's, with the spreads of 5 subjects: no detected difference, not equivalence
    out = mean_sd_equivalence(0.158, 0.05, 5, 0.148, 0.023, 5, MARGINS["table2_cell"].value)
    assert out.verdict == INCONCLUSIVE


def test_proportions_at_zero_and_one():
    assert proportion_equivalence(1.0, 30, 1.0, 30, 0.15).verdict == REPLICATED      # 100 % against 100 %
    assert proportion_equivalence(0.0, 30, 0.0, 30, 0.15).verdict == REPLICATED
    assert proportion_equivalence(0.0, 30, 1.0, 30, 0.15).verdict == NOT_REPLICATED
    assert proportion_equivalence(1.0, 1, 1.0, 30, 0.15).verdict == INCONCLUSIVE      # one trial: too wide
    assert proportion_equivalence(0.5, 0, 0.4, 30, 0.15).verdict == INCONCLUSIVE


def test_mean_sd_edge_cases():
    assert mean_sd_equivalence(0.148, 0.0, 5, 0.148, 0.0, 5, 0.04).verdict == INCONCLUSIVE     # no spread anywhere
    assert "n = 1" in mean_sd_equivalence(0.148, float("nan"), 1, 0.148, 0.023, 5, 0.04).note
    assert mean_sd_equivalence(0.148, 0.005, 5, 0.148, 0.005, 5, 0.04).verdict == REPLICATED
    assert mean_sd_equivalence(0.40, 0.02, 5, 0.148, 0.023, 5, 0.04).verdict == NOT_REPLICATED


def test_paired_direction_and_all_greater():
    up = paired_direction([0.1, 0.12, 0.09, 0.11, 0.1])
    assert up.greater and not up.less and up.n == 5
    flat = paired_direction([0.1, -0.1, 0.05, -0.04])
    assert not flat.greater and not flat.less
    assert paired_direction([0.1]) is None and paired_direction([0.1, 0.1]) is None      # n 1; no spread
    assert all_greater({"x": up, "y": up}, "BAN").verdict == REPLICATED
    assert all_greater({"x": up, "y": flat}).verdict == INCONCLUSIVE
    assert all_greater({"x": up, "y": paired_direction([-0.1, -0.12, -0.09])}).verdict == NOT_REPLICATED
    assert all_greater({"x": up, "y": None}).verdict == INCONCLUSIVE
    assert all_greater({}).verdict == NOT_TESTABLE


def test_t_interval_and_spearman():
    m, lo, hi = t_interval([1.0, 2.0, 3.0], 0.95)
    assert m == 2 and lo == pytest.approx(2 - stats.t.ppf(0.975, 2) / math.sqrt(3))
    assert t_interval([1.0], 0.95) is None and t_interval([2.0, 2.0], 0.95) is None
    rho, p_up, p_down = spearman_exact([1, 2, 3, 4], [10, 20, 30, 40])
    assert rho == pytest.approx(1) and p_up == pytest.approx(1 / 24) and p_down == 1
    rho, p_up, _ = spearman_exact(np.arange(10), np.arange(10))
    assert p_up < 0.001


def test_verdict_words_on_the_twin():
    assert shown(REPLICATED, twin=False) == REPLICATED
    assert shown(REPLICATED, twin=True) == AGREES_TWIN and shown(REPLICATED, twin=True, planted=True) == PLANTED
    assert shown(INCONCLUSIVE, twin=True) == "inconclusive (twin)" and shown(NOT_TESTABLE, twin=True) == NOT_TESTABLE
    assert "replicated" not in shown(NOT_REPLICATED, twin=True)


def test_margins_are_listed_for_the_methods_chapter():
    md = margins_markdown()
    assert all(f"| {name} |" in md for name in MARGINS) and "± 20 %" in md
