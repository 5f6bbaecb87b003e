import numpy as np

from banlib.encoding.delays import Delayer


def test_delay_shifts_within_runs():
    X = np.arange(2 * 5 * 1, dtype=float).reshape(2, 5, 1)
    D = Delayer((1, 2)).transform(X)
    assert D.shape == (2, 5, 2)
    assert D[1, :, 0].tolist() == [0, 5, 6, 7, 8] and D[1, :, 1].tolist() == [0, 0, 5, 6, 7]


def test_weights_map_back_to_features_and_delays():
    d = Delayer((1, 2, 3))
    X = np.random.default_rng(0).normal(size=(1, 30, 4))
    coef = np.random.default_rng(1).normal(size=(12, 5))            # 4 features x 3 delays, 5 voxels
    # a prediction from delayed columns equals the sum over delays of per-delay weights on shifted features
    pred = d.transform(X)[0] @ coef
    per = d.split_weights(coef)                                      # (3 delays, 4 features, 5 voxels)
    manual = sum(Delayer((lag,)).transform(X)[0] @ per[j] for j, lag in enumerate(d.delays))
    np.testing.assert_allclose(pred, manual)
    np.testing.assert_allclose(d.average_weights(coef), per.mean(0).T)


def test_design_matrix_rows_and_repeat_means():
    feats = np.arange(3 * 10 * 2, dtype=np.float32).reshape(3, 10, 2)   # 3 clips, 10 TRs, 2 features
    grid = np.repeat(np.array([[2, 0, 1, 0, 1, 0, 1, 0, 1]]), 10, axis=1)  # a lead clip, then 2 clips x 4 repeats
    X = Delayer((0,)).design_matrix(feats, grid)
    assert X.shape == (80, 2) and X[0].tolist() == feats[0, 0].tolist()
    M = Delayer((0,)).design_matrix(feats, grid, mean_over_repeats=True)
    assert M.shape == (20, 2) and np.allclose(M, X[:20])
