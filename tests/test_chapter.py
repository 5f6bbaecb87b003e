"""Chapter: the handles a notebook gets; here its results and the pipeline-recovery line, on tiny inputs."""
import json
from types import SimpleNamespace

import numpy as np
import pandas as pd

from banlib.book.chapter import Chapter
from banlib.book.results import Results


def _chapter(tmp_path, kind):
    """A chapter on fake data whose page is a list of the Markdown it was given."""
    source = SimpleNamespace(kind=kind, label=f"{kind} data", info={}, truth_root=None)
    results = Results(tmp_path / "02_roi_selection.json", source, "02_roi_selection")
    ch = Chapter("02_roi_selection", source, results, pipe=None, figures_dir=None)
    ch.page = []
    ch.say = ch.page.append
    return ch


def test_records_values_and_reasons(tmp_path):
    ch = _chapter(tmp_path, "twin")
    ch.record_all({"a": 1, "b": float("nan")}, reasons={"b": "undefined here"})
    written = json.loads((tmp_path / "02_roi_selection.json").read_text())
    assert written["values"] == {"a": 1, "b": None} and written["null_reasons"] == {"b": "undefined here"}


def test_recovery_is_recorded_on_the_twin(tmp_path):
    ch = _chapter(tmp_path, "twin")
    vox = pd.DataFrame({"truth": ["genre", "genre", "none"], "genre_snr": [0.3, 0.2, 0.0]})
    out = ch.recovery("roi", {"sub-001": SimpleNamespace(mask=np.array([True, False, False]))}, {"sub-001": vox})
    assert out["verdict"] == "recovered" and out["precision"] == {"sub-001": 1.0}
    written = json.loads((tmp_path / "02_roi_selection.json").read_text())["values"]["recovery_roi"]
    assert written == out
    assert "Pipeline recovery: recovered" in ch.page[-1]


def test_recovery_on_real_data_says_why_not(tmp_path):
    ch = _chapter(tmp_path, "openneuro")
    assert ch.recovery("roi", {}, {}) is None
    assert "Not computed on these data: pipeline recovery (roi)" in ch.page[-1]
    assert "recovery_roi" not in json.loads((tmp_path / "02_roi_selection.json").read_text())["values"]
