"""Recovery: on the twin, what the pipeline found beside what the generator planted.

The twin's ground truth (``derivative/twin_truth/``, see :mod:`banlib.twin.brain`) says which voxels
respond to genre, which tracks sound like another genre, how strongly each label is tuned to each
drive, and where the blues cue sits on the spectrogram. Each function here compares one result of
the book with that truth and returns plain numbers with a ``verdict`` ("recovered" / "not
recovered", by the criterion in :data:`CRITERIA`). None of this is about the paper: it tests the
pipeline. (Agreement of the twin with the paper's numbers is *calibration*, :mod:`.calibration`.)
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from ..config import GENRES
from ..data.dataset import DataError, check_present
from ..files import load_array

RECOVERED, NOT_RECOVERED = "recovered", "not recovered"
CRITERIA = {
    "roi": "precision >= 0.8: at least 80 % of the ROI voxels are planted genre voxels",
    "decoding": "Spearman rho > 0 with p < .05 between the decoded and the planted confusion (off-diagonal cells)",
    "network": "more than half of the network's errors name the genre the track was planted to sound like",
    "table2": "Spearman rho > 0 with p < .05 between Table II cells and the planted oracle r of the same voxels",
    "cue": "the maps put more of their weight on the cue's mel bands for clips with the cue than for clips "
           "without it, and more than the bands' share of the spectrogram",
}


def _verdict(ok: bool) -> str:
    return RECOVERED if ok else NOT_RECOVERED


@dataclass
class Planted:
    """The twin's planted truth, as read from ``twin_truth/``."""

    tracks: pd.DataFrame          # genre, track, like, blend, cue, ... (one row per rendered track)
    clips: pd.DataFrame           # the 540 clips (clip-table order)
    confusion: np.ndarray         # (10, 10) planted confusion, rows = true genre
    genre_space: np.ndarray       # (10, d) genre coordinates
    clip_drive: np.ndarray        # (540, d + n_bias) each clip's place in the genre space
    cue: dict                     # cue.json


def load_planted(source) -> Planted:
    """Read the planted truth of a twin; fails clearly for data without one (the real data)."""
    if source.truth_root is None:
        raise DataError("these data have no planted truth (only the twin has one): recovery is not defined")
    root = Path(source.truth_root)

    def tsv(name, **kw):
        return pd.read_csv(check_present(root / name, "planted truth"), sep="\t", **kw)

    conf = tsv("planted_confusion.tsv", index_col=0).loc[list(GENRES), list(GENRES)].to_numpy()
    space = tsv("genre_space.tsv", index_col=0).loc[list(GENRES)].to_numpy()
    drive = load_array(check_present(root / "clip_genre_drive.npy", "planted truth"), "planted truth",
                       "generate the twin again (banlib twin --force)", error=DataError)
    cue = json.loads(check_present(root / "cue.json", "planted truth").read_text())
    return Planted(tsv("tracks.tsv"), tsv("clips.tsv", index_col=0), conf, space, drive, cue)


# --------------------------------------------------------------------------- ROI


def roi_recovery(mask: np.ndarray, voxels: pd.DataFrame) -> dict:
    """ROI against the planted genre voxels (``voxels.truth == "genre"``).

    ``precision``: share of ROI voxels that are genre voxels; ``recall``: share of genre voxels in the
    ROI; ``recall_strong``: the same among genre voxels whose planted genre SNR is above the median
    of genre voxels (the ROI keeps the reliable ones; the weak are expected to be missed);
    ``acoustic_selected``: acoustic-only voxels in the ROI."""
    mask = np.asarray(mask, bool)
    truth = voxels["truth"].to_numpy()
    genre = truth == "genre"
    snr = voxels["genre_snr"].to_numpy() if "genre_snr" in voxels else np.where(genre, 1.0, 0.0)
    strong = genre & (snr > np.median(snr[genre])) if genre.any() else genre
    tp = int((mask & genre).sum())
    out = {"selected": int(mask.sum()), "planted": int(genre.sum()),
           "precision": tp / mask.sum() if mask.any() else float("nan"),
           "recall": tp / genre.sum() if genre.any() else float("nan"),
           "recall_strong": int((mask & strong).sum()) / strong.sum() if strong.any() else float("nan"),
           "acoustic_selected": int((mask & (truth == "acoustic")).sum())}
    out["verdict"] = _verdict(bool(mask.any()) and out["precision"] >= 0.8)
    return out


