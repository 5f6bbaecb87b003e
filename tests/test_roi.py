import numpy as np

from banlib.data.dataset import voxel_table
from banlib.analyses.roi import ROISelector, recovery, select_roi


def test_recovers_planted_genre_voxels_on_the_quick_twin(quick_twin):
    for sub in quick_twin.subjects():
        out = select_roi(quick_twin, sub, ROISelector(n_repeats=100, seed=0))
        truth = (voxel_table(quick_twin, sub).truth == "genre").to_numpy()
        rec = recovery(out["selector"].mask_, truth)
        assert rec["precision"] >= 0.9 and rec["recall"] >= 0.9, (sub, rec)


def test_same_seed_same_roi(quick_twin):
    a = select_roi(quick_twin, "sub-002", ROISelector(n_repeats=20, seed=5))["selector"]
    b = select_roi(quick_twin, "sub-002", ROISelector(n_repeats=20, seed=5))["selector"]
    assert np.array_equal(a.mask_, b.mask_) and np.array_equal(a.frequency_, b.frequency_)


def test_bad_voxels_are_excluded_not_propagated():
    g = np.random.default_rng(0)
    blocks = np.repeat(np.arange(40), 10)
    genre = np.repeat(g.integers(0, 4, 40), 10)
    X = np.eye(4, dtype=np.float32)[genre]
    Y = g.normal(size=(400, 6)).astype(np.float32)
    Y[:, :3] += 2 * X[:, :3]
    Y[5, 1] = np.nan
    Y[:, 4] = 0.0
    usable = np.isfinite(Y).all(0) & (Y.std(0) > 0)
    sel = ROISelector(n_repeats=20, seed=0).fit(X, Y, blocks, usable=usable)
    assert sel.mask_.tolist() == [True, False, True, False, False, False]
    assert np.isnan(sel.mean_r_[[1, 4]]).all() and np.isfinite(sel.mean_r_[[0, 2, 3, 5]]).all()
