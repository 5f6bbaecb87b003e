"""Raw BOLD runs and a T1w image for the twin, with head motion and drift planted.

For each subject of :func:`raw_subjects` the twin gets ``sub-00N/func/sub-00N_task-*_run-NN_bold.nii``
(18 runs of 410 volumes, int16) and ``sub-00N/anat/sub-00N_T1w.nii``, made from a planted anatomy:

* a scanner -> MNI mapping ``phi`` (rotation, translation, per-axis scaling and a smooth warp of a few mm)
  defines where each scanner point of the T1w session lies in MNI space; the T1w is the MNI152 template
  seen through it;
* the head sits differently in the functional session (a planted rigid body ``head``); the EPI grid has
  the real 96 x 96 x 68 x 2 mm shape at the full profile and a small field of view (3 mm voxels, a slab
  through the temporal lobes) at the quick profile; its baseline is a T2*-like contrast made from the
  MNI152 grey/white-matter templates;
* the twin's voxels of that subject are native EPI voxels whose MNI position is cortical
  (:func:`native_candidates`), so the planted voxel table has native ``i j k`` and exact MNI ``x y z``;
* each run: baseline x (1 + 2 % x the simulated response), plus drift (a per-voxel linear trend and a slow
  scanner drift), noise in the other brain voxels, and head motion (an offset per run and a slow random
  walk within it), resampled volume by volume, rounded to int16.

The derivative matrices of that subject are then replaced by what :mod:`banlib.data.preprocess` makes of
these raw runs, exactly, so that recovering each column's native voxel from the raw data
(:mod:`banlib.data.coordinates`) can be tested against the planted voxel table.
"""
from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import ndimage
from tqdm.auto import tqdm

from ..config import N_TEST_RUNS, N_TRAINING_RUNS, TR, VOLUMES_PER_RUN, rng
from ..data import preprocess
from ..data.atlas import CODE_TO_ROI, destrieux_2mm, is_cortical
from ..files import replacing

SIGNAL_FRACTION = 0.02        # sd of the response, as a fraction of the baseline intensity
# Head motion and the reslicing that undoes it interpolate every column with its neighbours, whose planted
# tuning is independent of its own, so a raw subject's ROI holds fewer of its genre voxels than a derivative
# subject's. With 3-mm voxels (quick) the loss is within the subjects' spread (recall 0.32 against 0.30-0.41,
# seed 0); with the real 2-mm voxels (full) it is not: 244 of 1,111 planted genre voxels selected in
# sub-001 against 406 of 1,112 in sub-004, whose share of V is the same (twin format 5, seed 0). Planting
# more genre voxels in the raw subject makes up for that, so its ROI again follows the paper's share.
GENRE_EXTENT_GAIN = {"quick": 1.0, "full": 1.8}
T1_SCALE = 1000.0


@dataclass(frozen=True)
class RawGeometry:
    """Image grids of a raw twin subject.

    Attributes
    ----------
    epi_shape : (X, Y, Z) voxels of every BOLD run
    epi_voxel_mm : float, isotropic voxel size of the runs
    epi_centre_mni : (x, y, z) mm, MNI point at the centre of the EPI field of view
    t1_shape : (X, Y, Z) voxels of the T1w
    t1_voxel_mm : float
    """

    epi_shape: tuple
    epi_voxel_mm: float
    epi_centre_mni: tuple
    t1_shape: tuple
    t1_voxel_mm: float


GEOMETRY = {
    # quick: a 36-mm slab through the temporal lobes, 3-mm voxels (about 25,000 voxels; 20 MB per run)
    "quick": RawGeometry((50, 46, 12), 3.0, (0.0, -20.0, 6.0), (88, 108, 92), 2.0),
    # full: ds003720's shape (96 x 96 x 68, 2 mm; 513 MB per run) and a 1-mm T1w
    "full": RawGeometry((96, 96, 68), 2.0, (0.0, -18.0, 12.0), (176, 216, 184), 1.0),
}
RAW_SUBJECTS = {"quick": ("sub-001",), "full": ("sub-001",)}
BRAIN_CENTRE_MNI = (0.0, -18.0, 8.0)


def raw_subjects(profile: str) -> tuple[str, ...]:
    """The subjects that get raw runs and a T1w at ``profile``."""
    return RAW_SUBJECTS[profile]


