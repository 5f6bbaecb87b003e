"""Classification metrics shared by training, decoding and the BAS: plain arrays of class indices."""
from __future__ import annotations

import numpy as np

from ..config import GENRES


def confusion_matrix(true, pred, n: int = len(GENRES), normalise: bool = True) -> np.ndarray:
    """(n, n) counts of (true row, predicted column); each row sums to 1 when ``normalise``."""
    m = np.zeros((n, n))
    np.add.at(m, (np.asarray(true, int), np.asarray(pred, int)), 1)
    return m / np.maximum(m.sum(1, keepdims=True), 1) if normalise else m


def macro_f1(reference, predicted, n: int = len(GENRES)) -> float:
    """Macro-averaged F1 over genres (paper Eq. 5): per genre 2TP / (2TP + FP + FN), then the mean.

    A genre that occurs in neither sequence has no defined F1 and is left out of the mean.
    """
    reference, predicted = np.asarray(reference, int), np.asarray(predicted, int)
    f1 = []
    for k in range(n):
        tp = int(((reference == k) & (predicted == k)).sum())
        fp = int(((reference != k) & (predicted == k)).sum())
        fn = int(((reference == k) & (predicted != k)).sum())
        if tp + fp + fn:
            f1.append(2 * tp / (2 * tp + fp + fn))
    return float(np.mean(f1)) if f1 else float("nan")
