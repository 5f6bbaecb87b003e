"""Table II (paper Section V-F): which feature space predicts which auditory label, and genre maps.

Three encoding models per subject, each fitted and scored by :func:`banlib.encoding.voxelwise.fit_and_score`:
genre labels (one-hot), MFCC (:mod:`banlib.features.mfcc`) and BAN (its genre probabilities per TR,
:func:`banlib.models.activations.genre_outputs`). A Table II cell is the mean test r over a label's
voxels inside the subject's genre ROI; mean ± sd over subjects beside the paper's value.

Genre maps: the BAN model's ridge weights (averaged over the FIR delays) of the ROI voxels,
(V_roi, 10 genres), pooled over subjects and reduced by PCA over voxels: loadings per genre, and scores per voxel,
normalised afterwards within each subject (each component's scores divided by their sd over the subject's ROI
voxels) for the maps on the surface.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import GENRES, rng
from ..data.atlas import distinctness_label, hemisphere, in_stg
from ..data.dataset import ROWS_PER_KIND
from ..encoding.stats import fdr_bh, pearson_pvalues
from ..encoding.delays import Delayer
from ..encoding.voxelwise import fit_and_score
from ..features.labels import genre_onehot
from ..paper.values import DISTINCT_LABELS, LESS_DISTINCT_LABELS, N_SUBJECTS, PAPER_TABLE2, TABLE2_MODELS, TABLE2_ROIS
from ..paper.verdicts import MARGINS, REPLICATED, mean_sd_equivalence, shown

MODELS = TABLE2_MODELS
N_TEST_ROWS = ROWS_PER_KIND["Test_Mean"]


def label_means(r: np.ndarray, labels: np.ndarray, mask: np.ndarray | None = None, rois=TABLE2_ROIS) -> pd.DataFrame:
    """Mean r and voxel count per label: rows ``rois``, columns ``mean_r``, ``n``.

    ``r`` (V,), ``labels`` (V,) ROI name per voxel, ``mask`` (V,) bool restricts to the genre ROI."""
    labels = np.asarray(labels)
    keep = np.ones(len(r), bool) if mask is None else np.asarray(mask, bool)
    rows = {}
    for roi in rois:
        sel = keep & (labels == roi)
        rows[roi] = {"mean_r": float(r[sel].mean()) if sel.any() else float("nan"), "n": int(sel.sum())}
    return pd.DataFrame(rows).T.astype({"n": int})


def subject_table(r_by_model: dict[str, np.ndarray], labels, mask=None) -> pd.DataFrame:
    """One subject's Table II: rows labels, columns models (mean r), plus ``n`` voxels."""
    parts = {m: label_means(r, labels, mask) for m, r in r_by_model.items()}
    table = pd.DataFrame({m: p.mean_r for m, p in parts.items()})
    table["n"] = next(iter(parts.values())).n
    return table


def summarise(tables: dict[str, pd.DataFrame], models=MODELS) -> pd.DataFrame:
    """Mean and sd over subjects per (label, model): columns ``<model> mean``, ``<model> sd``."""
    stack = pd.concat(tables, names=["subject", "roi"])
    out = {}
    for m in models:
        grouped = stack[m].groupby(level="roi", sort=False)
        out[f"{m} mean"], out[f"{m} sd"] = grouped.mean(), grouped.std(ddof=1)
    return pd.DataFrame(out).loc[list(TABLE2_ROIS)]


def genre_pca(weights: np.ndarray, n_components: int = 3):
    """PCA over voxels of (V, 10) genre weights: ``scores`` (V, k), ``loadings`` (k, 10), ``explained`` (k,).

    The weights are centred over voxels (not scaled); components' signs are fixed so the largest loading is
    positive. The scores are raw; :func:`normalised_scores` normalises them per subject for display."""
    W = np.asarray(weights, np.float64)
    Wc = W - W.mean(axis=0)
    U, s, Vt = np.linalg.svd(Wc, full_matrices=False)
    k = min(n_components, len(s))
    sign = np.sign(Vt[np.arange(k), np.argmax(np.abs(Vt[:k]), axis=1)])
    loadings = Vt[:k] * sign[:, None]
    return {"scores": Wc @ loadings.T, "loadings": loadings, "explained": (s[:k] ** 2) / (s ** 2).sum()}


