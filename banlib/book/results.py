"""Key numbers of a notebook run, written as plain JSON and glued into the book.

    res = Results(results_path, source, notebook="02_roi_selection")
    res.record("roi_size_sub-001", 468)      # -> JSON now, and glue(...) for the book

The JSON is rewritten after every record, so an interrupted run keeps what it had.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from .. import __version__
from ..provenance import git_commit


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


class Results:
    def __init__(self, path: str | os.PathLike | None, source, notebook: str, parameters: dict | None = None):
        self.path = Path(path) if path else None
        self.data = {"notebook": notebook, "data": source.label, "data_source": source.kind,
                     "source_info": _plain(source.info), "banlib_version": __version__,
                     "git_commit": git_commit(), "parameters": _plain(parameters or {}), "values": {}}
        self._write()

    def record(self, key: str, value, glue: bool = True, fmt: str | None = None):
        value = _plain(value)
        self.data["values"][key] = value
        self._write()
        if glue:
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
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.data, indent=2, sort_keys=True) + "\n")
        tmp.replace(self.path)


def load(path: str | os.PathLike) -> dict:
    return json.loads(Path(path).read_text())