# ----------------------------------------------------------------------------- planted anatomy
@dataclass(frozen=True)
class Anatomy:
    """The planted geometry of one subject (all in mm, RAS).

    Attributes
    ----------
    affine : 4 x 4, scanner -> MNI (before the smooth warp)
    warp_amp, warp_freq, warp_phase : the smooth warp, d(m) = sum_k amp_k sin(freq_k . m + phase_k)
    head : 4 x 4, scanner point in the functional session -> scanner point in the T1w session
    epi_affine, t1_affine : voxel -> scanner of the two grids
    geometry : RawGeometry
    """

    affine: np.ndarray
    warp_amp: np.ndarray      # (K, 3)
    warp_freq: np.ndarray     # (K, 3)
    warp_phase: np.ndarray    # (K,)
    head: np.ndarray
    epi_affine: np.ndarray
    t1_affine: np.ndarray
    geometry: RawGeometry

    def scanner_to_mni(self, p: np.ndarray) -> np.ndarray:
        """MNI coordinates (n, 3) of T1w-session scanner points ``p`` (n, 3)."""
        m = p @ self.affine[:3, :3].T + self.affine[:3, 3]
        return m + np.sin(m @ self.warp_freq.T + self.warp_phase) @ self.warp_amp

    def epi_to_mni(self, ijk: np.ndarray) -> np.ndarray:
        """MNI coordinates (n, 3) of EPI voxel indices ``ijk`` (n, 3): the planted truth."""
        p = ijk @ self.epi_affine[:3, :3].T + self.epi_affine[:3, 3]
        p = p @ self.head[:3, :3].T + self.head[:3, 3]
        return self.scanner_to_mni(p)

    def to_json(self) -> dict:
        """Strict-JSON form (lists of numbers)."""
        out = {k: np.asarray(v).round(8).tolist() for k, v in self.__dict__.items() if k != "geometry"}
        out["geometry"] = asdict(self.geometry)
        return out


def plant_anatomy(subject: str, seed: int, profile: str) -> Anatomy:
    """Draw the subject's scanner -> MNI mapping, head position and grids (same seed, same anatomy)."""
    geo = GEOMETRY[profile]
    g = rng(seed, "twin", "raw", "anatomy", subject)
    rot = preprocess.rigid_matrix([0, 0, 0, *g.uniform(-0.10, 0.10, 3)])[:3, :3]      # up to ~6 degrees
    scale = np.diag(g.uniform(0.93, 1.07, 3))
    A = np.eye(4)
    A[:3, :3] = rot @ scale
    A[:3, 3] = g.uniform(-8, 8, 3)
    k = 4
    freq = g.normal(0, 1, (k, 3))
    freq *= (2 * np.pi / g.uniform(90, 160, k))[:, None] / np.linalg.norm(freq, axis=1, keepdims=True)
    amp = g.normal(0, 1.0, (k, 3))                                                  # a warp of ~1-3 mm
    phase = g.uniform(0, 2 * np.pi, k)
    head = preprocess.rigid_matrix([*g.uniform(-3, 3, 3), *g.uniform(-0.03, 0.03, 3)])

    def grid(shape, vox, centre_mni):
        # the scanner point that maps near centre_mni (warp ignored) sits at the grid's centre
        centre = np.linalg.solve(A[:3, :3], np.asarray(centre_mni) - A[:3, 3])
        aff = np.diag([vox, vox, vox, 1.0])
        aff[:3, 3] = centre - vox * (np.asarray(shape) - 1) / 2
        return np.round(aff, 4)

    epi_centre = np.linalg.solve(head[:3, :3], np.asarray(geo.epi_centre_mni) - head[:3, 3])  # ~ same point
    epi = grid(geo.epi_shape, geo.epi_voxel_mm, epi_centre)
    t1 = grid(geo.t1_shape, geo.t1_voxel_mm, BRAIN_CENTRE_MNI)
    return Anatomy(A, amp, freq, phase, head, epi, t1, geo)


@functools.lru_cache(maxsize=2)
def _mni_contrasts(resolution: int):
    """(T1 volume, EPI-contrast volume, affine) on nilearn's MNI152 grid at ``resolution`` mm."""
    from nilearn.datasets import (load_mni152_brain_mask, load_mni152_gm_template, load_mni152_template,
                                  load_mni152_wm_template)

    t1 = load_mni152_template(resolution=resolution)
    gm = np.asarray(load_mni152_gm_template(resolution=resolution).dataobj, np.float32)
    wm = np.asarray(load_mni152_wm_template(resolution=resolution).dataobj, np.float32)
    brain = ndimage.gaussian_filter(np.asarray(load_mni152_brain_mask(resolution=resolution).dataobj, np.float32),
                                    1.0)
    csf = np.clip(brain - gm - wm, 0, 1)
    # T2*-weighted EPI: CSF brightest, grey matter above white matter; a faint background
    epi = 1000 * gm + 750 * wm + 1300 * csf + 40 * (1 - brain)
    epi = ndimage.gaussian_filter(epi, 1.5 / resolution)
    return np.asarray(t1.dataobj, np.float32) * T1_SCALE, epi.astype(np.float32), t1.affine


