"""Voxelwise linear encoding models, every voxel at once.

Arrays in, arrays out: ``X`` is (n_TRs, n_features), ``Y`` is (n_TRs, n_voxels), float32,
possibly a memory map. Nothing loops over voxels; voxels are processed in column chunks
so a full subject (4,800 x 64,700) fits in a few hundred MB of working memory.

* :func:`delay` - FIR delays of a run-wise design (TR shifts).
* :class:`RidgeEncoder` - one ridge fit, fit/predict/score like scikit-learn.
* :class:`RidgeCVEncoder` - per-voxel alpha chosen by cross-validation over groups (runs).
* :func:`resampled_scores` - Pearson r of a ridge model over many random block splits,
  computed from per-block sufficient statistics (see the methods chapter).
* :func:`fdr_bh` and :func:`pearson_pvalues` - significance across voxels.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy import stats

from .config import rng


def delay(X_runs: np.ndarray, delays: tuple[int, ...] = (2, 3, 4)) -> np.ndarray:
    """FIR-delay a design given per run: ``(n_runs, n_TRs, F)`` -> ``(n_runs, n_TRs, F * len(delays))``.

    Delays are in TRs; a row at TR t gets the features of TR t - d, zeros before the run.
    """
    n_runs, n_t, n_f = X_runs.shape
    out = np.zeros((n_runs, n_t, n_f * len(delays)), dtype=X_runs.dtype)
    for j, d in enumerate(delays):
        out[:, d:, j * n_f:(j + 1) * n_f] = X_runs[:, : n_t - d]
    return out


def pearson_columns(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson r between matching columns of ``a`` and ``b`` (n, V) -> (V,); 0 where undefined."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    a = a - a.mean(axis=0)
    b = b - b.mean(axis=0)
    den = np.sqrt((a * a).sum(axis=0) * (b * b).sum(axis=0))
    num = (a * b).sum(axis=0)
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def pearson_pvalues(r: np.ndarray, n: int) -> np.ndarray:
    """One-sided p of r > 0 with ``n`` samples (t-test with n - 2 df)."""
    r = np.clip(np.asarray(r, dtype=np.float64), -0.999999, 0.999999)
    t = r * np.sqrt((n - 2) / (1 - r * r))
    return stats.t.sf(t, n - 2)


def fdr_bh(p: np.ndarray, q: float = 0.05) -> np.ndarray:
    """Benjamini-Hochberg along the last axis: True where significant at FDR ``q``.

    NaN p-values are never significant and do not count towards the number of tests.
    """
    p = np.asarray(p, dtype=np.float64)
    flat = p.reshape(-1, p.shape[-1])
    out = np.zeros(flat.shape, bool)
    for i, row in enumerate(flat):
        ok = np.isfinite(row)
        m = int(ok.sum())
        if m == 0:
            continue
        order = np.argsort(row[ok])
        ranked = row[ok][order]
        below = ranked <= q * np.arange(1, m + 1) / m
        if below.any():
            k = np.max(np.nonzero(below)[0])
            sig = np.zeros(m, bool)
            sig[order[: k + 1]] = True
            out[i, np.nonzero(ok)[0]] = sig
    return out.reshape(p.shape)


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


@dataclass
class ResampledScores:
    """Result of :func:`resampled_scores`: ``r`` is (n_repeats, V), ``n_test`` (n_repeats,)."""

    r: np.ndarray
    n_test: np.ndarray
    train_blocks: np.ndarray   # (n_repeats, n_blocks) bool


def block_splits(n_blocks: int, n_repeats: int, train_fraction: float, seed: int) -> np.ndarray:
    """(n_repeats, n_blocks) bool: which blocks train in each repetition."""
    gen = rng(seed, "encoding", "block_splits", n_blocks, n_repeats, train_fraction)
    n_train = int(round(train_fraction * n_blocks))
    masks = np.zeros((n_repeats, n_blocks), bool)
    for r in range(n_repeats):
        masks[r, gen.choice(n_blocks, n_train, replace=False)] = True
    return masks


def resampled_scores(X: np.ndarray, Y: np.ndarray, blocks: np.ndarray, n_repeats: int = 100,
                     train_fraction: float = 0.75, alpha: float = 1.0, seed: int = 0,
                     chunk: int = 4096, usable: np.ndarray | None = None, progress=None) -> ResampledScores:
    """Test-set Pearson r of a ridge model for ``n_repeats`` random splits of whole blocks.

    ``X`` (T, P) features, ``Y`` (T, V) responses, ``blocks`` (T,) block id per row (one
    clip presentation). Each repetition trains on ``train_fraction`` of the blocks and
    scores the rest. Per block we keep X'X, X'Y, sums of y and y^2; a split is then a
    0/1 mask over blocks, so all repetitions cost one (R x B) @ (B x P*V) product per
    voxel chunk instead of R fits over T rows. Voxels not ``usable`` (NaN, constant) are
    zeroed before any product, so they never contaminate sums, and get r = 0.
    """
    Xi = _with_intercept(X)
    T, P = Xi.shape
    _, b = np.unique(np.asarray(blocks), return_inverse=True)
    B = int(b.max()) + 1
    masks = block_splits(B, n_repeats, train_fraction, seed)
    M = masks.astype(np.float64)                                   # (R, B)
    rows_per_block = np.bincount(b, minlength=B).astype(np.float64)
    n_test = (1 - M) @ rows_per_block                              # (R,)

    # per-block X'X and column sums of X: small
    G_b = np.zeros((B, P, P))
    np.add.at(G_b, b, Xi[:, :, None] * Xi[:, None, :])
    sx_b = np.zeros((B, P))
    np.add.at(sx_b, b, Xi)
    G_tr = np.einsum("rb,bpq->rpq", M, G_b)
    G_te = G_b.sum(0)[None] - G_tr
    sx_te = sx_b.sum(0)[None] - M @ sx_b                            # (R, P)
    A = np.linalg.solve(G_tr + _penalty(P - 1, alpha)[None], np.broadcast_to(np.eye(P), G_tr.shape))

    # block-expanded design: Z[t, b(t)*P + p] = X[t, p], so Z' Y stacks every block's X'Y
    Z = sp.csr_matrix((Xi.ravel().astype(np.float32),
                       (np.repeat(np.arange(T), P), (b[:, None] * P + np.arange(P)).ravel())),
                      shape=(T, B * P))
    Zt = Z.T.tocsr()
    Bind = sp.csr_matrix((np.ones(T, np.float32), (b, np.arange(T))), shape=(B, T))
    Mf = M.astype(np.float32)
    V = Y.shape[1]
    r_all = np.zeros((n_repeats, V), np.float32)
    for lo in range(0, V, chunk):
        Yc = np.asarray(Y[:, lo:lo + chunk], dtype=np.float32)
        if usable is not None:
            Yc = np.where(usable[lo:lo + chunk], Yc, np.float32(0))
        Yc = Yc - Yc.mean(axis=0)                   # centring keeps float32 sums well conditioned
        c = Yc.shape[1]
        C_b = np.asarray(Zt @ Yc).reshape(B, P * c)                 # (B, P*c)
        C_tr = (Mf @ C_b).reshape(n_repeats, P, c).astype(np.float64)
        C_te = C_b.sum(0, dtype=np.float64).reshape(1, P, c) - C_tr
        sy_b = np.asarray(Bind @ Yc)                                # (B, c)
        syy_b = np.asarray(Bind @ (Yc * Yc))
        sy_te = sy_b.sum(0, dtype=np.float64)[None] - Mf @ sy_b
        syy_te = syy_b.sum(0, dtype=np.float64)[None] - Mf @ syy_b
        W = np.matmul(A, C_tr)                                      # (R, P, c)
        s_py = np.einsum("rpc,rpc->rc", W, C_te)
        s_p = np.einsum("rp,rpc->rc", sx_te, W)
        s_pp = np.einsum("rpc,rpc->rc", W, np.matmul(G_te, W))
        n = n_test[:, None]
        num = n * s_py - s_p * sy_te
        den = np.sqrt(np.clip(n * s_pp - s_p ** 2, 0, None) * np.clip(n * syy_te - sy_te ** 2, 0, None))
        r_all[:, lo:lo + c] = np.divide(num, den, out=np.zeros_like(num), where=den > 1e-12)
        if progress is not None:
            progress(c)
    return ResampledScores(r_all, n_test, masks)
