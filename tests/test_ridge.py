"""The fast leave-one-group-out ridge (banlib.encoding.ridge.RidgeCVEncoder) against the direct fit."""
import numpy as np
import pytest

from banlib.encoding.ridge import RidgeCVEncoder
from banlib.encoding.stats import pearson_columns


def reference_ridgecv(X, Y, groups, alphas):
    """The direct implementation (banlib before the fast path): one SVD per fold of the centred
    training design, held-out predictions formed for every alpha and correlated with the held-out
    responses; refit on all rows with each voxel's alpha. Returns (cv_scores, best_alpha, coef, intercept)."""
    X = np.asarray(X, np.float64)
    Y = np.asarray(Y, np.float64)
    alphas = np.asarray(alphas, np.float64)
    scores = np.zeros((len(alphas), Y.shape[1]))
    folds = np.unique(groups)
    for g in folds:
        tr, te = groups != g, groups == g
        mu = X[tr].mean(axis=0)
        U, s, Vt = np.linalg.svd(X[tr] - mu, full_matrices=False)
        proj = (X[te] - mu) @ Vt.T
        UtY = U.T @ (Y[tr] - Y[tr].mean(axis=0))
        for a, alpha in enumerate(alphas):
            scores[a] += pearson_columns(proj @ ((s / (s * s + alpha))[:, None] * UtY), Y[te])
    scores /= len(folds)
    best = alphas[np.argmax(scores, axis=0)]
    mu = X.mean(axis=0)
    U, s, Vt = np.linalg.svd(X - mu, full_matrices=False)
    ym = Y.mean(axis=0)
    W = Vt.T @ ((s[:, None] / (s[:, None] ** 2 + best[None, :])) * (U.T @ (Y - ym)))
    return scores, best, W, ym - mu @ W


def _problem(seed=0, groups=8, rows=30, p=12, V=40, onehot=False):
    """Targets from strong signal to pure noise, one constant target; optionally a rank-deficient
    one-hot design (its columns sum to 1, so the centred design loses a dimension)."""
    g = np.random.default_rng(seed)
    n = groups * rows
    if onehot:
        X = np.eye(p)[g.integers(0, p, n)]
    else:
        X = g.normal(size=(n, p)) @ g.normal(size=(p, p))                      # correlated features
    W = g.normal(size=(p, V)) * np.logspace(0, -3, V)[None, :]
    Y = X @ W + g.normal(size=(n, V))
    Y[:, -1] = 3.0                                                            # constant target: r = 0
    return X.astype(np.float32), Y.astype(np.float32), np.repeat(np.arange(groups), rows)


ALPHAS = np.logspace(-1, 7, 17)


@pytest.mark.parametrize("onehot", [False, True])
def test_fast_ridgecv_equals_the_direct_fit(onehot):
    X, Y, groups = _problem(onehot=onehot)
    fast = RidgeCVEncoder(ALPHAS, chunk=7).fit(X, Y, groups)               # several voxel batches
    scores, best, W, b = reference_ridgecv(X, Y, groups, ALPHAS)
    np.testing.assert_allclose(fast.cv_scores_, scores, atol=1e-5)
    # the chosen alpha scores as well as the reference's choice, and is the same one wherever the best
    # score is not a near-tie (at large alphas the prediction only shrinks, so r barely changes)
    chosen = scores[np.searchsorted(ALPHAS, fast.best_alpha_), np.arange(Y.shape[1])]
    assert np.all(chosen >= scores.max(axis=0) - 1e-5)
    top2 = np.sort(scores, axis=0)[-2:]
    clear = top2[1] - top2[0] > 1e-5
    assert clear.sum() > Y.shape[1] // 3 and np.array_equal(fast.best_alpha_[clear], best[clear])
    np.testing.assert_allclose(fast.coef_[:, clear], W[:, clear], atol=1e-5 * np.abs(W).max())
    np.testing.assert_allclose(fast.intercept_[clear], b[clear], atol=1e-5 * max(1.0, np.abs(b).max()))
    np.testing.assert_allclose(fast.predict(X)[:, clear], (X @ W + b)[:, clear], atol=1e-4)
    assert np.all(fast.cv_scores_[:, -1] == 0)


@pytest.mark.parametrize("scales", [np.ones(16),                                      # one 16-fold eigenvalue
                                    1 + np.array([0, 1e-7, 1e-5, 3e-5, 1e-4, 1e-3, 1e-2] + [0.5] * 9)])
def test_equal_and_nearly_equal_eigenvalues(scales):
    """Every run the same orthogonal design: each fold's eigenvalues are n_train * scales**2, so they
    coincide or fall on either side of the nearness threshold of the variance formula."""
    from scipy.linalg import hadamard

    block = hadamard(32)[:, 1:17] * scales                   # zero-mean, orthogonal columns
    X = np.tile(block, (6, 1)).astype(np.float32)
    g = np.random.default_rng(4)
    Y = (X @ g.normal(size=(16, 25)) * np.logspace(0, -2, 25) + g.normal(size=(len(X), 25))).astype(np.float32)
    groups = np.repeat(np.arange(6), 32)
    fast = RidgeCVEncoder(ALPHAS).fit(X, Y, groups)
    np.testing.assert_allclose(fast.cv_scores_, reference_ridgecv(X, Y, groups, ALPHAS)[0], atol=1e-5)