# --------------------------------------------------------------------------- decoding


def planted_decoding(planted: Planted, clip_rows) -> np.ndarray:
    """The genre a noise-free decoder would name for each clip: the nearest genre in the planted genre
    space to where the clip was planted. ``clip_rows`` index the clip table; returns genre indices."""
    d = planted.genre_space.shape[1]
    pos = planted.clip_drive[np.asarray(clip_rows), :d]
    return np.argmin(np.linalg.norm(pos[:, None, :] - planted.genre_space[None], axis=-1), axis=1)


def off_diagonal_spearman(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Spearman rho (and p) between the off-diagonal cells of two square matrices; NaN when undefined."""
    keep = ~np.eye(len(a), dtype=bool)
    x, y = np.asarray(a, float)[keep], np.asarray(b, float)[keep]
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan"), float("nan")
    rho, p = stats.spearmanr(x, y)
    return float(rho), float(p)


def confusion_recovery(decoded: np.ndarray, planted: np.ndarray) -> dict:
    """A decoded confusion matrix (10, 10) against a planted one: Spearman over off-diagonal cells, and
    the planted top-5 confusions that are also among the decoded top 5."""
    rho, p = off_diagonal_spearman(decoded, planted)
    keep = ~np.eye(len(planted), dtype=bool)
    top = lambda m: set(np.argsort(-np.where(keep, m, -np.inf), axis=None, kind="stable")[:5].tolist())  # noqa: E731
    return {"rho_offdiagonal": rho, "p": p, "top5_shared": len(top(np.asarray(decoded)) & top(np.asarray(planted))),
            "verdict": _verdict(np.isfinite(rho) and rho > 0 and p < 0.05)}


def decoding_recovery(decoded: dict, planted: Planted) -> dict:
    """Brain decoding of every subject (:class:`banlib.analyses.decoding.Decoded`, by subject)
    against the planted genre space: the mean decoded confusion against the noise-free one, and the
    share of clips decoded as the planted nearest genre (per subject and on average)."""
    from .metrics import confusion_matrix

    subjects = sorted(decoded)
    first = decoded[subjects[0]]
    expected = planted_decoding(planted, first.clips)
    planted_conf = confusion_matrix(first.true, expected)
    mean = np.mean([decoded[s].confusion for s in subjects], axis=0)
    out = confusion_recovery(mean, planted_conf)
    agree = {s: float((decoded[s].pred == planted_decoding(planted, decoded[s].clips)).mean()) for s in subjects}
    out.update({"agreement_per_subject": agree, "agreement_mean": float(np.mean(list(agree.values()))),
                "planted_accuracy": float((expected == first.true).mean()), "planted_confusion": planted_conf})
    return out


def network_recovery(names, true, pred, planted: Planted) -> dict:
    """A network's errors against the planted "sounds like": of the tracks it gets wrong, how many does
    it give the genre they were planted to sound like. ``names`` ``genre.000NN``, ``true``/``pred``
    genre indices."""
    like = planted.tracks.assign(name=lambda d: d.genre + "." + d.track.map("{:05d}".format)).set_index("name")
    true, pred = np.asarray(true), np.asarray(pred)
    wrong = np.nonzero(pred != true)[0]
    to_like = [GENRES[pred[i]] == like.loc[names[i], "like"] for i in wrong]
    borrowed = np.array([like.loc[n, "blend"] > 0 for n in names])
    acc_pure = float((pred == true)[~borrowed].mean()) if (~borrowed).any() else float("nan")
    acc_borrowed = float((pred == true)[borrowed].mean()) if borrowed.any() else float("nan")
    share = float(np.mean(to_like)) if len(wrong) else float("nan")
    return {"errors": int(len(wrong)), "errors_to_planted_like": int(np.sum(to_like)), "share": share,
            "accuracy_own_genre_tracks": acc_pure, "accuracy_borrowing_tracks": acc_borrowed,
            "verdict": _verdict(bool(len(wrong)) and share > 0.5)}


# --------------------------------------------------------------------------- Table II


def planted_table2(voxels: pd.DataFrame, mask=None, labels=None) -> pd.DataFrame:
    """The planted counterpart of one subject's Table II: per label, the mean oracle r (the best test r
    a model of that drive can reach, :func:`banlib.twin.brain.oracle_r`) of its ROI voxels, genre drive
    for the genre and BAN columns, acoustic drive for MFCC. Rows labels, columns models + ``n``."""
    from ..data.atlas import TABLE2_ROIS

    keep = np.ones(len(voxels), bool) if mask is None else np.asarray(mask, bool)
    lab = voxels["roi"].to_numpy()
    rows = {}
    for roi in (labels or TABLE2_ROIS):
        sel = keep & (lab == roi)
        g = voxels["oracle_r_genre"].to_numpy()[sel]
        a = voxels["oracle_r_acoustic"].to_numpy()[sel]
        rows[roi] = {"genre": g.mean() if sel.any() else np.nan, "MFCC": a.mean() if sel.any() else np.nan,
                     "BAN": g.mean() if sel.any() else np.nan, "n": int(sel.sum())}
    return pd.DataFrame(rows).T.astype({"n": int})


def table2_recovery(tables: dict[str, pd.DataFrame], planted: dict[str, pd.DataFrame], models=("genre", "MFCC", "BAN")) -> dict:
    """Measured Table II cells (per subject, :func:`banlib.analyses.table2.subject_table`) against the
    planted ones (:func:`planted_table2`): Spearman rho over every defined (subject, label) cell, per
    model. The genre and BAN columns are compared with the planted genre drive, MFCC with the acoustic."""
    out = {}
    for m in models:
        x = np.concatenate([tables[s][m].to_numpy(float) for s in sorted(tables)])
        y = np.concatenate([planted[s].loc[tables[s].index, m].to_numpy(float) for s in sorted(tables)])
        ok = np.isfinite(x) & np.isfinite(y)
        if ok.sum() < 3 or np.ptp(x[ok]) == 0 or np.ptp(y[ok]) == 0:
            out[m] = {"rho": float("nan"), "p": float("nan"), "cells": int(ok.sum()), "verdict": NOT_RECOVERED}
            continue
        rho, p = stats.spearmanr(x[ok], y[ok])
        out[m] = {"rho": float(rho), "p": float(p), "cells": int(ok.sum()),
                  "verdict": _verdict(rho > 0 and p < 0.05)}
    return out


# --------------------------------------------------------------------------- interpretability


def cue_bands(planted: Planted) -> slice:
    """The mel rows (of the 64-band log-mel) that hold the planted cue's fundamentals."""
    lo, hi = planted.cue["mel_bands"]
    return slice(int(lo), int(hi) + 1)


