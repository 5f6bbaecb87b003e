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

from ..config import GENRES, TRS_PER_CLIP, rng
from ..data.dataset import load_responses
from .metrics import confusion_matrix


def clip_patterns(Y: np.ndarray, design: pd.DataFrame, lag: int = 2) -> tuple[np.ndarray, pd.DataFrame]:
    """Mean response per clip presentation, lag-shifted.

    ``Y`` (T, V) rows of ``Resp_<kind>``; ``design`` the matching :func:`~banlib.data.design.tr_design`.
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
        """Choose C by leave-one-group-out accuracy, then fit on everything."""
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
        """Genre index per pattern, int array of shape (n,)."""
        return self.model_.predict(X)


@dataclass
class Decoded:
    """Genre decoded from one subject's ROI on the 60 test clips.

    Attributes
    ----------
    subject : str
    true, pred : int arrays of shape (60,)
        True and decoded genre index per test clip.
    clips : int array of shape (60,)
        The clips' rows in the design's clip table.
    confusion : array of shape (10, 10)
        Row-normalised confusion matrix (rows = true genre).
    decoder : GenreDecoder
    """

    subject: str
    true: np.ndarray
    pred: np.ndarray
    clips: np.ndarray
    confusion: np.ndarray
    decoder: "GenreDecoder"

    @property
    def accuracy(self) -> float:
        """Share of test clips decoded correctly."""
        return float((self.pred == self.true).mean())


def decode_subject(source, design, mask: np.ndarray, lag: int = 2, decoder: GenreDecoder | None = None) -> Decoded:
    """Train on the 480 training presentations, predict the 60 test clips (repeats averaged).

    Parameters
    ----------
    source : DataSource
    design : SubjectDesign
    mask : bool array of shape (V,)
        The voxels to decode from (the subject's genre ROI).
    lag : int
        Haemodynamic lag in TRs.
    decoder : GenreDecoder, optional
    """
    genre = design.genre
    mask = np.asarray(mask, bool)
    if mask.sum() == 0:
        raise ValueError(f"{design.subject}: the ROI is empty; nothing to decode from")
    sets = {}
    for kind in ("Training", "Test_Mean"):
        Y = load_responses(source, design.subject, kind)
        sets[kind] = clip_patterns(np.asarray(Y[:, mask]), design.rows[kind], lag)
    Xtr, itr = sets["Training"]
    Xte, ite = sets["Test_Mean"]
    decoder = decoder or GenreDecoder()
    decoder.fit(Xtr, genre[itr["clip"]], itr.run.to_numpy())
    pred = decoder.predict(Xte)
    true = genre[ite["clip"]]
    return Decoded(design.subject, true, pred, ite["clip"].to_numpy(), confusion_matrix(true, pred), decoder)


def decode_all(pipe, split: str = "training", progress: bool = True) -> dict[str, Decoded]:
    """:func:`decode_subject` for every subject of a :class:`~banlib.analyses.pipeline.Pipeline`, on its ROI
    (``split``: the ROI selected on the training runs, or on training and test pooled as the paper did)."""
    from tqdm.auto import tqdm

    return {sub: decode_subject(pipe.source, pipe.design(sub), pipe.roi_mask(sub, split))
            for sub in tqdm(pipe.subjects, desc=f"decoding ({split} ROI)", unit="subject", disable=not progress)}


def shuffle_within_runs(labels: np.ndarray, runs: np.ndarray, g: np.random.Generator) -> np.ndarray:
    """``labels`` permuted among the items of the same run (each run shuffled on its own)."""
    out = np.array(labels, copy=True)
    for r in np.unique(runs):
        idx = np.nonzero(runs == r)[0]
        out[idx] = out[g.permutation(idx)]
    return out


def permutation_null(source, design, mask: np.ndarray, n_permutations: int, seed: int, C: float,
                     lag: int = 2) -> np.ndarray:
    """Test accuracy of the decoder refitted (with the chosen ``C``) on training labels shuffled within runs:
    the chance distribution of :func:`decode_subject`'s accuracy, array of shape (n_permutations,)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    g = rng(seed, "decoding", "permutation", design.subject)
    genre, mask = design.genre, np.asarray(mask, bool)
    Xtr, itr = clip_patterns(np.asarray(load_responses(source, design.subject, "Training")[:, mask]),
                             design.rows["Training"], lag)
    Xte, ite = clip_patterns(np.asarray(load_responses(source, design.subject, "Test_Mean")[:, mask]),
                             design.rows["Test_Mean"], lag)
    ytr, yte, runs = genre[itr["clip"]], genre[ite["clip"]], itr.run.to_numpy()
    out = np.empty(n_permutations)
    for k in range(n_permutations):
        model = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000))
        model.fit(Xtr, shuffle_within_runs(ytr, runs, g))
        out[k] = (model.predict(Xte) == yte).mean()
    return out


