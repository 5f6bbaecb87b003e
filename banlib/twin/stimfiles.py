"""The twin's copy of the authors' stimulus-generation files (``derivative/stimuli_generate``).

The real derivatives ship the ``.mat`` files that ``GTZAN_Preprocess.py`` reads to cut and
scale the stimuli (see :mod:`banlib.data.stimuli`). The twin writes the same files, with the
same variable names, shapes and 1-based MATLAB conventions, derived from its own events, so
that the twin's stimuli take the same code path as the real ones. ``RMSmean`` is the mean RMS
of the twin's faded cuts in int16 units. Bytes are reproducible (the MAT header's creation
time is replaced by a fixed text).
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.io import savemat

from ..config import CLIP_SECONDS, GENRES, N_TEST_RUNS, N_TRAINING_RUNS, SAMPLE_RATE, rng
from ..data.audio import cut_clip, read_many, rms_of
from ..data.dataset import DataSource
from ..data.design import run_events
from ..files import write_bytes
from ..data.stimuli import BLOCKS, INT16_SCALE, STIMULUS_FILES, TOKENS, TRAINING_TOKENS

HEADER = b"MATLAB 5.0 MAT-file, written by banlib twin (synthetic stand-in for the authors' file)"


def write_mat(path: Path, variable: str, value: np.ndarray) -> None:
    """One variable in a MATLAB 5 file whose bytes depend on the data only."""
    buf = io.BytesIO()
    savemat(buf, {variable: np.asarray(value, np.float64)}, format="5", do_compression=False)
    data = bytearray(buf.getvalue())
    data[:116] = HEADER.ljust(116, b" ")
    write_bytes(path, bytes(data))


def _tokens(source: DataSource, subject: str) -> tuple[dict, np.ndarray, np.ndarray]:
    """(genre, token) -> track, and the across-genre orders, from the events."""
    tokens: dict[tuple[str, int], int] = {}
    across = {"Training": np.zeros((N_TRAINING_RUNS, BLOCKS, len(GENRES)), int),
              "Test": np.zeros((N_TEST_RUNS, BLOCKS, len(GENRES)), int)}
    for task, order in across.items():
        for r, ev in enumerate(run_events(source, subject, task)):
            played = list(zip(ev.genre[1:], ev.track[1:].astype(int)))
            for b in range(BLOCKS):
                block = played[10 * b:10 * b + 10]
                if sorted(g for g, _ in block) != sorted(GENRES):
                    raise ValueError(f"{task} run {r + 1}, block {b + 1}: not one clip of every genre; the "
                                     f"authors' files cannot describe this design")
                for t, (genre, track) in enumerate(block):
                    order[r, b, t] = GENRES.index(genre) + 1
                    token = 4 * r + b if task == "Training" else TRAINING_TOKENS + r
                    if tokens.setdefault((genre, token), track) != track:
                        raise ValueError(f"{task} run {r + 1}: token {token} of {genre} is two tracks")
    return tokens, across["Training"], across["Test"]


def write_stimulus_files(folder: Path, source: DataSource, clips: pd.DataFrame, seed: int,
                         subject: str = "sub-001") -> Path:
    """Write the seven ``.mat`` files of the twin into ``folder``; returns ``folder``.

    ``clips`` as :func:`banlib.data.design.clip_table`; its audio must be rendered already
    (the mean RMS of the cuts is stored).
    """
    folder.mkdir(parents=True, exist_ok=True)
    tokens, across_trn, across_test = _tokens(source, subject)
    start_of = {(g, int(t)): s for g, t, s in zip(clips.genre, clips.track, clips.start)}
    n = int(round(CLIP_SECONDS * SAMPLE_RATE))
    chosen = np.zeros((len(GENRES), TOKENS), int)
    within = np.zeros((TOKENS, len(GENRES)), int)
    start = np.zeros((len(GENRES), TOKENS), int)
    for g, genre in enumerate(GENRES):
        tracks = [tokens[(genre, k)] for k in range(TOKENS)]
        raw = [tracks[i] for i in rng(seed, "twin", "stimfiles", genre).permutation(TOKENS)]   # unsorted, as stored
        chosen[g] = np.array(raw) + 1
        rank = {t: i for i, t in enumerate(sorted(tracks))}
        within[:, g] = [rank[t] + 1 for t in tracks]
        start[g] = [int(round(start_of[(genre, t)] * SAMPLE_RATE)) + 1 for t in raw]
    paths = [source.audio_path(g, t) for g, t in zip(clips.genre, clips.track)]
    waves = read_many(paths)
    rms = np.mean([rms_of(cut_clip(waves[p], s, s + CLIP_SECONDS, name=p)) for p, s in zip(paths, clips.start) if p in waves])
    values = {"ChosenSongs_raw.mat": chosen, "WithinGenre_Order.mat": within, "StartData_raw.mat": start,
              "EndData_raw.mat": start + n - 1, "Mean_RMS.mat": np.array([[rms * INT16_SCALE]]),
              "AcrossGenre_Order_Trn.mat": across_trn, "AcrossGenre_Order_Test.mat": across_test}
    for name, (variable, shape) in STIMULUS_FILES.items():
        assert values[name].shape == shape, (name, values[name].shape)
        write_mat(folder / name, variable, values[name])
    return folder
