import math

from banlib.paper.verdicts import (NOT_REPLICATED, NOT_TESTABLE, REPLICATED, proportion_tolerance, verdict_mean_sd,
                                   verdict_value)


def test_mean_sd_verdicts():
    v, tol = verdict_mean_sd(0.15, 0.02, 0.148, 0.023, n=5)
    assert v == REPLICATED and tol == 2 * math.sqrt((0.023 ** 2 + 0.02 ** 2) / 5)
    assert verdict_mean_sd(0.45, 0.02, 0.148, 0.023)[0] == NOT_REPLICATED
    assert verdict_mean_sd(float("nan"), float("nan"), 0.148, 0.023)[0] == NOT_TESTABLE


def test_value_verdicts():
    assert verdict_value(540, 540, 0) == REPLICATED and verdict_value(None, 1, 1) == NOT_TESTABLE
    assert verdict_value(541, 540, 0) == NOT_REPLICATED


def test_proportion_tolerance():
    assert proportion_tolerance(0.4, 30) == 2 * math.sqrt(0.4 * 0.6 / 30)
    assert proportion_tolerance(1.0, 30) == 0.1
