"""The MFCC feature space of Table II (paper Section V-B4), on the TR grid.

The paper used the MIR toolbox with two frame settings; we compute the same kinds of
feature with torchaudio and numpy:

* timbre and loudness, 25-ms frames with 50 % overlap (hop 12.5 ms): 13 MFCCs and the
  frame RMS in dB, averaged within each 1.5-s TR;
* tonality and rhythm, 3-s frames with 33 % overlap (hop 2 s): a 12-bin chromagram and the
  autocorrelation of the onset envelope in 6 tempo bands (60-180 BPM); these frames are
  interpolated to the TR centres (the paper averaged them over 1.5 s).

Per clip: (10 TRs, 32 features), in :data:`FEATURE_NAMES` order.
"""
from __future__ import annotations

import numpy as np

from ..config import SAMPLE_RATE, TR, TRS_PER_CLIP
from .spectral import frames_to_trs

SHORT_FRAME_S, SHORT_HOP_S = 0.025, 0.0125
LONG_FRAME_S, LONG_HOP_S = 3.0, 2.0
N_MFCC = 13
TEMPO_BANDS_BPM = np.linspace(60, 180, 7)          # 6 bands
FEATURE_NAMES = ([f"mfcc{i}" for i in range(N_MFCC)] + ["rms_db"]
                 + [f"chroma_{p}" for p in ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")]
                 + [f"tempo_{int(a)}-{int(b)}bpm" for a, b in zip(TEMPO_BANDS_BPM[:-1], TEMPO_BANDS_BPM[1:])])


def _frames(wave: np.ndarray, length: int, hop: int) -> np.ndarray:
    n = 1 + max(0, (len(wave) - length) // hop)
    idx = np.arange(length)[None, :] + hop * np.arange(n)[:, None]
    return wave[idx]


def short_features(wave: np.ndarray, sr: int = SAMPLE_RATE) -> tuple[np.ndarray, float]:
    """(n_frames, 14): 13 MFCCs and RMS (dB) of 25-ms frames; returns the hop in seconds too."""
    import torch
    import torchaudio

    win, hop = int(round(SHORT_FRAME_S * sr)), int(round(SHORT_HOP_S * sr))
    mfcc = torchaudio.transforms.MFCC(sample_rate=sr, n_mfcc=N_MFCC, log_mels=True,
                                      melkwargs=dict(n_fft=1024, win_length=win, hop_length=hop, n_mels=40,
                                                     center=False))
    with torch.no_grad():
        m = mfcc(torch.as_tensor(np.asarray(wave, np.float32))).numpy().T        # (frames, 13)
    frames = _frames(np.asarray(wave, np.float64), win, hop)[: len(m)]
    rms = 10 * np.log10(np.mean(frames ** 2, axis=1) + 1e-10)[:, None]
    return np.hstack([m[: len(rms)], rms]).astype(np.float32), hop / sr


def _chroma(frame: np.ndarray, sr: int) -> np.ndarray:
    spec = np.abs(np.fft.rfft(frame * np.hanning(len(frame)))) ** 2
    freq = np.fft.rfftfreq(len(frame), 1 / sr)
    keep = (freq >= 55) & (freq <= 5000)
    pitch_class = np.round(12 * np.log2(freq[keep] / 440.0) + 69).astype(int) % 12
    out = np.bincount(pitch_class, weights=spec[keep], minlength=12)
    return out / max(out.sum(), 1e-12)


def _tempo_bands(envelope: np.ndarray, env_rate: float) -> np.ndarray:
    e = envelope - envelope.mean()
    ac = np.correlate(e, e, mode="full")[len(e) - 1:]
    ac = ac / ac[0] if ac[0] > 0 else np.zeros_like(ac)
    lag_s = np.arange(len(ac)) / env_rate
    bpm = np.divide(60.0, lag_s, out=np.full_like(lag_s, np.inf), where=lag_s > 0)
    out = np.zeros(len(TEMPO_BANDS_BPM) - 1)
    for k, (lo, hi) in enumerate(zip(TEMPO_BANDS_BPM[:-1], TEMPO_BANDS_BPM[1:])):
        sel = (bpm >= lo) & (bpm < hi)
        out[k] = ac[sel].max() if sel.any() else 0.0
    return out


def long_features(wave: np.ndarray, sr: int = SAMPLE_RATE) -> tuple[np.ndarray, np.ndarray]:
    """(n_frames, 18): chroma (12) and tempo-band autocorrelation (6) of 3-s frames; frame centres (s)."""
    from .spectral import log_mel

    win, hop = int(round(LONG_FRAME_S * sr)), int(round(LONG_HOP_S * sr))
    frames = _frames(np.asarray(wave, np.float64), win, hop)
    mel = log_mel(wave, sr, hop=int(round(SHORT_HOP_S * sr)))                       # onset envelope source
    env = np.maximum(np.diff(mel, axis=1, prepend=mel[:, :1]), 0).mean(axis=0)
    env_rate = sr / int(round(SHORT_HOP_S * sr))
    per_env = int(round(LONG_FRAME_S * env_rate))
    step = int(round(LONG_HOP_S * env_rate))
    rows = []
    for i, frame in enumerate(frames):
        seg = env[i * step: i * step + per_env]
        rows.append(np.concatenate([_chroma(frame, sr), _tempo_bands(seg, env_rate)]))
    centres = (np.arange(len(frames)) * hop + win / 2) / sr
    return np.asarray(rows, np.float32), centres


def clip_mfcc(wave: np.ndarray, sr: int = SAMPLE_RATE, n_trs: int = TRS_PER_CLIP) -> np.ndarray:
    """(n_trs, 32) MFCC-model features of one 15-s clip."""
    short, hop_s = short_features(wave, sr)
    per_tr = frames_to_trs(short, hop_s, n_trs, TR)
    long, centres = long_features(wave, sr)
    tr_centres = (np.arange(n_trs) + 0.5) * TR
    interp = np.stack([np.interp(tr_centres, centres, col) for col in long.T], axis=1)
    return np.hstack([per_tr, interp]).astype(np.float32)
