"""Voxel coordinates for the derivative matrices, recovered from the raw BOLD runs and the T1w.

The derivative ``Resp_*`` matrices carry no coordinates: each column is one of the authors' cortical
voxels, in their own order. This module recovers, per subject:

1. **which native voxel each column is** (:class:`ColumnMatcher`): the raw training runs are
   preprocessed the way the derivatives were made (:mod:`banlib.data.preprocess`), and each column's
   time series is correlated with the series of every voxel of the brain mask. The correlations are
   computed as matrix products on a subset of runs first (screening: the ``top_k`` best voxels per
   column), then the candidates are verified on every training TR; the best voxel, its correlation and
   its margin over the runner-up are kept. A match is *unambiguous* when ``r >= r_min`` and the margin
   is ``>= margin_min``.
2. **where that voxel is in MNI space** (:func:`register`, :func:`epi_to_mni`): the mean realigned EPI is
   registered to the T1w (rigid, mutual information), the T1w to the MNI152 template (affine, then SyN),
   with ANTs (``antspyx``); the T1w is brain-masked first by the template's mask carried back through
   the affine step (a real T1w has a skull; the template has none).
3. **its Destrieux label** (:func:`destrieux_labels`): the atlas voxel nearest to the MNI point (2 mm grid)
   and the Table II ROI name (``L.HG`` .. ``R.LSTG``, else ``other``).

:func:`recover_subject` runs the steps with a cache per subject and step (an interrupted run resumes),
and writes ``<subject>_voxels.tsv`` beside the derivative matrices, where
:func:`banlib.data.dataset.voxel_table` reads it, with ``<subject>_voxels.json`` (match and registration
quality, strict JSON).

What is approximate: our preprocessing re-implements SPM's (real matches are below 1); MNI152 with
Destrieux labels in volume space stands in for the paper's FreeSurfer surfaces; EPI distortions are not
modelled in the EPI -> T1w step.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from .. import tools
from ..files import annex_key, content_md5, key_size, save_npz, write_text
from ..config import N_TRAINING_RUNS
from . import preprocess
from .atlas import CODE_TO_ROI, destrieux_2mm
from .dataset import DataError, DataSource, check_present, load_responses

RUN_BYTES = 513_884_512         # one raw BOLD run of ds003720 (96 x 96 x 68 x 410 int16)
T1W_BYTES = 54_526_304
# route cost per real subject with all 12 training runs, 2 cores: projected from one real-size run (benchmarks/RESULTS.md)
MINUTES_PER_SUBJECT = 60
CACHE_GB_PER_SUBJECT = 6.0       # 12 preprocessed runs of 400 x ~267,000 float32 (5.1 GB) + mean EPI, registration


# ----------------------------------------------------------------------------- matching
@dataclass(frozen=True)
class MatchSettings:
    """Parameters of the column -> native voxel matching.

    Attributes
    ----------
    screen_runs : int, training runs whose TRs screen the candidates (matrix products)
    top_k : int, candidates per column kept by the screening and verified on every TR
    r_min : float, a match is unambiguous when its correlation is at least this ...
    margin_min : float, ... and it beats the runner-up by at least this
    column_chunk, voxel_chunk : block sizes of the screening products (memory: 4 x product bytes)
    """

    screen_runs: int = 2
    top_k: int = 8
    r_min: float = 0.5
    margin_min: float = 0.05
    column_chunk: int = 4096
    voxel_chunk: int = 16384


def _standardise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, np.float32)
    x = x - x.mean(axis=0)
    sd = np.sqrt((x * x).mean(axis=0))
    return np.divide(x, sd, out=np.zeros_like(x), where=sd > 0)


class ColumnMatcher:
    """Match each derivative column to the native voxel whose preprocessed series it follows best.

    Parameters
    ----------
    settings : MatchSettings

    Attributes (after :meth:`fit`)
    ------------------------------
    best_ : int array of shape (V,): index of the matched voxel among the candidates (mask voxels)
    r_ : float array (V,): Pearson r of the match over every TR given
    margin_ : float array (V,): r of the match minus r of the runner-up (among the screened candidates)
    candidates_ : int array (V, top_k): screened candidates, best first
    unambiguous_ : bool array (V,)
    """

    def __init__(self, settings: MatchSettings = MatchSettings()):
        self.settings = settings

    def fit(self, columns: list, voxels: list, progress: bool = True) -> "ColumnMatcher":
        """Match.

        Parameters
        ----------
        columns : list of arrays of shape (n_trs_r, V), the derivative rows of each run (memory maps fine)
        voxels : list of arrays of shape (n_trs_r, n_voxels), our preprocessing of the same runs
            (callables returning the array are accepted, so that runs are read one at a time)
        """
        s = self.settings
        if len(columns) != len(voxels):
            raise ValueError(f"{len(columns)} runs of columns but {len(voxels)} runs of voxels")
        get = [v if callable(v) else (lambda v=v: v) for v in voxels]
        n_screen = min(s.screen_runs, len(columns))
        Yc = _standardise(np.concatenate([np.asarray(columns[r]) for r in range(n_screen)]))
        Xv = _standardise(np.concatenate([np.asarray(get[r]()) for r in range(n_screen)]))
        n, V = Yc.shape
        n_vox = Xv.shape[1]
        k = min(s.top_k, n_vox)
        top_r = np.full((V, k), -np.inf, np.float32)
        top_i = np.zeros((V, k), np.int64)
        blocks = [(c, v) for c in range(0, V, s.column_chunk) for v in range(0, n_vox, s.voxel_chunk)]
        for c0, v0 in tqdm(blocks, desc="screen candidates", unit="block", disable=not progress):
            c1, v1 = min(c0 + s.column_chunk, V), min(v0 + s.voxel_chunk, n_vox)
            r = (Yc[:, c0:c1].T @ Xv[:, v0:v1]) / n                           # (cc, vc)
            kk = min(k, v1 - v0)
            part = np.argpartition(-r, kk - 1, axis=1)[:, :kk]
            cand_r = np.concatenate([top_r[c0:c1], np.take_along_axis(r, part, 1)], axis=1)
            cand_i = np.concatenate([top_i[c0:c1], part + v0], axis=1)
            keep = np.argsort(-cand_r, axis=1, kind="stable")[:, :k]
            top_r[c0:c1] = np.take_along_axis(cand_r, keep, 1)
            top_i[c0:c1] = np.take_along_axis(cand_i, keep, 1)
        del Yc, Xv
        # verification: exact Pearson r over every TR of every run, from running sums
        sums = {key: np.zeros((V, k)) for key in ("x", "xx", "xy")}
        sy, syy, n_all = np.zeros(V), np.zeros(V), 0
        for r in tqdm(range(len(columns)), desc="verify on every TR", unit="run", disable=not progress):
            X = np.asarray(get[r](), np.float32)
            for c0 in range(0, V, s.column_chunk):
                c1 = min(c0 + s.column_chunk, V)
                y = np.asarray(columns[r][:, c0:c1], np.float64)                 # (t, cc)
                x = X[:, top_i[c0:c1]].astype(np.float64)                        # (t, cc, k)
                sums["x"][c0:c1] += x.sum(0)
                sums["xx"][c0:c1] += (x * x).sum(0)
                sums["xy"][c0:c1] += np.einsum("tc,tck->ck", y, x)
                sy[c0:c1] += y.sum(0)
                syy[c0:c1] += (y * y).sum(0)
            n_all += X.shape[0]
        cov = sums["xy"] - sy[:, None] * sums["x"] / n_all
        vx = sums["xx"] - sums["x"] ** 2 / n_all
        vy = (syy - sy ** 2 / n_all)[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            r_all = np.where((vx > 0) & (vy > 0), cov / np.sqrt(vx * vy), -1.0)
        order = np.argsort(-r_all, axis=1, kind="stable")
        r_sorted = np.take_along_axis(r_all, order, 1)
        self.candidates_ = np.take_along_axis(top_i, order, 1)
        self.best_ = self.candidates_[:, 0]
        self.r_ = r_sorted[:, 0]
        self.margin_ = r_sorted[:, 0] - (r_sorted[:, 1] if k > 1 else -1.0)
        self.unambiguous_ = (self.r_ >= s.r_min) & (self.margin_ >= s.margin_min)
        self.n_trs_ = n_all
        return self

    def summary(self) -> dict:
        """Distribution of the match correlations and margins; share unambiguous (strict-JSON numbers)."""
        q = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95]
        return {"n_columns": int(self.r_.size), "n_trs": int(self.n_trs_),
                "r_quantiles": {str(p): round(float(np.quantile(self.r_, p)), 4) for p in q},
                "margin_quantiles": {str(p): round(float(np.quantile(self.margin_, p)), 4) for p in q},
                "share_unambiguous": round(float(self.unambiguous_.mean()), 4),
                "n_duplicate_voxels": int(self.best_.size - np.unique(self.best_).size),
                "settings": asdict(self.settings)}


def order_consistency(ijk: np.ndarray, shape) -> dict:
    """Share of consecutive columns whose matched voxels increase in C and in Fortran raveled order
    (the authors' columns are most likely a masked volume in one of these orders; ~1 confirms it)."""
    if len(ijk) < 2:
        return {"c_order": None, "fortran_order": None, "reason": "fewer than 2 columns"}
    c = np.ravel_multi_index(tuple(np.asarray(ijk).T), shape)
    f = np.ravel_multi_index(tuple(np.asarray(ijk).T), shape, order="F")
    return {"c_order": round(float((np.diff(c) > 0).mean()), 4), "fortran_order": round(float((np.diff(f) > 0).mean()), 4)}


# ----------------------------------------------------------------------------- registration
def _ants():
    try:
        import ants
    except ImportError:
        raise ImportError("registration needs antspyx: pip install --no-deps antspyx==0.6.3 "
                          "(see requirements/base.in)") from None
    os.environ.setdefault("ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS", os.environ.get("OMP_NUM_THREADS", "2"))
    return ants


@dataclass(frozen=True)
class RegistrationSettings:
    """ANTs registration parameters.

    Attributes
    ----------
    template_mm : int, resolution of the MNI152 template registered to (1 or 2)
    epi_to_t1 : str, ANTs transform type for the mean EPI -> T1w step
    t1_to_mni : str, ANTs transform type for the T1w -> MNI step (after an affine used to mask the brain)
    seed : int, ANTs' random sampling seed
    """

    template_mm: int = 2
    epi_to_t1: str = "Rigid"
    t1_to_mni: str = "SyN"
    seed: int = 1


def _template(out_dir: Path, mm: int) -> tuple[Path, Path]:
    from nilearn.datasets import load_mni152_brain_mask, load_mni152_template

    tpl, mask = out_dir / f"mni152_{mm}mm.nii.gz", out_dir / f"mni152_{mm}mm_mask.nii.gz"
    if not tpl.exists():
        load_mni152_template(resolution=mm).to_filename(str(tpl))
        load_mni152_brain_mask(resolution=mm).to_filename(str(mask))
    return tpl, mask


def register(mean_epi: str | Path, t1w: str | Path, out_dir: str | Path,
             settings: RegistrationSettings = RegistrationSettings()) -> dict:
    """Register the mean EPI to the T1w and the T1w to MNI152; transforms saved in ``out_dir``.

    Returns the record written to ``out_dir/registration.json``: the transform files (EPI -> T1w
    affine; T1w -> MNI affine and warp) and quality values (mutual information and the correlation of
    the warped T1w with the template inside the brain; ANTs' Mattes mutual-information metric, negative,
    lower is better). Cached: a finished registration of the same images (content md5) with the same
    settings is read back.
    """
    out = Path(out_dir)
    record_path = out / "registration.json"
    mean_epi, t1w = check_present(mean_epi, "mean EPI"), check_present(t1w, "T1w image")
    inputs = {"mean_epi_md5": content_md5(mean_epi), "t1w_md5": content_md5(t1w)}
    if record_path.exists():
        rec = json.loads(record_path.read_text())
        if (rec.get("settings") == asdict(settings) and rec.get("inputs") == inputs
                and all((out / f).exists() for f in rec["files"].values())):
            return rec
    ants = _ants()
    out.mkdir(parents=True, exist_ok=True)
    tpl_path, tpl_mask_path = _template(out, settings.template_mm)
    tpl, tpl_mask = ants.image_read(str(tpl_path)), ants.image_read(str(tpl_mask_path))
    t1, epi = ants.image_read(str(t1w)), ants.image_read(str(mean_epi))
    t0 = time.time()
    # 1. T1w -> MNI affine, to carry the template's brain mask onto the T1w (skull off)
    aff = ants.registration(tpl, t1, type_of_transform="Affine", random_seed=settings.seed,
                            outprefix=str(out / "t1_affine_"))
    mask = ants.apply_transforms(t1, tpl_mask, aff["invtransforms"], whichtoinvert=[True],
                                 interpolator="nearestNeighbor")
    mask = ants.iMath(mask, "MD", 2)
    brain = t1 * mask
    # 2. T1w brain -> MNI: SyN, started from the affine
    syn = ants.registration(tpl, brain, type_of_transform=settings.t1_to_mni, initial_transform=aff["fwdtransforms"][0],
                            random_seed=settings.seed, outprefix=str(out / "t1_mni_"))
    # 3. mean EPI -> T1w brain (rigid, mutual information)
    rig = ants.registration(brain, epi, type_of_transform=settings.epi_to_t1, random_seed=settings.seed,
                            outprefix=str(out / "epi_t1_"))
    warped = syn["warpedmovout"]
    inside = tpl_mask.numpy() > 0
    corr = float(np.corrcoef(warped.numpy()[inside], tpl.numpy()[inside])[0, 1])
    files = {"epi_to_t1": Path(rig["fwdtransforms"][0]).name}
    for f in syn["fwdtransforms"]:
        files["t1_to_mni_warp" if f.endswith("Warp.nii.gz") else "t1_to_mni_affine"] = Path(f).name
    for f in syn["invtransforms"]:
        if f.endswith("InverseWarp.nii.gz"):
            files["t1_to_mni_inverse_warp"] = Path(f).name
    rec = {"settings": asdict(settings), "inputs": inputs, "files": files, "seconds": round(time.time() - t0, 1),
           "quality": {"t1_to_mni_correlation_in_brain": round(corr, 4),
                       "t1_to_mni_ants_mattes_metric": round(float(ants.image_mutual_information(tpl, warped)), 4),
                       "epi_to_t1_ants_mattes_metric": round(float(ants.image_mutual_information(
                           brain, rig["warpedmovout"])), 4)}}
    write_text(record_path, json.dumps(rec, indent=2) + "\n")
    return rec


def epi_to_mni(ijk: np.ndarray, epi_affine: np.ndarray, reg_dir: str | Path, record: dict) -> np.ndarray:
    """MNI coordinates (mm, RAS; array of shape (n, 3)) of EPI voxel indices ``ijk`` (n, 3).

    Points go EPI -> T1w -> MNI. ANTs maps points with the transforms that warp images the other way:
    a point of the moving image's space goes to the fixed image's space through the inverse of the
    image transform, i.e. the ``invtransforms`` list (affines inverted, the inverse warp).
    """
    ants = _ants()
    d = Path(reg_dir)
    f = record["files"]
    ras = np.asarray(ijk, float) @ np.asarray(epi_affine)[:3, :3].T + np.asarray(epi_affine)[:3, 3]
    lps = ras * np.array([-1.0, -1.0, 1.0])                       # ITK works in LPS
    pts = pd.DataFrame(lps, columns=["x", "y", "z"])
    # EPI -> T1w: the rigid transform inverted
    pts = ants.apply_transforms_to_points(3, pts, [str(d / f["epi_to_t1"])], whichtoinvert=[True])
    # T1w -> MNI: the affine inverted, then the inverse warp (ANTs applies the list last-first)
    pts = ants.apply_transforms_to_points(3, pts, [str(d / f["t1_to_mni_affine"]), str(d / f["t1_to_mni_inverse_warp"])],
                                          whichtoinvert=[True, False])
    return pts[["x", "y", "z"]].to_numpy() * np.array([-1.0, -1.0, 1.0])


def destrieux_labels(xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Destrieux code of the 2-mm atlas voxel nearest each MNI point (0 outside the atlas) and the
    Table II ROI name (``other`` outside them): arrays of shape (n,)."""
    labels, affine = destrieux_2mm()
    inv = np.linalg.inv(affine)
    at = np.rint(np.asarray(xyz, float) @ inv[:3, :3].T + inv[:3, 3]).astype(int)
    inside = np.all((at >= 0) & (at < np.array(labels.shape)), axis=1)
    code = np.zeros(len(at), np.int32)
    code[inside] = labels[tuple(at[inside].T)]
    roi = np.array([CODE_TO_ROI.get(int(c), "other") for c in code], dtype=object)
    return code, roi


# ----------------------------------------------------------------------------- the route
def training_runs(source: DataSource, subject: str, n_runs: int = N_TRAINING_RUNS) -> list[tuple[str, int, Path]]:
    """(task, run, path) of the first ``n_runs`` training runs: what the matching needs."""
    return [("Training", r, preprocess.bold_path(source.bids_root, subject, "Training", r)) for r in range(1, n_runs + 1)]


def t1w_path(source: DataSource, subject: str) -> Path:
    """``<bids>/<subject>/anat/<subject>_T1w.nii`` (or ``.nii.gz``)."""
    stem = source.bids_root / subject / "anat" / f"{subject}_T1w"
    gz = Path(f"{stem}.nii.gz")
    return gz if (gz.exists() or gz.is_symlink()) else Path(f"{stem}.nii")


def needed_files(source: DataSource, subject: str, n_runs: int = N_TRAINING_RUNS) -> list[Path]:
    """The raw files the route reads for ``subject``: its training runs and its T1w."""
    return [p for _, _, p in training_runs(source, subject, n_runs)] + [t1w_path(source, subject)]


def annexed_size(path: Path) -> int | None:
    """Bytes of an annexed file from its key (``MD5E-s<bytes>--...``) or of a present file; None if unknown."""
    key = annex_key(path)
    if key is not None and (size := key_size(key)) is not None:
        return size
    return path.stat().st_size if path.exists() else None


def plan(source: DataSource, subjects, n_runs: int = N_TRAINING_RUNS) -> dict:
    """What the route will fetch and roughly how long it will take (printed before it starts)."""
    missing, present = 0, 0
    for sub in subjects:
        for p in needed_files(source, sub, n_runs):
            size = annexed_size(p)
            size = size if size is not None else (RUN_BYTES if "_bold" in p.name else T1W_BYTES)
            if p.exists():
                present += size
            else:
                missing += size
    return {"to_download_gb": round(missing / 1e9, 2), "already_here_gb": round(present / 1e9, 2),
            "subjects": list(subjects), "runs_per_subject": n_runs}


def fetch_raw(source: DataSource, subject: str, n_runs: int = N_TRAINING_RUNS) -> None:
    """``datalad get`` the subject's training runs and T1w that are not here yet (nothing else)."""
    paths = [p for p in needed_files(source, subject, n_runs) if not p.exists()]
    if not paths:
        return
    unknown = [p for p in paths if not p.is_symlink()]
    if unknown:
        raise DataError(f"{unknown[0]}: not in the dataset at all (not even as an annexed link); is "
                        f"{source.bids_root} a clone of ds003720?")
    root = source.bids_root.absolute()
    cmd = [tools.program("datalad"), "get", "-d", str(root), *(str(p.absolute()) for p in paths)]
    proc = subprocess.run(cmd, cwd=root, env=tools.environment(), stdout=2)
    if proc.returncode != 0 or any(not p.exists() for p in paths):
        raise DataError(f"datalad get of {len(paths)} raw file(s) of {subject} failed (messages above). "
                        f"Retry with:\n    {' '.join(cmd)}")


@dataclass(frozen=True)
class RecoverySettings:
    """Settings of the whole route: preprocessing, matching, registration, runs used."""

    preprocess: preprocess.PreprocessSettings = preprocess.PreprocessSettings()
    match: MatchSettings = MatchSettings()
    registration: RegistrationSettings = RegistrationSettings()
    n_runs: int = N_TRAINING_RUNS


def recover_subject(source: DataSource, subject: str, cache_dir: str | Path, out_dir: str | Path | None = None,
                    settings: RecoverySettings = RecoverySettings(), progress: bool = True) -> pd.DataFrame:
    """Recover the voxel table of ``subject`` and write it (TSV + JSON summary).

    Parameters
    ----------
    source : the data (its raw runs and T1w must be present: see :func:`fetch_raw`)
    cache_dir : per-subject cache (``<cache_dir>/<subject>/{preprocessed,registration}``, ``match.npz``)
    out_dir : where ``<subject>_voxels.tsv`` and ``.json`` go (default: beside the derivative matrices)

    Returns
    -------
    DataFrame with one row per derivative column: ``voxel i j k x y z code roi match_r match_margin
    unambiguous`` (``i j k`` native voxel indices; ``x y z`` MNI mm; ambiguous matches keep their best
    guess of ``i j k x y z`` but get ``code`` 0 and ``roi`` ``other``, so that no analysis counts them)
    """
    t_start = time.time()
    cache = Path(cache_dir) / subject
    out = Path(out_dir) if out_dir is not None else source.derivatives_root
    runs = training_runs(source, subject, settings.n_runs)
    timing = {}
    t = time.time()
    prep_dir = preprocess.preprocess_subject(runs, cache / "preprocessed", settings.preprocess, progress)
    timing["preprocess_s"] = round(time.time() - t, 1)
    meta = json.loads((prep_dir / "reference.json").read_text())
    mask_ijk = np.load(prep_dir / "mask.npy", allow_pickle=False).astype(int)
    Y = load_responses(source, subject, "Training")
    per_run = Y.shape[0] // N_TRAINING_RUNS
    if Y.shape[0] != per_run * N_TRAINING_RUNS:
        raise DataError(f"{subject}: Resp_Training has {Y.shape[0]} rows, not a multiple of {N_TRAINING_RUNS} runs")
    match_path = cache / "match.npz"
    # keyed by content too: the derivative columns and the runs they are matched to
    key = json.dumps({"match": asdict(settings.match), "n_runs": settings.n_runs, "shape": list(Y.shape),
                      "n_mask": int(len(mask_ijk)),
                      "responses_md5": content_md5(source.response_path(subject, "Training")),
                      "runs_md5": [(prep_dir / f"{preprocess.run_key(task, run)}.source").read_text().strip()
                                   for task, run, _ in runs]}, sort_keys=True)
    t = time.time()
    cached = np.load(match_path, allow_pickle=False) if match_path.exists() else None
    if cached is not None and str(cached["key"]) == key:
        best, r, margin = cached["best"], cached["r"], cached["margin"]
        unamb = cached["unambiguous"]
        match_summary = json.loads(str(cached["summary"]))
    else:
        columns = [Y[(run - 1) * per_run:run * per_run] for _, run, _ in runs]
        voxels = [(lambda run=run: preprocess.load_preprocessed(prep_dir, "Training", run)) for _, run, _ in runs]
        m = ColumnMatcher(settings.match).fit(columns, voxels, progress)
        best, r, margin, unamb = m.best_, m.r_, m.margin_, m.unambiguous_
        match_summary = m.summary()
        save_npz(match_path, best=best, r=r, margin=margin, unambiguous=unamb, key=np.array(key),
                 summary=np.array(json.dumps(match_summary)))
    timing["match_s"] = round(time.time() - t, 1)
    ijk = mask_ijk[best]
    t = time.time()
    reg = register(prep_dir / "mean_epi.nii.gz", t1w_path(source, subject), cache / "registration", settings.registration)
    xyz = epi_to_mni(ijk, np.array(meta["affine"]), cache / "registration", reg)
    timing["registration_s"] = round(time.time() - t, 1)
    code, roi = destrieux_labels(xyz)
    code = np.where(unamb, code, 0)
    roi = np.where(unamb, roi, "other")
    table = pd.DataFrame({"voxel": np.arange(len(ijk)), "i": ijk[:, 0], "j": ijk[:, 1], "k": ijk[:, 2],
                          "x": xyz[:, 0].round(2), "y": xyz[:, 1].round(2), "z": xyz[:, 2].round(2),
                          "code": code, "roi": roi, "match_r": np.round(r, 4), "match_margin": np.round(margin, 4),
                          "unambiguous": unamb.astype(bool)})
    out.mkdir(parents=True, exist_ok=True)
    summary = {"subject": subject, "match": match_summary,
               "order_consistency": order_consistency(ijk, meta["shape"]),
               "registration": reg["quality"], "reference": meta["reference"],
               "roi_counts": {k: int(v) for k, v in table.roi.value_counts().sort_index().items()},
               "timing_s": {**timing, "total_s": round(time.time() - t_start, 1)},
               "settings": {"preprocess": asdict(settings.preprocess), "registration": asdict(settings.registration),
                            "n_runs": settings.n_runs},
               "method": "columns matched to native voxels by correlation with our re-implementation of the "
                         "derivatives' preprocessing; mean EPI -> T1w (rigid) -> MNI152 (affine + SyN) with ANTs; "
                         "Destrieux labels of the nearest 2-mm atlas voxel"}
    write_text(out / f"{subject}_voxels.tsv", table.to_csv(sep="\t", index=False, lineterminator="\n"))
    write_text(out / f"{subject}_voxels.json", json.dumps(summary, indent=2, allow_nan=False) + "\n")
    return table


def agreement(recovered: pd.DataFrame, planted: pd.DataFrame, tol_mm: float = 2.0) -> dict:
    """How well a recovered voxel table matches a planted one (the twin's truth), column by column.

    A column *matches* when its native voxel is the planted one and its MNI position is within
    ``tol_mm`` of the planted position. Also: the share with the same Destrieux code and ROI name, and
    the distribution of the position error (mm)."""
    if len(recovered) != len(planted):
        raise ValueError(f"{len(recovered)} recovered rows but {len(planted)} planted")
    same_voxel = (recovered[["i", "j", "k"]].to_numpy() == planted[["i", "j", "k"]].to_numpy()).all(axis=1)
    err = np.linalg.norm(recovered[["x", "y", "z"]].to_numpy(float) - planted[["x", "y", "z"]].to_numpy(float), axis=1)
    match = same_voxel & (err <= tol_mm)
    return {"n_columns": int(len(planted)), "tol_mm": tol_mm, "share_matched": round(float(match.mean()), 4),
            "share_same_voxel": round(float(same_voxel.mean()), 4),
            "share_same_code": round(float((recovered.code.to_numpy() == planted.code.to_numpy()).mean()), 4),
            "share_same_roi": round(float((recovered.roi.to_numpy() == planted.roi.to_numpy()).mean()), 4),
            "error_mm_median": round(float(np.median(err)), 3),
            "error_mm_95th": round(float(np.quantile(err, 0.95)), 3)}