def normalised_scores(scores: np.ndarray, sizes) -> np.ndarray:
    """PCA scores (array of shape (V, k), subjects stacked in blocks of ``sizes`` voxels) with each component's
    scores divided by their sd within each subject's block (the paper "normalized the principal component
    analysis scores" per participant for its maps); a block without spread stays 0."""
    out = np.zeros_like(np.asarray(scores, np.float64))
    lo = 0
    for n in sizes:
        block = np.asarray(scores[lo:lo + n], np.float64)
        sd = block.std(axis=0)
        out[lo:lo + n] = np.divide(block, sd, out=np.zeros_like(block), where=sd > 0)
        lo += n
    return out


def genre_profile(weights: np.ndarray, labels, mask=None, short: bool = True) -> pd.DataFrame:
    """Mean weight per genre for each label (hemispheres pooled when ``short``): rows labels, columns genres."""
    labels = np.asarray(labels).astype(str)
    if short:
        labels = np.array([lab.split(".")[-1] for lab in labels])
    keep = np.ones(len(labels), bool) if mask is None else np.asarray(mask, bool)
    df = pd.DataFrame(np.asarray(weights)[keep], columns=list(GENRES))
    df["label"] = labels[keep]
    return df.groupby("label").mean()


def compare_with_paper(summary: pd.DataFrame, n_subjects: int, models=MODELS) -> pd.DataFrame:
    """Long table: roi, model, ours (mean, sd), paper (mean, sd), difference, margin and the rule's verdict (TOST
    with the ``table2_cell`` margin on Welch's interval, :func:`banlib.paper.verdicts.mean_sd_equivalence`)."""
    margin = MARGINS["table2_cell"].value
    rows = []
    for roi in TABLE2_ROIS:
        for m in models:
            pm, ps = PAPER_TABLE2[roi][m]
            om, osd = (float(summary.loc[roi, f"{m} mean"]), float(summary.loc[roi, f"{m} sd"])) \
                if roi in summary.index else (float("nan"), float("nan"))
            verdict = mean_sd_equivalence(om, osd, n_subjects, pm, ps, N_SUBJECTS, margin).verdict \
                if np.isfinite(om) else "not testable"
            rows.append({"roi": roi, "model": m, "ours": om, "ours sd": osd, "paper": pm, "paper sd": ps,
                         "difference": om - pm, "margin": margin, "verdict": verdict})
    return pd.DataFrame(rows)


def ranking_agreement(summary: pd.DataFrame, models=MODELS) -> float:
    """Share of labels in which our order of the models equals the paper's."""
    same = []
    for roi in TABLE2_ROIS:
        ours = summary.loc[roi, [f"{m} mean" for m in models]].to_numpy(float)
        if not np.isfinite(ours).all():
            continue
        paper = np.array([PAPER_TABLE2[roi][m][0] for m in models])
        same.append(list(np.argsort(-ours)) == list(np.argsort(-paper)))
    return float(np.mean(same)) if same else float("nan")


def feature_spaces(pipe) -> dict[str, np.ndarray]:
    """The three feature spaces of Table II, each an array of shape (540 clips, 10 TRs, n_features)."""
    return {"genre": genre_onehot(pipe.clips.genre), "MFCC": pipe.mfcc_features, "BAN": pipe.genre_features("BAN")}