def cue_share(attribution: np.ndarray, rows: slice) -> float:
    """Share of a map's positive attribution inside ``rows`` (mel bands) of a (bands, frames) map."""
    pos = np.clip(np.asarray(attribution, float), 0, None)
    total = pos.sum()
    return float(pos[rows].sum() / total) if total > 0 else float("nan")


def cue_recovery(with_cue: list[np.ndarray], without_cue: list[np.ndarray], rows: slice, n_bands: int = 64) -> dict:
    """Do maps point at the planted cue? Mean share of positive attribution in the cue's bands for clips
    that carry it and for clips that do not, and the share the bands would get if the weight were spread
    evenly (``uniform``)."""
    a = [cue_share(m, rows) for m in with_cue]
    b = [cue_share(m, rows) for m in without_cue]
    uniform = (rows.stop - rows.start) / n_bands
    sa = float(np.nanmean(a)) if a else float("nan")
    sb = float(np.nanmean(b)) if b else float("nan")
    ok = np.isfinite(sa) and np.isfinite(sb) and sa > sb and sa > uniform
    return {"share_with_cue": sa, "share_without_cue": sb, "uniform": uniform,
            "enrichment": sa / uniform if np.isfinite(sa) else float("nan"), "n_with": len(a), "n_without": len(b),
            "verdict": _verdict(bool(ok))}