@pytest.mark.parametrize("max_amplification, rtol", [(1e8, 1e-8), (0.0, 1e-10), (np.inf, 1e-5)])
def test_variance_of_predictions_for_all_alphas_at_once(monkeypatch, max_amplification, rtol):
    """|X_te E w_a|^2 with w_a = c / (lam + a) against the direct quadratic form, for eigenvalues that
    coincide, nearly coincide or are far apart: the default mix of partial fractions and direct products,
    the direct path alone, and partial fractions alone (which lose digits at huge alphas over close
    eigenvalues: the reason for the threshold)."""
    from banlib.encoding.ridge import _PredictionVariance

    monkeypatch.setattr(_PredictionVariance, "max_amplification", max_amplification)
    lam = np.array([0, 0, 1e-9, 1, 1 + 1e-7, 1 + 1e-5, 1 + 1e-3, 2, 10, 1e3, 1e3 * (1 + 1e-6), 1e5])
    g = np.random.default_rng(5)
    A = g.normal(size=(len(lam), len(lam)))
    G, c = A @ A.T, g.normal(size=(len(lam), 30))
    var = _PredictionVariance(G, lam, ALPHAS)
    f = 1 / (lam[None, :] + ALPHAS[:, None])
    direct = np.stack([np.einsum("kv,kl,lv->v", fa[:, None] * c, G, fa[:, None] * c) for fa in f])
    np.testing.assert_allclose(var(c), direct, rtol=rtol)
    expected_fast = {1e8: "some", np.inf: "all", 0.0: "none"}[max_amplification]
    assert expected_fast == ("all" if var.fast.all() else "none" if not var.fast.any() else "some")


def test_groups_need_not_be_contiguous():
    X, Y, groups = _problem(seed=1)
    shuffled = np.random.default_rng(0).permutation(groups)                  # rows of a group scattered
    fast = RidgeCVEncoder(ALPHAS).fit(X, Y, shuffled)
    np.testing.assert_allclose(fast.cv_scores_, reference_ridgecv(X, Y, shuffled, ALPHAS)[0], atol=1e-5)


def test_memory_map_and_batch_size_do_not_change_the_fit(tmp_path):
    X, Y, groups = _problem(seed=2)
    np.save(tmp_path / "Y.npy", Y)
    Ymap = np.load(tmp_path / "Y.npy", mmap_mode="r", allow_pickle=False)
    a = RidgeCVEncoder(ALPHAS, chunk=5).fit(X, Ymap, groups)
    b = RidgeCVEncoder(ALPHAS, chunk=1000).fit(X, Y, groups)
    np.testing.assert_allclose(a.cv_scores_, b.cv_scores_, atol=1e-6)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-5, atol=1e-7)


def test_same_input_same_bytes_whatever_the_number_of_threads():
    X, Y, groups = _problem(seed=3)
    a = RidgeCVEncoder(ALPHAS, chunk=9, n_jobs=1).fit(X, Y, groups)
    b = RidgeCVEncoder(ALPHAS, chunk=9, n_jobs=3).fit(X, Y, groups)
    assert a.cv_scores_.tobytes() == b.cv_scores_.tobytes() and a.coef_.tobytes() == b.coef_.tobytes()


@pytest.mark.parametrize("alphas, match", [((0.0, 1.0), "> 0"), ((np.inf,), "finite")])
def test_bad_alphas_are_refused(alphas, match):
    X, Y, groups = _problem()
    with pytest.raises(ValueError, match=match):
        RidgeCVEncoder(alphas).fit(X, Y, groups)


def test_shapes_and_groups_are_checked():
    X, Y, groups = _problem()
    with pytest.raises(ValueError, match="same rows"):
        RidgeCVEncoder(ALPHAS).fit(X[:-1], Y, groups)
    with pytest.raises(ValueError, match="at least 2 groups"):
        RidgeCVEncoder(ALPHAS).fit(X, Y, np.zeros(len(X)))


def test_pooled_r_is_one_correlation_over_every_row_and_target():
    X, Y, groups = _problem(seed=3)
    model = RidgeCVEncoder(ALPHAS).fit(X, Y, groups)
    small = RidgeCVEncoder(ALPHAS, chunk=7).fit(X, Y, groups)                 # batches do not change it
    r, pooled = model.scores(X, Y)
    pred = model.predict(X).astype(np.float64).ravel()
    assert np.allclose(r, model.score(X, Y))
    assert pooled == pytest.approx(np.corrcoef(pred, np.asarray(Y, np.float64).ravel())[0, 1], abs=1e-9)
    assert small.scores(X, Y)[1] == pytest.approx(pooled, abs=1e-9)
    assert model.scores(X, np.zeros_like(Y))[1] == 0                          # undefined: 0, as per voxel
