"""Label features: the genre of the clip playing, as a one-hot code per TR."""
from __future__ import annotations

import numpy as np

from ..config import GENRES, TRS_PER_CLIP


def genre_onehot(genres) -> np.ndarray:
    """Clip genres -> (n_clips, 10 TRs, 10) one-hot, constant over the clip."""
    idx = np.array([GENRES.index(g) for g in genres])
    onehot = np.eye(len(GENRES), dtype=np.float32)[idx]
    return np.repeat(onehot[:, None, :], TRS_PER_CLIP, axis=1)
