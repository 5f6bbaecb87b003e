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
from .delays import Delayer
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
    """Per-voxel results of :func:`fit_and_score`.

    Attributes
    ----------
    r : array of shape (V,)
        Pearson r of prediction and ``Resp_Test_Mean`` per voxel.
    best_alpha : array of shape (V,)
        The ridge penalty chosen per voxel.
    model : RidgeCVEncoder
        The fit on all training runs (``coef_`` of shape (n_features * n_delays, V)).
    x_mean, x_sd : arrays of shape (n_features * n_delays,)
        Standardisation of the delayed design, from the training rows.
    pooled_r : float
        One Pearson r over every (test row, voxel) pair, prediction and response flattened (Eq. 4 read as one
        correlation over all data points rather than one per voxel).
    """

    r: np.ndarray
    best_alpha: np.ndarray
    model: RidgeCVEncoder
    x_mean: np.ndarray
    x_sd: np.ndarray
    pooled_r: float = float("nan")


def fit_and_score(source, design, clip_features: np.ndarray, voxels=None, delayer: Delayer = Delayer(),
                  alphas=DEFAULT_ALPHAS) -> TestRunScores:
    """Fit on the training runs, score on ``Resp_Test_Mean``.

    Parameters
    ----------
    source : DataSource
    design : SubjectDesign
        The subject's design (:func:`banlib.data.design.subject_design`).
    clip_features : array of shape (n_clips, 10, n_features)
        Features per clip and TR, in ``design.clips`` order.
    voxels : bool array of shape (V,) or int array, optional
        Which of the subject's voxels to fit (default all).
    delayer : Delayer
        FIR delays (default 2, 3 and 4 TRs).
    alphas : sequence of float
        Ridge penalties searched per voxel by leave-one-run-out CV over the training runs.

    Returns
    -------
    TestRunScores
        ``r`` Pearson r per voxel on the 600 test rows, array of shape (n_voxels,), and the fitted model.
    """
    clips = design.clips
    if len(clip_features) != len(clips):
        raise ValueError(f"clip_features has {len(clip_features)} clips, the design has {len(clips)}")
    Xtr = delayer.design_matrix(clip_features, design.grids["Training"])
    Xte = delayer.design_matrix(clip_features, design.grids["Test"], mean_over_repeats=True)
    mu, sd = Xtr.mean(axis=0), Xtr.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    Xtr, Xte = (Xtr - mu) / sd, (Xte - mu) / sd
    Ytr = load_responses(source, design.subject, "Training")
    Yte = load_responses(source, design.subject, "Test_Mean")
    sel = slice(None) if voxels is None else np.asarray(voxels)
    Ytr, Yte = np.asarray(Ytr[:, sel]), np.asarray(Yte[:, sel])
    rows_per_run = VOLUMES_PER_RUN - DROPPED_TRS
    groups = np.repeat(np.arange(len(Xtr) // rows_per_run), rows_per_run)
    model = RidgeCVEncoder(alphas).fit(Xtr, Ytr, groups)
    r, pooled = model.scores(Xte, Yte)
    return TestRunScores(r, model.best_alpha_, model, mu, sd, pooled)


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
