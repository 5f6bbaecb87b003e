"""Audio I/O: GTZAN files found in either common layout, read with soundfile (mono, 22,050 Hz),
and the fades of the fMRI stimuli.

GTZAN circulates in two layouts: the original archive's ``genres/<genre>/<genre>.000NN.wav``
and the Kaggle copy's ``Data/genres_original/<genre>/<genre>.000NN.wav`` (the one the dataset
authors' stimulus script reads). :func:`gtzan_path` and :func:`gtzan_files` recognise both,
also one folder down (an archive extracted under its own top folder); every reader uses them.

A corrupt or truncated file (GTZAN's ``jazz.00054.wav`` is one) raises :class:`AudioError`
from :func:`read_audio`; :func:`read_many` skips such files with one warning that lists them.
An annexed file whose content was never fetched (or was dropped) is a :class:`DataError` with
the ``datalad get`` command, never a silent skip.
"""
from __future__ import annotations

import warnings
from math import gcd
from pathlib import Path

import numpy as np

from ..config import FADE_SECONDS, GENRES, SAMPLE_RATE
from ..errors import BanlibError
from .dataset import DataError, check_present

#: Layouts of a GTZAN copy, relative to its root (or to one folder below it).
GTZAN_LAYOUTS = ("genres", "Data/genres_original")
GTZAN_FETCH = "banlib fetch gtzan --dest DATA_DIR [--url ARCHIVE_URL] [--sha256 HEX]"


class AudioError(BanlibError, RuntimeError):
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

    path = check_present(path, "audio file")
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


def fade_mask(n: int, fade: float = FADE_SECONDS, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Gain of the fMRI stimuli's fades, shape ``(n,)`` float64.

    A quarter sine over ``fade`` s at the start (``sin`` of ``linspace(0, pi/2, k)``, k = fade * sr
    samples, both ends included, so it starts at 0 and reaches 1), ones, and its mirror at the
    end: the fades of the dataset authors' ``GTZAN_Preprocess.py``.
    """
    k = int(round(fade * sr))
    if n < 2 * k:
        raise ValueError(f"a clip of {n} samples is shorter than two {fade}-s fades")
    rise = np.sin(np.linspace(0.0, np.pi / 2, k))
    return np.concatenate([rise, np.ones(n - 2 * k), rise[::-1]])


def cut_clip(wave: np.ndarray, start: float, end: float, sr: int = SAMPLE_RATE,
             fade: float = FADE_SECONDS, target_rms: float | None = None, name: str | Path = "the audio",
             tolerance: int = 0) -> np.ndarray:
    """The fMRI stimulus cut at times: ``wave[start:end]`` (s) with quarter-sine fades of
    ``fade`` s (:func:`fade_mask`), scaled to ``target_rms`` when given. Returns float32 ``(n,)``,
    n = round((end - start) * sr).

    ``wave`` (samples,) must hold the whole excerpt: audio that ends more than ``tolerance`` samples before
    ``end`` is an :class:`AudioError` naming ``name`` (the file), never silence padded in; the last
    ``tolerance`` samples (the rounding of the times that ask for the cut) are zero-padded.
    """
    n = int(round((end - start) * sr))
    lo = int(round(start * sr))
    seg = wave[lo:lo + n]
    if len(seg) < n - tolerance:
        raise AudioError(file=name, what=f"{len(wave) / sr:.3f} s long, but the excerpt {start:g}-{end:g} s needs "
                                         f"audio up to {(lo + n) / sr:.3f} s (zero-padding would play silence)",
                         fix="check that the file is complete (fetch it again) and that the events name the right track")
    clip = np.zeros(n, np.float64)
    clip[: len(seg)] = seg
    clip *= fade_mask(n, fade, sr)
    if target_rms is not None:
        rms = rms_of(clip)
        if rms > 0:
            clip *= target_rms / rms
    return clip.astype(np.float32)


def rms_of(x: np.ndarray) -> float:
    """Root mean square of ``x`` (computed in float64)."""
    return float(np.sqrt(np.mean(np.asarray(x, np.float64) ** 2)))


def gtzan_filtered_split() -> dict[str, list[str]]:
    """The fault-filtered GTZAN split (Kereliuk et al. 2015), as shipped in torchaudio:
    ``{"train": [...443], "valid": [...197], "test": [...290]}`` of ``genre.000NN`` names."""
    from torchaudio.datasets import gtzan

    return {"train": list(gtzan.filtered_train), "valid": list(gtzan.filtered_valid),
            "test": list(gtzan.filtered_test)}


def _layout_roots(root: Path) -> list[Path]:
    """Folders under ``root`` whose ``<genre>/`` folders hold ``<genre>.*.wav`` files, in the order looked at."""
    candidates = [root / layout for layout in GTZAN_LAYOUTS]
    if root.is_dir():
        for sub in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            candidates += [sub / layout for layout in GTZAN_LAYOUTS]
    return [c for c in candidates if any(next((c / g).glob(f"{g}.*.wav"), None) for g in GENRES if (c / g).is_dir())]


def _not_found(root: Path) -> DataError:
    au = sorted(p for p in root.rglob("*.au") if ".git" not in p.parts)[:3] if root.is_dir() else []
    if au:
        return DataError(
            f"{root}: GTZAN is here as .au files ({', '.join(str(p) for p in au)} ...), but the readers "
            f"take .wav. Convert each file beside itself, e.g. `sox blues.00000.au blues.00000.wav`; "
            f"for all of them: find {root} -name '*.au' -exec sh -c 'sox \"$1\" \"${{1%.au}}.wav\"' _ {{}} \\;")
    looked = ", ".join(f"{root}/{layout}/<genre>/<genre>.000NN.wav" for layout in GTZAN_LAYOUTS)
    return DataError(f"{root}: no GTZAN audio found. Looked for {looked} (also one folder down). "
                     f"Fetch it with:\n    {GTZAN_FETCH}")


def gtzan_base(root: str | Path) -> Path:
    """The folder holding GTZAN's ``<genre>/`` folders under ``root``: ``genres`` (the original
    archive) or ``Data/genres_original`` (the Kaggle copy), directly or one folder down.

    Raises
    ------
    DataError
        naming the folder, the layouts looked for and the fetch command; or, for a copy in
        ``.au``, the files found and how to convert them.
    """
    root = Path(root)
    found = _layout_roots(root)
    if not found:
        raise _not_found(root)
    return found[0]


def gtzan_path(root: str | Path, genre: str, track: int) -> Path:
    """Path of GTZAN's ``<genre>.000NN.wav`` under ``root``, in whichever layout ``root`` has.

    The path is returned whether or not that one file exists (the reader then reports it);
    a ``root`` with no GTZAN layout at all raises :class:`DataError` (see :func:`gtzan_base`).
    """
    if genre not in GENRES:
        raise ValueError(f"unknown genre {genre!r}; expected one of {', '.join(GENRES)}")
    return gtzan_base(root) / genre / f"{genre}.{int(track):05d}.wav"


def gtzan_files(root: str | Path) -> list[Path]:
    """Every ``<genre>/<genre>.000NN.wav`` of the GTZAN copy under ``root``, sorted.

    Raises :class:`DataError` when ``root`` has no GTZAN layout (see :func:`gtzan_base`).
    """
    base = gtzan_base(root)
    return sorted(p for g in GENRES for p in (base / g).glob(f"{g}.000[0-9][0-9].wav"))
