"""The derivatives' preprocessing, re-implemented: raw BOLD runs -> per-voxel response time series.

ds003720's derivative matrices were made (paper, section V-B1) by motion correction in SPM12 "with all
volumes aligned to the first image for every participant", low-frequency drift removed "with a filter
using a 240-second window" (a running median in the lab's papers), each voxel z-scored per run, and the
first 10 TRs (the repeated first clip) dropped. This module does the same steps in numpy/scipy:

* **motion correction** (:class:`MotionCorrector`): a rigid body (3 translations, 3 rotations) per volume,
  estimated by least squares against the reference volume (the first volume of the participant's first
  run) with an inverse-compositional Gauss-Newton scheme on a sub-sampled, smoothed copy of the brain
  (as SPM's ``spm_realign``: least squares, smoothing, every few voxels), then every volume resliced with
  a cubic B-spline (SPM's default is a 4th-degree B-spline);
* **drift removal** (:func:`remove_drift`): subtract each voxel's running median over 161 TRs (the odd
  window nearest 240 s at TR 1.5 s; at the run's edges the median of the samples available);
* **dropping** the first 10 TRs and **z-scoring** each voxel over the remaining 400 TRs of the run.

Only the voxels of a brain mask of the reference volume are kept (:func:`brain_mask`). A real run is
96 x 96 x 68 x 410 int16 (513 MB): it is read one volume at a time from the memory-mapped NIfTI, so the
memory needed is that of the output, ``(410, n_mask)`` float32 (about 0.4 GB at 250,000 voxels).

What is approximate relative to the authors' files: SPM's exact optimiser, smoothing kernel and
interpolation degree; whether their reference was the first volume of the first *training* run (the
session order is not in the metadata; we use Training run 1, the earliest acquisition of the first
session); the edge handling of their median filter.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage
from tqdm.auto import tqdm

from ..config import DROPPED_TRS, TR
from ..files import content_md5, replacing, save_npy, write_text
from .dataset import DataError, check_present


@dataclass(frozen=True)
class PreprocessSettings:
    """Parameters of the preprocessing (defaults: the derivatives' stated method).

    Attributes
    ----------
    tr : float, s
    drift_window_s : float, s; the running median spans the odd number of TRs nearest this
    dropped : int, TRs dropped at the start of every run
    interpolation : int, B-spline order used to reslice the volumes (1 = trilinear)
    estimate_step : int, motion is estimated on every ``estimate_step``-th voxel along each axis
    smooth_fwhm_mm : float, Gaussian smoothing of the volumes for motion estimation only
    max_iter : int, Gauss-Newton iterations per volume
    tol_mm : float, stop when an update moves no brain point by more than this
    mask_fraction : float, brain mask: reference intensity above this fraction of its 98th percentile
    """

    tr: float = TR
    drift_window_s: float = 240.0
    dropped: int = DROPPED_TRS
    interpolation: int = 3
    estimate_step: int = 2
    smooth_fwhm_mm: float = 4.0
    max_iter: int = 12
    tol_mm: float = 0.01
    mask_fraction: float = 0.15

    @property
    def window(self) -> int:
        """Running-median window in TRs (odd): 161 for 240 s at TR 1.5 s."""
        n = int(round(self.drift_window_s / self.tr))
        return 2 * (n // 2) + 1


# ----------------------------------------------------------------------------- rigid bodies
def rigid_matrix(params, centre=(0.0, 0.0, 0.0)) -> np.ndarray:
    """4 x 4 rigid transform (mm) from ``params`` = (tx, ty, tz in mm, rx, ry, rz in rad).

    The rotation ``Rz @ Ry @ Rx`` turns about ``centre`` (mm); then the translation is added.
    """
    tx, ty, tz, rx, ry, rz = (float(p) for p in params)
    cx, sx, cy, sy, cz, sz = np.cos(rx), np.sin(rx), np.cos(ry), np.sin(ry), np.cos(rz), np.sin(rz)
    Rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    Ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    Rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    R = Rz @ Ry @ Rx
    c = np.asarray(centre, float)
    M = np.eye(4)
    M[:3, :3] = R
    M[:3, 3] = c - R @ c + np.array([tx, ty, tz])
    return M


def rigid_params(M: np.ndarray, centre=(0.0, 0.0, 0.0)) -> np.ndarray:
    """Inverse of :func:`rigid_matrix`: (tx, ty, tz mm, rx, ry, rz rad) of a 4 x 4 rigid transform."""
    R = M[:3, :3]
    ry = np.arcsin(np.clip(-R[2, 0], -1, 1))
    rx = np.arctan2(R[2, 1], R[2, 2])
    rz = np.arctan2(R[1, 0], R[0, 0])
    c = np.asarray(centre, float)
    t = M[:3, 3] - (c - R @ c)
    return np.array([*t, rx, ry, rz])


def brain_mask(reference: np.ndarray, fraction: float = PreprocessSettings.mask_fraction) -> np.ndarray:
    """Bool volume like ``reference``: intensity above ``fraction`` of its 98th percentile, holes filled,
    only the largest connected part, dilated by one voxel (a generous mask: edge voxels stay candidates)."""
    ref = np.asarray(reference, np.float32)
    mask = ref > fraction * np.percentile(ref, 98)
    labels, n = ndimage.label(mask)
    if n > 1:
        sizes = ndimage.sum(mask, labels, range(1, n + 1))
        mask = labels == (1 + int(np.argmax(sizes)))
    mask = ndimage.binary_fill_holes(mask)
    return ndimage.binary_dilation(mask)


class MotionCorrector:
    """Rigid-body realignment of volumes to one reference volume (least squares, as SPM's realign).

    Parameters
    ----------
    settings : PreprocessSettings

    Attributes (after :meth:`fit`)
    ------------------------------
    voxel_size_ : array of shape (3,), mm
    centre_ : array of shape (3,), mm: the reference's centre, the pivot of the rotations
    points_ : array of shape (n_points, 3), mm: the sampled brain points motion is estimated on
    """

    def __init__(self, settings: PreprocessSettings = PreprocessSettings()):
        self.settings = settings

    def _smooth(self, volume: np.ndarray) -> np.ndarray:
        sigma = self.settings.smooth_fwhm_mm / 2.3548 / self.voxel_size_
        return ndimage.gaussian_filter(np.asarray(volume, np.float32), sigma, mode="nearest")

    def fit(self, reference: np.ndarray, voxel_size, mask: np.ndarray | None = None) -> "MotionCorrector":
        """Precompute the reference's gradients on the sampled brain points.

        Parameters
        ----------
        reference : array of shape (X, Y, Z), the first volume of the participant's first run
        voxel_size : sequence of 3 floats, mm
        mask : bool array of shape (X, Y, Z), optional (default :func:`brain_mask` of ``reference``)
        """
        self.voxel_size_ = np.asarray(voxel_size, float)
        ref = self._smooth(reference)
        mask = brain_mask(reference, self.settings.mask_fraction) if mask is None else mask
        step = self.settings.estimate_step
        sub = np.zeros_like(mask)
        sub[::step, ::step, ::step] = True
        idx = np.argwhere(mask & sub)
        if len(idx) < 50:
            raise ValueError(f"only {len(idx)} brain points to estimate motion on; is the reference volume empty?")
        grads = np.stack([g[tuple(idx.T)] / s for g, s in zip(np.gradient(ref), self.voxel_size_)], axis=1)
        self.centre_ = (np.array(reference.shape) - 1) / 2 * self.voxel_size_
        self.points_ = idx * self.voxel_size_
        d = self.points_ - self.centre_
        # d(ref(Delta(p) x))/dp at p = 0: translations, then rotations about x, y, z (generators e_i x d)
        rot = np.stack([np.cross(np.eye(3)[i], d) for i in range(3)], axis=1)        # (n, 3 axes, 3)
        J = np.concatenate([grads, np.einsum("nk,nik->ni", grads, rot)], axis=1)      # (n, 6)
        self.J_ = J
        self.H_inv_ = np.linalg.pinv(J.T @ J)
        self.ref_values_ = ref[tuple(idx.T)].astype(np.float64)
        self.radius_ = float(np.sqrt((d ** 2).sum(1)).max())
        return self

    def _sample(self, volume: np.ndarray, M: np.ndarray, points: np.ndarray, order: int) -> np.ndarray:
        moved = points @ M[:3, :3].T + M[:3, 3]
        return ndimage.map_coordinates(volume, (moved / self.voxel_size_).T, order=order, mode="nearest",
                                       prefilter=False)

    def estimate(self, volume: np.ndarray, init: np.ndarray | None = None) -> np.ndarray:
        """The 4 x 4 transform ``M`` (mm) with ``volume(M x) ~ reference(x)``.

        Parameters
        ----------
        volume : array of shape (X, Y, Z)
        init : 4 x 4 starting transform (e.g. the previous volume's); identity by default
        """
        vol = self._smooth(volume)
        M = np.eye(4) if init is None else np.array(init, float)
        upper = (np.array(vol.shape) - 1) * self.voxel_size_
        for _ in range(self.settings.max_iter):
            moved = self.points_ @ M[:3, :3].T + M[:3, 3]
            # points that moved out of the field of view carry no information (as in SPM): left out
            inside = np.all((moved >= 0) & (moved <= upper), axis=1)
            resid = ndimage.map_coordinates(vol, (moved[inside] / self.voxel_size_).T, order=1, mode="nearest",
                                            prefilter=False) - self.ref_values_[inside]
            if inside.all():
                dp = self.H_inv_ @ (self.J_.T @ resid)
            else:
                J = self.J_[inside]
                dp = np.linalg.lstsq(J.T @ J, J.T @ resid, rcond=None)[0]
            M = M @ np.linalg.inv(rigid_matrix(dp, self.centre_))
            # largest displacement of a brain point by this update
            if np.linalg.norm(dp[:3]) + self.radius_ * np.linalg.norm(dp[3:]) < self.settings.tol_mm:
                break
        return M

    def reslice(self, volume: np.ndarray, M: np.ndarray, voxels: np.ndarray) -> np.ndarray:
        """``volume`` resampled at ``M`` applied to ``voxels`` (array of shape (n, 3), indices): (n,) float32."""
        order = self.settings.interpolation
        vol = np.asarray(volume, np.float32)
        coef = ndimage.spline_filter(vol, order=order, output=np.float32, mode="nearest") if order > 1 else vol
        return self._sample(coef, M, voxels * self.voxel_size_, order).astype(np.float32)


# ----------------------------------------------------------------------------- time series
def remove_drift(ts: np.ndarray, window: int, chunk: int = 16384) -> np.ndarray:
    """``ts`` minus its running median over ``window`` TRs (centred; at the edges the median of the
    samples available). ``ts``: array of shape (n_trs, n_voxels); returns float32 of the same shape."""
    import bottleneck as bn

    ts = np.asarray(ts, np.float32)
    if window % 2 == 0:
        raise ValueError(f"the running-median window must be odd, not {window}")
    half = window // 2
    out = np.empty_like(ts)
    for lo in range(0, ts.shape[1], chunk):
        block = ts[:, lo:lo + chunk]
        # a trailing window over the series padded with NaN (ignored by bottleneck) is the centred,
        # truncated window of the unpadded series
        padded = np.concatenate([block, np.full((half, block.shape[1]), np.nan, np.float32)])
        med = bn.move_median(padded, window, min_count=1, axis=0)[half:]
        out[:, lo:lo + chunk] = block - med
    return out


def zscore(ts: np.ndarray) -> tuple[np.ndarray, int]:
    """Each column of ``ts`` (n_trs, n_voxels) to mean 0, sd 1 (float32); constant columns become 0.

    Returns the z-scored array and the number of constant columns."""
    x = np.asarray(ts, np.float64)
    mean = x.mean(axis=0)
    sd = x.std(axis=0)
    constant = sd == 0
    out = np.divide(x - mean, sd, out=np.zeros_like(x), where=~constant)
    return out.astype(np.float32), int(constant.sum())


# ----------------------------------------------------------------------------- runs on disk
def open_bold(path: str | Path):
    """A NIfTI run or anatomy, checked present (un-fetched annexed files name the ``datalad get`` fix)."""
    import nibabel as nib

    path = check_present(path, "raw image")
    try:
        return nib.load(str(path))
    except Exception as err:  # nibabel raises several kinds for a broken file
        raise DataError(f"{path}: not a readable NIfTI image ({err}); fetch it again with datalad get") from None


def voxel_size(img) -> np.ndarray:
    """Voxel size (mm) along the array axes of a NIfTI image: array of shape (3,)."""
    return np.sqrt((np.asarray(img.affine)[:3, :3] ** 2).sum(axis=0))


def read_volume(img, t: int) -> np.ndarray:
    """Volume ``t`` of a 4-D image as float32 (X, Y, Z), read alone from the memory-mapped file."""
    return np.asarray(img.dataobj[..., t], dtype=np.float32)


@dataclass
class PreprocessedRun:
    """One run after preprocessing.

    Attributes
    ----------
    data : array of shape (n_trs - dropped, n_mask) float32, z-scored per voxel
    motion : array of shape (n_trs, 6): tx, ty, tz (mm), rx, ry, rz (rad) relative to the reference
    n_constant : int, mask voxels constant over the run (written as 0)
    mean_volume : array of shape (X, Y, Z) float32 or None: mean of the realigned volumes (when asked)
    """

    data: np.ndarray
    motion: np.ndarray
    n_constant: int
    mean_volume: np.ndarray | None = None


def preprocess_run(img, corrector: MotionCorrector, voxels: np.ndarray,
                   settings: PreprocessSettings | None = None, mean_every: int = 0, desc: str = "run",
                   progress: bool = True) -> PreprocessedRun:
    """Realign, remove drift, drop the lead-in and z-score the ``voxels`` of one run.

    Parameters
    ----------
    img : 4-D NIfTI image (memory-mapped) of shape (X, Y, Z, n_trs)
    corrector : fitted :class:`MotionCorrector`
    voxels : int array of shape (n_mask, 3): the voxel indices kept (the brain mask)
    mean_every : when > 0, also the mean of every ``mean_every``-th realigned full volume (registration)
    """
    settings = settings or corrector.settings
    n_trs = img.shape[3]
    if n_trs <= settings.dropped + 2:
        raise DataError(f"{getattr(img, 'get_filename', lambda: '?')()}: {n_trs} volumes, too few to preprocess")
    out = np.empty((n_trs, len(voxels)), np.float32)
    motion = np.empty((n_trs, 6))
    full = np.argwhere(np.ones(img.shape[:3], bool)) if mean_every else None
    mean, n_mean = None, 0
    M = np.eye(4)
    for t in tqdm(range(n_trs), desc=f"realign {desc}", unit="vol", leave=False, disable=not progress):
        vol = read_volume(img, t)
        M = corrector.estimate(vol, M)
        motion[t] = rigid_params(M, corrector.centre_)
        out[t] = corrector.reslice(vol, M, voxels)
        if mean_every and t % mean_every == 0:
            whole = corrector.reslice(vol, M, full).reshape(img.shape[:3])
            mean = whole.astype(np.float64) if mean is None else mean + whole
            n_mean += 1
    data = remove_drift(out, settings.window)[settings.dropped:]
    del out
    data, n_constant = zscore(data)
    return PreprocessedRun(data, motion, n_constant, None if mean is None else (mean / n_mean).astype(np.float32))


def run_key(task: str, run: int) -> str:
    """File stem of one run in a cache folder: ``task-Training_run-01``."""
    return f"task-{task}_run-{run:02d}"


def bold_path(bids_root: Path, subject: str, task: str, run: int) -> Path:
    """``<bids>/<subject>/func/<subject>_task-<task>_run-NN_bold.nii`` (``.nii.gz`` when that is there)."""
    stem = Path(bids_root) / subject / "func" / f"{subject}_task-{task}_run-{run:02d}_bold"
    plain = stem.with_name(stem.name + ".nii")
    gz = stem.with_name(stem.name + ".nii.gz")
    return gz if (gz.exists() or gz.is_symlink()) and not (plain.exists() or plain.is_symlink()) else plain


def preprocess_subject(runs: list[tuple[str, int, Path]], out_dir: str | Path,
                       settings: PreprocessSettings = PreprocessSettings(), progress: bool = True) -> Path:
    """Preprocess the runs of one participant into ``out_dir`` (cached and resumable, run by run).

    Parameters
    ----------
    runs : list of (task, run, path), in order; the first volume of the first one is the reference
    out_dir : the cache folder; it gets ``mask.npy`` (int array (n_mask, 3): voxel indices),
        ``reference.json`` (shape, affine, settings, the reference run's content md5), ``mean_epi.nii.gz``
        (mean realigned volume of the first run, for registration), and per run ``<task-T_run-NN>.npy``
        (array (400, n_mask) float32), ``<task-T_run-NN>_motion.tsv`` and ``<task-T_run-NN>.source`` (the
        md5 of the run it was made from). Files are written under a temporary name and renamed, so an
        interrupted run is redone and finished ones are kept; a run whose file changed is redone.

    Returns
    -------
    out_dir : Path
    """
    import nibabel as nib

    # every run checked present before any work; each run's content, not only its name and shape, decides
    # whether cached columns are its own (a cache shared between the twin and the real data, a re-fetched run)
    sources = [content_md5(check_present(path, "raw BOLD run")) for _, _, path in runs]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    first = open_bold(runs[0][2])
    if first.ndim != 4:
        raise DataError(f"{runs[0][2]}: a BOLD run must be 4-D, this image has shape {first.shape}")
    reference = read_volume(first, 0)
    corrector = MotionCorrector(settings).fit(reference, voxel_size(first))
    mask = brain_mask(reference, settings.mask_fraction)
    voxels = np.argwhere(mask)
    meta = {"reference": f"{runs[0][0]} run {runs[0][1]}, volume 0", "shape": list(reference.shape),
            "affine": np.asarray(first.affine).round(6).tolist(), "n_mask": int(len(voxels)),
            "settings": asdict(settings), "window_trs": settings.window,
            "reference_md5": sources[0]}
    meta_path = out / "reference.json"
    if meta_path.exists() and (former := json.loads(meta_path.read_text())) != meta:
        differ = sorted(k for k in meta.keys() | former.keys() if meta.get(k) != former.get(k))
        why = ("it was made before caches were keyed by the runs' content, so it cannot be checked"
               if differ == ["reference_md5"] and "reference_md5" not in former
               else f"it was made from other data or settings (differs in: {', '.join(differ)})")
        raise DataError(f"{meta_path}: {why}; delete {out} and run again")
    if not (out / "mask.npy").exists():
        save_npy(out / "mask.npy", voxels.astype(np.int16))
    write_text(meta_path, json.dumps(meta, indent=2) + "\n")
    for n, (task, run, path) in enumerate(tqdm(runs, desc="preprocess runs", unit="run", disable=not progress)):
        target = out / f"{run_key(task, run)}.npy"
        source_md5 = sources[n]
        stamp = out / f"{run_key(task, run)}.source"
        need_mean = n == 0 and not (out / "mean_epi.nii.gz").exists()
        if target.exists() and not need_mean and stamp.exists() and stamp.read_text().strip() == source_md5:
            continue
        img = first if n == 0 else open_bold(path)
        if img.shape[:3] != reference.shape:
            raise DataError(f"{path}: volume shape {img.shape[:3]} differs from the reference {reference.shape}")
        res = preprocess_run(img, corrector, voxels, settings, mean_every=5 if need_mean else 0,
                             desc=f"{task} {run:02d}", progress=progress)
        if need_mean:
            with replacing(out / "mean_epi.nii.gz", keep_extension=True) as tmp:
                nib.save(nib.Nifti1Image(res.mean_volume, first.affine), str(tmp))
        header = "tx_mm\tty_mm\ttz_mm\trx_rad\try_rad\trz_rad"
        with replacing(out / f"{run_key(task, run)}_motion.tsv") as tmp:
            np.savetxt(tmp, res.motion, fmt="%.6f", delimiter="\t", header=header, comments="")
        save_npy(target, res.data)
        write_text(stamp, source_md5 + "\n")      # last: a run without it is redone
    return out


def load_preprocessed(out_dir: str | Path, task: str, run: int) -> np.ndarray:
    """A cached run from :func:`preprocess_subject`: read-only float32 memory map (400, n_mask)."""
    path = check_present(Path(out_dir) / f"{run_key(task, run)}.npy", "preprocessed run")
    return np.load(path, mmap_mode="r", allow_pickle=False)