def null_all(pipe, decoded: dict[str, Decoded], n_permutations: int, progress: bool = True) -> pd.DataFrame:
    """Permutation nulls of every subject's decoding accuracy: one column per subject, one row per permutation,
    plus the ``mean`` over subjects (the null of the mean accuracy)."""
    from tqdm.auto import tqdm

    null = {s: permutation_null(pipe.source, pipe.design(s), pipe.roi_mask(s), n_permutations, pipe.seed,
                                d.decoder.C_) for s, d in tqdm(decoded.items(), desc="decoding null", unit="subject",
                                                              disable=not progress)}
    table = pd.DataFrame(null)
    table["mean"] = table.mean(axis=1)
    return table


def null_table(decoded: dict[str, Decoded], null: pd.DataFrame, level: float = 95) -> pd.DataFrame:
    """Accuracy per subject and their mean, beside the null's ``level``-th percentile and the permutation p."""
    acc = {s: d.accuracy for s, d in decoded.items()}
    acc["mean"] = float(np.mean(list(acc.values())))
    rows = {s: {"accuracy": a, f"null {level:g}th percentile": float(np.percentile(null[s], level)),
                "p (permutation)": float((1 + (null[s] >= a).sum()) / (1 + len(null)))} for s, a in acc.items()}
    return pd.DataFrame(rows).T


def mean_confusion(decoded: dict[str, Decoded]) -> np.ndarray:
    """The subjects' confusion matrices averaged, array of shape (10, 10)."""
    return np.mean([d.confusion for d in decoded.values()], axis=0)


def per_genre_accuracy(decoded: dict[str, Decoded]) -> pd.DataFrame:
    """Accuracy per genre: one row per subject and a ``mean`` row, one column per genre."""
    table = pd.DataFrame({s: np.diag(d.confusion) for s, d in decoded.items()}, index=GENRES).T
    table.loc["mean"] = table.mean()
    return table


OFF_DIAGONAL_UNDEFINED = ("rho over the off-diagonal cells is undefined (null) for a pair in which a subject's "
                          "matrix has no errors: all its off-diagonal cells are equal")
PAPER_CONFUSION_CELLS = (("reggae", "rock"), ("rock", "country"))   # named in Section V-E


def trials_per_genre(decoded: dict[str, Decoded]) -> dict[str, int]:
    """Test clips per true genre over all subjects (the trials behind each mean proportion): ``{genre: count}``."""
    counts = np.bincount(np.concatenate([d.true for d in decoded.values()]), minlength=len(GENRES))
    return {g: int(n) for g, n in zip(GENRES, counts)}


def decoding_values(decoded: dict[str, Decoded]) -> dict:
    """The chapter's results: accuracy and confusion per subject, their means, the cells the paper names, and the
    test clips per genre behind the means (``brain_trials_per_genre``)."""
    out = {}
    for sub, d in decoded.items():
        out[f"brain_accuracy_{sub}"] = d.accuracy
        out[f"brain_confusion_{sub}"] = d.confusion.round(4)
    mean = mean_confusion(decoded)
    out["brain_accuracy_mean"] = float(np.mean([d.accuracy for d in decoded.values()]))
    out["brain_accuracy_per_genre_mean"] = per_genre_accuracy(decoded).loc["mean"].round(4).to_dict()
    out["brain_trials_per_genre"] = trials_per_genre(decoded)
    for a, b in PAPER_CONFUSION_CELLS:
        out[f"brain_confusion_{a}_as_{b}"] = float(mean[GENRES.index(a), GENRES.index(b)])
    return out


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


def consistency_table(decoded: dict[str, Decoded]) -> pd.DataFrame:
    """Every pair of subjects: Spearman rho and p over all 100 cells, and rho over the 90 off-diagonal cells."""
    confusions = {s: d.confusion for s, d in decoded.items()}
    table = consistency(confusions)
    table["rho (off-diagonal)"] = consistency(confusions, off_diagonal=True).rho
    return table


