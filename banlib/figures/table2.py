"""Figures of the Table II chapter: encoding accuracy per label and model, the genre-map components."""
from __future__ import annotations

import numpy as np

from ..config import GENRES
from ..paper.values import PAPER_TABLE2, TABLE2_MODELS


def models_per_roi(summary):
    """Mean r in ROI voxels per label and model (mean ± sd over subjects), the paper's means as ticks."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 3.6))
    x = np.arange(len(summary))
    for i, m in enumerate(TABLE2_MODELS):
        ax.bar(x + (i - 1) * 0.27, summary[f"{m} mean"], 0.27, yerr=summary[f"{m} sd"], capsize=2,
               label=f"{m} (this run)", color=f"C{i}")
        ax.scatter(x + (i - 1) * 0.27, [PAPER_TABLE2[r][m][0] for r in summary.index], marker="_", s=120,
                   color="k", zorder=3, label="paper" if i == 0 else None)
    ax.set_xticks(x, summary.index)
    ax.set_ylabel("mean r in ROI voxels\n(mean ± sd over subjects)")
    ax.legend(fontsize=7, ncol=4)
    return fig


def loadings(pca: dict, n_voxels: int, n_subjects: int):
    """Heat map of the components' loadings per genre, titled with the variance each explains."""
    import matplotlib.pyplot as plt
    import pandas as pd
    import seaborn as sns

    table = pd.DataFrame(pca["loadings"], columns=list(GENRES), index=[f"PC{i + 1}" for i in range(len(pca["loadings"]))])
    fig, ax = plt.subplots(figsize=(8, 0.8 * len(table) + 0.8))
    sns.heatmap(table, cmap="coolwarm", center=0, annot=True, fmt=".2f", ax=ax, annot_kws={"fontsize": 7})
    ax.set_title(f"PCA loadings of BAN-model weights ({n_voxels} ROI voxels, {n_subjects} subjects); "
                 f"variance explained {', '.join(f'{e:.0%}' for e in pca['explained'])}", fontsize=9)
    return fig


def genre_profile(profile):
    """Heat map of the mean normalised weight per genre (columns) and label (rows)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    fig, ax = plt.subplots(figsize=(8, 2.6))
    sns.heatmap(profile, cmap="coolwarm", center=0, annot=True, fmt=".2f", ax=ax, annot_kws={"fontsize": 7})
    ax.set_title("mean normalised BAN-model weight per genre and label (ROI voxels)", fontsize=9)
    return fig
