"""Audio I/O: GTZAN-layout files read with soundfile (mono, 22,050 Hz) and fMRI stimulus cutting.

A corrupt or truncated file (GTZAN's ``jazz.00054.wav`` is one) raises :class:`AudioError`
from :func:`read_audio`; :func:`read_many` skips such files with one warning that lists them.
"""
from __future__ import annotations

import warnings
from math import gcd
from pathlib import Path

import numpy as np

from ..config import CLIP_SECONDS, FADE_SECONDS, GENRES, SAMPLE_RATE


class AudioError(RuntimeError):
    """An audio file that cannot be read in full."""


def _wav_shortfall(path: Path) -> int:
    """Bytes a WAV file's ``data`` chunk claims beyond the end of the file (0 if complete).

    libsndfile quietly shortens a truncated WAV to what is there, so the header is checked."""
    import struct

    with open(path, "rb") as fh:
        head = fh.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return 0
        while True:
            chunk = fh.read(8)
            if len(chunk) < 8:
                return 0
            cid, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if cid == b"data":
                return max(0, size - (path.stat().st_size - fh.tell()))
            fh.seek(size + (size & 1), 1)


def read_audio(path: str | Path, sr: int = SAMPLE_RATE, min_seconds: float = 0.0) -> np.ndarray:
    """Mono float32 waveform at ``sr`` Hz. Raises :class:`AudioError` for unreadable, empty
    or truncated files (shorter than ``min_seconds``, or whose data end before the header says)."""
    import soundfile as sf
    from scipy.signal import resample_poly

    path = Path(path)
    try:
        with sf.SoundFile(str(path)) as f:
            expected = f.frames
            native = f.samplerate
            data = f.read(dtype="float32", always_2d=True)
    except Exception as err:  # libsndfile raises several types for bad files
        raise AudioError(f"{path}: cannot read audio ({err})") from None
    missing = _wav_shortfall(path)
    if len(data) == 0 or len(data) < expected or missing:
        raise AudioError(f"{path}: truncated: {len(data)} frames read, {missing} bytes of audio data missing")
    wave = data.mean(axis=1)
    if native != sr:
        k = gcd(native, sr)
        wave = resample_poly(wave, sr // k, native // k).astype(np.float32)
    if len(wave) < min_seconds * sr:
        raise AudioError(f"{path}: {len(wave) / sr:.2f} s long, expected at least {min_seconds} s")
    return wave.astype(np.float32)


def read_many(paths, sr: int = SAMPLE_RATE, min_seconds: float = 0.0) -> dict[Path, np.ndarray]:
    """Read several files; unreadable ones are skipped and listed in one warning."""
    out, bad = {}, []
    for p in paths:
        try:
            out[Path(p)] = read_audio(p, sr, min_seconds)
        except AudioError as err:
            bad.append(str(err))
    if bad:
        warnings.warn(f"skipped {len(bad)} unreadable audio file(s):\n  " + "\n  ".join(bad), stacklevel=2)
    return out


def cut_clip(wave: np.ndarray, start: float, end: float, sr: int = SAMPLE_RATE,
             fade: float = FADE_SECONDS, target_rms: float | None = None) -> np.ndarray:
    """The fMRI stimulus: ``wave[start:end]`` (s) with linear fades of ``fade`` s at both ends,
    scaled to ``target_rms`` when given (ds003720 normalised all clips to one mean RMS)."""
    n = int(round((end - start) * sr))
    lo = int(round(start * sr))
    clip = np.zeros(n, np.float32)
    seg = wave[lo:lo + n]
    clip[: len(seg)] = seg
    k = int(round(fade * sr))
    ramp = np.linspace(0.0, 1.0, k, dtype=np.float32)
    clip[:k] *= ramp
    clip[n - k:] *= ramp[::-1]
    if target_rms is not None:
        rms = float(np.sqrt(np.mean(clip.astype(np.float64) ** 2)))
        if rms > 0:
            clip *= target_rms / rms
    return clip


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.asarray(x, np.float64) ** 2)))


def stimulus_clips(source, clips, target_rms: float | None = None) -> dict[int, np.ndarray]:
    """All fMRI stimuli of a clip table (row index -> 15-s waveform); unreadable audio is
    skipped with a warning. With ``target_rms=None`` the mean RMS of the cut clips is used."""
    paths = [source.audio_path(g, t) for g, t in zip(clips.genre, clips.track)]
    waves = read_many(paths)
    starts = clips.start.to_numpy(float)
    cut = {i: cut_clip(waves[p], starts[i], starts[i] + CLIP_SECONDS) for i, p in enumerate(paths) if p in waves}
    if target_rms is None and cut:
        target_rms = float(np.mean([_rms(c) for c in cut.values()]))
    return {i: (c * np.float32(target_rms / max(_rms(c), 1e-12))).astype(np.float32) for i, c in cut.items()}


def gtzan_filtered_split() -> dict[str, list[str]]:
    """The fault-filtered GTZAN split (Kereliuk et al. 2015), as shipped in torchaudio:
    ``{"train": [...443], "valid": [...197], "test": [...290]}`` of ``genre.000NN`` names."""
    from torchaudio.datasets import gtzan

    return {"train": list(gtzan.filtered_train), "valid": list(gtzan.filtered_valid),
            "test": list(gtzan.filtered_test)}


def gtzan_files(root: str | Path) -> list[Path]:
    """Every ``genres/<genre>/<genre>.000NN.wav`` under ``root``, sorted."""
    root = Path(root)
    return sorted(p for g in GENRES for p in (root / "genres" / g).glob(f"{g}.000[0-9][0-9].wav"))