def fit_models(pipe, spaces: dict[str, np.ndarray], progress: bool = True) -> dict[str, dict]:
    """Every feature space fitted and scored on every voxel of every subject: ``{subject: {model:
    TestRunScores}}``. Each subject's r per model is also written to ``<work>/results/05_r_<sub>.npz``."""
    from tqdm.auto import tqdm

    fits = {}
    for sub in tqdm(pipe.subjects, desc="encoding models", unit="subject", disable=not progress):
        fits[sub] = {m: fit_and_score(pipe.source, pipe.design(sub), f) for m, f in spaces.items()}
        path = pipe.work / "results" / f"05_r_{sub}.npz"
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, **{m: f.r for m, f in fits[sub].items()})
    return fits


def roi_mean_values(fits: dict, masks: dict) -> dict:
    """``roi_mean_r_<model>_<sub>``: mean test r over each subject's ROI voxels."""
    return {f"roi_mean_r_{m}_{sub}": float(f.r[masks[sub]].mean()) for sub, by in fits.items() for m, f in by.items()}


def tables(fits: dict, voxel_tables: dict, masks: dict | None = None) -> dict[str, pd.DataFrame]:
    """:func:`subject_table` of every subject (ROI voxels only when ``masks`` is given)."""
    return {sub: subject_table({m: f.r for m, f in by.items()}, voxel_tables[sub].roi,
                               None if masks is None else masks[sub]) for sub, by in fits.items()}


#: Why cells of the Table II results can be null (recorded beside them in the results file).
NAN_REASONS = {"table2_summary": "an sd needs two subjects or more, and a label without ROI voxels in every subject "
                                 "has no mean",
               "table2_per_subject": "a label without ROI voxels in a subject has no mean for that subject",
               "table2_comparison": "a cell without a mean or without an sd over subjects cannot be compared",
               "table2_null95": "a label without ROI voxels in any subject has no null",
               "table2_gain_paper_split": "a label without ROI voxels under one of the two selections has no gain"}


def table2_values(per_subject: dict[str, pd.DataFrame]) -> dict:
    """The chapter's Table II results: the summary, every subject's cells (``table2_per_subject``), the comparison
    with the paper and its counts."""
    summary = summarise(per_subject)
    comparison = compare_with_paper(summary, len(per_subject))
    rows = pd.concat(per_subject, names=["subject", "roi"]).reset_index()
    return {"table2_summary": summary.round(4).reset_index().to_dict(orient="records"),
            "table2_per_subject": rows[["subject", "roi", *MODELS, "n"]].round(4).to_dict(orient="records"),
            "table2_comparison": comparison.round(4).to_dict(orient="records"),
            "table2_n_subjects": len(per_subject),
            "table2_replicated_cells": int((comparison.verdict == REPLICATED).sum()),
            "table2_ranking_agreement": ranking_agreement(summary),
            "table2_roi_voxels_per_label": pd.concat(per_subject).groupby(level=1).n.sum().to_dict()}


def table2_sentence(values: dict, twin: bool = False) -> str:
    """How many cells are equivalent to the paper's and in how many labels the models' order matches the paper's
    (on the twin: calibration, as the twin plants every cell)."""
    head = ("Cells equivalent to the paper's (TOST, ±{m:g} r; on the twin this is calibration: every cell is planted "
            "by `LABEL_TUNING`)" if twin else "Cells replicated (equivalent within ±{m:g} r, TOST)")
    return (f"{head.format(m=MARGINS['table2_cell'].value)}: **{values['table2_replicated_cells']} of 24**; labels "
            f"where the order of the three models' means matches the paper's: **{values['table2_ranking_agreement']:.0%}**.")


def comparison_display(summary: pd.DataFrame, n_subjects: int, twin: bool = False) -> pd.DataFrame:
    """Table II beside the paper, one row per label: ours and the paper's ``mean ± sd`` and the rule's verdict per
    model (on the twin, in the twin's words under ``calibration``: every cell is planted there)."""
    comp = compare_with_paper(summary, n_subjects)
    comp = comp.assign(ours=comp.ours.map("{:.3f}".format) + " ± " + comp["ours sd"].map("{:.3f}".format),
                       paper=comp.paper.map("{:.3f}".format) + " ± " + comp["paper sd"].map("{:.3f}".format),
                       verdict=comp.verdict.map(lambda v: shown(v, twin)))
    comp = comp.rename(columns={"verdict": "calibration" if twin else "verdict"})
    return comp.pivot(index="roi", columns="model", values=["ours", "paper", "calibration" if twin else "verdict"]
                      ).loc[list(summary.index)]


