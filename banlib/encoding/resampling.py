"""Test-set Pearson r of a ridge model over many random splits of whole blocks (ROI selection).

Per-block sufficient statistics turn every split into one small product (see the methods chapter).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..config import rng
from .ridge import _penalty, _with_intercept


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
