"""banlib.data.preprocess: rigid bodies, motion estimation, drift removal, z-scoring, the cached subject route."""
import json

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from scipy import ndimage

from banlib.data import preprocess as pp
from banlib.data.dataset import DataError


def blob_volume(shape=(24, 26, 20), seed=0) -> np.ndarray:
    """A smooth head-like volume: a bright ellipsoid with texture (float32)."""
    g = np.random.default_rng(seed)
    idx = np.indices(shape).astype(float)
    c = (np.array(shape) - 1) / 2
    r = np.sqrt((((idx - c[:, None, None, None]) / (c[:, None, None, None] * 0.8)) ** 2).sum(0))
    vol = 1000 * (r < 1) + 300 * ndimage.gaussian_filter(g.standard_normal(shape), 1.5)
    return ndimage.gaussian_filter(vol, 1.0).astype(np.float32)


def moved(vol, M, vs):
    """``vol`` seen after the head moved by M: out(x) = vol(M^-1 x)."""
    pts = np.argwhere(np.ones(vol.shape, bool)) * vs
    inv = np.linalg.inv(M)
    where = (pts @ inv[:3, :3].T + inv[:3, 3]) / vs
    return ndimage.map_coordinates(vol, where.T, order=3, mode="nearest").reshape(vol.shape).astype(np.float32)


def test_window_is_the_odd_number_of_trs_nearest_240_s():
    assert pp.PreprocessSettings().window == 161
    assert pp.PreprocessSettings(drift_window_s=30, tr=2.0).window == 15


def test_rigid_matrix_and_params_round_trip():
    p = np.array([1.5, -2.0, 0.7, 0.05, -0.03, 0.02])
    c = (10.0, 12.0, 8.0)
    M = pp.rigid_matrix(p, c)
    assert np.allclose(M[:3, :3] @ M[:3, :3].T, np.eye(3))
    assert np.allclose(pp.rigid_params(M, c), p)
    assert np.allclose(M @ np.array([*c, 1.0]), np.array([*c, 1.0]) + np.r_[p[:3], 0])   # pivot moves by t only


def test_motion_is_recovered_and_undone():
    vol = blob_volume()
    vs = np.array([2.0, 2.0, 2.0])
    mc = pp.MotionCorrector(pp.PreprocessSettings(estimate_step=1, smooth_fwhm_mm=3.0)).fit(vol, vs)
    truth = np.array([0.6, -0.4, 0.3, 0.02, -0.015, 0.01])
    M = pp.rigid_matrix(truth, mc.centre_)
    est = mc.estimate(moved(vol, M, vs))
    assert np.abs(pp.rigid_params(est, mc.centre_) - truth).max() < 0.05
    inner = np.argwhere(ndimage.binary_erosion(vol > 500, iterations=3))
    back = mc.reslice(moved(vol, M, vs), est, inner)
    before = np.abs(moved(vol, M, vs)[tuple(inner.T)] - vol[tuple(inner.T)]).mean()
    after = np.abs(back - vol[tuple(inner.T)]).mean()
    assert after < before / 4
    assert np.allclose(mc.estimate(vol), np.eye(4), atol=1e-6)            # the reference itself: no motion


def test_remove_drift_equals_a_centred_truncated_running_median():
    g = np.random.default_rng(1)
    ts = g.standard_normal((60, 7)).astype(np.float32) + np.linspace(0, 5, 60, dtype=np.float32)[:, None]
    out = pp.remove_drift(ts, 11, chunk=3)
    med = pd.DataFrame(ts).rolling(11, center=True, min_periods=1).median().to_numpy()
    assert np.allclose(out, ts - med, atol=1e-5)
    assert abs(np.polyfit(np.arange(60), out[:, 0], 1)[0]) < 0.03       # the trend is gone
    with pytest.raises(ValueError, match="odd"):
        pp.remove_drift(ts, 10)


