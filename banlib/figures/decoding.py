"""Figures of the decoding and BAS chapter: confusion matrices (Fig. 4), cortical scores, the BAS."""
from __future__ import annotations

import numpy as np

from ..config import GENRES
from .common import heatmap


def subject_confusions(decoded: dict):
    """Every subject's decoded-genre confusion matrix in one row (``{subject: Decoded}``)."""
    import matplotlib.pyplot as plt

    n = len(decoded)
    fig, axes = plt.subplots(1, n, figsize=(3.3 * n, 3.6))
    for ax, (sub, d) in zip(np.atleast_1d(axes), decoded.items()):
        heatmap(ax, d.confusion, GENRES, f"{sub} (acc {d.accuracy:.2f})", vmax=1)
        ax.set_xlabel("decoded")
        ax.set_ylabel("true")
        ax.tick_params(labelsize=6)
    fig.tight_layout()
    return fig


def one_confusion(matrix: np.ndarray, title: str, xlabel: str = "decoded"):
    """One confusion matrix (array of shape (10, 10), rows = true genre) as a citable figure."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    heatmap(ax, matrix, GENRES, title, vmax=1)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("true")
    return fig


def panels(matrices: dict):
    """Confusion matrices side by side (``{title: matrix}``; None entries are left out)."""
    import matplotlib.pyplot as plt

    shown = [(t, m) for t, m in matrices.items() if m is not None]
    fig, axes = plt.subplots(1, len(shown), figsize=(4.4 * len(shown), 4.2))
    for ax, (title, m) in zip(np.atleast_1d(axes), shown):
        heatmap(ax, m, GENRES, title, vmax=1)
        ax.set_xlabel("chosen / decoded")
        ax.set_ylabel("true")
    fig.tight_layout()
    return fig


def cortical_per_area(cortical):
    """Median r over ROI voxels per area and network (mean ± sd over subjects); ``cortical`` as in
    :func:`banlib.analyses.bas.score_networks`."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.4))
    table = cortical.groupby(["area", "network"], sort=False).median_r.agg(["mean", "std"]).unstack("network")
    table["mean"].plot.bar(yerr=table["std"], ax=ax, capsize=2, rot=0)
    ax.set_ylabel("median r over ROI voxels\n(mean ± sd over subjects)")
    ax.set_xlabel("area")
    ax.legend(fontsize=8)
    return fig


def bas_bars(bas):
    """Cortical, behavioural and BAS per network (mean ± sd over training seeds and subjects)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    parts = bas.groupby("network", sort=False)[["cortical", "behavioural", "bas"]].agg(["mean", "std"])
    parts.xs("mean", axis=1, level=1).plot.bar(yerr=parts.xs("std", axis=1, level=1), ax=ax, capsize=2, rot=0)
    ax.set_ylabel("score (mean ± sd, seeds × subjects)")
    ax.legend(fontsize=8)
    return fig