def _sample_mni(volume: np.ndarray, affine: np.ndarray, mni: np.ndarray, cval: float) -> np.ndarray:
    inv = np.linalg.inv(affine)
    ijk = mni @ inv[:3, :3].T + inv[:3, 3]
    return ndimage.map_coordinates(volume, ijk.T, order=1, mode="constant", cval=cval).astype(np.float32)


def _grid_points(shape) -> np.ndarray:
    return np.argwhere(np.ones(shape, bool)).astype(np.float64)


def t1w_image(anatomy: Anatomy):
    """The T1w (int16 NIfTI): the MNI152 T1 template seen through the planted scanner -> MNI mapping."""
    import nibabel as nib

    geo = anatomy.geometry
    t1, _, aff = _mni_contrasts(1 if geo.t1_voxel_mm < 1.5 else 2)
    pts = _grid_points(geo.t1_shape)
    mni = anatomy.scanner_to_mni(pts @ anatomy.t1_affine[:3, :3].T + anatomy.t1_affine[:3, 3])
    vol = _sample_mni(t1, aff, mni, 0.0).reshape(geo.t1_shape)
    img = nib.Nifti1Image(np.round(vol).astype(np.int16), anatomy.t1_affine)
    img.header.set_xyzt_units("mm", "sec")
    return img


def epi_baseline(anatomy: Anatomy) -> np.ndarray:
    """The functional session's baseline intensity on the EPI grid: array of shape epi_shape, float32."""
    geo = anatomy.geometry
    _, epi, aff = _mni_contrasts(2)
    mni = anatomy.epi_to_mni(_grid_points(geo.epi_shape))
    return _sample_mni(epi, aff, mni, 40.0).reshape(geo.epi_shape)


def native_candidates(anatomy: Anatomy) -> pd.DataFrame:
    """EPI voxels the subject's cortical voxels are drawn from: ``i j k`` native, ``x y z`` MNI mm,
    Destrieux ``code`` (nearest 2-mm atlas voxel), ``roi``, and ``rim`` (one voxel outside the cortex)
    as :func:`banlib.twin.brain.candidate_voxels` gives on the MNI grid. Only voxels bright enough to be
    well inside the preprocessing's brain mask are candidates."""
    geo = anatomy.geometry
    labels, aff = destrieux_2mm()
    grown = ndimage.grey_dilation(np.where(is_cortical(labels), labels, 0), size=(3, 3, 3))
    ijk = _grid_points(geo.epi_shape)
    mni = anatomy.epi_to_mni(ijk)
    inv = np.linalg.inv(aff)
    at = np.rint(mni @ inv[:3, :3].T + inv[:3, 3]).astype(int)
    inside = np.all((at >= 0) & (at < np.array(labels.shape)), axis=1)
    at = np.where(inside[:, None], at, 0)
    code = np.where(inside, labels[tuple(at.T)], 0)
    rim_code = np.where(inside, grown[tuple(at.T)], 0)
    base = epi_baseline(anatomy).ravel()
    bright = base > 0.3 * np.percentile(base, 98)
    core = bright & is_cortical(code)
    rim = bright & ~is_cortical(code) & (code == 0) & is_cortical(rim_code)
    keep = core | rim
    codes = np.where(core, code, rim_code)[keep]
    return pd.DataFrame({"i": ijk[keep, 0].astype(int), "j": ijk[keep, 1].astype(int), "k": ijk[keep, 2].astype(int),
                         "x": mni[keep, 0].round(3), "y": mni[keep, 1].round(3), "z": mni[keep, 2].round(3),
                         "code": codes.astype(int), "roi": [CODE_TO_ROI.get(int(c), "other") for c in codes],
                         "rim": rim[keep]})


# ----------------------------------------------------------------------------- runs
def run_list() -> list[tuple[str, int]]:
    """Acquisition order used for the reference volume: Training runs 1-12, then Test runs 1-6."""
    return [("Training", r) for r in range(1, N_TRAINING_RUNS + 1)] + [("Test", r) for r in range(1, N_TEST_RUNS + 1)]


