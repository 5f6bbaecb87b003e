"""Correlation and significance across many voxels at once."""
from __future__ import annotations

import numpy as np
from scipy import stats


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