# --------------------------------------------------------------------------- one check per chapter
# Each returns a dict for the chapter's results (``recovery_<check>``): ``verdict``, ``criterion`` (from
# :data:`CRITERIA`), ``summary`` (one sentence with the numbers) and the numbers themselves. The scorecard's
# "pipeline recovery" section lists them.


def _checked(check: str, out: dict, summary: str) -> dict:
    return {"verdict": out["verdict"], "criterion": CRITERIA[check], "summary": summary} | {
        k: v for k, v in out.items() if k != "verdict" and not isinstance(v, np.ndarray)}


def roi_check(rois: dict, voxel_tables: dict) -> dict:
    """Every subject's ROI (:class:`banlib.analyses.roi.ROI`) against its planted genre voxels; recovered when
    every subject's precision meets the criterion."""
    per = {s: roi_recovery(r.mask, voxel_tables[s]) for s, r in rois.items()}
    ok = all(p["verdict"] == RECOVERED for p in per.values())
    prec = {s: round(p["precision"], 4) for s, p in per.items()}
    rec = {s: round(p["recall"], 4) for s, p in per.items()}
    strong = {s: round(p["recall_strong"], 4) for s, p in per.items()}
    out = {"verdict": _verdict(ok), "precision": prec, "recall": rec, "recall_strong": strong,
           "min_precision": min(prec.values()), "min_recall": min(rec.values())}
    return _checked("roi", out, f"precision {min(prec.values()):.2f}-{max(prec.values()):.2f} over subjects, recall "
                                f"{min(rec.values()):.2f}-{max(rec.values()):.2f} (strongly tuned voxels "
                                f"{min(strong.values()):.2f}-{max(strong.values()):.2f})")


def network_check(evaluation, planted: Planted) -> dict:
    """A network's held-out predictions (:class:`banlib.analyses.networks.Evaluation`) against the tracks'
    planted "sounds like"."""
    val = evaluation.data["val"]
    out = network_recovery(list(val.names), val.labels, evaluation.val_pred, planted)
    share = "undefined (no errors)" if not out["errors"] else f"{out['share']:.2f}"
    return _checked("network", out, f"{out['errors_to_planted_like']} of {out['errors']} held-out errors name the "
                                    f"planted sounds-like genre (share {share}); accuracy "
                                    f"{out['accuracy_own_genre_tracks']:.2f} on tracks that sound like their genre, "
                                    f"{out['accuracy_borrowing_tracks']:.2f} on tracks that borrow another's")


def decoding_check(decoded: dict, planted: Planted) -> dict:
    """Brain decoding of every subject (:class:`banlib.analyses.decoding.Decoded`) against the planted genre
    space (:func:`decoding_recovery`)."""
    out = decoding_recovery(decoded, planted)
    rho = "undefined" if not np.isfinite(out["rho_offdiagonal"]) else f"{out['rho_offdiagonal']:.2f} (p = {out['p']:.2g})"
    out["agreement_per_subject"] = {s: round(v, 4) for s, v in out["agreement_per_subject"].items()}
    return _checked("decoding", out, f"off-diagonal Spearman rho with the planted confusion {rho}; "
                                     f"{out['top5_shared']} of its 5 largest confusions shared; "
                                     f"{out['agreement_mean']:.2f} of clips decoded as their planted nearest genre")


