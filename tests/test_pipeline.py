import numpy as np

import banlib.analyses.roi
from banlib.analyses.pipeline import Pipeline, network_tag, work_dir


def test_work_dir_is_the_book_output_folder(tmp_path):
    assert work_dir(tmp_path / "build" / "results" / "04.json") == tmp_path / "build"


def test_network_tags_are_stable():
    assert network_tag("CORnet-S passes") == "CORnet-S_passes"
    assert network_tag("BAN", (1, 1, 1)) == "BAN-111"


def test_roi_mask_is_selected_once_then_read_back(quick_twin, tmp_path, monkeypatch):
    pipe = Pipeline(quick_twin, "quick", 0, tmp_path)
    first = pipe.roi_mask("sub-004")
    assert (tmp_path / "results" / "02_roi_sub-004.npz").exists() and first.dtype == bool and first.any()

    def no_selection(*args, **kwargs):
        raise AssertionError("the saved ROI should have been read")

    monkeypatch.setattr(banlib.analyses.roi, "select_roi", no_selection)
    assert np.array_equal(Pipeline(quick_twin, "quick", 0, tmp_path).roi_mask("sub-004"), first)


def test_network_responses_are_cached_per_network(quick_twin, tmp_path, monkeypatch):
    pipe = Pipeline(quick_twin, "quick", 0, tmp_path)
    calls = []
    monkeypatch.setattr(pipe, "_responses", lambda name, passes: calls.append(name) or {"name": name})
    assert pipe.responses("BAN") is pipe.responses("BAN") and calls == ["BAN"]
    pipe.responses("feedforward")
    assert calls == ["BAN", "feedforward"]