def test_zscore_handles_constant_voxels():
    x = np.column_stack([np.arange(10.0), np.full(10, 3.0)])
    z, n_const = pp.zscore(x)
    assert n_const == 1 and np.all(z[:, 1] == 0)
    assert np.isclose(z[:, 0].mean(), 0, atol=1e-6) and np.isclose(z[:, 0].std(), 1, atol=1e-6)


def write_run(path, vol, n_vol, motion_scale, seed, vs=2.0):
    g = np.random.default_rng(seed)
    data = np.empty((*vol.shape, n_vol), np.int16)
    centre = (np.array(vol.shape) - 1) / 2 * vs
    for t in range(n_vol):
        p = np.r_[g.normal(0, motion_scale, 3), g.normal(0, motion_scale / 100, 3)] if t else np.zeros(6)
        frame = moved(vol * (1 + 0.01 * g.standard_normal(vol.shape)), pp.rigid_matrix(p, centre), np.full(3, vs))
        data[..., t] = np.rint(frame)
    nib.save(nib.Nifti1Image(data, np.diag([vs, vs, vs, 1.0])), str(path))


def test_preprocess_subject_writes_a_resumable_cache(tmp_path):
    vol = blob_volume((16, 18, 12))
    runs = []
    for r in (1, 2):
        p = tmp_path / f"sub-x_task-Training_run-{r:02d}_bold.nii"
        write_run(p, vol, 30, 0.2, r)
        runs.append(("Training", r, p))
    s = pp.PreprocessSettings(drift_window_s=15, dropped=4)
    out = pp.preprocess_subject(runs, tmp_path / "cache", s, progress=False)
    mask = np.load(out / "mask.npy")
    data = pp.load_preprocessed(out, "Training", 2)
    assert data.shape == (26, len(mask)) and data.dtype == np.float32
    assert np.allclose(data.mean(0), 0, atol=1e-4)
    assert (out / "mean_epi.nii.gz").exists() and (out / "task-Training_run-01_motion.tsv").exists()
    assert json.loads((out / "reference.json").read_text())["reference"] == "Training run 1, volume 0"
    # resumable: a finished run is not redone; a removed one is
    stamp = (out / "task-Training_run-01.npy").stat().st_mtime_ns
    (out / "task-Training_run-02.npy").unlink()
    pp.preprocess_subject(runs, tmp_path / "cache", s, progress=False)
    assert (out / "task-Training_run-01.npy").stat().st_mtime_ns == stamp
    assert np.array_equal(pp.load_preprocessed(out, "Training", 2), data)
    # other settings: the cache says so instead of mixing
    with pytest.raises(DataError, match="other data or settings"):
        pp.preprocess_subject(runs, tmp_path / "cache", pp.PreprocessSettings(drift_window_s=30, dropped=4),
                              progress=False)
    # a cache from before the content keys: said so, not blamed on the data
    meta = json.loads((out / "reference.json").read_text())
    (out / "reference.json").write_text(json.dumps({k: v for k, v in meta.items() if k != "reference_md5"}))
    with pytest.raises(DataError, match="made before caches were keyed by the runs' content"):
        pp.preprocess_subject(runs, tmp_path / "cache", s, progress=False)
    (out / "reference.json").write_text(json.dumps(meta))
    # a run whose file changed (same name, same shape) is redone; the others are kept
    write_run(runs[1][2], vol, 30, 0.2, seed=7)
    pp.preprocess_subject(runs, tmp_path / "cache", s, progress=False)
    assert (out / "task-Training_run-01.npy").stat().st_mtime_ns == stamp
    assert not np.array_equal(pp.load_preprocessed(out, "Training", 2), data)
    # a changed reference run changes the mask and the motion target: an error, not a mix
    write_run(runs[0][2], vol, 30, 0.2, seed=8)
    with pytest.raises(DataError, match=r"other data or settings \(differs in: reference_md5\)"):
        pp.preprocess_subject(runs, tmp_path / "cache", s, progress=False)


def test_missing_run_names_the_file(tmp_path):
    with pytest.raises(DataError, match="raw image not found"):
        pp.open_bold(tmp_path / "sub-x_task-Training_run-01_bold.nii")