def by_planted_kind(fits: dict, voxel_tables: dict) -> pd.DataFrame:
    """Twin only: mean r of each model over all voxels of each planted kind, mean over subjects."""
    rows = []
    for sub, by in fits.items():
        truth = voxel_tables[sub].truth.to_numpy()
        for kind in ("genre", "acoustic", "none"):
            rows.append({"subject": sub, "planted": kind, **{m: float(f.r[truth == kind].mean()) for m, f in by.items()}})
    return pd.DataFrame(rows).groupby("planted")[list(MODELS)].mean().loc[["genre", "acoustic", "none"]]


def delay_averaged_weights(fits: dict, masks: dict, model: str = "BAN", delayer: Delayer = Delayer()) -> dict[str, np.ndarray]:
    """Per subject, the ``model``'s ridge weights of the ROI voxels averaged over delays: ``{subject: array of shape
    (n_roi, 10)}`` (what the genre maps' PCA runs on)."""
    return {sub: delayer.average_weights(by[model].model.coef_)[masks[sub]] for sub, by in fits.items()}


def by_kind_values(by_kind: pd.DataFrame) -> dict:
    """Twin only: :func:`by_planted_kind`'s table and the best model on genre and on acoustic voxels."""
    return {"twin_table2_by_kind": by_kind.round(4).to_dict(), "twin_best_model_genre_voxels": by_kind.loc["genre"].idxmax(),
            "twin_best_model_acoustic_voxels": by_kind.loc["acoustic"].idxmax()}


def distinctness_table(pooled: dict, per_subject: dict) -> pd.DataFrame:
    """:func:`genre_distinctness` as a table: rows ``all subjects`` and each subject, columns the labels."""
    table = pd.DataFrame({"all subjects": pooled} | per_subject).T
    return table[[k for k in DISTINCTNESS_LABELS if k in table]]


def genre_weights(fits: dict, masks: dict, model: str = "BAN", delayer: Delayer = Delayer()) -> dict[str, np.ndarray]:
    """Per subject, the ``model``'s ridge weights of the ROI voxels averaged over delays and z-scored across
    the 10 genres within each voxel: ``{subject: array of shape (n_roi, 10)}`` (which genres a voxel favours, for the
    genre profile of each label)."""
    out = {}
    for sub, w in delay_averaged_weights(fits, masks, model, delayer).items():
        out[sub] = (w - w.mean(1, keepdims=True)) / np.maximum(w.std(1, keepdims=True), 1e-12)
    return out


GENRE_MAP_COMPONENTS = 10      # the paper's "10 principal components"
DEGENERATE = 1e-6              # a component explaining less than this share of the variance carries nothing


def pca_values(pca: dict) -> dict:
    """Number of components, variance explained by each (6 significant digits, so a degenerate component shows
    as such), the degenerate ones (``genre_pca_degenerate``, less than :data:`DEGENERATE` of the variance) and the
    loadings (per genre) of the others: a component without variance has no loadings worth reporting."""
    loadings = pd.DataFrame(pca["loadings"], columns=list(GENRES), index=[f"PC{i + 1}" for i in range(len(pca["loadings"]))])
    explained = [float(f"{v:.6g}") for v in pca["explained"]]
    flat = [f"PC{i + 1}" for i, v in enumerate(pca["explained"]) if v < DEGENERATE]
    return {"genre_pca_n_components": len(pca["loadings"]), "genre_pca_explained": explained,
            "genre_pca_degenerate": flat,
            "genre_pca_loadings": loadings.drop(index=flat).round(4).to_dict(orient="index")}