def head_motion(subject: str, seed: int, task: str, run: int, n_vol: int = VOLUMES_PER_RUN) -> np.ndarray:
    """Planted head position per volume: (n_vol, 6) rigid parameters (mm, rad) relative to the reference.

    An offset per run (none for Training run 1, whose first volume is the reference) and a slow random
    walk within the run (a few tenths of a mm)."""
    g = rng(seed, "twin", "raw", "motion", subject, task, run)
    offset = np.zeros(6) if (task, run) == ("Training", 1) else \
        np.concatenate([g.normal(0, 0.3, 3), g.normal(0, 0.003, 3)])
    steps = np.concatenate([g.normal(0, 0.015, (n_vol, 3)), g.normal(0, 0.00015, (n_vol, 3))], axis=1)
    steps[0] = 0
    walk = ndimage.gaussian_filter1d(np.cumsum(steps, axis=0), 3, axis=0, mode="nearest")
    walk -= walk[0]
    return offset + walk


def _ar1(g, n_vol: int, n: int, phi: float = 0.3) -> np.ndarray:
    e = g.standard_normal((n_vol, n), dtype=np.float32)
    out = np.empty_like(e)
    out[0] = e[0]
    c = np.float32(np.sqrt(1 - phi ** 2))
    for t in range(1, n_vol):
        out[t] = phi * out[t - 1] + c * e[t]
    return out


def simulate_run(anatomy: Anatomy, baseline: np.ndarray, columns: np.ndarray, responses: np.ndarray,
                 subject: str, seed: int, task: str, run: int) -> tuple[np.ndarray, np.ndarray]:
    """One raw run: int16 array of shape (X, Y, Z, 410), and its planted motion (410, 6).

    Parameters
    ----------
    baseline : array of shape (X, Y, Z), from :func:`epi_baseline`
    columns : int array of shape (V, 3), the native voxels of the derivative columns
    responses : array of shape (400, V): the simulated response of each column in this run (z-scored);
        the 10 lead-in volumes get noise
    """
    shape = baseline.shape
    n_vol = VOLUMES_PER_RUN
    lead = n_vol - responses.shape[0]
    g = rng(seed, "twin", "raw", "run", subject, task, run)
    flat = baseline.ravel()
    n_vox = flat.size
    # every voxel: AR(1) noise; the columns: the simulated response (with noise lead-in)
    series = _ar1(g, n_vol, n_vox)
    col_flat = np.ravel_multi_index(tuple(columns.T), shape)
    series[lead:, col_flat] = responses
    t = np.linspace(-1, 1, n_vol, dtype=np.float32)[:, None]
    slope = g.normal(0, 0.01, n_vox).astype(np.float32)                    # per-voxel trend, ~1 % per run
    scanner = np.float32(0.01) * np.sin(2 * np.pi * (np.arange(n_vol) * TR) / g.uniform(300, 500)
                                        + g.uniform(0, 2 * np.pi)).astype(np.float32)[:, None]
    motion = head_motion(subject, seed, task, run, n_vol)
    size = anatomy.geometry.epi_voxel_mm
    centre = (np.array(shape) - 1) / 2 * size
    pts = _grid_points(shape) * size
    out = np.empty((*shape, n_vol), np.int16)
    for k in range(n_vol):
        frame = flat * (1 + SIGNAL_FRACTION * series[k] + slope * t[k] + scanner[k])
        # the head moved by M: the scanner sees volume(x) = frame(M^-1 x)
        Minv = np.linalg.inv(preprocess.rigid_matrix(motion[k], centre))
        where = (pts @ Minv[:3, :3].T + Minv[:3, 3]) / size
        moved = ndimage.map_coordinates(frame.reshape(shape), where.T, order=1, mode="nearest")
        out[..., k] = np.clip(np.rint(moved), -32768, 32767).astype(np.int16).reshape(shape)
    return out, motion


def _write_nifti(img, path: Path) -> None:
    import nibabel as nib

    with replacing(path, keep_extension=True) as tmp:
        nib.save(img, str(tmp))


def _make_run(args) -> tuple[np.ndarray, np.ndarray]:
    """Worker: simulate, write and preprocess one run; returns (preprocessed columns (400, V), motion)."""
    import nibabel as nib

    anatomy, baseline, columns, resp, subject, seed, task, run, path, reference = args
    data, motion = simulate_run(anatomy, baseline, columns, resp, subject, seed, task, run)
    img = nib.Nifti1Image(data, anatomy.epi_affine)
    img.header.set_xyzt_units("mm", "sec")
    img.header["pixdim"][4] = TR
    _write_nifti(img, path)
    del data, img
    img = preprocess.open_bold(path)
    if reference is None:              # Training run 1: its first volume is the reference
        reference = preprocess.read_volume(img, 0)
    corrector = preprocess.MotionCorrector().fit(reference, preprocess.voxel_size(img))
    mask = preprocess.brain_mask(reference)
    if not mask[tuple(columns.T)].all():
        raise RuntimeError(f"{subject}: {int((~mask[tuple(columns.T)]).sum())} planted voxels fall "
                           f"outside the preprocessing's brain mask")
    res = preprocess.preprocess_run(img, corrector, columns, desc=f"{task} {run:02d}", progress=False)
    return res.data, motion, reference


