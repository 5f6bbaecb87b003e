"""The brain-like auditory score (BAS, paper Section IV): cortical, behavioural, overall.

* Cortical metric (Eq. 4): an area's per-TR activations, reduced by PCA fitted on the
  training clips, predict each ROI voxel (:func:`banlib.voxelwise.fit_and_score`); the score is
  the median Pearson r over ROI voxels on the test runs. Also reported divided by the median
  noise ceiling of the ROI voxels: sqrt of the Spearman-Brown split-half reliability of the
  4-repeat mean, the highest r a perfect model could reach against noisy data. (Brain-Score
  divides by the reliability itself; against a repeat mean that over-corrects, and scores
  above 1 follow.)
* Behavioural metric (Eq. 5): macro F1 between the network's predicted genres and a
  listener's choices for the same 60 clips.
* BAS (Eq. 6): ``(s * cortical + behavioural) / 2``. The equation's first term is described as
  "the similarity between cortical and BAN structures" built from the number of modules in
  the cortical pathway (4: A1, Belt, PB, T2/T3) and in the network; the formula itself did not
  survive in the text. We read it as ``s = min(n_cortex, n_network) / max(n_cortex, n_network)``
  multiplying the cortical metric: 1 for a network with one module per area, less for
  networks with more (or fewer) distinct modules. A network's modules are its distinct
  weight-bearing stages: a recurrent area whose passes share weights is one module; unshared
  passes are one module each.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import GENRES, network_seed
from ..data.dataset import load_responses
from .metrics import macro_f1
from ..encoding.voxelwise import DEFAULT_ALPHAS, fit_and_score, noise_ceiling, pca_features, split_half_reliability

NO_BEHAVIOUR = ("the behavioural metric and the BAS are null where the data have no listeners' choices "
                "(ds003720 has none)")
N_CORTICAL_AREAS = 4      # A1, Belt, PB, T2/T3


def network_modules(model) -> int:
    """Distinct weight-bearing stages: A1 + per recurrent area 1 (shared) or one per pass."""
    return 1 + sum(1 if model.shared else p for p in model.passes)


def structural_similarity(n_network: int, n_cortex: int = N_CORTICAL_AREAS) -> float:
    """min(n_network, n_cortex) / max(n_network, n_cortex): 1 when the network has one module per cortical area."""
    return min(n_network, n_cortex) / max(n_network, n_cortex)


def brain_like_score(cortical: float, behavioural: float, structural: float = 1.0) -> float:
    """Eq. 6 as read here: ``(structural * cortical + behavioural) / 2``."""
    return (structural * cortical + behavioural) / 2


def area_components(activations: dict[str, np.ndarray], design, n_components: int = 50) -> dict[str, np.ndarray]:
    """Each area's activations projected on their top principal components over the training clips
    (:func:`banlib.encoding.voxelwise.pca_features`): ``{area: array of shape (n_clips, 10, k)}``. Every subject
    hears the same clips, so one projection serves every subject (:func:`cortical_scores`' ``components``)."""
    return {area: pca_features(feats, design.training_clips, n_components) for area, feats in activations.items()}


def cortical_scores(activations: dict[str, np.ndarray], source, design, voxels,
                    n_components: int = 50, alphas=DEFAULT_ALPHAS, ceiling: np.ndarray | None = None,
                    components: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Score every area of a network for one subject (Eq. 4).

    Parameters
    ----------
    activations : dict of str to array of shape (n_clips, 10, n_features)
        Per-TR activations of each area, in ``design.clips`` order.
    source : DataSource
    design : SubjectDesign
    voxels : bool array of shape (V,) or int array
        The voxels scored (the genre ROI).
    n_components : int
        PCA components kept per area (fitted on the training clips).
    ceiling : array of shape (n_voxels,), optional
        Noise ceiling of the voxels; computed from ``Resp_Test`` when not given.
    components : dict of str to array of shape (n_clips, 10, k), optional
        The areas' projections (:func:`area_components`) when already computed for this design's training clips;
        computed here when not given.

    Returns
    -------
    DataFrame, one row per area: ``median_r``, ``mean_r``, ``pooled_r`` (one r over every test row and voxel),
    ``ceiling`` (median noise ceiling over the voxels), ``normalised`` (median_r / ceiling), ``n_components`` and
    the per-voxel ``r`` array.
    """
    train = design.training_clips
    if ceiling is None:
        test = np.asarray(load_responses(source, design.subject, "Test")[:, voxels])
        ceiling = noise_ceiling(split_half_reliability(test))
    med_ceiling = float(np.median(ceiling))
    rows = []
    for area, feats in activations.items():
        pcs = components[area] if components is not None else pca_features(feats, train, n_components)
        res = fit_and_score(source, design, pcs, voxels, alphas=alphas)
        med = float(np.median(res.r))
        rows.append({"subject": design.subject, "area": area, "median_r": med, "mean_r": float(res.r.mean()),
                     "pooled_r": float(res.pooled_r),
                     "ceiling": med_ceiling, "normalised": med / med_ceiling if med_ceiling > 0 else float("nan"),
                     "n_components": pcs.shape[-1], "r": res.r})
    return pd.DataFrame(rows)


def choices_as_indices(choices: pd.DataFrame, predictions: dict[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Align a listener's choices (``genre track choice``) with a network's predictions keyed by
    clip name ``genre.000NN``: returns (human, network) genre indices. Every trial must have a
    prediction."""
    names = [f"{g}.{int(t):05d}" for g, t in zip(choices.genre, choices.track)]
    missing = [n for n in names if n not in predictions]
    if missing:
        raise KeyError(f"no network prediction for {len(missing)} clip(s) the listener heard: {missing[:5]}")
    human = np.array([GENRES.index(c) for c in choices.choice])
    net = np.array([GENRES.index(predictions[n]) for n in names])
    return human, net


def behavioural_score(choices: pd.DataFrame, predictions: dict[str, str]) -> float:
    """Macro F1 between a listener's choices and the network's predicted genres (Eq. 5)."""
    human, net = choices_as_indices(choices, predictions)
    return macro_f1(human, net)


#: The book's matching of each area to cortical regions (:data:`banlib.data.atlas.REGIONS`), for the reading of
#: Eq. 6 whose cortical term is the mean over matched area-region pairs: the core (A1) on Heschl's gyrus, the belt
#: around it (Heschl's sulcus, planum temporale), the parabelt on the lateral STG, T2/T3 beyond it (the rest of
#: the STG, the STS and the MTG).
AREA_REGIONS = {"A1": ("HG",), "Belt": ("HS", "PT"), "PB": ("LSTG",), "T2T3": ("STG/STS/MTG (rest)",)}
NO_MATCHED = ("the reading over matched area-region pairs is null without voxel labels (no coordinates), or where a "
              "matched region has fewer than 5 reliable voxels in a subject")


def region_voxels(pipe, subject: str, min_reliability: float = 0.1, min_voxels: int = 5):
    """A subject's reliable voxels per region (split-half reliability of the 4 test repeats above
    ``min_reliability``; regions with fewer than ``min_voxels`` left out): ``({region: bool array of shape (V,)},
    reliability array of shape (V,))``, or None without voxel labels."""
    from ..data.atlas import region

    vox = pipe.voxel_table(subject)
    if vox is None:
        return None
    reliability = split_half_reliability(np.asarray(load_responses(pipe.source, subject, "Test")))
    names = region(vox.code.to_numpy())
    masks = {}
    for reg in dict.fromkeys(n for n in names if n):
        sel = (names == reg) & (reliability > min_reliability)
        if sel.sum() >= min_voxels:
            masks[reg] = sel
    return masks, reliability


def matched_cortical(activations: dict[str, np.ndarray], source, design, regions,
                     components: dict[str, np.ndarray] | None = None) -> float:
    """The cortical term read as the mean over matched area-region pairs (:data:`AREA_REGIONS`): each area's
    median r on its region's reliable voxels, averaged over the pairs; NaN when a pair's region is missing.

    ``regions``: :func:`region_voxels` of the subject (None gives NaN); ``components``: :func:`area_components`."""
    if regions is None:
        return float("nan")
    masks, reliability = regions
    scores = []
    for area, regs in AREA_REGIONS.items():
        for reg in regs:
            if reg not in masks:
                return float("nan")
            s = cortical_scores({area: activations[area]}, source, design, masks[reg],
                                ceiling=noise_ceiling(reliability[masks[reg]]),
                                components=None if components is None else {area: components[area]})
            scores.append(float(s.median_r.iloc[0]))
    return float(np.mean(scores))


def score_networks(pipe, networks=("BAN", "feedforward", "CORnet-S passes"), bas_area: str = "T2T3",
                   progress: bool = True, replicates=None) -> dict[str, pd.DataFrame]:
    """Cortical metric per (network, subject, area), behavioural metric per (network, seed, subject)
    and the BAS per (network, seed, subject), for every subject of ``pipe.source``.

    ``pipe`` is a :class:`banlib.pipeline.Pipeline`. The BAS uses the ``bas_area`` cortical score
    (the paper maps T2/T3); without behaviour files the behavioural metric and the BAS are NaN.
    ``replicates`` (default ``pipe.replicates``): the training seeds scored. The per-area table
    (``cortical``) is the first seed's; later seeds are scored on ``bas_area`` only, for the BAS rows.
    Each BAS row also holds the readings of Eqs. 4 and 6 the methods chapter lists: ``bas`` (with the structural
    factor), ``bas_without_structure``, ``bas_matched`` (the cortical term ``cortical_matched``, the mean over
    matched area-region pairs, :func:`matched_cortical`; NaN without voxel labels) and ``bas_pooled`` (the
    cortical term ``cortical_pooled``, Eq. 4 as one r over every test row and ROI voxel, with the structural
    factor).
    """
    from tqdm.auto import tqdm

    from ..data.behaviour import human_choices

    source = pipe.source
    subjects = pipe.subjects
    replicates = pipe.replicates if replicates is None else replicates
    listeners = {sub: human_choices(source, sub) for sub in subjects}
    regions = {sub: region_voxels(pipe, sub) for sub in subjects}
    cortical, behaviour, overall, predictions = [], [], [], {}
    for replicate in tqdm(replicates, desc="training seeds", disable=not progress):
        seed = network_seed(pipe.seed, replicate)
        for name in tqdm(networks, desc="networks", leave=False, disable=not progress):
            out = pipe.responses(name, replicate=replicate)
            acts = out["activations"] if replicate == replicates[0] else {bas_area: out["activations"][bas_area]}
            predictions.setdefault(name, out["predictions"])
            modules = network_modules(out["model"])
            structural = structural_similarity(modules)
            needed = out["activations"] if any(r is not None for r in regions.values()) else acts
            components = area_components(needed, pipe.design(subjects[0]))     # the same clips for every subject
            for sub in tqdm(subjects, desc=f"{name}: subjects", leave=False, disable=not progress):
                design = pipe.design(sub)
                same = np.array_equal(design.training_clips, pipe.design(subjects[0]).training_clips)
                scores = cortical_scores(acts, source, design, pipe.roi_mask(sub),
                                         components={a: components[a] for a in acts} if same else None)
                scores.insert(0, "network", name)
                if replicate == replicates[0]:
                    cortical.append(scores)
                choices = listeners[sub]
                f1 = behavioural_score(choices, out["predictions"]) if choices is not None else float("nan")
                behaviour.append({"network": name, "seed": seed, "subject": sub, "macro_f1": f1})
                c = float(scores.set_index("area").loc[bas_area, "median_r"])
                pooled = float(scores.set_index("area").loc[bas_area, "pooled_r"])
                matched = matched_cortical(out["activations"], source, design, regions[sub], components if same else None)
                overall.append({"network": name, "seed": seed, "subject": sub, "cortical": c, "behavioural": f1,
                                "modules": modules, "structural": structural,
                                "bas": brain_like_score(c, f1, structural),
                                "bas_without_structure": brain_like_score(c, f1),
                                "cortical_matched": matched, "bas_matched": brain_like_score(matched, f1),
                                "cortical_pooled": pooled, "bas_pooled": brain_like_score(pooled, f1, structural)})
    return {"cortical": pd.concat(cortical, ignore_index=True), "behavioural": pd.DataFrame(behaviour),
            "bas": pd.DataFrame(overall), "predictions": predictions}


def cortical_table(scores: dict) -> pd.DataFrame:
    """Median r and normalised score per (network, area), mean and sd over subjects."""
    cort = scores["cortical"].drop(columns="r")
    return cort.groupby(["network", "area"], sort=False)[["median_r", "normalised"]].agg(["mean", "std"])


def best_areas(scores: dict) -> pd.Series:
    """Each network's area with the highest mean median r over subjects."""
    cort = scores["cortical"]
    best = cort.groupby(["network", "area"], sort=False).median_r.mean().groupby(level=0).idxmax()
    return best.map(lambda x: x[1])


def bas_values(scores: dict) -> dict:
    """The chapter's results on the cortical metric and the BAS (values keyed as in the results file):
    ``cortical_per_area`` (mean over subjects) and ``cortical_per_area_subjects`` (the rows, first training seed),
    ``best_area``, the means per network and ``bas_table`` (one row per network, seed and subject, with every
    reading of Eq. 6)."""
    cort = scores["cortical"]
    out = {"cortical_per_area": {f"{n}/{a}": float(v) for (n, a), v in
                                 cort.groupby(["network", "area"]).median_r.mean().items()},
           "cortical_per_area_subjects": cort[["network", "subject", "area", "median_r"]].round(4).to_dict(
               orient="records"),
           "best_area": best_areas(scores).to_dict(), "noise_ceiling_median": float(cort.ceiling.median())}
    bas = scores["bas"]
    for name, row in bas.groupby("network", sort=False)[["cortical", "behavioural", "bas"]].mean().iterrows():
        key = name.replace(" ", "_")
        out[f"cortical_{key}"] = float(row.cortical)
        if np.isfinite(row.behavioural):          # without listeners' choices there is no behavioural metric
            out[f"bas_{key}"] = float(row.bas)
            out[f"behavioural_{key}"] = float(row.behavioural)
    out["bas_table"] = bas.round(4).to_dict(orient="records")
    return out


#: Why cells of the BAS results can be null.
BAS_NULL_REASONS = {"bas_table": f"{NO_BEHAVIOUR}; {NO_MATCHED}", "untrained_bas_table": f"{NO_BEHAVIOUR}; {NO_MATCHED}",
                    "grid_cortical": "a subject whose ROI is empty has no score"}


def bas_readings_table(scores: dict) -> pd.DataFrame:
    """Every reading of Eqs. 4 and 6 per network (mean and sd over training seeds and subjects): the BAS with the
    structural factor, without it, with the cortical term over matched area-region pairs, and with the cortical
    term as one pooled r (and those two terms)."""
    cols = ["bas", "bas_without_structure", "cortical_matched", "bas_matched", "cortical_pooled", "bas_pooled"]
    return scores["bas"].groupby("network", sort=False)[cols].agg(["mean", "std"])


def grid_cortical(pipe, structures, bas_area: str = "T2T3", progress: bool = True) -> pd.DataFrame:
    """The ``bas_area`` cortical score of every recurrence-grid network with ``structures`` (``(b, p, t)`` passes),
    every training seed and subject, on the genre ROI: one row per (structure, seed, subject) with ``cortical``.
    The grid's 2/2/4 at the profile's widths is the main BAN (scored by :func:`score_networks`) and is left out."""
    from tqdm.auto import tqdm

    rows = []
    for passes in tqdm(structures, desc="grid cortical", disable=not progress):
        if pipe._grid_args(passes)[1] is None:          # the main BAN
            continue
        for replicate in pipe.replicates:
            acts = {bas_area: pipe.grid_responses(passes, replicate)["activations"][bas_area]}
            first = pipe.design(pipe.subjects[0])
            components = area_components(acts, first)
            for sub in pipe.subjects:
                design = pipe.design(sub)
                same = np.array_equal(design.training_clips, first.training_clips)
                s = cortical_scores(acts, pipe.source, design, pipe.roi_mask(sub), components=components if same else None)
                rows.append({"structure": "/".join(map(str, passes)), "seed": network_seed(pipe.seed, replicate),
                             "subject": sub, "cortical": float(s.median_r.iloc[0])})
    return pd.DataFrame(rows, columns=["structure", "seed", "subject", "cortical"])


def alignment_table(scores: dict, grid: pd.DataFrame, accuracies: pd.DataFrame, grid_accuracies: pd.DataFrame,
                    area: str = "T2T3") -> pd.DataFrame:
    """One row per trained network and per recurrence-grid structure (other than the main BAN): held-out accuracy
    (mean over training seeds) and the ``area`` cortical score (mean over seeds and subjects).

    ``scores``: :func:`score_networks`; ``grid``: :func:`grid_cortical`; ``accuracies``: rows ``network seed
    held-out accuracy`` (:func:`banlib.analyses.networks.seed_accuracies`); ``grid_accuracies``: structures by seeds
    (:func:`banlib.analyses.networks.recurrence_grid_seeds`)."""
    rows = {}
    bas = scores["bas"]
    for name, cort in bas.groupby("network", sort=False).cortical:
        acc = accuracies.loc[accuracies.network == name, "held-out accuracy"]
        rows[name] = {"held-out accuracy": float(acc.mean()), f"cortical {area}": float(cort.mean())}
    for structure, cort in grid.groupby("structure", sort=False).cortical:
        rows[f"grid {structure}"] = {"held-out accuracy": float(grid_accuracies.loc[structure].mean()),
                                     f"cortical {area}": float(cort.mean())}
    return pd.DataFrame(rows).T


def alignment(pipe, scores: dict, area: str = "T2T3") -> tuple[pd.DataFrame, pd.DataFrame]:
    """The recurrence grid's networks scored (:func:`grid_cortical`) and every trained network's and grid
    structure's accuracy beside its cortical score (:func:`alignment_table`): ``(grid rows, table)``."""
    from . import networks

    structures = networks.grid_structures(pipe.profile.name)
    grid = grid_cortical(pipe, structures, area)
    table = alignment_table(scores, grid, networks.seed_accuracies(pipe), networks.recurrence_grid_seeds(pipe, structures),
                            area)
    return grid, table


def spread_sentence(pipe) -> str:
    """Over how many training seeds and subjects the BAS table's spread is."""
    return (f"Spread over {len(pipe.replicates)} training seeds × {len(pipe.subjects)} subjects; the per-area table "
            "above is the first seed's.")


def untrained(networks) -> tuple[str, ...]:
    """The untrained controls of ``networks`` (names understood by :meth:`Pipeline.network`)."""
    from .pipeline import UNTRAINED

    return tuple(f"{n}{UNTRAINED}" for n in networks)


def control_table(scores: dict, controls: dict, area: str = "T2T3") -> pd.DataFrame:
    """Each network beside its untrained control: the ``area`` cortical median r and the behavioural metric,
    mean over subjects, and what training added. ``scores``/``controls``: :func:`score_networks` outputs."""
    from .pipeline import UNTRAINED

    def means(res):
        cort = res["cortical"][res["cortical"].area == area].groupby("network", sort=False).median_r.mean()
        beh = res["behavioural"]
        if "seed" in beh:                       # the first training seed, as the cortical table
            beh = beh[beh.seed == beh.seed.min()]
        beh = beh.groupby("network", sort=False).macro_f1.mean()
        return cort, beh

    (cort, beh), (cort0, beh0) = means(scores), means(controls)
    rows = {}
    for name in cort0.index:
        base = name.removesuffix(UNTRAINED)
        rows[base] = {f"cortical {area} (trained)": cort.get(base, np.nan), f"cortical {area} (untrained)": cort0[name],
                      "behavioural (trained)": beh.get(base, np.nan), "behavioural (untrained)": beh0[name]}
    table = pd.DataFrame(rows).T
    table["cortical gain from training"] = table.iloc[:, 0] - table.iloc[:, 1]
    return table


def control_values(controls: dict, area: str = "T2T3") -> dict:
    """The untrained controls' results, keyed ``untrained_cortical_<network>`` (the ``area`` score, mean over
    subjects), ``untrained_behavioural_<network>`` (only with listeners' choices), ``untrained_cortical_per_area``
    and ``untrained_bas_table`` (the rows, as ``bas_table``)."""
    from .pipeline import UNTRAINED

    def key(name):
        return name.removesuffix(UNTRAINED).replace(" ", "_")

    cort = controls["cortical"]
    out = {"untrained_cortical_per_area": {f"{n}/{a}": float(v) for (n, a), v in
                                           cort.groupby(["network", "area"]).median_r.mean().items()}}
    for name, v in cort[cort.area == area].groupby("network", sort=False).median_r.mean().items():
        out[f"untrained_cortical_{key(name)}"] = float(v)
    for name, v in controls["behavioural"].groupby("network", sort=False).macro_f1.mean().items():
        if np.isfinite(v):
            out[f"untrained_behavioural_{key(name)}"] = float(v)
    out["untrained_bas_table"] = controls["bas"].round(4).to_dict(orient="records")
    return out


def bas_table(scores: dict) -> pd.DataFrame:
    """Cortical, behavioural, structural, BAS and BAS without the structural factor per network (mean and sd over
    training seeds and subjects)."""
    cols = ["cortical", "behavioural", "structural", "bas", "bas_without_structure"]
    return scores["bas"].groupby("network", sort=False)[cols].agg(["mean", "std"])


def cortical_by_planted_kind(pipe, activations: dict[str, np.ndarray], areas=("A1", "T2T3")) -> pd.DataFrame:
    """Twin only: the cortical score of a network's ``areas`` on voxels of each planted kind (genre, acoustic,
    none), mean over subjects: rows kinds, columns areas."""
    rows = []
    chosen = {a: activations[a] for a in areas}
    for sub in pipe.subjects:
        truth = pipe.voxel_table(sub).truth.to_numpy()
        for kind in ("genre", "acoustic", "none"):
            s = cortical_scores(chosen, pipe.source, pipe.design(sub), truth == kind)
            rows += [{"subject": sub, "planted": kind, "area": a, "median_r": r} for a, r in zip(s.area, s.median_r)]
    return pd.DataFrame(rows).groupby(["planted", "area"], sort=False).median_r.mean().unstack("area")


def planted_kind_values(by_kind: pd.DataFrame) -> dict:
    """``twin_cortical_by_kind`` and how much better acoustic voxels score than noise voxels."""
    return {"twin_cortical_by_kind": {f"{k}/{a}": float(v) for (k, a), v in by_kind.stack().items()},
            "twin_cortical_acoustic_minus_none": float(by_kind.loc["acoustic"].max() - by_kind.loc["none"].max())}


def stage_region_scores(pipe, activations: dict[str, np.ndarray], min_reliability: float = 0.1,
                        min_voxels: int = 5, progress: bool = True) -> pd.DataFrame:
    """Each network stage scored against each cortical region (:data:`banlib.data.atlas.REGIONS`): the median
    test r over the region's reliable voxels (split-half reliability of the 4 test repeats above
    ``min_reliability``), per subject. One row per (subject, region, area); regions with fewer than
    ``min_voxels`` reliable voxels in a subject are left out. Needs voxel labels."""
    from tqdm.auto import tqdm

    from ..data.atlas import region

    rows = []
    for sub in tqdm(pipe.subjects, desc="stage-region", unit="subject", disable=not progress):
        vox = pipe.voxel_table(sub)
        reliability = split_half_reliability(np.asarray(load_responses(pipe.source, sub, "Test")))
        names = region(vox.code.to_numpy())
        for reg in dict.fromkeys(n for n in names if n):
            sel = (names == reg) & (reliability > min_reliability)
            if sel.sum() < min_voxels:
                continue
            scores = cortical_scores(activations, pipe.source, pipe.design(sub), sel,
                                     ceiling=noise_ceiling(reliability[sel]))
            rows += [{"subject": sub, "region": reg, "area": a, "median_r": m, "n_voxels": int(sel.sum())}
                     for a, m in zip(scores.area, scores.median_r)]
    return pd.DataFrame(rows)


def stage_region_table(scores: pd.DataFrame) -> pd.DataFrame:
    """Mean over subjects of the median r per region (rows) and stage (columns), with the best stage per region."""
    table = scores.groupby(["region", "area"], sort=False).median_r.mean().unstack("area")
    table["best stage"] = table.idxmax(axis=1)
    return table