def pca_sentence(values: dict) -> str:
    """The variance each genre-map component explains, and which (if any) carry nothing."""
    explained = values["genre_pca_explained"]
    flat = [i + 1 for i, v in enumerate(explained) if v < DEGENERATE]
    text = ("Variance explained by the components: " + ", ".join(f"PC{i + 1} {v:.1%}" for i, v in enumerate(explained))
            + ".")
    if flat:
        text += (f" PC{', PC'.join(map(str, flat))} {'explains' if len(flat) == 1 else 'explain'} (almost) nothing: "
                 "BAN's features are its 10 genre "
                 "probabilities, which sum to 1, so the ridge weights have 9 degrees of freedom and a 10th component "
                 "cannot carry information; its variance is reported, its loadings are not.")
    return text


def first_components(pca: dict, k: int) -> dict:
    """The first ``k`` components of a :func:`genre_pca` result."""
    return {"scores": pca["scores"][:, :k], "loadings": pca["loadings"][:k], "explained": pca["explained"][:k]}


def component_maps(weights: dict[str, np.ndarray], pca: dict, masks: dict, component: int = 0) -> dict[str, np.ndarray]:
    """Each subject's voxels' normalised score (:func:`normalised_scores`) on one component, zero outside the ROI:
    ``{subject: array of shape (V,)}``. ``weights``: the blocks the PCA was run on, in order."""
    sizes = [len(w) for w in weights.values()]
    scores = normalised_scores(pca["scores"][:, [component]], sizes)[:, 0]
    offsets = np.cumsum([0] + sizes)
    out = {}
    for i, sub in enumerate(weights):
        score = np.zeros(len(masks[sub]))
        score[masks[sub]] = scores[offsets[i]:offsets[i + 1]]
        out[sub] = score
    return out


def top_genres(profile: pd.DataFrame, n: int = 4) -> dict[str, list[str]]:
    """The ``n`` genres with the largest mean weight in each label."""
    return {lab: list(profile.loc[lab].sort_values(ascending=False).index[:n]) for lab in profile.index}


def bilateral_stg_significant(fits: dict, voxel_tables: dict, model: str = "BAN", q: float = 0.05) -> dict[str, bool]:
    """Per subject: is the ``model``'s test r significant (one-sided, Benjamini-Hochberg FDR ``q`` over all usable
    voxels) in at least one voxel of the left and one of the right superior temporal gyrus? The t-test ignores
    the autocorrelation of the 600 test rows, so it is liberal; the paper does not say which test it used."""
    out = {}
    for sub, by in fits.items():
        r = by[model].r
        sig = fdr_bh(pearson_pvalues(r, N_TEST_ROWS), q)
        code = voxel_tables[sub].code.to_numpy()
        stg, hemi = in_stg(code), hemisphere(code)
        out[sub] = bool((sig & stg & (hemi == "L")).any() and (sig & stg & (hemi == "R")).any())
    return out


DISTINCTNESS_LABELS = DISTINCT_LABELS + LESS_DISTINCT_LABELS     # HS, LSTG; HG, PT and the lateral sulcus (LS)


def genre_distinctness(fits: dict, masks: dict, voxel_tables: dict, model: str = "BAN",
                       delayer: Delayer = Delayer()) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """How distinctly genres are represented in each label of the paper's sentence (HS, LSTG, HG, PT and the lateral
    sulcus, :func:`banlib.data.atlas.distinctness_label`; hemispheres pooled): the mean over the label's ROI voxels
    of the sd across the 10 genres of the ``model``'s delay-averaged weights (before any normalisation).

    Returns ``(pooled, per_subject)``: ``{label: value}`` over all subjects' voxels and ``{subject: {label: value}}``;
    labels without ROI voxels are left out."""
    sd, labels, per_subject = [], [], {}
    for sub, w in delay_averaged_weights(fits, masks, model, delayer).items():
        s = w.std(axis=1)
        lab = distinctness_label(voxel_tables[sub].code.to_numpy()[masks[sub]])
        sd.append(s)
        labels.append(lab)
        per_subject[sub] = {k: float(s[lab == k].mean()) for k in DISTINCTNESS_LABELS if (lab == k).any()}
    sd, labels = np.concatenate(sd), np.concatenate(labels)
    pooled = {k: float(sd[labels == k].mean()) for k in DISTINCTNESS_LABELS if (labels == k).any()}
    return pooled, per_subject


