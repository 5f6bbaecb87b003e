"""The paper's numeric claims, and how a number of ours is judged against one of theirs.

Numbers are transcribed from arXiv 2502.15503 (Table II; Section V-E). Verdicts:

* ``replicated``: our mean is within ``z`` standard errors of theirs, the standard error of
  the difference of two means over ``n`` subjects, sqrt((sd_paper^2 + sd_ours^2) / n);
  for a single number without spread, within ``tolerance`` (absolute);
* ``not replicated``: outside that;
* ``not testable``: we have no value (with the reason kept beside it).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..analyses.table2 import MODELS
from ..data.atlas import TABLE2_ROIS

# Table II: encoding accuracy (Pearson r on test runs), mean and sd over the 5 subjects
PAPER_TABLE2 = {
    "L.HG": {"genre": (0.148, 0.023), "MFCC": (0.091, 0.031), "BAN": (0.102, 0.029)},
    "L.HS": {"genre": (0.219, 0.079), "MFCC": (0.102, 0.039), "BAN": (0.171, 0.063)},
    "L.PT": {"genre": (0.127, 0.029), "MFCC": (0.057, 0.018), "BAN": (0.117, 0.039)},
    "L.LSTG": {"genre": (0.081, 0.011), "MFCC": (0.032, 0.008), "BAN": (0.082, 0.013)},
    "R.HG": {"genre": (0.154, 0.021), "MFCC": (0.103, 0.018), "BAN": (0.124, 0.032)},
    "R.HS": {"genre": (0.199, 0.036), "MFCC": (0.108, 0.047), "BAN": (0.146, 0.032)},
    "R.PT": {"genre": (0.117, 0.041), "MFCC": (0.061, 0.022), "BAN": (0.091, 0.045)},
    "R.LSTG": {"genre": (0.103, 0.018), "MFCC": (0.048, 0.011), "BAN": (0.102, 0.021)},
}

REPLICATED, NOT_REPLICATED, NOT_TESTABLE = "replicated", "not replicated", "not testable"


def verdict_mean_sd(ours_mean, ours_sd, paper_mean, paper_sd, n: int = 5, z: float = 2.0) -> tuple[str, float]:
    """(verdict, tolerance) for a mean ± sd over ``n`` subjects against the paper's."""
    if ours_mean is None or not math.isfinite(ours_mean):
        return NOT_TESTABLE, float("nan")
    sd = ours_sd if ours_sd is not None and math.isfinite(ours_sd) else 0.0
    tol = z * math.sqrt((paper_sd ** 2 + sd ** 2) / n)
    return (REPLICATED if abs(ours_mean - paper_mean) <= tol else NOT_REPLICATED), tol


def verdict_value(ours, paper, tolerance: float) -> str:
    if ours is None or (isinstance(ours, float) and not math.isfinite(ours)):
        return NOT_TESTABLE
    return REPLICATED if abs(ours - paper) <= tolerance else NOT_REPLICATED


def compare_with_paper(summary: pd.DataFrame, n_subjects: int, models=MODELS) -> pd.DataFrame:
    """Long table: roi, model, ours (mean, sd), paper (mean, sd), difference, tolerance, verdict."""
    rows = []
    for roi in TABLE2_ROIS:
        for m in models:
            pm, ps = PAPER_TABLE2[roi][m]
            om, osd = (float(summary.loc[roi, f"{m} mean"]), float(summary.loc[roi, f"{m} sd"])) \
                if roi in summary.index else (float("nan"), float("nan"))
            verdict, tol = verdict_mean_sd(om, osd, pm, ps, n=n_subjects)
            rows.append({"roi": roi, "model": m, "ours": om, "ours sd": osd, "paper": pm, "paper sd": ps,
                         "difference": om - pm, "tolerance": tol, "verdict": verdict})
    return pd.DataFrame(rows)


def ranking_agreement(summary: pd.DataFrame, models=MODELS) -> float:
    """Share of labels in which our order of the models equals the paper's."""
    same = []
    for roi in TABLE2_ROIS:
        ours = summary.loc[roi, [f"{m} mean" for m in models]].to_numpy(float)
        if not np.isfinite(ours).all():
            continue
        paper = np.array([PAPER_TABLE2[roi][m][0] for m in models])
        same.append(list(np.argsort(-ours)) == list(np.argsort(-paper)))
    return float(np.mean(same)) if same else float("nan")
