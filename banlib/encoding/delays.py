"""FIR delays: stimulus features laid on each run's TR grid and shifted by the haemodynamic lag.

Per-clip features ``(n_clips, 10 TRs, F)`` are laid on each run's 410-volume grid
(:attr:`banlib.data.design.SubjectDesign.grids`), FIR-delayed per run, and the first 10 TRs of
each run dropped, giving rows that match ``Resp_<kind>`` one to one. :class:`Delayer` owns the
column layout (delay-major: the F features at the first delay, then at the second, ...) and its
inverse, so weights fitted on delayed features can be read back per feature.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import DROPPED_TRS, TEST_REPEATS, TRS_PER_CLIP

DEFAULT_DELAYS = (2, 3, 4)          # TRs: 3, 4.5 and 6 s at TR 1.5 s


@dataclass(frozen=True)
class Delayer:
    """FIR delays in TRs, and the way back from delayed columns to features.

    Parameters
    ----------
    delays : tuple of int
        Shifts in TRs; a row at TR t gets the features of TR t - d, zeros before the run starts.
    """

    delays: tuple = DEFAULT_DELAYS

    def transform(self, X_runs: np.ndarray) -> np.ndarray:
        """Delay a design given per run.

        Parameters
        ----------
        X_runs : array of shape (n_runs, n_trs, n_features)

        Returns
        -------
        array of shape (n_runs, n_trs, n_features * n_delays), delay-major columns.
        """
        n_runs, n_t, n_f = X_runs.shape
        out = np.zeros((n_runs, n_t, n_f * len(self.delays)), dtype=X_runs.dtype)
        for j, d in enumerate(self.delays):
            out[:, d:, j * n_f:(j + 1) * n_f] = X_runs[:, : n_t - d]
        return out

    def split_weights(self, coef: np.ndarray) -> np.ndarray:
        """Weights on delayed columns, array of shape (n_features * n_delays, V), as an array of shape
        (n_delays, n_features, V): the inverse of the column layout of :meth:`transform`."""
        return np.asarray(coef).reshape(len(self.delays), -1, coef.shape[-1])

    def average_weights(self, coef: np.ndarray) -> np.ndarray:
        """Weights per feature averaged over the delays: array of shape (V, n_features)."""
        return self.split_weights(coef).mean(axis=0).T

    def design_matrix(self, clip_features: np.ndarray, grid: np.ndarray, mean_over_repeats: bool = False) -> np.ndarray:
        """Lay per-clip features on the volume grid, delay, drop the lead-in.

        Parameters
        ----------
        clip_features : array of shape (n_clips, 10, n_features)
            Features per clip and TR.
        grid : int array of shape (n_runs, 410)
            Clip index playing at each volume.
        mean_over_repeats : bool
            Average the 4 repeats of a test run (the rows of ``Resp_Test_Mean``).

        Returns
        -------
        float32 array of shape (n_runs * 400, n_features * n_delays), or (n_runs * 100, ...) with
        ``mean_over_repeats``.
        """
        n_runs, n_vol = grid.shape
        pos = np.arange(n_vol) % TRS_PER_CLIP
        per_run = clip_features[grid, pos[None, :]]                      # (n_runs, 410, F)
        X = self.transform(per_run)[:, DROPPED_TRS:]                     # (n_runs, 400, F*D)
        if mean_over_repeats:
            X = X.reshape(n_runs, TEST_REPEATS, -1, X.shape[-1]).mean(axis=1)
        return X.reshape(-1, X.shape[-1]).astype(np.float32)
