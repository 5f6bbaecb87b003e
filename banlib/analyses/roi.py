"""Genre-representing ROI selection (paper Section V-B2), all voxels at once.

Per subject: genre one-hot features with FIR delays, a ridge model fitted on a random 75 %
of the training clips and scored on the other 25 % (Pearson r per voxel), 100 times;
Benjamini-Hochberg FDR across voxels in each repetition; a voxel enters the ROI when it is
significant in more than 75 % of repetitions.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.dataset import DataSource, load_responses, voxel_quality
from ..data.design import clip_grid, clip_table, tr_design
from ..encoding.delays import design_matrix
from ..encoding.resampling import resampled_scores
from ..encoding.stats import fdr_bh, pearson_pvalues
from ..features.labels import genre_onehot


@dataclass
class ROISelector:
    """Estimator: ``fit(X, Y, blocks)`` sets ``frequency_`` (V,), ``mask_`` (V,), ``mean_r_`` (V,)."""

    n_repeats: int = 100
    train_fraction: float = 0.75
    q: float = 0.05
    threshold: float = 0.75
    alpha: float = 1.0
    seed: int = 0

    def fit(self, X, Y, blocks, usable=None, progress=None) -> "ROISelector":
        V = Y.shape[1]
        usable = np.ones(V, bool) if usable is None else np.asarray(usable, bool)
        res = resampled_scores(X, Y, blocks, self.n_repeats, self.train_fraction, self.alpha,
                               self.seed, usable=usable, progress=progress)
        r = res.r
        p = np.full(r.shape, np.nan)
        for i in range(self.n_repeats):
            p[i, usable] = pearson_pvalues(r[i, usable], int(res.n_test[i]))
        significant = fdr_bh(p, self.q)
        self.r_ = r
        self.frequency_ = significant.mean(axis=0)
        self.mean_r_ = np.where(usable, r.mean(axis=0), np.nan)
        self.mask_ = (self.frequency_ > self.threshold) & usable
        self.usable_ = usable
        return self


def genre_design(source: DataSource, subject: str, delays=(2, 3, 4)):
    """Training-run genre design for ``subject``: X (4800, 10 * len(delays)), blocks (4800,)."""
    clips = clip_table(source, subject)
    grid = clip_grid(source, subject, "Training", clips)
    X = design_matrix(genre_onehot(clips.genre), grid, delays)
    blocks = tr_design(source, subject, "Training", clips).block.to_numpy()
    return X, blocks


def select_roi(source: DataSource, subject: str, selector: ROISelector | None = None,
               delays=(2, 3, 4), progress=None) -> dict:
    """Run ROI selection for one subject; returns arrays and summary numbers."""
    selector = selector or ROISelector()
    Y = load_responses(source, subject, "Training")
    quality = voxel_quality(Y)
    X, blocks = genre_design(source, subject, delays)
    selector.fit(X, Y, blocks, usable=quality.usable, progress=progress)
    return {"subject": subject, "selector": selector, "quality": quality,
            "roi_size": int(selector.mask_.sum())}


def label_counts(mask: np.ndarray, voxels: pd.DataFrame | None) -> dict[str, int]:
    """ROI voxels per Table II label (``L.HG`` ... ``R.LSTG``, ``other``)."""
    if voxels is None:
        return {}
    labels = voxels["roi"].to_numpy()
    counts = pd.Series(labels[mask]).value_counts().to_dict()
    return {str(k): int(v) for k, v in sorted(counts.items())}


def recovery(mask: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Precision and recall of a selected mask against planted voxels."""
    tp = int((mask & truth).sum())
    return {"precision": tp / max(int(mask.sum()), 1), "recall": tp / max(int(truth.sum()), 1),
            "selected": int(mask.sum()), "planted": int(truth.sum())}
