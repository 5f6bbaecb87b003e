"""Calibration: does the data (the twin) look as hard as the paper says the real data are?

Each target is something the paper reports about the real data (ROI sizes, brain decoding, Table II)
or a difficulty the twin must have (BAN not at ceiling). It is measured with the book's own analysis
code, never with the generator's internals:

* ROI sizes: :meth:`Pipeline.roi_mask` (ROI selection with the profile's repeats; cached under
  ``<work>/results/02_roi_<sub>.npz`` for the later chapters);
* brain decoding: :func:`banlib.analyses.decoding.decode_subject` on the ROI, and
  :func:`~banlib.analyses.decoding.consistency` between subjects;
* Table II: :func:`banlib.encoding.voxelwise.fit_and_score` with the genre one-hot, MFCC and BAN
  genre-probability features, then :func:`banlib.analyses.table2.subject_table` /
  :func:`~banlib.analyses.table2.summarise` over the ROI voxels' labels;
* BAN: held-out accuracy after the profile's training (:meth:`Pipeline.network`, checkpoints cached).

Agreement of the twin with these targets is *calibration*: it says the twin is as hard as the real
data in these respects, not that anything of the paper was replicated.

    table = calibration.measure(pipe)            # one row per target
    res.record("calibration", calibration.as_json(table), glue=False)
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import GENRES, REAL_N_VOXELS, SUBJECTS
from ..data.atlas import TABLE2_ROIS
from ..paper.values import PAPER_ROI_SIZES, PAPER_TABLE2

ROI_TOLERANCE = 0.35               # relative, on the ROI size
TABLE2_RANGE = (0.02, 0.30)        # every Table II cell (mean r over subjects)
TABLE2_MIN_SUBJECTS = 3            # a cell counts as defined when this many subjects have ROI voxels in the label
CEILING = 0.95                     # a subject decoded at or above this is "at ceiling" (as in chapter 04)
TOP_CONFUSIONS = 5                 # the paper's two confusions must be among this many largest cells
TABLE2_MODELS = ("genre", "MFCC", "BAN")


@dataclass(frozen=True)
class Target:
    """One calibration target: what is measured, where the paper reports it, what the twin must give.

    ``lo``/``hi`` bound the measured value (None = open); ROI sizes are checked against
    ``ROI_TOLERANCE`` around a size that depends on the subject's V, so their bounds are set at
    measurement time.
    """

    id: str
    target: str
    section: str
    paper: str
    tolerance: str
    lo: float | None = None
    hi: float | None = None


def _roi_targets() -> tuple[Target, ...]:
    return tuple(Target(f"roi_size_{s}", f"ROI size, {s} (voxels)", "V-B2",
                        f"{PAPER_ROI_SIZES[s]:,} of {REAL_N_VOXELS[s]:,} voxels ({PAPER_ROI_SIZES[s] / REAL_N_VOXELS[s]:.2%})",
                        f"within ±{ROI_TOLERANCE:.0%} of the paper's share of V times this V")
                 for s in SUBJECTS)


def _table2_targets() -> tuple[Target, ...]:
    lo, hi = TABLE2_RANGE
    return tuple(Target(f"table2_{roi}_{m}", f"Table II, {roi}, {m} features (mean r in ROI voxels, mean over subjects)",
                        "V-F, Table II", f"{PAPER_TABLE2[roi][m][0]:.3f}",
                        f"between {lo:.2f} and {hi:.2f}, from at least {TABLE2_MIN_SUBJECTS} subjects with ROI voxels in the label", lo, hi)
                 for roi in TABLE2_ROIS for m in TABLE2_MODELS)


TARGETS: tuple[Target, ...] = (
    *_roi_targets(),
    Target("decoding_classical", "brain decoding, classical (accuracy, mean over subjects)", "V-E, Fig. 4",
           "1.00", ">= 0.80", 0.80, None),
    Target("decoding_rock", "brain decoding, rock (accuracy, mean over subjects)", "V-E, Fig. 4", "0.40",
           "<= 0.60", None, 0.60),
    Target("confusion_reggae_as_rock", "reggae decoded as rock: rank among the off-diagonal cells of the mean matrix",
           "V-E, Fig. 4", "0.333", f"among the {TOP_CONFUSIONS} largest", None, TOP_CONFUSIONS),
    Target("confusion_rock_as_country", "rock decoded as country: rank among the off-diagonal cells of the mean matrix",
           "V-E, Fig. 4", "0.286", f"among the {TOP_CONFUSIONS} largest", None, TOP_CONFUSIONS),
    Target("decoding_mean", "brain decoding, accuracy (mean over subjects)", "V-E", "not given",
           "between 0.45 and 0.85", 0.45, 0.85),
    Target("decoding_best_subject", "brain decoding, the best subject's accuracy", "V-E", "not given",
           f"below {CEILING:.2f} (no subject at ceiling)", None, CEILING),
    Target("consistency_max_p", "inter-subject consistency of the confusion matrices: largest Spearman p over pairs",
           "V-E", "p < .05, all pairs", "< 0.05", None, 0.05),
    Target("consistency_min_rho_offdiagonal", "inter-subject consistency, off-diagonal cells only: smallest rho over pairs",
           "V-E", "not given", "defined for every pair (every subject makes errors)", -1.0, 1.0),
    *_table2_targets(),
    Target("ban_heldout_accuracy", "BAN held-out accuracy (tracks not used in training), mean over training seeds",
           "V-C", "not comparable (GTZAN)", "between 0.60 and 0.90", 0.60, 0.90),
    Target("ban_per_genre_range", "BAN held-out accuracy per genre (mean over training seeds): best minus worst genre",
           "V-C", "not given", ">= 0.20 (unequal genres)", 0.20, None),
)


def targets_frame() -> pd.DataFrame:
    """The targets as a table (id, target, section, paper, tolerance) for the chapter."""
    return pd.DataFrame([{k: getattr(t, k) for k in ("id", "target", "section", "paper", "tolerance")}
                         for t in TARGETS])


# --------------------------------------------------------------------------- measurements


def roi_expected_size(subject: str, n_voxels: int) -> float:
    """The paper's ROI size as a share of the real V, times this data's V (= the paper's size at full V)."""
    return PAPER_ROI_SIZES[subject] / REAL_N_VOXELS[subject] * n_voxels


def off_diagonal_rank(matrix: np.ndarray, row: int, col: int) -> int:
    """Rank (1 = largest) of cell (row, col) among the off-diagonal cells; ties share the best rank."""
    m = np.asarray(matrix, float)
    off = m[~np.eye(len(m), dtype=bool)]
    return int((off > m[row, col]).sum()) + 1


def decoding_measures(confusions: dict[str, np.ndarray], accuracies: dict[str, float]) -> dict[str, float]:
    """The decoding targets from per-subject confusion matrices (10, 10, rows = true genre) and accuracies."""
    from .decoding import consistency

    mean = np.mean([confusions[s] for s in sorted(confusions)], axis=0)
    c, rk, rg, co = (GENRES.index(g) for g in ("classical", "rock", "reggae", "country"))
    full = consistency(confusions)
    off = consistency(confusions, off_diagonal=True)
    return {"decoding_classical": float(mean[c, c]), "decoding_rock": float(mean[rk, rk]),
            "confusion_reggae_as_rock": float(off_diagonal_rank(mean, rg, rk)),
            "confusion_rock_as_country": float(off_diagonal_rank(mean, rk, co)),
            "decoding_mean": float(np.mean(list(accuracies.values()))),
            "decoding_best_subject": float(max(accuracies.values())),
            "consistency_max_p": float(full.p.max()),   # NaN when a pair is undefined
            "consistency_min_rho_offdiagonal": float(off.rho.min()) if off.rho.notna().all() else float("nan"),
            "_confusion_values": {"reggae_as_rock": float(mean[rg, rk]), "rock_as_country": float(mean[rk, co])}}


def table2_measures(tables: dict[str, pd.DataFrame], models=TABLE2_MODELS) -> dict[str, tuple[float, int]]:
    """``{table2_<roi>_<model>: (mean over subjects, subjects with ROI voxels in the label)}``."""
    from .table2 import summarise

    summary = summarise(tables, models)
    out = {}
    for roi in TABLE2_ROIS:
        n_subjects = int(sum(int(t.loc[roi, "n"]) > 0 for t in tables.values()))
        for m in models:
            out[f"table2_{roi}_{m}"] = (float(summary.loc[roi, f"{m} mean"]), n_subjects)
    return out


def ban_measures(probabilities: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Held-out accuracy and the spread of per-genre accuracy of a trained network, from its class
    probabilities (n tracks, 10) on the held-out tracks and their genre indices ``labels`` (n,)."""
    from .metrics import confusion_matrix

    labels = np.asarray(labels)
    pred = np.asarray(probabilities).argmax(1)
    per_genre = np.diag(confusion_matrix(labels, pred))
    present = np.bincount(labels, minlength=len(GENRES)) > 0
    return {"ban_heldout_accuracy": float((pred == labels).mean()),
            "ban_per_genre_range": float(np.ptp(per_genre[present])),
            "_ban_per_genre": {g: float(a) for g, a, p in zip(GENRES, per_genre, present) if p}}


def over_seeds(runs: list[dict]) -> tuple[dict[str, float], dict[str, str]]:
    """The BAN targets from :func:`ban_measures` of every training seed: held-out accuracy averaged over seeds,
    per-genre accuracy averaged over seeds and then its range; and the notes that list them."""
    per_genre = {g: float(np.mean([r["_ban_per_genre"][g] for r in runs])) for g in runs[0]["_ban_per_genre"]}
    accuracies = [r["ban_heldout_accuracy"] for r in runs]
    values = {"ban_heldout_accuracy": float(np.mean(accuracies)), "ban_per_genre_range": float(np.ptp(list(per_genre.values())))}
    notes = {"ban_heldout_accuracy": f"mean over {len(runs)} training seeds (" + ", ".join(f"{a:.3f}" for a in accuracies) + ")",
             "ban_per_genre_range": "per genre, mean over seeds: " + ", ".join(f"{g} {a:.2f}" for g, a in per_genre.items())}
    return values, notes


def measure(pipe, subjects=None, progress: bool = False, network: bool = True) -> pd.DataFrame:
    """Measure every target on ``pipe``'s data with the book's pipeline; one row per target.

    Columns: ``id, target, section, paper, measured, tolerance, lo, hi, ok, note``. ``measured`` is
    NaN (and ``ok`` False) where the value is undefined, with the reason in ``note``. Needs voxel
    labels (the twin has them; the real derivatives do not, so Table II rows are then undefined).
    ``network=False`` leaves out everything that needs the trained BAN (its rows say so).
    """
    from tqdm.auto import tqdm

    from ..data.dataset import load_responses
    from ..encoding.voxelwise import fit_and_score
    from ..features.labels import genre_onehot
    from .decoding import decode_subject
    from .table2 import subject_table

    source = pipe.source
    subjects = list(subjects or pipe.subjects)
    values: dict[str, float] = {}
    notes: dict[str, str] = {}
    bounds: dict[str, tuple] = {}
    contributing: dict[str, int] = {}
    steps = tqdm(subjects, desc="calibration: ROI, decoding, Table II", unit="subject", disable=not progress)

    spaces = {"genre": genre_onehot(pipe.clips.genre), "MFCC": pipe.mfcc_features}
    if network:
        spaces["BAN"] = pipe.genre_features("BAN")
    confusions, accuracies, tables = {}, {}, {}
    for sub in steps:
        mask = pipe.roi_mask(sub)
        n_vox = int(load_responses(source, sub, "Training").shape[1])
        expected = roi_expected_size(sub, n_vox)
        key = f"roi_size_{sub}"
        values[key] = float(mask.sum())
        bounds[key] = (expected * (1 - ROI_TOLERANCE), expected * (1 + ROI_TOLERANCE))
        notes[key] = f"expected {expected:.0f} = {PAPER_ROI_SIZES[sub]} / {REAL_N_VOXELS[sub]:,} x {n_vox:,}"
        if not mask.any():
            continue
        design = pipe.design(sub)
        d = decode_subject(source, design, mask)
        confusions[sub], accuracies[sub] = d.confusion, float(np.mean(d.pred == d.true))
        vox = pipe.voxel_table(sub)
        if vox is not None:
            r = {m: fit_and_score(source, design, f, voxels=mask).r for m, f in spaces.items()}
            labels = vox["roi"].to_numpy()[mask]
            tables[sub] = subject_table(r, labels)

    dec_ids = [t.id for t in TARGETS if t.id.startswith(("decoding_", "confusion_", "consistency_"))]
    if len(confusions) == len(subjects) and len(subjects) >= 2:
        dec = decoding_measures(confusions, accuracies)
        cv = dec.pop("_confusion_values")
        values.update(dec)
        notes["confusion_reggae_as_rock"] = f"cell value {cv['reggae_as_rock']:.3f}"
        notes["confusion_rock_as_country"] = f"cell value {cv['rock_as_country']:.3f}"
        if not math.isfinite(dec["consistency_max_p"]):
            notes["consistency_max_p"] = "undefined for some pair: a confusion matrix is constant"
        if not math.isfinite(dec["consistency_min_rho_offdiagonal"]):
            notes["consistency_min_rho_offdiagonal"] = ("undefined: some subject makes no decoding errors, "
                                                        "so its off-diagonal cells are all 0")
    else:
        for k in dec_ids:
            notes[k] = "undefined: a subject's ROI is empty"

    t2_ids = [t.id for t in TARGETS if t.id.startswith("table2_")]
    if len(tables) == len(subjects):
        for k, (v, n_subjects) in table2_measures(tables, tuple(spaces)).items():
            values[k], contributing[k] = v, n_subjects
            notes[k] = f"{n_subjects} of {len(subjects)} subjects with ROI voxels in the label"
    else:
        for k in t2_ids:
            notes[k] = "undefined: no voxel labels in these data, or an empty ROI"

    if network:
        # every training seed: one seed's accuracy on 40 held-out tracks moves by about +-0.1
        runs = [ban_measures(pipe.predictions("BAN", "val", replicate=k), pipe.training_data["val"].labels)
                for k in pipe.replicates]
        ban_values, ban_notes = over_seeds(runs)
        values.update(ban_values)
        notes.update(ban_notes)
    else:
        for t in TARGETS:
            if t.id.startswith("ban_") or t.id.endswith("_BAN"):
                notes[t.id] = "not measured: the trained BAN was left out (network=False)"
    return _table(values, notes, bounds, contributing)


def _table(values: dict, notes: dict, bounds: dict, contributing: dict | None = None) -> pd.DataFrame:
    """The measured table; ``contributing`` gives, per Table II cell, the subjects it was averaged over."""
    contributing = contributing or {}
    rows = []
    for t in TARGETS:
        v = values.get(t.id, float("nan"))
        lo, hi = bounds.get(t.id, (t.lo, t.hi))
        ok = math.isfinite(v) and (lo is None or v >= lo) and (hi is None or v <= hi)
        if t.id.startswith("table2_") and ok:
            ok = contributing.get(t.id, 0) >= TABLE2_MIN_SUBJECTS
        if t.id.startswith(("decoding_best", "consistency_max_p")) and ok and hi is not None:
            ok = v < hi                                                   # strict: below the ceiling / .05
        rows.append({"id": t.id, "target": t.target, "section": t.section, "paper": t.paper,
                     "measured": v, "tolerance": t.tolerance, "lo": lo, "hi": hi, "ok": bool(ok),
                     "note": notes.get(t.id, "" if math.isfinite(v) else "not measured")})
    return pd.DataFrame(rows)


def as_json(table: pd.DataFrame) -> list[dict]:
    """Strict-JSON rows of a :func:`measure` table: NaN becomes ``null`` with the reason in ``note``."""
    out = []
    for row in table.to_dict(orient="records"):
        clean = {}
        for k, v in row.items():
            if isinstance(v, (float, np.floating)):
                v = float(v)
                v = v if math.isfinite(v) else None
            elif isinstance(v, np.generic):
                v = v.item()
            clean[k] = v
        if clean["measured"] is None and not clean["note"]:
            clean["note"] = "undefined"
        out.append(clean)
    return out


RECORD_COLUMNS = ("id", "target", "section", "paper", "measured", "tolerance", "ok", "note")


def record_rows(table: pd.DataFrame) -> list[dict]:
    """The rows the book records under ``calibration`` (``results/01_data.json``): strict JSON, one dict
    per target with ``id, target, section, paper, measured, tolerance, ok, note`` (``measured`` is
    ``null`` where undefined, the reason in ``note``)."""
    return [{k: row[k] for k in RECORD_COLUMNS} for row in as_json(table)]


def display(table: pd.DataFrame) -> pd.DataFrame:
    """The table as the chapter shows it: target, section, paper, twin (measured, formatted), must give,
    met (✓/✗), note. Counts (ROI sizes, confusion ranks) are shown as integers, the rest to 3 decimals."""
    def shown(row):
        v = row.measured
        if not math.isfinite(v):
            return "undefined"
        if row.id.startswith(("roi_size_", "confusion_")):
            return f"{v:.0f}"
        return f"{v:.2g}" if row.id == "consistency_max_p" else f"{v:.3f}"

    return pd.DataFrame({"target": table.target, "section": table.section, "paper": table.paper,
                         "twin": [shown(r) for r in table.itertuples()], "must give": table.tolerance,
                         "met": np.where(table.ok, "✓", "✗"), "note": table.note}).set_index("target")


def summary(table: pd.DataFrame) -> str:
    """One line: how many targets are met, and which are not."""
    bad = table.loc[~table.ok, "id"].tolist()
    return f"{int(table.ok.sum())} of {len(table)} calibration targets met" + (f"; not met: {', '.join(bad)}" if bad else "")
