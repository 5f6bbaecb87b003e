"""Decoding genre from ROI activity, human choices, and confusion matrices (paper Section V-E, Fig. 4).

A clip's brain pattern is the mean response of its TRs shifted by the haemodynamic lag
(default 2 TRs = 3 s: a row at TR t is credited to the clip playing at t - lag), so a
pattern is (n_ROI_voxels,). The decoder is a multinomial logistic regression on
standardised patterns, its C chosen by leave-one-run-out cross-validation on the
training runs, then tested on the 60 test clips with the 4 repeats averaged
(``Resp_Test_Mean``).
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from ..config import GENRES, TRS_PER_CLIP
from ..data.dataset import load_responses
from ..data.design import clip_table, tr_design
from .metrics import confusion_matrix


def clip_patterns(Y: np.ndarray, design: pd.DataFrame, lag: int = 2) -> tuple[np.ndarray, pd.DataFrame]:
    """Mean response per clip presentation, lag-shifted.

    ``Y`` (T, V) rows of ``Resp_<kind>``; ``design`` the matching :func:`~banlib.dataset.tr_design`.
    Returns ``patterns`` (n_presentations, V) and a frame with ``run``, ``clip``, ``n_trs`` per
    presentation. The lead clip of each run (the repeat whose first TRs are dropped) is left out.
    """
    tr = design.tr.to_numpy()
    run = design.run.to_numpy()
    # credit TR t to the clip that started before t - lag
    slot = (tr - lag) // TRS_PER_CLIP
    keep = slot >= 1
    block = run * 1000 + slot
    clip_of = {}
    for r, t, c in zip(run, tr, design["clip"].to_numpy()):
        clip_of.setdefault((r, t // TRS_PER_CLIP), c)
    ids, inverse = np.unique(block[keep], return_inverse=True)
    counts = np.bincount(inverse)
    rows = np.nonzero(keep)[0]
    out = np.zeros((len(ids), Y.shape[1]), np.float64)
    np.add.at(out, inverse, np.asarray(Y[rows], np.float64))
    out /= counts[:, None]
    info = pd.DataFrame({"run": ids // 1000, "clip": [clip_of[(b // 1000, b % 1000)] for b in ids],
                         "n_trs": counts})
    return out.astype(np.float32), info


@dataclass
class GenreDecoder:
    """Multinomial logistic regression on standardised patterns; ``C`` chosen by group CV.

    ``fit(X, y, groups)`` with X (n, V), y (n,) genre index, groups (n,) run; ``predict(X)``.
    """

    Cs: tuple = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)
    max_iter: int = 2000

    def fit(self, X, y, groups) -> "GenreDecoder":
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import LeaveOneGroupOut, cross_val_score
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        def pipe(C):
            return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=self.max_iter))

        cv = LeaveOneGroupOut()
        self.cv_accuracy_ = np.array([cross_val_score(pipe(C), X, y, groups=groups, cv=cv).mean()
                                      for C in self.Cs])
        self.C_ = float(self.Cs[int(np.argmax(self.cv_accuracy_))])
        self.model_ = pipe(self.C_).fit(X, y)
        return self

    def predict(self, X) -> np.ndarray:
        return self.model_.predict(X)


def decode_subject(source, subject: str, mask: np.ndarray, lag: int = 2,
                   decoder: GenreDecoder | None = None) -> dict:
    """Train on the 480 training presentations, predict the 60 test clips (repeats averaged).

    Returns ``true``/``pred`` genre indices (60,), ``clips`` (clip-table rows), ``accuracy``,
    ``confusion`` (10, 10, rows = true genre, normalised) and the fitted ``decoder``.
    """
    clips = clip_table(source, subject)
    genre = np.array([GENRES.index(g) for g in clips.genre])
    mask = np.asarray(mask, bool)
    if mask.sum() == 0:
        raise ValueError(f"{subject}: the ROI is empty; nothing to decode from")
    sets = {}
    for kind in ("Training", "Test_Mean"):
        Y = load_responses(source, subject, kind)
        sets[kind] = clip_patterns(np.asarray(Y[:, mask]), tr_design(source, subject, kind, clips), lag)
    Xtr, itr = sets["Training"]
    Xte, ite = sets["Test_Mean"]
    decoder = decoder or GenreDecoder()
    decoder.fit(Xtr, genre[itr["clip"]], itr.run.to_numpy())
    pred = decoder.predict(Xte)
    true = genre[ite["clip"]]
    return {"subject": subject, "true": true, "pred": pred, "clips": ite["clip"].to_numpy(),
            "accuracy": float((pred == true).mean()), "confusion": confusion_matrix(true, pred),
            "decoder": decoder}


def consistency(confusions: dict[str, np.ndarray], off_diagonal: bool = False) -> pd.DataFrame:
    """Spearman's rho between the (flattened) confusion matrices of every pair of subjects."""
    rows = []
    for a, b in combinations(sorted(confusions), 2):
        x, y = np.asarray(confusions[a]), np.asarray(confusions[b])
        keep = ~np.eye(len(x), dtype=bool) if off_diagonal else np.ones_like(x, bool)
        if np.ptp(x[keep]) == 0 or np.ptp(y[keep]) == 0:     # no errors at all: rho undefined
            rho, p = float("nan"), float("nan")
        else:
            rho, p = stats.spearmanr(x[keep], y[keep])
        rows.append({"a": a, "b": b, "rho": float(rho), "p": float(p)})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- behaviour


def choice_confusion(tables) -> np.ndarray:
    """Row-normalised confusion of listeners' choices pooled over behaviour tables (rows = true genre)."""
    both = pd.concat(list(tables), ignore_index=True)
    return confusion_matrix([GENRES.index(g) for g in both.genre], [GENRES.index(c) for c in both.choice])


def sampling_error(planted: np.ndarray, trials_per_row: np.ndarray) -> float:
    """Mean absolute error expected from sampling alone when a row-stochastic matrix is estimated
    from ``trials_per_row`` draws per row: mean over cells of sqrt(2 p (1 - p) / (pi n))."""
    n = np.asarray(trials_per_row, float)[:, None]
    return float(np.mean(np.sqrt(2 * planted * (1 - planted) / (np.pi * n))))
