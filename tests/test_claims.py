import math

from banlib.paper.claims import NOT_REPLICATED, NOT_TESTABLE, PAPER_TABLE2, REPLICATED, verdict_mean_sd, verdict_value


def test_paper_table2_as_transcribed():
    assert len(PAPER_TABLE2) == 8 and PAPER_TABLE2["L.HS"]["genre"] == (0.219, 0.079)
    assert PAPER_TABLE2["R.LSTG"]["BAN"] == (0.102, 0.021)


def test_verdicts():
    v, tol = verdict_mean_sd(0.15, 0.02, 0.148, 0.023, n=5)
    assert v == REPLICATED and tol == 2 * math.sqrt((0.023 ** 2 + 0.02 ** 2) / 5)
    assert verdict_mean_sd(0.45, 0.02, 0.148, 0.023)[0] == NOT_REPLICATED
    assert verdict_mean_sd(float("nan"), float("nan"), 0.148, 0.023)[0] == NOT_TESTABLE
    assert verdict_value(540, 540, 0) == REPLICATED and verdict_value(None, 1, 1) == NOT_TESTABLE
