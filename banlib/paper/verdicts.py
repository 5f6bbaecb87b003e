"""How a number of ours is judged against one of the paper's.

* ``replicated``: within the tolerance the rule states (for a mean ± sd over ``n`` subjects: within
  ``z`` standard errors of the difference of two means, sqrt((sd_paper² + sd_ours²) / n));
* ``not replicated``: outside it;
* ``not testable``: we have no value (the reason is kept beside the verdict).
"""
from __future__ import annotations

import math

REPLICATED, NOT_REPLICATED, NOT_TESTABLE = "replicated", "not replicated", "not testable"
VERDICTS = (REPLICATED, NOT_REPLICATED, NOT_TESTABLE)


def missing(value) -> bool:
    """No value, or a number that is not finite."""
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def verdict_mean_sd(ours_mean, ours_sd, paper_mean, paper_sd, n: int = 5, z: float = 2.0) -> tuple[str, float]:
    """``(verdict, tolerance)`` for a mean ± sd over ``n`` subjects against the paper's."""
    if missing(ours_mean):
        return NOT_TESTABLE, float("nan")
    sd = 0.0 if missing(ours_sd) else ours_sd
    tol = z * math.sqrt((paper_sd ** 2 + sd ** 2) / n)
    return (REPLICATED if abs(ours_mean - paper_mean) <= tol else NOT_REPLICATED), tol


def verdict_value(ours, paper, tolerance: float) -> str:
    """Verdict for one number against the paper's, within an absolute ``tolerance``."""
    if missing(ours):
        return NOT_TESTABLE
    return REPLICATED if abs(ours - paper) <= tolerance else NOT_REPLICATED


def proportion_tolerance(p: float, n: int) -> float:
    """Two binomial standard errors of a proportion ``p`` over ``n`` trials, at least 0.1."""
    return max(2 * math.sqrt(p * (1 - p) / n), 0.1)