def permuted_features(features: np.ndarray, design, g: np.random.Generator) -> np.ndarray:
    """Per-clip features with the clips shuffled within each run (the training runs' 40 clips, the test runs'
    10): array like ``features``. A clip heard in several runs is shuffled with the run it first appears in."""
    first_run = {}
    for task, grid in design.grids.items():
        for r, row in enumerate(grid):
            for c in np.unique(row):
                first_run.setdefault(int(c), (task, r))
    groups = {}
    for c, key in first_run.items():
        groups.setdefault(key, []).append(c)
    perm = np.arange(len(features))
    for members in groups.values():
        members = np.array(sorted(members))
        perm[members] = members[g.permutation(len(members))]
    return features[perm]


def permutation_null(pipe, spaces: dict[str, np.ndarray], masks: dict, n_permutations: int,
                     progress: bool = True) -> dict[str, np.ndarray]:
    """Chance level of every Table II cell: each feature space refitted on ROI voxels with the clips shuffled within
    runs, ``n_permutations`` times; ``{model: array of shape (n_permutations, 8 labels)}`` of the mean over
    the subjects of ``masks`` of the label's mean r (NaN where a subject's ROI has no voxel of the label)."""
    from tqdm.auto import tqdm

    out = {m: np.full((n_permutations, len(TABLE2_ROIS)), np.nan) for m in spaces}
    per_subject = {m: np.full((n_permutations, len(masks), len(TABLE2_ROIS)), np.nan) for m in spaces}
    for j, sub in enumerate(tqdm(list(masks), desc="Table II null", unit="subject", disable=not progress)):
        design, mask = pipe.design(sub), masks[sub]
        labels = pipe.voxel_table(sub).roi.to_numpy()[mask]
        g = rng(pipe.seed, "table2", "permutation", sub)
        for k in range(n_permutations):
            for m, feats in spaces.items():
                r = fit_and_score(pipe.source, design, permuted_features(feats, design, g), mask).r
                per_subject[m][k, j] = [r[labels == roi].mean() if (labels == roi).any() else np.nan for roi in TABLE2_ROIS]
    for m in spaces:
        out[m] = np.nanmean(per_subject[m], axis=1)
    return out


def null_percentiles(null: dict[str, np.ndarray], level: float = 95) -> pd.DataFrame:
    """The ``level``-th percentile of each cell's null: rows labels, columns models."""
    return pd.DataFrame({m: np.nanpercentile(v, level, axis=0) for m, v in null.items()}, index=list(TABLE2_ROIS))


def beside_null(summary: pd.DataFrame, null95: pd.DataFrame) -> pd.DataFrame:
    """Each cell's mean r (over subjects) beside its null's 95th percentile: columns ``<model>`` and
    ``<model> null 95 %``, rows labels."""
    cols = {}
    for m in null95.columns:
        cols[m] = summary[f"{m} mean"]
        cols[f"{m} null 95 %"] = null95[m]
    return pd.DataFrame(cols)


def split_inflation(tables_training: dict, tables_paper: dict) -> pd.DataFrame:
    """Mean r over subjects per cell with the pooled (paper) ROI minus with the training-only ROI."""
    a, b = summarise(tables_training), summarise(tables_paper)
    return pd.DataFrame({m: b[f"{m} mean"] - a[f"{m} mean"] for m in MODELS})
