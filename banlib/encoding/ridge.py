"""Ridge regression of many targets at once (every voxel in one call).

Arrays in, arrays out: ``X`` is (n_TRs, n_features), ``Y`` is (n_TRs, n_voxels), float32,
possibly a memory map. Nothing loops over voxels; voxels are processed in column chunks
so a full subject (4,800 x 64,700) fits in a few hundred MB of working memory.

* :class:`RidgeEncoder` - one ridge fit, fit/predict/score like scikit-learn.
* :class:`RidgeCVEncoder` - per-voxel alpha chosen by cross-validation over groups (runs).
"""
from __future__ import annotations

import os

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
        """Fit ``coef_`` of shape (n_features + 1, n_voxels) (intercept last) from ``X`` (n_trs, n_features)
        and ``Y`` (n_trs, n_voxels); ``Y`` is read in voxel chunks, so a memory map is never loaded whole."""
        Xi = _with_intercept(X)
        A = np.linalg.solve(Xi.T @ Xi + _penalty(X.shape[1], self.alpha), Xi.T).astype(np.float32)
        V = Y.shape[1]
        self.coef_ = np.empty((Xi.shape[1], V), np.float32)
        for lo in range(0, V, self.chunk):
            self.coef_[:, lo:lo + self.chunk] = A @ np.asarray(Y[:, lo:lo + self.chunk], np.float32)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted responses, float32 array of shape (n_trs, n_voxels), from ``X`` (n_trs, n_features)."""
        return (_with_intercept(X).astype(np.float32) @ self.coef_).astype(np.float32)

    def score(self, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """Pearson r per target, (V,)."""
        return pearson_columns(self.predict(X), Y)


class RidgeCVEncoder:
    """Ridge with a per-target alpha chosen by leave-one-group-out CV (groups = runs).

    Parameters
    ----------
    alphas : sequence of float
        Penalties to choose from (all > 0); the same grid for every target.
    chunk : int
        Targets (voxels) per batch. A batch needs about ``chunk * (rows per group + 30 * n_features) * 8``
        bytes (about 50 MB for 2,048 voxels, 400-row runs and 96 features), times ``n_jobs``.
    n_jobs : int or None
        Batches processed at once, each by one thread with single-threaded BLAS (None: as many as
        BLAS would use, i.e. ``OMP_NUM_THREADS``). Results do not depend on it.

    Attributes (after :meth:`fit`)
    ------------------------------
    cv_scores_ : array of shape (n_alphas, n_targets)
        Mean over folds of the held-out Pearson r, float64.
    best_alpha_ : array of shape (n_targets,)
        The alpha of the highest CV score (the smallest such alpha on ties).
    coef_ : array of shape (n_features, n_targets), float32
        Weights refitted on all rows with each target's alpha.
    intercept_ : array of shape (n_targets,), float32
    x_mean_ : array of shape (n_features,)

    Notes
    -----
    Same estimator as an SVD per fold of the centred training design (``X_tr = U S V'``, weights
    ``V diag(s / (s^2 + a)) U'y`` = ``V diag(1 / (s^2 + a)) V' X_tr'y``), computed so that the responses are
    read once, in voxel batches, and no fold ever forms its (n_test x V) predictions:

    * per group g: ``X_g'X_g``, ``X_g'Y_g`` (p x V) and the column sums of ``Y_g`` and ``Y_g**2``;
    * per fold: the centred training Gram (totals minus the fold's) is eigendecomposed once,
      ``E diag(lam) E'``, shared by every voxel and every alpha. With ``C = E'X_tr'Y_tr`` and
      ``Q = E'X_te'Y_te`` (p x V, centred), the held-out prediction for alpha ``a`` is
      ``X_te E diag(f_a) C`` with ``f_a = 1 / (lam + a)``, so per voxel ``cov(pred, y) = sum_k f_a,k C_k Q_k``
      (one (n_alphas x p) @ (p x V) product for all alphas) and ``|pred|^2`` is a quadratic form in
      ``f_a * C`` with the held-out Gram, evaluated for all alphas at once by :class:`_PredictionVariance`;
    * the refit with each voxel's alpha uses the eigendecomposition of the full centred Gram.

    Precision: everything is float64 (the sums over thousands of rows and the differences of totals
    need it, and at these sizes the products are cheap); only ``coef_``, ``intercept_`` and predictions
    are stored as float32. The tests compare the CV scores with the direct SVD fit to 1e-5 (they agree
    to about 1e-10).
    """

    def __init__(self, alphas=tuple(np.logspace(-1, 5, 13)), chunk: int = 2048, n_jobs: int | None = None):
        self.alphas = tuple(float(a) for a in alphas)
        self.chunk = chunk
        self.n_jobs = n_jobs

    def _check(self, X, Y, groups):
        alphas = np.asarray(self.alphas, np.float64)
        if alphas.size == 0 or not np.all(np.isfinite(alphas)) or np.any(alphas <= 0):
            raise ValueError(f"alphas must be finite and > 0, got {self.alphas}")
        if X.ndim != 2 or Y.ndim != 2 or len(X) != Y.shape[0] or len(groups) != len(X):
            raise ValueError(f"X {X.shape}, Y {Y.shape} and groups {groups.shape} must have the same rows")
        if len(np.unique(groups)) < 2:
            raise ValueError("cross-validation over groups needs at least 2 groups")
        return alphas

    def fit(self, X: np.ndarray, Y: np.ndarray, groups: np.ndarray, progress: bool = False) -> "RidgeCVEncoder":
        """Choose each target's alpha by leave-one-group-out CV, then refit on all rows.

        Parameters
        ----------
        X : array of shape (n_rows, n_features)
            Design (e.g. TRs x delayed features); converted to float64.
        Y : array of shape (n_rows, n_targets)
            Responses (e.g. TRs x voxels), float32 or float64; may be a memory map, read in
            column batches of ``chunk``.
        groups : array of shape (n_rows,)
            Group label per row (the run); each group is held out once.
        progress : bool
            Show a progress bar over the voxel batches.
        """
        from concurrent.futures import ThreadPoolExecutor

        from threadpoolctl import threadpool_limits
        from tqdm.auto import tqdm

        X = np.asarray(X, np.float64)
        groups = np.asarray(groups)
        alphas = self._check(X, Y, groups)
        V = Y.shape[1]
        self.cv_scores_ = np.empty((len(alphas), V))
        self.best_alpha_ = np.empty(V)
        self.coef_ = np.empty((X.shape[1], V), np.float32)
        self.intercept_ = np.empty(V, np.float32)

        def batch(lo: int) -> None:
            hi = min(lo + self.chunk, V)
            stats = folds.statistics(Y[:, lo:hi])
            scores = folds.cv_scores(stats)
            best = alphas[np.argmax(scores, axis=0)]
            self.cv_scores_[:, lo:hi] = scores
            self.best_alpha_[lo:hi] = best
            self.coef_[:, lo:hi], self.intercept_[lo:hi] = folds.refit(stats, best)

        # Threads over voxel batches, each with single-threaded BLAS: the products are small (p = 96),
        # so multi-threaded BLAS spends its time synchronising (5x slower on a busy 2-core machine),
        # and the element-wise work between products runs in parallel too. Batches write disjoint columns.
        starts = range(0, V, self.chunk)
        with threadpool_limits(1), ThreadPoolExecutor(_n_jobs(self.n_jobs)) as pool:
            folds = _Folds(X, groups, alphas)
            self.x_mean_ = folds.mean
            for _ in tqdm(pool.map(batch, starts), total=len(starts), desc="ridge CV", unit="batch",
                          disable=not progress):
                pass
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predictions, array of shape (n_rows, n_targets), float32."""
        return (np.asarray(X, np.float32) @ self.coef_ + self.intercept_).astype(np.float32)

    def score(self, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
        """Pearson r per target between :meth:`predict` and ``Y``, array of shape (n_targets,).

        Computed in batches of ``chunk`` targets, so a full subject needs no (n_rows x V) float64 copies."""
        return self.scores(X, Y)[0]

    def scores(self, X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, float]:
        """:meth:`score` and one Pearson r over every (row, target) pair pooled (prediction and ``Y`` flattened,
        each centred on its grand mean): ``(r per target of shape (n_targets,), pooled r)``; pooled r is 0 where
        undefined. Batches as :meth:`score`."""
        X = np.asarray(X, np.float32)
        V = self.coef_.shape[1]
        out = np.empty(V)
        sums = np.zeros(5)            # sum of pred, y, pred^2, y^2, pred*y
        for lo in range(0, V, self.chunk):
            hi = min(lo + self.chunk, V)
            pred = X @ self.coef_[:, lo:hi] + self.intercept_[lo:hi]
            y = np.asarray(Y[:, lo:hi])
            out[lo:hi] = pearson_columns(pred, y)
            p64, y64 = pred.astype(np.float64), y.astype(np.float64)
            sums += [p64.sum(), y64.sum(), (p64 * p64).sum(), (y64 * y64).sum(), (p64 * y64).sum()]
        n = X.shape[0] * V
        cov = sums[4] - sums[0] * sums[1] / n
        den = np.sqrt(max(sums[2] - sums[0] ** 2 / n, 0.0) * max(sums[3] - sums[1] ** 2 / n, 0.0))
        return out, float(cov / den) if den > 0 else 0.0


class _Folds:
    """The design side of :class:`RidgeCVEncoder`: per-group statistics of ``X`` and one
    eigendecomposition per fold (and of all rows), independent of the targets."""

    def __init__(self, X: np.ndarray, groups: np.ndarray, alphas: np.ndarray):
        labels, index = np.unique(groups, return_inverse=True)
        rows = [np.nonzero(index == g)[0] for g in range(len(labels))]
        # contiguous groups (runs) as slices: reading a slice of a memory map copies nothing twice
        self.rows = [slice(r[0], r[-1] + 1) if r[-1] - r[0] + 1 == len(r) else r for r in rows]
        self.X, self.alphas = X, alphas
        self.n_g = np.array([len(r) for r in rows], np.float64)
        self.n = float(len(X))
        sx = np.stack([X[r].sum(axis=0) for r in self.rows])                   # (G, p)
        xx = np.stack([X[r].T @ X[r] for r in self.rows])                      # (G, p, p)
        sx_tot, xx_tot = sx.sum(axis=0), xx.sum(axis=0)
        self.mean = sx_tot / self.n
        self.lam, self.E = _eigh_psd(xx_tot - self.n * np.outer(self.mean, self.mean))
        self.fold = []
        for g in range(len(self.rows)):
            n_tr, n_te = self.n - self.n_g[g], self.n_g[g]
            mu_tr, mu_te = (sx_tot - sx[g]) / n_tr, sx[g] / n_te
            lam, E = _eigh_psd(xx_tot - xx[g] - n_tr * np.outer(mu_tr, mu_tr))
            # the held-out rows' centred Gram in the fold's eigenbasis: |pred|^2 = w' G w
            G = E.T @ (xx[g] - n_te * np.outer(mu_te, mu_te)) @ E
            f = 1.0 / (lam[None, :] + alphas[:, None])                            # (A, p)
            self.fold.append(dict(n_tr=n_tr, n_te=n_te, mu_tr=mu_tr, mu_te=mu_te, E=E, f=f,
                                  var=_PredictionVariance(G, lam, alphas)))

    def statistics(self, Y) -> dict:
        """Per-group ``X_g'Y_g`` (G, p, c), column sums of ``Y_g`` and ``Y_g**2`` (G, c), float64.

        ``Y`` (n_rows, c) is read group by group (a run's rows at a time) and converted to float64.
        """
        G, p, c = len(self.rows), self.X.shape[1], Y.shape[1]
        xy, sy, syy = np.empty((G, p, c)), np.empty((G, c)), np.empty((G, c))
        for g, r in enumerate(self.rows):
            Yg = np.asarray(Y[r], np.float64)
            xy[g] = self.X[r].T @ Yg
            sy[g] = Yg.sum(axis=0)
            syy[g] = np.einsum("ij,ij->j", Yg, Yg)
        return dict(xy=xy, sy=sy, syy=syy, xy_tot=xy.sum(axis=0), sy_tot=sy.sum(axis=0))

    def cv_scores(self, st: dict) -> np.ndarray:
        """Mean held-out Pearson r over folds, array of shape (n_alphas, c)."""
        total = 0.0
        for g, fd in enumerate(self.fold):
            ybar_tr = (st["sy_tot"] - st["sy"][g]) / fd["n_tr"]
            ybar_te = st["sy"][g] / fd["n_te"]
            C = fd["E"].T @ (st["xy_tot"] - st["xy"][g] - fd["n_tr"] * np.outer(fd["mu_tr"], ybar_tr))
            Q = fd["E"].T @ (st["xy"][g] - fd["n_te"] * np.outer(fd["mu_te"], ybar_te))
            cov = fd["f"] @ (C * Q)                                                  # (A, c)
            var_pred = fd["var"](C)                                                  # (A, c)
            var_y = st["syy"][g] - fd["n_te"] * ybar_te ** 2
            # a constant held-out response has no correlation (as pearson_columns: r = 0)
            var_y = np.where(var_y > 1e-12 * st["syy"][g], var_y, 0.0)
            den = np.sqrt(var_pred * var_y)
            total = total + np.divide(cov, den, out=np.zeros_like(cov), where=den > 0)
        return total / len(self.fold)

    def refit(self, st: dict, alpha: np.ndarray):
        """Weights (p, c) float32 and intercepts (c,) refitted on all rows, each target with its alpha."""
        ybar = st["sy_tot"] / self.n
        C = self.E.T @ (st["xy_tot"] - self.n * np.outer(self.mean, ybar))
        W = self.E @ (C / (self.lam[:, None] + alpha[None, :]))
        return W.astype(np.float32), (ybar - self.mean @ W).astype(np.float32)


class _PredictionVariance:
    """``|X_te E (c / (lam + a))|^2`` for every alpha ``a`` and many columns ``c`` at once.

    ``G`` (p, p) is the held-out rows' centred Gram in the fold's eigenbasis, ``lam`` (p,) the fold's
    training eigenvalues. With ``f_k = 1 / (lam_k + a)`` the quantity is ``sum_kl G_kl c_k c_l f_k f_l``.
    Partial fractions, ``f_k f_l = (f_k - f_l) / (lam_l - lam_k)``, turn it into
    ``sum_k f_k h_k + sum_k f_k^2 d_k`` with ``h = c * (K c)``, ``K_kl = 2 G_kl / (lam_l - lam_k)`` over
    pairs of distinct eigenvalues, and ``d = c * (N c)``, ``N`` = ``G`` on the diagonal and on pairs of
    (nearly) equal eigenvalues, where ``f_k f_l`` becomes ``(f_k^2 + f_l^2) / 2`` (a second-order error,
    below ``near**2``). All alphas then cost one (2p x p) @ (p x c) and one (A x 2p) @ (2p x c) product
    instead of one (p x p) @ (p x c) product per alpha. The subtraction amplifies rounding by
    ``(lam + a) / |lam_l - lam_k|``; an alpha where that exceeds ``max_amplification`` (a huge penalty
    over close eigenvalues) is computed directly instead, ``|diag(sqrt(mu)) R' diag(f) c|^2`` with
    ``G = R diag(mu) R'``. Everything in float64: relative error about ``1e-16 * max_amplification``.
    """

    near = 1e-4
    max_amplification = 1e8

    def __init__(self, G: np.ndarray, lam: np.ndarray, alphas: np.ndarray):
        p = len(lam)
        f = 1.0 / (lam[None, :] + alphas[:, None])                             # (A, p)
        gap = np.abs(lam[None, :] - lam[:, None])
        low = np.minimum(lam[None, :], lam[:, None])
        close = gap <= self.near * (low + alphas.min())                         # diagonal included
        safe_gap = np.where(close, np.inf, gap)
        amplification = ((low[None] + alphas[:, None, None]) / safe_gap[None]).max(axis=(1, 2))
        self.fast = amplification <= self.max_amplification                    # (A,)
        K = np.where(close, 0.0, 2.0 * G * np.sign(lam[None, :] - lam[:, None]) / np.where(close, 1.0, gap))
        self.KN = np.vstack([K, np.where(close, G, 0.0)])                      # (2p, p)
        self.ff = np.hstack([f, f * f])[self.fast]                              # (A_fast, 2p)
        mu, R = _eigh_psd(G)
        slow = f[~self.fast]
        self.direct = ((np.sqrt(mu)[:, None] * R.T)[None] * slow[:, None, :]).reshape(-1, p)
        self.n_alphas = len(alphas)

    def __call__(self, C: np.ndarray) -> np.ndarray:
        """``C`` (p, c) -> variances, array of shape (n_alphas, c), float64."""
        out = np.empty((self.n_alphas, C.shape[1]))
        if self.fast.any():
            hd = self.KN @ C
            hd *= np.vstack([C, C])
            out[self.fast] = np.clip(self.ff @ hd, 0.0, None)
        if not self.fast.all():
            Z = (self.direct @ C).reshape(-1, C.shape[0], C.shape[1])
            out[~self.fast] = np.einsum("akc,akc->ac", Z, Z)
        return out


def _n_jobs(n_jobs: int | None) -> int:
    """Threads for :meth:`RidgeCVEncoder.fit`: as given, else as many as BLAS would use."""
    if n_jobs is not None:
        return max(1, int(n_jobs))
    from threadpoolctl import threadpool_info

    blas = [i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas"]
    return max(blas) if blas else (os.cpu_count() or 1)


def _eigh_psd(G: np.ndarray):
    """Eigenvalues (clipped at 0: round-off of a Gram matrix) and eigenvectors of a symmetric matrix."""
    lam, E = np.linalg.eigh((G + G.T) / 2)
    return np.clip(lam, 0.0, None), E
