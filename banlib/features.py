"""Stimulus features on the fMRI TR grid, and spectrogram features of audio.

Per-clip features ``(n_clips, 10 TRs, F)`` are laid on each run's 410-volume grid
(:func:`banlib.dataset.clip_grid`), FIR-delayed per run, and the first 10 TRs of each
run dropped, giving rows that match ``Resp_<kind>`` one to one.
"""
from __future__ import annotations

import numpy as np

from .config import DROPPED_TRS, GENRES, SAMPLE_RATE, TEST_REPEATS, TRS_PER_CLIP
from .encoding import delay


def genre_onehot(genres) -> np.ndarray:
    """Clip genres -> (n_clips, 10 TRs, 10) one-hot, constant over the clip."""
    idx = np.array([GENRES.index(g) for g in genres])
    onehot = np.eye(len(GENRES), dtype=np.float32)[idx]
    return np.repeat(onehot[:, None, :], TRS_PER_CLIP, axis=1)


def design_matrix(clip_features: np.ndarray, grid: np.ndarray, delays=(2, 3, 4),
                  mean_over_repeats: bool = False) -> np.ndarray:
    """Lay per-clip features on the TR grid, delay, drop the lead-in.

    ``clip_features`` (n_clips, 10, F); ``grid`` (n_runs, 410) clip index per TR.
    Returns (n_runs * 400, F * len(delays)) float32, or (n_runs * 100, ...) with
    ``mean_over_repeats`` (rows of ``Resp_Test_Mean``).
    """
    n_runs, n_vol = grid.shape
    pos = np.arange(n_vol) % TRS_PER_CLIP
    per_run = clip_features[grid, pos[None, :]]                      # (n_runs, 410, F)
    X = delay(per_run, tuple(delays))[:, DROPPED_TRS:]               # (n_runs, 400, F*D)
    if mean_over_repeats:
        X = X.reshape(n_runs, TEST_REPEATS, -1, X.shape[-1]).mean(axis=1)
    return X.reshape(-1, X.shape[-1]).astype(np.float32)


def log_mel(wave: np.ndarray, sr: int = SAMPLE_RATE, n_mels: int = 64, n_fft: int = 1024,
            hop: int = 512) -> np.ndarray:
    """Log-mel spectrogram (dB) of mono audio: (n_mels, n_frames) float32, via torchaudio."""
    import torch
    import torchaudio

    mel = torchaudio.transforms.MelSpectrogram(sample_rate=sr, n_fft=n_fft, hop_length=hop,
                                               n_mels=n_mels, power=2.0)
    to_db = torchaudio.transforms.AmplitudeToDB(stype="power", top_db=80.0)
    with torch.no_grad():
        spec = to_db(mel(torch.as_tensor(np.asarray(wave, np.float32))))
    return spec.numpy().astype(np.float32)


def frames_to_trs(frames: np.ndarray, hop_seconds: float, n_trs: int = TRS_PER_CLIP,
                  tr: float = 1.5) -> np.ndarray:
    """Average frame-wise features (n_frames, F) within each TR -> (n_trs, F)."""
    t = (np.arange(len(frames)) + 0.5) * hop_seconds
    idx = np.minimum((t // tr).astype(int), n_trs - 1)
    out = np.zeros((n_trs, frames.shape[1]), np.float64)
    np.add.at(out, idx, frames)
    counts = np.bincount(idx, minlength=n_trs)[:, None]
    return (out / np.maximum(counts, 1)).astype(np.float32)
