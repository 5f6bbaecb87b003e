import numpy as np
import pytest

from banlib.data.dataset import voxel_table
from banlib.data.design import subject_design
from banlib.encoding.voxelwise import fit_and_score, noise_ceiling, pca_features, split_half_reliability


def test_pca_is_fitted_on_training_clips_only():
    g = np.random.default_rng(0)
    feats = g.normal(size=(30, 10, 6)).astype(np.float32)
    train = np.arange(30) < 20
    a = pca_features(feats, train, 4)
    changed = feats.copy()
    changed[~train] *= 100                      # test clips must not move the components
    b = pca_features(changed, train, 4)
    assert a.shape == (30, 10, 4)
    np.testing.assert_allclose(a[train], b[train], rtol=1e-5, atol=1e-5)
    # training projections are centred and ordered by variance
    flat = a[train].reshape(-1, 4)
    assert np.allclose(flat.mean(0), 0, atol=1e-4) and np.all(np.diff(flat.var(0)) <= 1e-6)


def test_split_half_reliability_matches_the_planted_signal_to_noise():
    g = np.random.default_rng(0)
    runs, repeats, n_t, V = 6, 4, 100, 400
    signal = g.normal(size=(runs, 1, n_t, V))
    noise_sd = np.linspace(0.5, 3, V)
    Y = (signal + g.normal(size=(runs, repeats, n_t, V)) * noise_sd).reshape(-1, V)
    rel = split_half_reliability(Y, runs, repeats)
    expected = 1 / (1 + noise_sd ** 2 / repeats)          # var(signal) / var(4-repeat mean)
    assert np.abs(rel - expected).mean() < 0.03
    assert np.all(noise_ceiling(np.array([-0.2, 0.25])) == [0, 0.5])


def test_planted_acoustic_voxels_are_predicted_and_noise_voxels_are_not(quick_twin):
    sub = "sub-002"
    truth = voxel_table(quick_twin, sub).truth.to_numpy()
    acoustic = np.load(quick_twin.truth_root / "acoustic_features.npy", allow_pickle=False)
    r_ac = fit_and_score(quick_twin, subject_design(quick_twin, sub), acoustic, truth == "acoustic").r
    r_none = fit_and_score(quick_twin, subject_design(quick_twin, sub), acoustic, truth == "none").r
    assert np.median(r_ac) > 0.2 and abs(np.median(r_none)) < 0.03


def test_feature_count_must_match_the_design(quick_twin):
    with pytest.raises(ValueError, match="540"):
        fit_and_score(quick_twin, subject_design(quick_twin, "sub-001"), np.zeros((10, 10, 3), np.float32))
