"""Reading ds003720 ``events.tsv`` files, quirks included.

The real files have CRLF line endings, genres wrapped in single quotes (``'pop'``) and a
few rows that lost the leading quote (``classical'``). :func:`read_events` returns the
same clean table whatever the quoting, whitespace or line endings, and refuses values it cannot
trust (another encoding, a column twice, NaN or infinite times, negative or fractional track numbers),
naming the file and the line.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..config import GENRES
from ..errors import BanlibError

COLUMNS = ("onset", "duration", "genre", "track", "start", "end")
_ALIASES = {"hip-hop": "hiphop", "hip hop": "hiphop"}


class EventsError(BanlibError, ValueError):
    """An events file that cannot be read as ds003720 events."""


def normalise_genre(raw: str) -> str:
    """``"'pop'"``, ``"classical'"``, ``' "Jazz" '`` -> the GTZAN genre name."""
    name = raw.strip().strip("'\"`").strip().lower()
    name = _ALIASES.get(name, name)
    if name not in GENRES:
        raise KeyError(raw)
    return name


#: GTZAN holds 100 tracks per genre, numbered 0 to 99 (``<genre>.00000.wav`` ... ``<genre>.00099.wav``).
MAX_TRACK = 99
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _text(path: Path) -> str:
    """The file's text as UTF-8 (a leading byte-order mark allowed); any other encoding is an
    :class:`EventsError` naming the line of the first byte that is not UTF-8."""
    raw = path.read_bytes()
    fix = "save it as UTF-8 (e.g. iconv -f LATIN1 -t UTF-8), as ds003720 ships it"
    if raw.startswith(_UTF16_BOMS):
        raise EventsError(file=path, what="encoded as UTF-16, not UTF-8", fix=fix)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise EventsError(f"{path}, line {line}: byte 0x{raw[err.start]:02x} is not UTF-8 (another encoding, "
                          f"e.g. Latin-1?) — {fix}") from None


def _number(path: Path, lineno: int, column: str, text: str, whole: bool = False) -> float:
    """A cell as a finite, non-negative number (``whole``: a whole number), or an :class:`EventsError` naming
    the file, line and column."""
    try:
        value = float(text)
    except ValueError:
        raise EventsError(f"{path}, line {lineno}: {column} {text!r} is not a number — correct the file") from None
    if not np.isfinite(value):
        raise EventsError(f"{path}, line {lineno}: {column} is {text!r}, not a finite number — correct the file")
    if value < 0:
        raise EventsError(f"{path}, line {lineno}: {column} is negative ({text}) — correct the file")
    if whole and not value.is_integer():
        raise EventsError(f"{path}, line {lineno}: {column} is {text!r}, not a whole number — correct the file")
    return value


def read_events(path: str | Path) -> pd.DataFrame:
    """One ``*_events.tsv`` -> DataFrame with columns ``onset duration genre track start end``.

    ``onset``, ``duration``, ``start``, ``end`` are seconds (float); ``track`` is the GTZAN
    track number (int); ``genre`` one of :data:`banlib.config.GENRES`.

    Strict about values: the file must be UTF-8; a column name may appear once; times must be finite and
    non-negative, with ``end`` after ``start``; ``track`` a whole number from 0 to :data:`MAX_TRACK`. Anything
    else is an :class:`EventsError` naming the file and the line.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such events file")
    lines = [(n, ln) for n, ln in enumerate(_text(path).splitlines(), start=1) if ln.strip()]
    if not lines:
        raise EventsError(f"{path}: empty events file")
    head_no, head = lines[0]
    header = [h.strip().lower() for h in head.split("\t")]
    twice = sorted({h for h in header if header.count(h) > 1})
    if twice:
        raise EventsError(f"{path}, line {head_no}: column(s) {twice} appear more than once in the header; which "
                          f"one holds the values cannot be told — correct the file")
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise EventsError(f"{path}: missing column(s) {missing}; header is {header}")
    rows = []
    for lineno, line in lines[1:]:
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
        onset, duration, start, end = (_number(path, lineno, c, rec[c]) for c in ("onset", "duration", "start", "end"))
        track = int(_number(path, lineno, "track", rec["track"], whole=True))
        if track > MAX_TRACK:
            raise EventsError(f"{path}, line {lineno}: track {track} is not a GTZAN track number (0 to {MAX_TRACK}) "
                              f"— correct the file")
        if end <= start:
            raise EventsError(f"{path}, line {lineno}: end {rec['end']} is not after start {rec['start']} "
                              f"— correct the file")
        rows.append((onset, duration, genre, track, start, end))
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    df["genre"] = df["genre"].astype(str)
    return df