def table2_check(fits: dict, voxel_tables: dict, masks: dict, models=("genre", "MFCC", "BAN")) -> dict:
    """Table II cells (per subject, ROI voxels) against the planted oracle r of the same voxels; recovered
    when every model's cells follow the planted ones (:func:`table2_recovery`)."""
    from .table2 import tables

    measured = tables(fits, voxel_tables, masks)
    planted = {s: planted_table2(voxel_tables[s], masks[s]) for s in measured}
    per = table2_recovery(measured, planted, models)
    ok = all(p["verdict"] == RECOVERED for p in per.values())
    text = "; ".join(f"{m}: rho {p['rho']:.2f} over {p['cells']} cells" if np.isfinite(p["rho"])
                     else f"{m}: undefined" for m, p in per.items())
    return _checked("table2", {"verdict": _verdict(ok), "models": per}, text)


def cue_check(explained, seed: int, planted: Planted, n: int = 4) -> dict:
    """Attribution maps of up to ``n`` test clips that carry the planted cue against ``n`` jazz clips (the
    genre that shares most of blues' music) that do not, each for its predicted class, per method
    (:func:`cue_recovery`); recovered when every method points at the cue."""
    carrying, lacking = cue_clips(explained, planted, n=n)
    if not carrying or not lacking:
        return _checked("cue", {"verdict": NOT_RECOVERED}, f"undefined: {len(carrying)} test clips carry the cue, "
                                                          f"{len(lacking)} jazz clips lack it")
    maps_with = [explained.maps(i, seed=seed) for i in carrying]
    maps_without = [explained.maps(i, seed=seed) for i in lacking]
    rows = cue_bands(planted)
    per = {m: cue_recovery([v[m] for v in maps_with], [v[m] for v in maps_without], rows) for m in maps_with[0]}
    ok = all(p["verdict"] == RECOVERED for p in per.values())
    text = "; ".join(f"{m}: {p['share_with_cue']:.2f} of the weight on the cue's bands with the cue, "
                     f"{p['share_without_cue']:.2f} without (even spread {p['uniform']:.2f})" for m, p in per.items())
    return _checked("cue", {"verdict": _verdict(ok), "methods": per, "clips_with_cue": [explained.names[i] for i in carrying],
                            "clips_without_cue": [explained.names[i] for i in lacking]}, text)


def cue_clips(explained, planted: Planted, genre: str = "jazz", n: int = 4) -> tuple[list[int], list[int]]:
    """Indices of test clips (of :class:`banlib.analyses.interpret.Explained`) whose track carries the
    planted cue, and of clips of ``genre`` whose track does not; at most ``n`` each."""
    cue = planted.tracks.assign(name=lambda d: d.genre + "." + d.track.map("{:05d}".format)).set_index("name").cue
    carrying = [i for i, nm in enumerate(explained.names) if bool(cue.get(nm, False))][:n]
    lacking = [i for i in explained.of_genre(genre) if not bool(cue.get(explained.names[i], False))][:n]
    return carrying, lacking


CHECKS = {"roi": roi_check, "network": network_check, "decoding": decoding_check, "table2": table2_check,
          "cue": cue_check}


def run_check(check: str, *args, source) -> dict:
    """``CHECKS[check](*args)``; a check that takes a ``planted`` argument is given the twin's planted truth,
    read from ``source`` (the others read it from the voxel tables among their arguments)."""
    import inspect

    fn = CHECKS[check]
    if "planted" in inspect.signature(fn).parameters:
        return fn(*args, load_planted(source))
    return fn(*args)


def sentence(check: dict) -> str:
    """The verdict line a chapter prints under its result."""
    return (f"**Pipeline recovery: {check['verdict']}** ({check['criterion']}): {check['summary']}. "
            "This tests the pipeline on the twin's planted truth, not the paper.")
