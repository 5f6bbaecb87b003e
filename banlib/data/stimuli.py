"""The fMRI stimuli as they were played: 15-s GTZAN excerpts with 2-s fades, RMS-normalised.

Two routes, and :func:`route` says which one a data source takes:

* **The authors' stimulus files** (``derivative/stimuli_generate`` in the 2023 OpenNeuro layout,
  or anywhere in the Zenodo record's folder; the twin writes the same files). Their script
  ``GTZAN_Preprocess.py`` reads GTZAN with ``scipy.io.wavfile`` (int16 units) and, per genre and
  token: picks the track ``sorted(ChosenSongs - 1)[WithinGenre_Order[token, genre] - 1]``, cuts
  samples ``StartData - 1`` to ``EndData - 1`` inclusive (1-based indices stored per track, in the
  same order as the chosen songs), multiplies by the quarter-sine fades
  (:func:`banlib.data.audio.fade_mask`) and scales the clip to the stored RMS ``RMSmean``. We do
  the same on the float waveform soundfile returns, which is the int16 value / 32,768; the RMS
  target is therefore ``RMSmean / 32768``, and every clip equals the authors' output / 32,768.
* **Without the files**: cut by the events' ``start``/``end`` (rounded to the sample), the same
  fades, every clip scaled to the mean RMS of the faded cuts.

With the files, every clip is cross-checked against the events: same 540 tracks, same split,
cut start and end within the events' rounding (0.01 s, i.e. 0.005 s = 110 samples, plus 2), and
the play order the ``AcrossGenre_Order_*`` arrays give equal to the events' order except for
the pairs the authors' script swaps by renaming files afterwards (:data:`RENAMED_PAIRS`).

The variable names inside the ``.mat`` files are those the authors' script reads; a file that
holds exactly one other (non-``__``) variable is read through that one. Shapes are checked.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import CLIP_SECONDS, GENRES, N_TEST_RUNS, N_TRAINING_RUNS, SAMPLE_RATE, TEST_REPEATS
from .audio import cut_clip, fade_mask, read_many, rms_of
from .dataset import DataError, DataSource, check_present

TOKENS = 54                 # tracks per genre
TRAINING_TOKENS = 48        # tokens 0-47 training (run r: 4r..4r+3), 48-53 test (test run r: 48 + r)
BLOCKS = 4                  # blocks of 10 clips (one per genre) in a run
INT16_SCALE = 32768.0       # soundfile float = int16 value / 32768
#: file -> (variable the authors' script reads, shape)
STIMULUS_FILES = {
    "ChosenSongs_raw.mat": ("Tarray", (len(GENRES), TOKENS)),
    "WithinGenre_Order.mat": ("within_genre_rn", (TOKENS, len(GENRES))),
    "StartData_raw.mat": ("StartData", (len(GENRES), TOKENS)),
    "EndData_raw.mat": ("EndData", (len(GENRES), TOKENS)),
    "Mean_RMS.mat": ("RMSmean", (1, 1)),
    "AcrossGenre_Order_Trn.mat": ("across_genre_rn_trn", (N_TRAINING_RUNS, BLOCKS, len(GENRES))),
    "AcrossGenre_Order_Test.mat": ("across_genre_rn_test", (N_TEST_RUNS, TEST_REPEATS, len(GENRES))),
}
#: Positions (run, a, b; 1-based within the run's 40 clips) that GTZAN_Preprocess.py swaps by
#: renaming files after writing them; the events show the order after the swaps.
RENAMED_PAIRS = ((2, 1, 2), (3, 1, 2), (9, 1, 2), (11, 1, 2), (12, 1, 2), (3, 31, 32), (8, 11, 12), (11, 31, 32))
FILES_ROUTE = "cut and scaled by the authors' stimulus files"
EVENTS_ROUTE = "cut by events start/end, scaled to the mean RMS of the cuts"
TOLERANCE_SAMPLES = int(0.005 * SAMPLE_RATE) + 2


def stimulus_folder(source: DataSource) -> tuple[dict[str, object], list[str]]:
    """Paths of the stimulus files found for ``source`` and the names missing."""
    found = {name: source.stimulus_file(name) for name in STIMULUS_FILES}
    return ({k: v for k, v in found.items() if v is not None}, [k for k, v in found.items() if v is None])


def route(source: DataSource) -> str:
    """``"cut and scaled by the authors' stimulus files (<folder>)"`` when the files are there (the
    folder relative to the one holding the derivatives, so that results do not depend on where the
    data live), ``"cut by events start/end, scaled to the mean RMS of the cuts"`` when none is.

    Raises :class:`DataError` when only some of them are there.
    """
    found, missing = stimulus_folder(source)
    if not found:
        return EVENTS_ROUTE
    folder = next(iter(found.values())).parent
    if missing:
        raise DataError(f"{folder}: stimulus-generation files incomplete, missing {', '.join(missing)}; "
                        f"re-fetch the derivatives (`banlib fetch derivatives`)")
    return f"{FILES_ROUTE} ({os.path.relpath(folder, source.derivatives_root.parent)})"


def _read_mat(path, name: str, variable: str, shape: tuple) -> np.ndarray:
    from scipy.io import loadmat

    check_present(path, "stimulus-generation file")
    try:
        mat = loadmat(str(path))
    except Exception as err:  # scipy raises several types for a damaged file
        raise DataError(f"{path}: cannot read as a MATLAB file ({err})") from None
    names = [k for k in mat if not k.startswith("__")]
    if variable in mat:
        value = mat[variable]
    elif len(names) == 1:
        value = mat[names[0]]
    else:
        raise DataError(f"{path}: no variable {variable!r} (found {names}); expected the file of the "
                        f"authors' GTZAN_Preprocess.py")
    value = np.asarray(value)
    if value.shape != shape:
        raise DataError(f"{path}: {variable} has shape {value.shape}, expected {shape}")
    return value


@dataclass(frozen=True)
class StimulusFiles:
    """The authors' stimulus-generation arrays (1-based MATLAB indices, as stored)."""

    chosen: np.ndarray          # (10, 54) GTZAN track number + 1, per genre
    within: np.ndarray          # (54, 10) token -> rank (1-based) among the genre's sorted tracks
    start: np.ndarray           # (10, 54) first sample (1-based), same order as ``chosen``
    end: np.ndarray             # (10, 54) last sample (1-based, inclusive)
    rms: float                  # target RMS, int16 units
    across_train: np.ndarray    # (12, 4, 10) genre (1-based) per run, block, trial
    across_test: np.ndarray     # (6, 4, 10)

    def samples(self) -> pd.DataFrame:
        """One row per (genre, track): ``genre track token split start0 end0`` (0-based sample
        indices, ``end0`` inclusive)."""
        rows = []
        for g, genre in enumerate(GENRES):
            tracks = self.chosen[g].astype(int) - 1
            order = np.argsort(tracks, kind="stable")
            rank_of_token = self.within[:, g].astype(int) - 1
            for token, rank in enumerate(rank_of_token):
                j = order[rank]
                rows.append((genre, int(tracks[j]), token, "Training" if token < TRAINING_TOKENS else "Test",
                             int(self.start[g, j]) - 1, int(self.end[g, j]) - 1))
        return pd.DataFrame(rows, columns=["genre", "track", "token", "split", "start0", "end0"])

    def play_order(self, task: str) -> list[list[tuple[str, int]]]:
        """``(genre, track)`` at positions 1..40 of each run of ``task``, before any renaming."""
        table = self.samples().set_index(["genre", "token"]).track
        out = []
        if task == "Training":
            for r in range(N_TRAINING_RUNS):
                out.append([(GENRES[g], int(table[(GENRES[g], 4 * r + b)]))
                            for b in range(BLOCKS) for g in self.across_train[r, b].astype(int) - 1])
        else:
            for r in range(N_TEST_RUNS):
                out.append([(GENRES[g], int(table[(GENRES[g], TRAINING_TOKENS + r)]))
                            for b in range(TEST_REPEATS) for g in self.across_test[r, b].astype(int) - 1])
        return out


