"""Stimulus features on the fMRI TR grid, and spectrogram features of audio.

Per-clip features ``(n_clips, 10 TRs, F)`` are laid on each run's 410-volume grid
(:func:`banlib.dataset.clip_grid`), FIR-delayed per run, and the first 10 TRs of each
run dropped, giving rows that match ``Resp_<kind>`` one to one.
"""
from __future__ import annotations

import functools

import numpy as np

from ..config import HOP_LENGTH, N_FFT, N_MELS, SAMPLE_RATE, TR, TRS_PER_CLIP


def log_mel(wave: np.ndarray, sr: int = SAMPLE_RATE, n_mels: int = N_MELS, n_fft: int = N_FFT,
            hop: int = HOP_LENGTH) -> np.ndarray:
    """Log-mel spectrogram (dB) of mono audio: (n_mels, n_frames) float32, via torchaudio."""
    import torch

    mel, to_db = _mel_transforms(sr, n_mels, n_fft, hop)
    with torch.no_grad():
        spec = to_db(mel(torch.as_tensor(np.asarray(wave, np.float32))))
    return spec.numpy().astype(np.float32)


@functools.lru_cache(maxsize=8)
def _mel_transforms(sr: int, n_mels: int, n_fft: int, hop: int):
    # made once per setting: building the mel filter bank took a quarter of each call; the transforms hold no
    # state that a call changes, so every call computes what a fresh pair would, bit for bit
    import torchaudio

    mel = torchaudio.transforms.MelSpectrogram(sample_rate=sr, n_fft=n_fft, hop_length=hop,
                                               n_mels=n_mels, power=2.0)
    return mel, torchaudio.transforms.AmplitudeToDB(stype="power", top_db=80.0)


def frames_to_trs(frames: np.ndarray, hop_seconds: float, n_trs: int = TRS_PER_CLIP,
                  tr: float = TR) -> np.ndarray:
    """Average frame-wise features (n_frames, F) within each TR -> (n_trs, F) float32; leading axes
    (clips) are kept: (..., n_frames, F) -> (..., n_trs, F). A TR without frames is 0."""
    frames = np.asarray(frames)
    t = (np.arange(frames.shape[-2]) + 0.5) * hop_seconds
    idx = np.minimum((t // tr).astype(int), n_trs - 1)          # non-decreasing: each TR is one run of frames
    counts = np.bincount(idx, minlength=n_trs)
    starts = np.searchsorted(idx, np.arange(n_trs))
    filled = counts > 0
    # summed in float64 frame after frame, as np.add.at did: the same bits, without its per-element loop
    sums = np.add.reduceat(frames.astype(np.float64), starts[filled], axis=-2)
    out = np.zeros(frames.shape[:-2] + (n_trs, frames.shape[-1]), np.float64)
    out[..., filled, :] = sums / counts[filled, None]
    return out.astype(np.float32)
