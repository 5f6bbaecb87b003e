"""What a reader sees first about a dataset: its tree, the design's counts, one stimulus."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..config import TRS_PER_CLIP
from .dataset import ROWS_PER_KIND, DataError, DataSource, response_orientation
from .stimuli import route, stimulus_clips


def tree_lines(source: DataSource, subject: str, shown: int = 4) -> list[str]:
    """A few lines of the dataset tree: the subjects, some of one subject's ``func`` files, the
    response matrices."""
    subjects = source.subjects()
    func = sorted(p.name for p in (source.bids_root / subject / "func").iterdir())
    lines = [f"{source.bids_root.name}/  ({len(subjects)} subjects: {', '.join(subjects)})"]
    lines += [f"  {subject}/func/{name}" for name in func[:shown] + ["..."] + func[-2:]]
    for kind in ROWS_PER_KIND:
        p = source.response_path(subject, kind)
        lines.append(f"  {p.relative_to(source.bids_root) if p.is_relative_to(source.bids_root) else p}")
    return lines


def tree_counts(source: DataSource, subject: str) -> dict:
    """``n_subjects`` and ``n_func_files_per_subject`` (events and sidecars of one subject)."""
    func = list((source.bids_root / subject / "func").iterdir())
    return {"n_subjects": len(source.subjects()), "n_func_files_per_subject": len(func)}


def design_counts(design) -> dict:
    """Distinct clips, training and test clips, genres, clips per genre, runs, clips per run, distinct clips per
    test run, presentations of a test clip within its run (lead repeat excluded) and in all."""
    clips = design.clips
    test = clips[clips.split == "Test"]
    test_grid = design.grids["Test"][:, TRS_PER_CLIP::TRS_PER_CLIP]          # clips after the lead, per test run
    per_run = [len(set(row)) for row in test_grid]
    return {"n_clips": len(clips), "n_training_clips": int((clips.split == "Training").sum()),
            "n_test_clips": len(test), "n_genres": int(clips.genre.nunique()),
            "clips_per_genre": int(clips.groupby("genre").size().min()),
            "n_runs": int(sum(len(g) for g in design.grids.values())),
            "clips_per_run": int(design.grids["Training"].shape[1] // TRS_PER_CLIP - 1),
            "test_clips_per_run": int(max(per_run)),
            "test_repeats": int(test_grid.shape[1] // max(per_run)),
            "presentations_per_test_clip": int(test.runs.map(len).max())}


def design_sentence(counts: dict) -> str:
    """The design's counts in one sentence."""
    return (f"{counts['n_clips']} distinct clips: {counts['n_training_clips']} training, {counts['n_test_clips']} "
            f"test; each test clip is presented {counts['presentations_per_test_clip']} times (4 repeats plus the "
            f"run's lead clip).")


def clip_counts(clips: pd.DataFrame) -> pd.DataFrame:
    """Clips per split (rows) and genre (columns)."""
    return clips.groupby(["split", "genre"]).size().unstack(0).T


def example_stimulus(source: DataSource, clips: pd.DataFrame, row: int = 0) -> np.ndarray:
    """Clip ``row`` of the clip table as it was played (cut, faded, RMS-scaled; :mod:`banlib.data.stimuli`):
    float32 array of shape (samples,)."""
    waves = stimulus_clips(source, clips.iloc[[row]])
    if 0 not in waves:
        raise DataError(f"{source.audio_path(clips.genre.iloc[row], int(clips.track.iloc[row]))}: cannot be read")
    return waves[0]


def storage_values(source: DataSource, subject: str) -> dict:
    """How each response matrix is stored on disk (``TRs x voxels`` or ``voxels x TRs``) and how the stimuli
    are rebuilt (from the authors' stimulus files, or from the events)."""
    return {"response_orientation": {k: response_orientation(source, subject, k) for k in ROWS_PER_KIND},
            "stimuli_route": route(source)}


def storage_sentence(values: dict) -> str:
    """:func:`storage_values` in words."""
    kinds = ", ".join(f"`Resp_{k}` {o}" for k, o in values["response_orientation"].items())
    return (f"Stored on disk: {kinds} (the axis with the design's 4,800 / 2,400 / 600 TRs is time); banlib reads "
            f"every matrix as (TRs, voxels), a transposed view of the memory map where needed, without copying. "
            f"Stimuli: {values['stimuli_route']}.")
