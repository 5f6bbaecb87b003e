"""The experiment's design, read from the events files: clips, TR grids, rows of the responses.

Events are identical across subjects in ds003720, but every function takes the subject so that a
dataset where they differ is read correctly.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..config import CLIPS_PER_RUN, DROPPED_TRS, GENRES, TEST_REPEATS, TRS_PER_CLIP
from .dataset import RESPONSE_KINDS, TASKS, DataError, DataSource, check_present
from .events import read_events


def run_events(source: DataSource, subject: str, task: str) -> list[pd.DataFrame]:
    """The events of every run of ``task`` (``"Training"`` or ``"Test"``), in run order: a list of
    DataFrames of 41 rows (``onset duration genre track start end``, seconds)."""
    out = []
    for run in range(1, TASKS[task] + 1):
        path = check_present(source.events_path(subject, task, run), "events file")
        ev = read_events(path)
        if len(ev) != CLIPS_PER_RUN:
            raise DataError(f"{path}: {len(ev)} events, expected {CLIPS_PER_RUN} (40 clips + the repeated first)")
        out.append(ev)
    return out


def clip_table(source: DataSource, subject: str = "sub-001") -> pd.DataFrame:
    """The 540 distinct clips: ``genre track start end split``, plus every presentation.

    ``runs`` and ``onsets`` hold, per clip, each presentation's ``(task, run)`` and onset (s),
    the leading repeat of each run included (flagged in ``lead_repeats``).
    """
    records: dict[tuple[str, int], dict] = {}
    for task in TASKS:
        for run, ev in enumerate(run_events(source, subject, task), start=1):
            for i, row in ev.iterrows():
                key = (row.genre, int(row.track))
                rec = records.setdefault(key, dict(genre=row.genre, track=int(row.track), start=row.start,
                                                   end=row.end, split=task, runs=[], onsets=[], lead_repeats=0))
                if rec["split"] != task:
                    raise DataError(f"{source.events_path(subject, task, run)}: clip {key} appears in both "
                                    f"{rec['split']} and {task} runs")
                rec["runs"].append(f"{task}-{run:02d}")
                rec["onsets"].append(float(row.onset))
                rec["lead_repeats"] += int(i == 0)
    table = pd.DataFrame(list(records.values()))
    table["runs"] = table["runs"].map(tuple)
    table["onsets"] = table["onsets"].map(tuple)
    table = table.sort_values(["split", "genre", "track"], ascending=[False, True, True]).reset_index(drop=True)
    table.index.name = "clip"
    return table


def clip_grid(source: DataSource, subject: str, task: str, clips: pd.DataFrame | None = None) -> np.ndarray:
    """Clip index (row of :func:`clip_table`) playing at each volume: int array of shape (n_runs, 410)."""
    clips = clip_table(source, subject) if clips is None else clips
    index = {(g, t): i for i, (g, t) in enumerate(zip(clips.genre, clips.track))}
    grid = []
    for ev in run_events(source, subject, task):
        per_clip = [index[(g, int(t))] for g, t in zip(ev.genre, ev.track)]
        grid.append(np.repeat(per_clip, TRS_PER_CLIP))
    return np.stack(grid)


def tr_design(source: DataSource, subject: str, kind: str, clips: pd.DataFrame | None = None,
              grid: np.ndarray | None = None) -> pd.DataFrame:
    """One row per row of ``Resp_<kind>``: ``run``, ``tr`` (index in the 410-volume run),
    ``clip`` (index into :func:`clip_table`), ``block`` (one id per presentation: split by it).
    ``grid`` (the task's :func:`clip_grid`) is read from the events when not given."""
    grid = clip_grid(source, subject, _task(kind), clips) if grid is None else grid
    n_runs, n_vol = grid.shape
    tr = np.tile(np.arange(n_vol), n_runs)
    run = np.repeat(np.arange(1, n_runs + 1), n_vol)
    block = run * 1000 + tr // TRS_PER_CLIP
    df = pd.DataFrame({"run": run, "tr": tr, "clip": grid.ravel(), "block": block})
    df = df[df.tr >= DROPPED_TRS]
    if kind == "Test_Mean":
        per_repeat = (n_vol - DROPPED_TRS) // TEST_REPEATS
        df = df[(df.tr - DROPPED_TRS) < per_repeat]
    return df.reset_index(drop=True)


@dataclass(frozen=True)
class SubjectDesign:
    """Everything the analyses need to know about one subject's experiment, read once.

    Attributes
    ----------
    subject : str
    clips : DataFrame of shape (540, ...)
        :func:`clip_table`: one row per distinct clip, ``genre track start end split runs onsets``.
    grids : dict of str to array of shape (n_runs, 410), int
        :func:`clip_grid` per task (``"Training"``, ``"Test"``): the clip playing at each volume.
    rows : dict of str to DataFrame
        :func:`tr_design` per response kind (``"Training"``, ``"Test"``, ``"Test_Mean"``): one row per
        row of ``Resp_<kind>`` with ``run tr clip block``.
    """

    subject: str
    clips: pd.DataFrame
    grids: dict
    rows: dict

    @property
    def genre(self) -> np.ndarray:
        """Genre index (into :data:`banlib.config.GENRES`) of every clip, array of shape (n_clips,)."""
        return np.array([GENRES.index(g) for g in self.clips.genre])

    @property
    def training_clips(self) -> np.ndarray:
        """Which clips are training clips, bool array of shape (n_clips,)."""
        return (self.clips.split == "Training").to_numpy()

    @property
    def test_clips(self) -> np.ndarray:
        """Row indices of the 60 test clips in :attr:`clips`, array of shape (n_test,)."""
        return np.nonzero((self.clips.split == "Test").to_numpy())[0]

    def clip_names(self, rows=None) -> list[str]:
        """``genre.000NN`` names of the clips at ``rows`` (default: all)."""
        sel = self.clips if rows is None else self.clips.iloc[rows]
        return [f"{g}.{int(t):05d}" for g, t in zip(sel.genre, sel.track)]


def subject_design(source: DataSource, subject: str) -> SubjectDesign:
    """Read one subject's events once and build its :class:`SubjectDesign`."""
    clips = clip_table(source, subject)
    grids = {task: clip_grid(source, subject, task, clips) for task in TASKS}
    rows = {kind: tr_design(source, subject, kind, clips, grids[_task(kind)]) for kind in RESPONSE_KINDS}
    return SubjectDesign(subject, clips, grids, rows)


def _task(kind: str) -> str:
    return "Training" if kind == "Training" else "Test"