def _integral(path_name: str, a: np.ndarray, lo: int, hi: int) -> np.ndarray:
    if not np.all(np.isfinite(a)) or not np.all(a == np.round(a)) or a.min() < lo or a.max() > hi:
        raise DataError(f"{path_name}: values must be whole numbers in [{lo}, {hi}], found "
                        f"[{np.nanmin(a)}, {np.nanmax(a)}]")
    return a.astype(np.int64)


def read_stimulus_files(source: DataSource) -> StimulusFiles | None:
    """The authors' stimulus files of ``source``, checked; None when ``source`` has none."""
    found, missing = stimulus_folder(source)
    if not found:
        return None
    route(source)                        # raises if some are missing
    arrays = {name: _read_mat(found[name], name, *STIMULUS_FILES[name]) for name in STIMULUS_FILES}
    n_samples = 31 * SAMPLE_RATE         # GTZAN clips are 30 s (some a little longer)
    chosen = _integral("ChosenSongs_raw.mat", arrays["ChosenSongs_raw.mat"], 1, 100)
    within = _integral("WithinGenre_Order.mat", arrays["WithinGenre_Order.mat"], 1, TOKENS)
    for g, genre in enumerate(GENRES):
        if len(set(chosen[g])) != TOKENS:
            raise DataError(f"ChosenSongs_raw.mat: genre {genre} lists a track twice")
        if sorted(within[:, g]) != list(range(1, TOKENS + 1)):
            raise DataError(f"WithinGenre_Order.mat: genre {genre} is not an order of its {TOKENS} tracks")
    rms = float(np.asarray(arrays["Mean_RMS.mat"], np.float64).ravel()[0])
    if not np.isfinite(rms) or rms <= 0:
        raise DataError(f"Mean_RMS.mat: RMSmean = {rms}, expected a positive number (int16 units)")
    return StimulusFiles(chosen, within,
                         _integral("StartData_raw.mat", arrays["StartData_raw.mat"], 1, n_samples),
                         _integral("EndData_raw.mat", arrays["EndData_raw.mat"], 1, n_samples), rms,
                         _integral("AcrossGenre_Order_Trn.mat", arrays["AcrossGenre_Order_Trn.mat"], 1, 10),
                         _integral("AcrossGenre_Order_Test.mat", arrays["AcrossGenre_Order_Test.mat"], 1, 10))


