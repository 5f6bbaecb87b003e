"""Reading ds003720 ``events.tsv`` files, quirks included.

The real files have CRLF line endings, genres wrapped in single quotes (``'pop'``) and a
few rows that lost the leading quote (``classical'``). :func:`read_events` returns the
same clean table whatever the quoting, whitespace or line endings.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..config import GENRES

COLUMNS = ("onset", "duration", "genre", "track", "start", "end")
_ALIASES = {"hip-hop": "hiphop", "hip hop": "hiphop"}


class EventsError(ValueError):
    """An events file that cannot be read as ds003720 events."""


def normalise_genre(raw: str) -> str:
    """``"'pop'"``, ``"classical'"``, ``' "Jazz" '`` -> the GTZAN genre name."""
    name = raw.strip().strip("'\"`").strip().lower()
    name = _ALIASES.get(name, name)
    if name not in GENRES:
        raise KeyError(raw)
    return name


def read_events(path: str | Path) -> pd.DataFrame:
    """One ``*_events.tsv`` -> DataFrame with columns ``onset duration genre track start end``.

    ``onset``, ``duration``, ``start``, ``end`` are seconds (float); ``track`` is the GTZAN
    track number (int); ``genre`` one of :data:`banlib.config.GENRES`.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such events file")
    lines = [ln for ln in path.read_text(encoding="utf-8-sig").splitlines() if ln.strip()]
    if not lines:
        raise EventsError(f"{path}: empty events file")
    header = [h.strip().lower() for h in lines[0].split("\t")]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise EventsError(f"{path}: missing column(s) {missing}; header is {header}")
    rows = []
    for lineno, line in enumerate(lines[1:], start=2):
        cells = [c.strip() for c in line.split("\t")]
        if len(cells) != len(header):
            raise EventsError(f"{path}, line {lineno}: {len(cells)} fields, header has {len(header)}")
        rec = dict(zip(header, cells))
        try:
            genre = normalise_genre(rec["genre"])
        except KeyError:
            raise EventsError(
                f"{path}, line {lineno}: unknown genre {rec['genre']!r}; expected one of {', '.join(GENRES)}"
            ) from None
        try:
            rows.append((float(rec["onset"]), float(rec["duration"]), genre, int(float(rec["track"])),
                         float(rec["start"]), float(rec["end"])))
        except ValueError as err:
            raise EventsError(f"{path}, line {lineno}: {err}") from None
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    df["genre"] = df["genre"].astype(str)
    return df
