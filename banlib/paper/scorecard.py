"""The replication scorecard: every numeric claim of the paper beside the book's value.

Our values are read from the chapters' results JSON (``<build>/results/<notebook>.json``),
never typed here; the paper's values are in :mod:`banlib.claims` or below, each with the
section it comes from. A claim whose value is missing (a chapter not run, or data that
cannot answer it) is ``not testable``, with the reason.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from .claims import NOT_REPLICATED, NOT_TESTABLE, REPLICATED, verdict_value
from ..config import PAPER_ROI_SIZES

# Section V-E (brain decoding, 6 test clips per genre and subject = 30 per genre)
PAPER_DECODING = {"classical": 1.0, "rock": 0.40}
PAPER_CONFUSIONS = {("reggae", "rock"): 0.333, ("rock", "country"): 0.286}
TRIALS_PER_GENRE = 30
LSTG_GENRES = ("pop", "disco", "country", "hiphop")


def load_results(results_dir: str | Path) -> dict[str, dict]:
    """``{notebook: values}`` for every results JSON in ``results_dir``; also ``_data`` labels."""
    out = {}
    for path in sorted(Path(results_dir).glob("[0-9][0-9]_*.json")):
        d = json.loads(path.read_text())
        out[d["notebook"]] = d["values"] | {"_data": d.get("data"), "_commit": d.get("git_commit")}
    return out


def _get(results, notebook, key):
    return results.get(notebook, {}).get(key)


def _proportion_tolerance(p: float, n: int = TRIALS_PER_GENRE) -> float:
    """Two binomial standard errors of a proportion over ``n`` trials, at least 0.1."""
    return max(2 * math.sqrt(p * (1 - p) / n), 0.1)


def _row(claim, section, paper, ours, tolerance, verdict, source, note=""):
    return {"claim": claim, "section": section, "paper": paper, "ours": ours, "tolerance": tolerance,
            "verdict": verdict, "source": source, "note": note}


def build(results: dict[str, dict]) -> pd.DataFrame:
    rows = []
    missing = "chapter not run"

    # counts of the design
    for key, claim, paper in (("n_clips", "clips in the experiment", 540), ("n_training_clips", "training clips", 480),
                              ("n_test_clips", "test clips", 60), ("n_subjects", "subjects", 5),
                              ("n_genres", "genres", 10)):
        ours = _get(results, "01_data", key)
        rows.append(_row(claim, "V-A", paper, ours, 0, verdict_value(ours, paper, 0), f"01_data:{key}",
                         "" if ours is not None else missing))

    # ROI sizes (Section V-B2): relative tolerance of 20 %
    for sub, paper in PAPER_ROI_SIZES.items():
        ours = _get(results, "02_roi_selection", f"roi_size_{sub}")
        rows.append(_row(f"ROI size, {sub}", "V-B2", paper, ours, round(0.2 * paper),
                         verdict_value(ours, paper, 0.2 * paper), f"02_roi_selection:roi_size_{sub}",
                         "" if ours is not None else missing))

    # decoding (Section V-E)
    per_genre = _get(results, "04_confusion_bas", "brain_accuracy_per_genre_mean") or {}
    for genre, paper in PAPER_DECODING.items():
        ours = per_genre.get(genre)
        tol = _proportion_tolerance(paper)
        rows.append(_row(f"brain decoding accuracy, {genre}", "V-E", paper, ours, round(tol, 3),
                         verdict_value(ours, paper, tol), "04_confusion_bas:brain_accuracy_per_genre_mean",
                         "" if ours is not None else missing))
    for (a, b), paper in PAPER_CONFUSIONS.items():
        ours = _get(results, "04_confusion_bas", f"brain_confusion_{a}_as_{b}")
        tol = _proportion_tolerance(paper)
        rows.append(_row(f"{a} decoded as {b}", "V-E", paper, ours, round(tol, 3), verdict_value(ours, paper, tol),
                         f"04_confusion_bas:brain_confusion_{a}_as_{b}", "" if ours is not None else missing))
    p_max = _get(results, "04_confusion_bas", "brain_consistency_max_p")
    ceiling = _get(results, "04_confusion_bas", "brain_decoding_at_ceiling")
    if p_max is None or (isinstance(p_max, float) and math.isnan(p_max)):
        v, note = NOT_TESTABLE, missing if p_max is None else "rho undefined"
    else:
        v = REPLICATED if p_max < 0.05 else NOT_REPLICATED
        note = "decoding at ceiling: agreement of diagonals, not of errors" if ceiling else ""
    rows.append(_row("confusion matrices consistent across subjects (Spearman, every pair p < .05)", "V-E",
                     "p < .05", p_max, "", v, "04_confusion_bas:brain_consistency_max_p", note))

    # BAS and areas (Sections IV, V)
    bas = {k[len("bas_"):]: v for k, v in results.get("04_confusion_bas", {}).items()
           if k.startswith("bas_") and k != "bas_table" and isinstance(v, (int, float))}
    if bas and all(math.isfinite(v) for v in bas.values()):
        v = REPLICATED if bas.get("BAN", -1) >= max(bas.values()) else NOT_REPLICATED
        rows.append(_row("BAN has the highest BAS of the compared networks", "IV, VI", "highest",
                         round(bas.get("BAN", float("nan")), 3), "", v, "04_confusion_bas:bas_*",
                         "; ".join(f"{k}: {x:.3f}" for k, x in bas.items())))
    else:
        rows.append(_row("BAN has the highest BAS of the compared networks", "IV, VI", "highest", None, "",
                         NOT_TESTABLE, "04_confusion_bas:bas_*", missing if not bas else "no behavioural data"))
    best = (_get(results, "04_confusion_bas", "best_area") or {}).get("BAN")
    rows.append(_row("T2/T3 is BAN's area that best predicts the genre ROI", "IV-A", "T2T3", best, "",
                     NOT_TESTABLE if best is None else (REPLICATED if best == "T2T3" else NOT_REPLICATED),
                     "04_confusion_bas:best_area", "" if best else missing))
    grid = _get(results, "03_train_ban", "recurrence_grid")
    if grid:
        v = REPLICATED if grid.get("2/2/4", -1) >= max(grid.values()) else NOT_REPLICATED
        note = "grid at ceiling" if _get(results, "03_train_ban", "recurrence_grid_at_ceiling") else ""
        top = max(grid.values())
        best_configs = ", ".join(k for k, x in grid.items() if x == top)
        rows.append(_row("passes 2/2/4 score best in the recurrence grid", "V-D", "2/2/4", best_configs, "", v,
                         "03_train_ban:recurrence_grid", note))
    else:
        rows.append(_row("passes 2/2/4 score best in the recurrence grid", "V-D", "2/2/4", None, "", NOT_TESTABLE,
                         "03_train_ban:recurrence_grid", missing))

    # Table II (Section V-F)
    comparison = _get(results, "05_table2", "table2_comparison")
    testable = _get(results, "05_table2", "table2_testable")
    if comparison:
        for c in comparison:
            rows.append(_row(f"Table II {c['roi']}, {c['model']} model", "V-F, Table II",
                             f"{c['paper']:.3f} ± {c['paper sd']:.3f}", f"{c['ours']:.3f} ± {c['ours sd']:.3f}",
                             round(c["tolerance"], 3), c["verdict"], "05_table2:table2_comparison"))
    else:
        rows.append(_row("Table II (24 cells)", "V-F, Table II", "see paper", None, "", NOT_TESTABLE,
                         "05_table2:table2_comparison",
                         "no voxel coordinates in the real derivatives" if testable is False else missing))
    top = _get(results, "05_table2", "genre_top4_per_label") or {}
    if top:
        lstg = len(set(top.get("LSTG", [])) & set(LSTG_GENRES))
        rows.append(_row("pop, disco, country, hip-hop strongest in LSTG", "V-F", "4 of 4", f"{lstg} of 4", "3 of 4",
                         REPLICATED if lstg >= 3 else NOT_REPLICATED, "05_table2:genre_top4_per_label"))
        hs = top.get("HS", [])[:2]
        rows.append(_row("blues contributes most around HS", "V-F", "blues", ", ".join(hs), "top 2",
                         REPLICATED if "blues" in hs else NOT_REPLICATED, "05_table2:genre_top4_per_label"))
    else:
        rows.append(_row("genre dominance in LSTG and HS", "V-F", "see paper", None, "", NOT_TESTABLE,
                         "05_table2:genre_top4_per_label",
                         "no voxel coordinates in the real derivatives" if testable is False else missing))

    # interpretability (Section V-E, Fig. 7)
    rho = _get(results, "06_interpretability", "intensity_rho")
    low = _get(results, "06_interpretability", "low_half_share")
    if rho and low:
        for m in rho:
            ok = rho[m] > 0 and low[m] > 0.5
            rows.append(_row(f"maps favour high intensity and low frequency ({m})", "V-E, Fig. 7",
                             "rho > 0, low-half share > .5", f"rho {rho[m]:.2f}, share {low[m]:.2f}", "",
                             REPLICATED if ok else NOT_REPLICATED, "06_interpretability:intensity_rho, low_half_share"))
    else:
        rows.append(_row("maps favour high intensity and low frequency", "V-E, Fig. 7", "qualitative", None, "",
                         NOT_TESTABLE, "06_interpretability", missing))
    return pd.DataFrame(rows)


def tally(card: pd.DataFrame) -> dict[str, int]:
    return {v: int((card.verdict == v).sum()) for v in (REPLICATED, NOT_REPLICATED, NOT_TESTABLE)}
