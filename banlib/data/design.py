"""The experiment's design, read from the events files: clips, TR grids, rows of the responses.

Events are identical across subjects in ds003720, but every function takes the subject so that a
dataset where they differ is read correctly.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import CLIPS_PER_RUN, DROPPED_TRS, TEST_REPEATS, TRS_PER_CLIP
from .dataset import TASKS, DataError, DataSource, check_present
from .events import read_events


def run_events(source: DataSource, subject: str, task: str) -> list[pd.DataFrame]:
    """The events of every run of ``task``, in run order."""
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
    """Clip index (row of :func:`clip_table`) playing at each TR: ``(n_runs, 410)`` int."""
    clips = clip_table(source, subject) if clips is None else clips
    index = {(g, t): i for i, (g, t) in enumerate(zip(clips.genre, clips.track))}
    grid = []
    for ev in run_events(source, subject, task):
        per_clip = [index[(g, int(t))] for g, t in zip(ev.genre, ev.track)]
        grid.append(np.repeat(per_clip, TRS_PER_CLIP))
    return np.stack(grid)


def tr_design(source: DataSource, subject: str, kind: str, clips: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per row of ``Resp_<kind>``: ``run``, ``tr`` (index in the 410-volume run),
    ``clip`` (index into :func:`clip_table`), ``block`` (one id per presentation: split by it)."""
    task = "Training" if kind == "Training" else "Test"
    grid = clip_grid(source, subject, task, clips)
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