def check_against_events(files: StimulusFiles, source: DataSource, clips: pd.DataFrame,
                         subject: str | None = None) -> pd.DataFrame:
    """Cut of every clip of ``clips`` (rows of :func:`banlib.data.design.clip_table`) from the
    files, checked against the events. Returns ``start0``/``end0`` per clip row.

    Raises
    ------
    DataError
        naming the clip and both values, when tracks, split, cut or play order disagree.
    """
    from .design import run_events

    table = files.samples().set_index(["genre", "track"])
    n = int(round(CLIP_SECONDS * SAMPLE_RATE))
    keys = list(zip(clips.genre, clips.track.astype(int)))
    unknown = [k for k in keys if k not in table.index]
    if unknown:
        raise DataError(f"the stimulus files do not list {len(unknown)} clip(s) of the events, e.g. "
                        f"{unknown[:3]}: the stimulus files and the events are not of the same experiment")
    cut = table.loc[keys]
    for (genre, track), row, start, end, split in zip(keys, cut.itertuples(), clips.start, clips.end, clips.split):
        name = f"{genre}.{track:05d}"
        if row.split != split:
            raise DataError(f"{name}: a {row.split} token in the stimulus files but in the {split} runs of the events")
        if row.end0 - row.start0 + 1 != n:
            raise DataError(f"{name}: the stimulus files cut {row.end0 - row.start0 + 1} samples, not {n} (15 s)")
        for what, stored, seconds in (("start", row.start0, start), ("end", row.end0 + 1, end)):
            if abs(stored - seconds * SAMPLE_RATE) > TOLERANCE_SAMPLES:
                raise DataError(f"{name}: the stimulus files put the {what} at sample {stored} "
                                f"({stored / SAMPLE_RATE:.4f} s), the events at {seconds} s; they differ by more "
                                f"than the events' rounding ({TOLERANCE_SAMPLES} samples)")
    subject = subject or source.subjects()[0]
    renamed = {}
    for run, a, b in RENAMED_PAIRS:
        renamed.setdefault(run, set()).update((a, b))
    for task in ("Training", "Test"):
        for run, (expected, ev) in enumerate(zip(files.play_order(task), run_events(source, subject, task)), 1):
            played = list(zip(ev.genre[1:], ev.track[1:].astype(int)))
            bad = [p + 1 for p, (x, y) in enumerate(zip(expected, played)) if x != y]
            allowed = renamed.get(run, set()) if task == "Training" else set()
            if set(bad) - allowed or sorted(expected) != sorted(played):
                p = (sorted(set(bad) - allowed) or bad)[0]
                raise DataError(f"{task} run {run}, position {p}: the stimulus files' order plays "
                                f"{expected[p - 1]}, the events {played[p - 1]}")
    return cut.reset_index()[["start0", "end0"]].set_index(clips.index)


def stimulus_clips(source: DataSource, clips: pd.DataFrame) -> dict[int, np.ndarray]:
    """Every fMRI stimulus of a clip table as played: ``{row: float32 waveform (330,750,)}``.

    Cut and scaled by the authors' stimulus files when the source has them, else by the events
    (see the module docstring; :func:`route` says which). Audio that cannot be read is skipped
    with one warning listing it; an un-fetched annexed file is a :class:`DataError`.
    """
    paths = [source.audio_path(g, t) for g, t in zip(clips.genre, clips.track)]
    waves = read_many(paths)
    files = read_stimulus_files(source)
    n = int(round(CLIP_SECONDS * SAMPLE_RATE))
    if files is None:
        starts = clips.start.to_numpy(float)
        cut = {i: cut_clip(waves[p], starts[i], starts[i] + CLIP_SECONDS, name=p, tolerance=TOLERANCE_SAMPLES)
               for i, p in enumerate(paths) if p in waves}
        if not cut:
            return {}
        target = float(np.mean([rms_of(c) for c in cut.values()]))
        return {i: (c * np.float32(target / max(rms_of(c), 1e-12))).astype(np.float32) for i, c in cut.items()}
    samples = check_against_events(files, source, clips)
    target = files.rms / INT16_SCALE
    mask = fade_mask(n)
    out = {}
    for i, p in enumerate(paths):
        if p not in waves:
            continue
        lo, hi = int(samples.start0.iloc[i]), int(samples.end0.iloc[i])
        seg = np.asarray(waves[p][lo:hi + 1], np.float64)
        if len(seg) != n:
            raise DataError(f"{p}: {len(waves[p])} samples, but the stimulus files cut samples {lo + 1}-{hi + 1}")
        clip = seg * mask
        out[i] = (clip * (target / max(rms_of(clip), 1e-12))).astype(np.float32)
    return out
