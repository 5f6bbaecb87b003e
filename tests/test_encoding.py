import numpy as np
import pytest

from banlib.encoding.ridge import RidgeCVEncoder, RidgeEncoder, pearson_columns

from banlib.encoding.stats import fdr_bh, pearson_pvalues
from banlib.encoding.resampling import resampled_scores


def _toy(T=200, P=4, V=30, block=10, seed=0):
    g = np.random.default_rng(seed)
    X = g.normal(size=(T, P)).astype(np.float32)
    W = g.normal(size=(P, V))
    W[:, V // 2:] = 0                                     # half the targets are pure noise
    Y = (X @ W + g.normal(size=(T, V))).astype(np.float32)
    return X, Y, np.repeat(np.arange(T // block), block)


def test_resampled_scores_equal_direct_fits():
    X, Y, blocks = _toy()
    res = resampled_scores(X, Y, blocks, n_repeats=5, train_fraction=0.75, alpha=2.0, seed=3, chunk=7)
    for r in range(5):
        train = res.train_blocks[r][blocks]
        enc = RidgeEncoder(alpha=2.0).fit(X[train], Y[train])
        direct = enc.score(X[~train], Y[~train])
        np.testing.assert_allclose(res.r[r], direct, atol=2e-4)
        assert res.n_test[r] == (~train).sum()


def test_resampled_scores_separate_signal_from_noise():
    X, Y, blocks = _toy(T=400)
    r = resampled_scores(X, Y, blocks, n_repeats=10, seed=0).r.mean(0)
    assert r[:15].min() > 0.5 and np.abs(r[15:]).max() < 0.2


def test_splits_depend_on_seed_only():
    X, Y, blocks = _toy()
    a = resampled_scores(X, Y, blocks, n_repeats=4, seed=1)
    b = resampled_scores(X, Y, blocks, n_repeats=4, seed=1)
    c = resampled_scores(X, Y, blocks, n_repeats=4, seed=2)
    assert np.array_equal(a.r, b.r) and not np.array_equal(a.r, c.r)


def test_ridge_matches_sklearn():
    from sklearn.linear_model import Ridge

    X, Y, _ = _toy()
    ours = RidgeEncoder(alpha=5.0).fit(X, Y).predict(X)
    ref = Ridge(alpha=5.0).fit(X, Y).predict(X)
    np.testing.assert_allclose(ours, ref, atol=1e-3)


def test_ridgecv_picks_more_shrinkage_for_weak_signals():
    g = np.random.default_rng(0)
    T, P = 240, 40
    X = g.normal(size=(T, P))
    w = g.normal(size=(P, 20))
    strong = X @ w[:, :10] + 0.1 * g.normal(size=(T, 10))
    weak = 0.05 * X @ w[:, 10:] + g.normal(size=(T, 10))
    Y = np.hstack([strong, weak]).astype(np.float32)
    enc = RidgeCVEncoder(alphas=np.logspace(-2, 4, 7)).fit(X, Y, np.arange(T) // 40)
    assert np.median(enc.best_alpha_[10:]) >= 100 * np.median(enc.best_alpha_[:10])
    assert enc.score(X, Y)[:10].min() > 0.99


def test_pearson_and_pvalues():
    a = np.random.default_rng(0).normal(size=(100, 3))
    b = a.copy()
    b[:, 1] = -b[:, 1]
    b[:, 2] = 1.0                                      # constant: r undefined -> 0
    r = pearson_columns(a, b)
    assert r[0] == pytest.approx(1) and r[1] == pytest.approx(-1) and r[2] == 0
    p = pearson_pvalues(np.array([0.0, 0.5]), 100)
    assert p[0] == pytest.approx(0.5) and p[1] < 1e-6


def test_fdr_bh_against_hand_computation():
    p = np.array([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, np.nan])
    # m = 8 finite tests at q = .05: thresholds .00625, .0125, .01875, .025, ...; largest k with p_k <= k q/m is 2
    assert fdr_bh(p, 0.05).tolist() == [True, True] + [False] * 7
    assert fdr_bh(np.stack([p, p])).shape == (2, 9)
