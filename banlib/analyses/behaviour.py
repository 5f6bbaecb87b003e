"""Listeners' genre choices (the behavioural half of the BAS, paper Section IV), and how a network's
predictions and the brain's decoded genres compare with them (Fig. 4).

ds003720 ships no behaviour; the choices are read from ``sub-00N/beh/sub-00N_task-GenreChoice_beh.tsv``
where present (:mod:`banlib.data.behaviour`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..config import GENRES
from ..data.behaviour import human_choices
from .metrics import confusion_matrix


def all_choices(pipe) -> dict[str, pd.DataFrame]:
    """Every subject's choices that exist: ``{subject: DataFrame(genre track choice)}`` (empty without behaviour)."""
    found = {s: human_choices(pipe.source, s) for s in pipe.subjects}
    return {s: c for s, c in found.items() if c is not None}


def choice_confusion(tables) -> np.ndarray:
    """Row-normalised confusion of listeners' choices pooled over behaviour tables (rows = true genre)."""
    both = pd.concat(list(tables), ignore_index=True)
    return confusion_matrix([GENRES.index(g) for g in both.genre], [GENRES.index(c) for c in both.choice])


def sampling_error(planted: np.ndarray, trials_per_row: np.ndarray) -> float:
    """Mean absolute error expected from sampling alone when a row-stochastic matrix is estimated
    from ``trials_per_row`` draws per row: mean over cells of sqrt(2 p (1 - p) / (pi n))."""
    n = np.asarray(trials_per_row, float)[:, None]
    return float(np.mean(np.sqrt(2 * planted * (1 - planted) / (np.pi * n))))



def behaviour_values(choices: dict[str, pd.DataFrame]) -> dict:
    """How many listeners have choices and, if any, their mean accuracy."""
    out = {"behaviour_subjects": len(choices)}
    if choices:
        out["human_accuracy_mean"] = float(np.mean([np.mean(c.genre == c.choice) for c in choices.values()]))
    return out


def recovery_sentence(rec: dict) -> str:
    """:func:`planted_recovery`'s result in words (twin only)."""
    return (f"Listeners' confusion against the planted one: mean absolute error **{rec['behaviour_recovery_mae']:.3f}** "
            f"per cell (sampling alone gives about {rec['behaviour_recovery_expected_mae']:.3f}), "
            f"largest {rec['behaviour_recovery_max_error']:.3f}.")


def trials_per_genre(choices: dict[str, pd.DataFrame]) -> np.ndarray:
    """Trials per true genre pooled over listeners, int array of shape (10,)."""
    return np.bincount([GENRES.index(g) for c in choices.values() for g in c.genre], minlength=len(GENRES))


def planted_confusion(source) -> np.ndarray:
    """Twin only: the listeners' planted P(choice | genre), array of shape (10, 10), rows = true genre."""
    path = source.truth_root / "behaviour_confusion.tsv"
    return pd.read_csv(path, sep="\t", index_col=0).loc[list(GENRES), list(GENRES)].to_numpy()


def planted_recovery(choices: dict[str, pd.DataFrame], planted: np.ndarray) -> dict:
    """Twin only: the pooled choice confusion against the planted one (mean and largest absolute error per
    cell) and the mean error that sampling alone would give."""
    err = np.abs(choice_confusion(choices.values()) - planted)
    return {"behaviour_recovery_mae": float(err.mean()),
            "behaviour_recovery_expected_mae": sampling_error(planted, trials_per_genre(choices)),
            "behaviour_recovery_max_error": float(err.max())}


def network_confusion(predictions: dict[str, str], design, clips: np.ndarray, true: np.ndarray) -> np.ndarray:
    """A network's confusion on the test clips ``clips`` (rows of the clip table) with true genres ``true``:
    array of shape (10, 10), rows = true genre."""
    names = design.clip_names(clips)
    return confusion_matrix(true, [GENRES.index(predictions[n]) for n in names])


def confusion_similarity(matrices: dict[str, np.ndarray]) -> pd.Series:
    """Spearman rho between every pair of the given confusion matrices (``{"brain": ..., "BAN": ...}``)."""
    names = list(matrices)
    rho = {f"{a} vs {b}": float(stats.spearmanr(matrices[a].ravel(), matrices[b].ravel())[0])
           for i, a in enumerate(names) for b in names[i + 1:] if matrices[a] is not None and matrices[b] is not None}
    return pd.Series(rho, name="Spearman rho")


def listener_values(choices: dict[str, pd.DataFrame]) -> dict:
    """The listeners' accuracy per genre and the confusion cells Fig. 4 names, from the pooled choices (so that
    the paper's Fig. 4 percentages can be read against choices as well as against brain decoding), and the trials
    per genre behind them (``listener_trials_per_genre``)."""
    if not choices:
        return {}
    conf = choice_confusion(choices.values())
    out = {"listener_accuracy_per_genre": {g: float(conf[i, i]) for i, g in enumerate(GENRES)},
           "listener_trials_per_genre": {g: int(n) for g, n in zip(GENRES, trials_per_genre(choices))}}
    for a, b in (("reggae", "rock"), ("rock", "country")):
        out[f"listener_confusion_{a}_as_{b}"] = float(conf[GENRES.index(a), GENRES.index(b)])
    return out
