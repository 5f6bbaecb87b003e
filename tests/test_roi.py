import numpy as np

from banlib.data.dataset import voxel_table
import pandas as pd
import pytest

from banlib.analyses.recovery import roi_recovery
from banlib.analyses.roi import ROI, ROISelector, label_counts, label_fractions, select_roi
from banlib.data.design import subject_design


def test_recovers_planted_genre_voxels_on_the_quick_twin(quick_twin):
    """On the calibrated twin the ROI has the paper's share of V, fewer voxels than were planted genre-tuned
    (recall is low by design): it must consist of planted genre voxels, and of the more strongly tuned ones."""
    for sub in quick_twin.subjects():
        out = select_roi(quick_twin, subject_design(quick_twin, sub), ROISelector(n_repeats=100, seed=0))
        vox = voxel_table(quick_twin, sub)
        truth = (vox.truth == "genre").to_numpy()
        rec = roi_recovery(out.mask, vox)
        assert out.mask.sum() >= 10 and rec["precision"] >= 0.8, (sub, rec)
        snr = vox.genre_snr.to_numpy()
        assert snr[out.mask & truth].mean() > snr[~out.mask & truth].mean(), (sub, rec)


def test_same_seed_same_roi(quick_twin):
    design = subject_design(quick_twin, "sub-002")
    a = select_roi(quick_twin, design, ROISelector(n_repeats=20, seed=5))
    b = select_roi(quick_twin, design, ROISelector(n_repeats=20, seed=5))
    assert np.array_equal(a.mask, b.mask) and np.array_equal(a.frequency, b.frequency)


def test_roi_file_round_trip(tmp_path):
    g = np.random.default_rng(0)
    roi = ROI("sub-001", g.random(50) > 0.8, g.random(50), g.normal(size=50), g.random(50) > 0.1)
    roi.save(tmp_path / "r.npz")
    back = ROI.load(tmp_path / "r.npz", "sub-001")
    assert np.array_equal(back.mask, roi.mask) and np.array_equal(back.usable, roi.usable)
    assert back.size == roi.size and "ROI" in back.summary()


def test_label_fractions_need_labels_and_sum_to_one():
    vox = pd.DataFrame({"roi": ["L.HG", "L.HG", "R.PT", "other", "other"]})
    counts = label_counts(np.array([True, False, True, True, False]), vox)
    assert counts == {"L.HG": 1, "R.PT": 1, "other": 1}
    frac = label_fractions(counts)
    assert abs(sum(frac.values()) - 1) < 1e-12 and frac["L.HS"] == 0
    with pytest.raises(ValueError):
        label_fractions({})


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


def test_default_selection_never_reads_test_rows_and_the_paper_split_does(quick_twin, monkeypatch):
    import banlib.analyses.roi as roi_mod

    read = []
    real = roi_mod.load_responses
    monkeypatch.setattr(roi_mod, "load_responses", lambda s, sub, kind: read.append(kind) or real(s, sub, kind))
    design = subject_design(quick_twin, "sub-001")
    select_roi(quick_twin, design, ROISelector(n_repeats=5, seed=0))
    assert read == ["Training"]
    read.clear()
    paper = select_roi(quick_twin, design, ROISelector(n_repeats=5, seed=0), split="paper")
    assert read == ["Training", "Test_Mean"] and paper.mask.shape == paper.usable.shape


def test_paper_split_gives_table_one_volumes(quick_twin):
    from banlib.analyses.roi import genre_design, selection_volumes

    design = subject_design(quick_twin, "sub-001")
    assert selection_volumes(design) == {"train": 3600, "test": 1200}
    assert selection_volumes(design, "paper") == {"train": 4050, "test": 1350}        # Table I
    X, blocks = genre_design(design, split="paper")
    assert X.shape[0] == 5400 and len(np.unique(blocks)) == 540
