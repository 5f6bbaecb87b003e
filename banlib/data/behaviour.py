"""Listeners' genre choices: ``sub-00N/beh/sub-00N_task-GenreChoice_beh.tsv`` (``genre track choice``).

ds003720 ships none; the twin writes simulated ones; a user who has real choices places them there.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..config import GENRES
from .dataset import DataError
from .events import normalise_genre


def behaviour_path(source, subject: str) -> Path:
    """Where a subject's genre choices live: ``sub-00N/beh/sub-00N_task-GenreChoice_beh.tsv``."""
    return source.bids_root / subject / "beh" / f"{subject}_task-GenreChoice_beh.tsv"


def read_choices(path: str | Path) -> pd.DataFrame:
    """A behaviour TSV -> ``genre track choice`` (genre names normalised), one row per trial.

    Needs columns ``genre``, ``track`` and ``choice``; a bad genre is reported with its line.
    """
    path = Path(path)
    df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    missing = [c for c in ("genre", "track", "choice") if c not in df.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {missing}; a behaviour file needs genre, track "
                        f"and choice (one row per trial)")
    out = pd.DataFrame(index=df.index)
    for col in ("genre", "choice"):
        vals = []
        for line, raw in enumerate(df[col], start=2):
            try:
                vals.append(normalise_genre(raw))
            except KeyError:
                raise DataError(f"{path}, line {line}: {col} {raw!r} is not a GTZAN genre "
                                f"({', '.join(GENRES)})") from None
        out[col] = vals
    out["track"] = pd.to_numeric(df.track, errors="raise").astype(int)
    return out[["genre", "track", "choice"]]


def human_choices(source, subject: str) -> pd.DataFrame | None:
    """The subject's choices, or None when the data have none (ds003720 ships no behaviour)."""
    path = behaviour_path(source, subject)
    return read_choices(path) if path.exists() else None