def write_raw_subject(root: Path, subject: str, seed: int, profile: str, anatomy: Anatomy,
                      voxels: pd.DataFrame, workers: int = 2, progress: bool = True) -> dict:
    """Write the raw runs and T1w of ``subject`` into the twin at ``root`` and replace its derivative
    matrices by the preprocessing of those runs (exactly :func:`banlib.data.preprocess.preprocess_run`
    with the first volume of Training run 1 as the reference, as :func:`~banlib.data.preprocess.preprocess_subject`).

    Parameters
    ----------
    voxels : the subject's planted voxel table (native ``i j k``), one row per derivative column
    workers : processes for the runs after the first

    Returns
    -------
    dict : a summary for twin.json (geometry, motion range, how closely the preprocessed responses follow
        the simulated ones)
    """
    from concurrent.futures import ProcessPoolExecutor

    from ..twin.brain import test_mean

    deriv = root / "derivative" / "preprocessed_data"
    columns = voxels[["i", "j", "k"]].to_numpy(int)
    baseline = epi_baseline(anatomy)
    sims = {task: np.load(deriv / f"{subject}_Resp_{task}.npy", allow_pickle=False) for task in ("Training", "Test")}
    n_per_run = sims["Training"].shape[0] // N_TRAINING_RUNS
    func = root / subject / "func"
    _write_nifti(t1w_image(anatomy), root / subject / "anat" / f"{subject}_T1w.nii")
    (root / subject / "anat" / f"{subject}_T1w.json").write_text(json.dumps(
        {"Modality": "MR", "MRAcquisitionType": "3D",
         "TwinNote": "synthetic twin: the MNI152 template through a planted scanner-to-MNI mapping"},
        indent=2, sort_keys=True) + "\n")

    def job(task, run, reference):
        resp = sims[task][(run - 1) * n_per_run:run * n_per_run]
        return (anatomy, baseline, columns, resp, subject, seed, task, run,
                func / f"{subject}_task-{task}_run-{run:02d}_bold.nii", reference)

    runs = run_list()
    bar = tqdm(total=len(runs), desc=f"raw runs {subject}", unit="run", disable=not progress)
    first, motion0, reference = _make_run(job(*runs[0], None))
    bar.update()
    results = [(first, motion0)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for data, motion, _ in pool.map(_make_run, [job(task, run, reference) for task, run in runs[1:]]):
            results.append((data, motion))
            bar.update()
    bar.close()
    max_motion = np.max([np.abs(m).max(axis=0) for _, m in results], axis=0)
    fidelity = {}
    for task in ("Training", "Test"):
        new = np.concatenate([d for (t, _), (d, _) in zip(runs, results) if t == task])
        a = (sims[task] - sims[task].mean(0)) / sims[task].std(0)
        b = (new - new.mean(0)) / np.where(new.std(0) > 0, new.std(0), 1)
        fidelity[task] = float(np.median((a * b).mean(0)))
        _save(deriv / f"{subject}_Resp_{task}.npy", new)
        if task == "Test":
            _save(deriv / f"{subject}_Resp_Test_Mean.npy", test_mean(new.reshape(N_TEST_RUNS, -1, new.shape[1])))
    truth = root / "derivative" / "twin_truth" / f"{subject}_raw.json"
    truth.write_text(json.dumps(anatomy.to_json(), indent=1, sort_keys=True) + "\n")
    return {"epi_shape": list(anatomy.geometry.epi_shape), "epi_voxel_mm": anatomy.geometry.epi_voxel_mm,
            "t1_shape": list(anatomy.geometry.t1_shape), "t1_voxel_mm": anatomy.geometry.t1_voxel_mm,
            "max_abs_motion": {"translation_mm": round(float(max_motion[:3].max()), 3),
                               "rotation_deg": round(float(np.degrees(max_motion[3:]).max()), 3)},
            "median_r_preprocessed_vs_simulated": {k: round(v, 4) for k, v in fidelity.items()},
            "planted_geometry": f"derivative/twin_truth/{subject}_raw.json"}


def _save(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as f:
        np.lib.format.write_array(f, np.ascontiguousarray(array, np.float32), allow_pickle=False)
