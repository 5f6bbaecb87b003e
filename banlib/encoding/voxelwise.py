"""One voxelwise encoding model, fitted on the training runs and scored on the test runs.

The common path of the BAS cortical metric and Table II: per-clip features
``(540 clips, 10 TRs, F)`` are standardised (training rows), laid on each run's TR grid
with FIR delays, fitted with ridge (per-voxel alpha by leave-one-run-out CV over the 12
training runs) and scored as Pearson r per voxel against ``Resp_Test_Mean`` (60 clips,
4 repeats averaged). Also: PCA of features fitted on training clips only, and the
split-half reliability and noise ceiling of the test responses.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import DROPPED_TRS, TEST_REPEATS, VOLUMES_PER_RUN
from ..data.dataset import load_responses
from ..data.design import clip_grid, clip_table
from .delays import design_matrix
from .ridge import RidgeCVEncoder
from .stats import pearson_columns

DEFAULT_ALPHAS = tuple(np.logspace(-1, 7, 17))   # the top matters: with many weak voxels CV often picks 1e5+


def pca_features(clip_features: np.ndarray, train_clips: np.ndarray, n_components: int = 50) -> np.ndarray:
    """Project (n_clips, 10, F) onto the top principal components of the training clips' TRs.

    ``train_clips`` (n_clips,) bool. Fitting on training clips only keeps the test clips out of
    the feature space. Returns (n_clips, 10, k) float32, k = min(n_components, rank).
    """
    n, t, f = clip_features.shape
    train = clip_features[train_clips].reshape(-1, f).astype(np.float64)
    mu = train.mean(axis=0)
    _, s, vt = np.linalg.svd(train - mu, full_matrices=False)
    rank = int((s > s[0] * 1e-6).sum()) if s.size and s[0] > 0 else 0
    k = min(n_components, rank)
    if k == 0:
        raise ValueError("features are constant over the training clips: nothing to project")
    # fix the sign of each component so the projection does not depend on the LAPACK build
    vt = _signed(vt[:k])
    return ((clip_features.reshape(-1, f) - mu) @ vt.T).reshape(n, t, k).astype(np.float32)


def _signed(vt: np.ndarray) -> np.ndarray:
    """Each row's largest-magnitude entry made positive."""
    idx = np.argmax(np.abs(vt), axis=1)
    return vt * np.sign(vt[np.arange(len(vt)), idx])[:, None]


@dataclass
class TestRunScores:
    """Per-voxel results of :func:`fit_and_score`: ``r`` (V,), ``best_alpha`` (V,), the ``model``."""

    r: np.ndarray
    best_alpha: np.ndarray
    model: RidgeCVEncoder
    x_mean: np.ndarray
    x_sd: np.ndarray


def fit_and_score(source, subject: str, clip_features: np.ndarray, voxels=None, delays=(2, 3, 4),
                  alphas=DEFAULT_ALPHAS) -> TestRunScores:
    """Fit on the training runs, score on ``Resp_Test_Mean``.

    ``clip_features`` (n_clips, 10, F) in :func:`~banlib.dataset.clip_table` order; ``voxels`` a
    boolean mask or index array into the subject's voxels (None = all).
    """
    clips = clip_table(source, subject)
    if len(clip_features) != len(clips):
        raise ValueError(f"clip_features has {len(clip_features)} clips, the design has {len(clips)}")
    Xtr = design_matrix(clip_features, clip_grid(source, subject, "Training", clips), delays)
    Xte = design_matrix(clip_features, clip_grid(source, subject, "Test", clips), delays, mean_over_repeats=True)
    mu, sd = Xtr.mean(axis=0), Xtr.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    Xtr, Xte = (Xtr - mu) / sd, (Xte - mu) / sd
    Ytr = load_responses(source, subject, "Training")
    Yte = load_responses(source, subject, "Test_Mean")
    sel = slice(None) if voxels is None else np.asarray(voxels)
    Ytr, Yte = np.asarray(Ytr[:, sel]), np.asarray(Yte[:, sel])
    rows_per_run = VOLUMES_PER_RUN - DROPPED_TRS
    groups = np.repeat(np.arange(len(Xtr) // rows_per_run), rows_per_run)
    model = RidgeCVEncoder(alphas).fit(Xtr, Ytr, groups)
    return TestRunScores(model.score(Xte, Yte), model.best_alpha_, model, mu, sd)


def split_half_reliability(Y_test: np.ndarray, n_runs: int = 6, repeats: int = TEST_REPEATS) -> np.ndarray:
    """Spearman-Brown-corrected split-half reliability of the 4-repeat mean, per voxel (V,).

    ``Y_test`` (n_runs * repeats * n_t, V) as ``Resp_Test``. For each of the 3 ways of splitting
    the 4 repeats in two pairs, the two pair-means are correlated over TRs; r is averaged over
    splits and corrected to the full 4 repeats, 2r / (1 + r). Negative values mean no reliable
    signal.
    """
    Y = np.asarray(Y_test, np.float32)
    n_t = Y.shape[0] // (n_runs * repeats)
    Y = Y.reshape(n_runs, repeats, n_t, -1)
    splits = [((0, 1), (2, 3)), ((0, 2), (1, 3)), ((0, 3), (1, 2))] if repeats == 4 else \
        [(tuple(range(0, repeats, 2)), tuple(range(1, repeats, 2)))]
    r = np.mean([pearson_columns(Y[:, list(a)].mean(1).reshape(-1, Y.shape[-1]),
                                 Y[:, list(b)].mean(1).reshape(-1, Y.shape[-1])) for a, b in splits], axis=0)
    return 2 * r / (1 + r)


def noise_ceiling(reliability: np.ndarray) -> np.ndarray:
    """Highest Pearson r a noise-free prediction can reach against the repeat mean: sqrt(reliability),
    0 where the reliability is not positive."""
    return np.sqrt(np.clip(reliability, 0, None))
