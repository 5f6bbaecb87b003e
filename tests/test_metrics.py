import numpy as np
import pytest

from banlib.analyses.metrics import confusion_matrix, macro_f1


def test_confusion_rows_sum_to_one():
    m = confusion_matrix(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 2]), n=3)
    assert m.tolist() == [[0.5, 0.5, 0], [0, 1, 0], [0, 0, 1]]


def test_macro_f1_by_hand():
    # genre 0: TP 1, FP 0, FN 1 -> 2/3; genre 1: TP 1, FP 1, FN 0 -> 2/3; genre 2: TP 1 -> 1
    assert macro_f1([0, 0, 1, 2], [0, 1, 1, 2], n=3) == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)
    assert macro_f1([0, 1, 2], [0, 1, 2], n=10) == 1.0
    assert macro_f1([0, 0], [1, 1], n=3) == 0.0


def test_macro_f1_agrees_with_scikit_learn():
    from sklearn.metrics import f1_score

    g = np.random.default_rng(0)
    a, b = g.integers(0, 10, 200), g.integers(0, 10, 200)
    assert macro_f1(a, b) == pytest.approx(f1_score(a, b, average="macro"))
