"""Table II (paper Section V-F): which feature space predicts which auditory label, and genre maps.

Three encoding models per subject, each fitted and scored by :func:`banlib.voxelwise.fit_and_score`:
genre labels (one-hot), MFCC (:mod:`banlib.mfcc`) and BAN (its genre probabilities per TR,
:func:`banlib.activations.genre_outputs`). A Table II cell is the mean test r over a label's
voxels inside the subject's genre ROI; mean ± sd over subjects beside the paper's value.

Genre maps: the BAN model's ridge weights (averaged over the FIR delays) of the ROI voxels,
(V_roi, 10 genres), reduced by PCA over voxels: scores per voxel (mapped to the surface) and
loadings per genre.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import GENRES
from ..data.atlas import TABLE2_ROIS

MODELS = ("genre", "MFCC", "BAN")


def label_means(r: np.ndarray, labels: np.ndarray, mask: np.ndarray | None = None, rois=TABLE2_ROIS) -> pd.DataFrame:
    """Mean r and voxel count per label: rows ``rois``, columns ``mean_r``, ``n``.

    ``r`` (V,), ``labels`` (V,) ROI name per voxel, ``mask`` (V,) bool restricts to the genre ROI."""
    labels = np.asarray(labels)
    keep = np.ones(len(r), bool) if mask is None else np.asarray(mask, bool)
    rows = {}
    for roi in rois:
        sel = keep & (labels == roi)
        rows[roi] = {"mean_r": float(r[sel].mean()) if sel.any() else float("nan"), "n": int(sel.sum())}
    return pd.DataFrame(rows).T.astype({"n": int})


def subject_table(r_by_model: dict[str, np.ndarray], labels, mask=None) -> pd.DataFrame:
    """One subject's Table II: rows labels, columns models (mean r), plus ``n`` voxels."""
    parts = {m: label_means(r, labels, mask) for m, r in r_by_model.items()}
    table = pd.DataFrame({m: p.mean_r for m, p in parts.items()})
    table["n"] = next(iter(parts.values())).n
    return table


def summarise(tables: dict[str, pd.DataFrame], models=MODELS) -> pd.DataFrame:
    """Mean and sd over subjects per (label, model): columns ``<model> mean``, ``<model> sd``."""
    stack = pd.concat(tables, names=["subject", "roi"])
    out = {}
    for m in models:
        grouped = stack[m].groupby(level="roi", sort=False)
        out[f"{m} mean"], out[f"{m} sd"] = grouped.mean(), grouped.std(ddof=1)
    return pd.DataFrame(out).loc[list(TABLE2_ROIS)]


def delay_averaged_weights(coef: np.ndarray, n_features: int) -> np.ndarray:
    """Ridge weights (n_features * n_delays, V), delay-major, -> (V, n_features) averaged over delays."""
    n_delays = coef.shape[0] // n_features
    return coef.reshape(n_delays, n_features, -1).mean(axis=0).T


def genre_pca(weights: np.ndarray, n_components: int = 3):
    """PCA over voxels of (V, 10) genre weights: ``scores`` (V, k), ``loadings`` (k, 10), ``explained`` (k,).

    Each voxel's weights are centred over voxels (not scaled); components' signs are fixed so the
    largest loading is positive."""
    W = np.asarray(weights, np.float64)
    Wc = W - W.mean(axis=0)
    U, s, Vt = np.linalg.svd(Wc, full_matrices=False)
    k = min(n_components, len(s))
    sign = np.sign(Vt[np.arange(k), np.argmax(np.abs(Vt[:k]), axis=1)])
    loadings = Vt[:k] * sign[:, None]
    return {"scores": Wc @ loadings.T, "loadings": loadings, "explained": (s[:k] ** 2) / (s ** 2).sum()}


def genre_profile(weights: np.ndarray, labels, mask=None, short: bool = True) -> pd.DataFrame:
    """Mean weight per genre for each label (hemispheres pooled when ``short``): rows labels, columns genres."""
    labels = np.asarray(labels).astype(str)
    if short:
        labels = np.array([lab.split(".")[-1] for lab in labels])
    keep = np.ones(len(labels), bool) if mask is None else np.asarray(mask, bool)
    df = pd.DataFrame(np.asarray(weights)[keep], columns=list(GENRES))
    df["label"] = labels[keep]
    return df.groupby("label").mean()
