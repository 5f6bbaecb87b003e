"""FIR delays: stimulus features laid on each run's TR grid and shifted by the haemodynamic lag.

Per-clip features ``(n_clips, 10 TRs, F)`` are laid on each run's 410-volume grid
(:func:`banlib.data.design.clip_grid`), FIR-delayed per run, and the first 10 TRs of each
run dropped, giving rows that match ``Resp_<kind>`` one to one.
"""
from __future__ import annotations

import numpy as np

from ..config import DROPPED_TRS, TEST_REPEATS, TRS_PER_CLIP


def delay(X_runs: np.ndarray, delays: tuple[int, ...] = (2, 3, 4)) -> np.ndarray:
    """FIR-delay a design given per run: ``(n_runs, n_TRs, F)`` -> ``(n_runs, n_TRs, F * len(delays))``.

    Delays are in TRs; a row at TR t gets the features of TR t - d, zeros before the run.
    """
    n_runs, n_t, n_f = X_runs.shape
    out = np.zeros((n_runs, n_t, n_f * len(delays)), dtype=X_runs.dtype)
    for j, d in enumerate(delays):
        out[:, d:, j * n_f:(j + 1) * n_f] = X_runs[:, : n_t - d]
    return out


def design_matrix(clip_features: np.ndarray, grid: np.ndarray, delays=(2, 3, 4),
                  mean_over_repeats: bool = False) -> np.ndarray:
    """Lay per-clip features on the TR grid, delay, drop the lead-in.

    ``clip_features`` (n_clips, 10, F); ``grid`` (n_runs, 410) clip index per TR.
    Returns (n_runs * 400, F * len(delays)) float32, or (n_runs * 100, ...) with
    ``mean_over_repeats`` (rows of ``Resp_Test_Mean``).
    """
    n_runs, n_vol = grid.shape
    pos = np.arange(n_vol) % TRS_PER_CLIP
    per_run = clip_features[grid, pos[None, :]]                      # (n_runs, 410, F)
    X = delay(per_run, tuple(delays))[:, DROPPED_TRS:]               # (n_runs, 400, F*D)
    if mean_over_repeats:
        X = X.reshape(n_runs, TEST_REPEATS, -1, X.shape[-1]).mean(axis=1)
    return X.reshape(-1, X.shape[-1]).astype(np.float32)