def at_ceiling(decoded: dict[str, Decoded], level: float = 0.95) -> bool:
    """Whether every subject is decoded at ``level`` or better (matrices then agree through their diagonals)."""
    return all(d.accuracy >= level for d in decoded.values())


CEILING_SENTENCE = ("**Every subject is decoded at 95 % or better**: the matrices are (nearly) diagonal, so their agreement "
                    "reflects accuracy, not shared confusions, and the off-diagonal rho is undefined.")


def consistency_values(table: pd.DataFrame, ceiling: bool) -> dict:
    """The chapter's results on consistency: smallest rho, largest p, every pair, and the ceiling flag."""
    return {"brain_consistency_min_rho": float(table.rho.min()), "brain_consistency_max_p": float(table.p.max()),
            "brain_consistency_pairs": table.round(4).to_dict(orient="records"),
            "brain_decoding_at_ceiling": bool(ceiling)}


def split_values(comparison: pd.DataFrame) -> dict:
    """The mean accuracy with the pooled (paper) ROI and its gain over the training-only ROI, from
    :func:`split_comparison`."""
    return {"brain_accuracy_mean_paper_split": float(comparison.loc["mean", "pooled ROI (paper)"]),
            "brain_accuracy_gain_paper_split": float(comparison.loc["mean", "gain"])}


def split_comparison(decoded: dict[str, Decoded], decoded_paper: dict[str, Decoded]) -> pd.DataFrame:
    """Decoding accuracy per subject with the training-only ROI and with the pooled (paper) ROI, and the gain."""
    table = pd.DataFrame({"training-only ROI": {s: d.accuracy for s, d in decoded.items()},
                          "pooled ROI (paper)": {s: d.accuracy for s, d in decoded_paper.items()}})
    table.loc["mean"] = table.mean()
    table["gain"] = table["pooled ROI (paper)"] - table["training-only ROI"]
    return table


def network_patterns(activations: np.ndarray, clips) -> np.ndarray:
    """One pattern per clip from a network area's per-TR activations (array of shape (n_clips, 10, F)): the mean
    over the clip's TRs, array of shape (len(clips), F). A network has no haemodynamic lag, so no TR is shifted."""
    return np.asarray(activations, np.float64)[np.asarray(clips)].mean(axis=1)


def decode_network(pipe, name: str = "BAN", area: str = "T2T3", replicate: int = 0,
                   decoder: GenreDecoder | None = None) -> dict:
    """Genre decoded from a network's activity with the brain decoding's decoder (:class:`GenreDecoder`, C by
    leave-one-run-out over the 12 training runs): trained on the 480 training clips' patterns of ``area``
    (:func:`network_patterns`), tested on the 60 test clips. Returns ``accuracy``, ``n_clips``, ``chance``,
    ``C``, the training ``seed`` and the row-normalised ``confusion`` (10 x 10 nested lists)."""
    from ..config import network_seed

    design = pipe.design()
    acts = pipe.responses(name, replicate=replicate)["activations"][area]
    train, test = np.nonzero(design.training_clips)[0], np.asarray(design.test_clips)
    runs = design.clips.runs.to_numpy()
    groups = np.array([runs[c][0] for c in train])          # the run a clip is first heard in (later: a lead repeat)
    decoder = decoder or GenreDecoder()
    decoder.fit(network_patterns(acts, train), design.genre[train], groups)
    pred = decoder.predict(network_patterns(acts, test))
    true = design.genre[test]
    return {"accuracy": float((pred == true).mean()), "n_clips": int(len(test)), "chance": 1 / len(GENRES),
            "C": decoder.C_, "seed": network_seed(pipe.seed, replicate), "network": name, "area": area,
            "confusion": confusion_matrix(true, pred).round(4).tolist()}


def network_sentence(decoded: dict, readout: float) -> str:
    """:func:`decode_network`'s result in words, beside the network's own read-out accuracy ``readout``."""
    return (f"Genre decoded from {decoded['network']}'s {decoded['area']} activity (first training seed): "
            f"**{decoded['accuracy']:.2f}** of the {decoded['n_clips']} test clips (chance {decoded['chance']:.2f}); "
            f"its own read-out: {readout:.2f}.")
