"""Key numbers of a notebook run, written as strict JSON and glued into the book.

    res = Results(results_path, source, notebook="02_roi_selection")
    res.record("roi_size_sub-001", 468)      # -> JSON now, and glue(...) for the book

The JSON is rewritten after every record, so an interrupted run keeps what it had. It is strict
JSON (a browser's or ``jq``'s parser reads it): a number that is not finite is written as ``null``
and its reason is kept beside it under ``null_reasons``; recording one without a reason is an error.

A results file starts with ``"complete": false``; the notebook runner sets ``"complete": true``
(:func:`mark_complete`) once its notebook ran to the end, so a reader tells a finished chapter from one
that was interrupted or failed (:func:`banlib.files.read_results` names the incomplete file).
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

from .. import __version__
from ..files import read_json_strict, read_results, results_in_progress, write_text
from ..paper.contract import validate
from ..provenance import commit_note, git_commit


class NonFiniteValue(ValueError):
    """A result with NaN or infinity was recorded without saying why it is missing."""


def plain(value):
    """``value`` as JSON-ready Python (numpy scalars and arrays converted); returns ``(plain, n_nonfinite)``
    with every NaN or infinity replaced by None."""
    count = 0

    def conv(v):
        nonlocal count
        if isinstance(v, dict):
            return {str(k): conv(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [conv(x) for x in v]
        if isinstance(v, np.ndarray):
            return conv(v.tolist())
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, float) and not math.isfinite(v):
            count += 1
            return None
        return v

    return conv(value), count


class Results:
    """The results file of one notebook run: provenance, values and the reasons for missing values.

    Parameters
    ----------
    path : path or None
        ``<build>/results/<notebook>.json``; None keeps the values in memory only.
    source : DataSource
        Its label and info are recorded beside every value.
    notebook : str
    parameters : dict, optional
        The papermill parameters of the run.
    """

    def __init__(self, path: str | os.PathLike | None, source, notebook: str, parameters: dict | None = None):
        self.path = Path(path) if path else None
        info, _ = plain(source.info)
        params, _ = plain(parameters or {})
        self.data = {"notebook": notebook, "data": source.label, "data_source": source.kind,
                     "source_info": info, "banlib_version": __version__,
                     "git_commit": git_commit(), "parameters": params, "values": {}, "null_reasons": {},
                     "complete": False}
        if commit_note():
            self.data["git_commit_note"] = commit_note()
        if self.path is not None:
            results_in_progress(self.path)
        self._write()

    def record(self, key: str, value, glue: bool = True, fmt: str | None = None, reason: str | None = None):
        """Store ``value`` under ``key`` (and glue it for the book). Values that are not finite need a
        ``reason``: they are written as ``null`` and the reason under ``null_reasons[key]``. A key declared in
        :mod:`banlib.paper.contract` (one a claim reads) must have its declared type and shape
        (:class:`~banlib.paper.contract.ContractError` otherwise)."""
        value, n_missing = plain(value)
        validate(self.data["notebook"], key, value)
        if n_missing and not reason:
            raise NonFiniteValue(f"{key}: {n_missing} value(s) are NaN or infinite; record them with a reason "
                                 f"(they are written as null), or do not record a number the data cannot support")
        self.data["values"][key] = value
        if n_missing:
            self.data["null_reasons"][key] = reason
        else:
            self.data["null_reasons"].pop(key, None)
        self._write()
        if glue and value is not None:
            try:
                from myst_nb import glue as _glue
                shown = format(value, fmt) if fmt and isinstance(value, (int, float)) else value
                _glue(key, shown, display=False)
            except ImportError:
                pass
        return value

    def _write(self):
        if self.path is None:
            return
        # the temporary name ends in .tmp: the run record and the copies of results/ leave such files out
        write_text(self.path, json.dumps(self.data, indent=2, sort_keys=True, allow_nan=False) + "\n", ".tmp")


def load(path: str | os.PathLike, require_complete: bool = True) -> dict:
    """A results file as a dict, read strictly (:func:`banlib.files.read_results`: no NaN, no infinity, no key
    twice; an incomplete file is an error unless ``require_complete`` is False)."""
    return read_results(path, require_complete)


def mark_complete(path: str | os.PathLike) -> bool:
    """Set ``"complete": true`` in the results file at ``path`` once its notebook ran to the end (the runner calls
    it); returns False, changing nothing, when there is no banlib results file there (a notebook that writes
    none, or another JSON)."""
    path = Path(path)
    if not path.is_file():
        return False
    data = read_json_strict(path)
    if not isinstance(data, dict) or not isinstance(data.get("values"), dict) or "notebook" not in data:
        return False
    data["complete"] = True
    write_text(path, json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n", ".tmp")
    return True
