import numpy as np

from banlib.features.spectral import frames_to_trs


def _by_loop(frames, hop_seconds, n_trs, tr):
    """Each TR's mean of the frames whose centre falls in it (the last TR takes any beyond), written out."""
    out = np.zeros((n_trs, frames.shape[1]))
    for k in range(n_trs):
        centres = (np.arange(len(frames)) + 0.5) * hop_seconds
        inside = (centres >= k * tr) & ((centres < (k + 1) * tr) | (k == n_trs - 1))
        if inside.any():
            out[k] = frames[inside].astype(np.float64).mean(axis=0)
    return out


def test_each_tr_is_the_mean_of_its_frames_and_an_empty_tr_is_zero():
    rng = np.random.default_rng(0)
    for n_frames, hop in [(81, 15 / 81), (646, 15 / 646), (3, 6.0), (1, 15.0), (40, 0.5)]:
        frames = rng.standard_normal((n_frames, 5)).astype(np.float32)
        got = frames_to_trs(frames, hop, n_trs=10, tr=1.5)
        assert got.shape == (10, 5) and got.dtype == np.float32
        np.testing.assert_allclose(got, _by_loop(frames, hop, 10, 1.5), rtol=1e-6, atol=1e-6)
    sparse = frames_to_trs(np.ones((3, 2), np.float32), 6.0, n_trs=10, tr=1.5)    # frames at 3, 9, 15 s
    assert np.flatnonzero(sparse[:, 0]).tolist() == [2, 6, 9]


def test_clips_in_a_batch_are_averaged_as_one_by_one():
    frames = np.random.default_rng(1).standard_normal((4, 81, 7)).astype(np.float32)
    batch = frames_to_trs(frames, 15 / 81)
    assert batch.shape == (4, 10, 7)
    for clip, row in zip(frames, batch):
        assert np.array_equal(frames_to_trs(clip, 15 / 81), row)
