"""Ridge regression of many targets at once (every voxel in one call).

Arrays in, arrays out: ``X`` is (n_TRs, n_features), ``Y`` is (n_TRs, n_voxels), float32,
possibly a memory map. Nothing loops over voxels; voxels are processed in column chunks
so a full subject (4,800 x 64,700) fits in a few hundred MB of working memory.

* :class:`RidgeEncoder` - one ridge fit, fit/predict/score like scikit-learn.
* :class:`RidgeCVEncoder` - per-voxel alpha chosen by cross-validation over groups (runs).
"""
from __future__ import annotations

import numpy as np

from .stats import pearson_columns


def _with_intercept(X: np.ndarray) -> np.ndarray:
    return np.hstack([np.asarray(X, dtype=np.float64), np.ones((len(X), 1))])


def _penalty(n_features: int, alpha: float) -> np.ndarray:
    """Ridge penalty that leaves the intercept (last column) unpenalised."""
    pen = np.full(n_features + 1, float(alpha))
    pen[-1] = 0.0
    return np.diag(pen)


class RidgeEncoder:
    """Ridge regression of many targets with a shared alpha and an unpenalised intercept."""

    def __init__(self, alpha: float = 1.0, chunk: int = 8192):
        self.alpha = alpha
        self.chunk = chunk

    def fit(self, X: np.ndarray, Y: np.ndarray) -> "RidgeEncoder":
        Xi = _with_intercept(X)
        A = np.linalg.solve(Xi.T @ Xi + _penalty(X.shape[1], self.alpha), Xi.T).astype(np.float32)
        V = Y.shape[1]
        self.coef_ = np.empty((Xi.shape[1], V), np.float32)
        for lo in range(0, V, self.chunk):
            self.coef_[:, lo:lo + self.chunk] = A @ np.asarray(Y[:, lo:lo + self.chunk], np.float32)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return (_with_intercept(X).astype(np.float32) @ self.coef_).astype(np.float32)

    def score(self, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """Pearson r per target, (V,)."""
        return pearson_columns(self.predict(X), Y)


class RidgeCVEncoder:
    """Ridge with a per-target alpha chosen by leave-one-group-out CV (groups = runs).

    Uses one SVD per fold, so every alpha on the grid costs a few small products.
    ``best_alpha_`` (V,) and ``cv_scores_`` (n_alphas, V, mean Pearson r over folds) are kept.
    """

    def __init__(self, alphas=tuple(np.logspace(-1, 5, 13)), chunk: int = 8192):
        self.alphas = tuple(float(a) for a in alphas)
        self.chunk = chunk

    @staticmethod
    def _svd_center(X):
        mu = X.mean(axis=0)
        U, s, Vt = np.linalg.svd(X - mu, full_matrices=False)
        return mu, U, s, Vt

    def fit(self, X: np.ndarray, Y: np.ndarray, groups: np.ndarray) -> "RidgeCVEncoder":
        X = np.asarray(X, np.float64)
        groups = np.asarray(groups)
        V = Y.shape[1]
        alphas = np.asarray(self.alphas)
        scores = np.zeros((len(alphas), V))
        folds = np.unique(groups)
        for g in folds:
            tr, te = groups != g, groups == g
            mu, U, s, Vt = self._svd_center(X[tr])
            proj = (X[te] - mu) @ Vt.T                      # (n_te, k)
            for lo in range(0, V, self.chunk):
                Ytr = np.asarray(Y[tr, lo:lo + self.chunk], np.float64)
                Yte = np.asarray(Y[te, lo:lo + self.chunk], np.float64)
                UtY = U.T @ (Ytr - Ytr.mean(axis=0))        # (k, c)
                for a, alpha in enumerate(alphas):
                    pred = proj @ ((s / (s * s + alpha))[:, None] * UtY)
                    scores[a, lo:lo + self.chunk] += pearson_columns(pred, Yte)
        self.cv_scores_ = scores / len(folds)
        self.best_alpha_ = alphas[np.argmax(self.cv_scores_, axis=0)]
        # refit on all data, each target with its alpha
        mu, U, s, Vt = self._svd_center(X)
        self.x_mean_ = mu
        self.coef_ = np.empty((X.shape[1], V), np.float32)
        self.intercept_ = np.empty(V, np.float32)
        for lo in range(0, V, self.chunk):
            Yc = np.asarray(Y[:, lo:lo + self.chunk], np.float64)
            ym = Yc.mean(axis=0)
            UtY = U.T @ (Yc - ym)
            a = self.best_alpha_[lo:lo + self.chunk]
            W = Vt.T @ ((s[:, None] / (s[:, None] ** 2 + a[None, :])) * UtY)
            self.coef_[:, lo:lo + self.chunk] = W
            self.intercept_[lo:lo + self.chunk] = ym - mu @ W
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return (np.asarray(X, np.float32) @ self.coef_ + self.intercept_).astype(np.float32)

    def score(self, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        return pearson_columns(self.predict(X), Y)


