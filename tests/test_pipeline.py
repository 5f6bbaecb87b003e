from pathlib import Path

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


def test_a_saved_roi_from_other_data_is_selected_again(tmp_path, monkeypatch):
    """A results folder reused after the data changed (a new twin, re-fetched derivatives) must not hand back
    the ROI of the old data: the file records the fingerprint of the responses it was selected from."""
    from types import SimpleNamespace

    from banlib.analyses.roi import ROI

    resp = tmp_path / "sub-001_Resp_Training.npy"
    np.save(resp, np.zeros((4, 3), np.float32))
    source = SimpleNamespace(response_path=lambda subject, kind: resp)
    calls = []

    def fake_select(source, design, selector, split="training", progress=None):
        calls.append(split)
        return ROI("sub-001", np.array([True, False, len(calls) > 1]), np.zeros(3), np.zeros(3), np.ones(3, bool))

    monkeypatch.setattr(banlib.analyses.roi, "select_roi", fake_select)
    pipe = Pipeline(source, "quick", 0, tmp_path / "build")
    monkeypatch.setattr(pipe, "design", lambda subject=None: None)
    assert pipe.roi_mask("sub-001").tolist() == [True, False, False] and calls == ["training"]
    again = Pipeline(source, "quick", 0, tmp_path / "build")
    monkeypatch.setattr(again, "design", lambda subject=None: None)
    assert again.roi_mask("sub-001").tolist() == [True, False, False] and calls == ["training"]   # same data: read
    np.save(resp, np.ones((4, 3), np.float32))                                                       # the data change
    changed = Pipeline(source, "quick", 0, tmp_path / "build")
    monkeypatch.setattr(changed, "design", lambda subject=None: None)
    assert changed.roi_mask("sub-001").tolist() == [True, False, True] and calls == ["training"] * 2


def test_network_responses_are_cached_per_network(quick_twin, tmp_path, monkeypatch):
    pipe = Pipeline(quick_twin, "quick", 0, tmp_path)
    calls = []
    monkeypatch.setattr(pipe, "_responses", lambda name, passes, replicate, widths=None:
                        calls.append((name, replicate, widths)) or {})
    assert pipe.responses("BAN") is pipe.responses("BAN") and calls == [("BAN", 0, None)]
    pipe.responses("feedforward")
    pipe.responses("BAN", replicate=1)
    assert calls == [("BAN", 0, None), ("feedforward", 0, None), ("BAN", 1, None)]
    pipe.grid_responses((1, 1, 1))                 # a grid network: its passes and the grid's widths
    pipe.grid_responses((2, 2, 4))                 # the quick grid's 2/2/4 is the main BAN, already there
    assert calls[3:] == [("BAN", 0, pipe.grid_widths)] and len(calls) == 4


def test_grid_networks_are_trained_at_the_grid_widths_in_their_own_folders(tmp_path, monkeypatch):
    import banlib.models.train as tr
    from banlib.config import QUICK_WIDTHS

    trained = []

    def fake_train(cfg, data, out, progress=True, scratch_dir=None):
        trained.append((cfg.widths, cfg.passes, out.relative_to(tmp_path), scratch_dir.relative_to(tmp_path)))
        return "model", []

    monkeypatch.setattr(tr, "train", fake_train)
    monkeypatch.setattr(tr, "load_trained", lambda cfg, out, fingerprint=None: None)
    pipe = Pipeline(None, "full", 0, tmp_path, device="cpu")
    pipe.__dict__["training_data"] = {"train": tr.SpectrogramSet([], np.zeros(0), [], mean=1.0, sd=2.0)}
    pipe.grid_network((1, 1, 1))
    pipe.grid_network((2, 2, 4))
    pipe.network("BAN")
    assert trained == [
        (QUICK_WIDTHS, (1, 1, 1), Path("checkpoints/BAN-111-w16-32-64-128-seed0"),
         Path(".scratch/checkpoints/BAN-111-w16-32-64-128-seed0")),
        (QUICK_WIDTHS, (2, 2, 4), Path("checkpoints/BAN-224-w16-32-64-128-seed0"),
         Path(".scratch/checkpoints/BAN-224-w16-32-64-128-seed0")),
        ((64, 128, 256, 512), None, Path("checkpoints/BAN-seed0"), Path(".scratch/checkpoints/BAN-seed0"))]
    trained.clear()
    quick = Pipeline(None, "quick", 0, tmp_path, device="cpu")
    quick.__dict__["training_data"] = pipe.training_data
    quick.grid_network((2, 2, 4))                   # the quick BAN itself: trained once, in its usual folder
    assert [t[2] for t in trained] == [Path("checkpoints/BAN-seed0")]
    full_grid = Pipeline(None, "full", 0, tmp_path, device="cpu", grid_widths="full")
    assert full_grid.grid_widths == (64, 128, 256, 512)


def test_the_untrained_control_is_the_network_training_starts_from(tmp_path, monkeypatch):
    import torch

    import banlib.models.train as tr

    pipe = Pipeline(None, "quick", 0, tmp_path, device="cpu")
    calls = []
    real = Pipeline.network

    def trained(self, name="BAN", passes=None, widths=None, replicate=0):
        if name.endswith(" (untrained)"):
            return real(self, name, passes, widths, replicate)
        calls.append(name)
        return "trained model", [{"epoch": 1}], (1.5, 2.5)

    monkeypatch.setattr(Pipeline, "network", trained)
    model, history, norm = pipe.network("BAN (untrained)")
    assert calls == ["BAN"] and history == [] and norm == (1.5, 2.5)
    start = tr.initial_model(pipe.config("BAN"))
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), start.state_dict().values()))


def test_each_training_seed_has_its_own_checkpoint_folder(tmp_path, monkeypatch):
    import banlib.models.train as tr
    from banlib.config import network_seed

    seen = []
    monkeypatch.setattr(tr, "train", lambda cfg, data, out, progress=True, scratch_dir=None:
                        seen.append((cfg.seed, out.name)) or ("model", []))
    monkeypatch.setattr(tr, "load_trained", lambda cfg, out, fingerprint=None: None)
    pipe = Pipeline(None, "quick", 7, tmp_path, device="cpu")
    pipe.__dict__["training_data"] = {"train": tr.SpectrogramSet([], np.zeros(0), [], mean=1.0, sd=2.0)}
    assert list(pipe.replicates) == [0, 1, 2]
    for k in pipe.replicates:
        pipe.network("BAN", replicate=k)
    assert seen == [(7, "BAN-seed7"), (1007, "BAN-seed1007"), (2007, "BAN-seed2007")]
    assert [network_seed(7, k) for k in range(3)] == [7, 1007, 2007]


def test_network_responses_are_kept_on_disk_for_the_next_pipeline_keyed_by_the_weights(tmp_path, monkeypatch):
    """A later chapter (another Pipeline on the same work folder) reads the responses instead of computing
    them; other weights are computed afresh."""
    from types import SimpleNamespace

    import torch

    import banlib.models.activations as act
    from banlib.models import build_model

    torch.manual_seed(0)
    nets = {w: build_model("BAN", widths=(4, 4, 8, 8)).eval() for w in ("BAN", "other")}     # two draws
    specs = np.random.default_rng(0).normal(size=(3, 64, 120)).astype(np.float32)
    design = SimpleNamespace(test_clips=np.array([0, 2]), clip_names=lambda idx: [f"clip{i}" for i in idx])
    computed = []
    real = act.area_activations
    monkeypatch.setattr(act, "area_activations", lambda model, s, **kw: computed.append(model) or real(model, s, **kw))

    def pipeline(weights):
        pipe = Pipeline(None, "quick", 0, tmp_path, device="cpu")
        monkeypatch.setattr(pipe, "network", lambda name, passes=None, widths=None, replicate=0:
                            (nets[weights], [], (0.0, 1.0)))
        monkeypatch.setattr(pipe, "stimulus_spectrograms", lambda norm: specs)
        monkeypatch.setattr(pipe, "design", lambda subject=None: design)
        return pipe

    first = pipeline("BAN").responses("BAN")
    assert computed == [nets["BAN"]] and len(list((tmp_path / ".scratch" / "responses").glob("BAN-r0-*.npz"))) == 1
    again = pipeline("BAN").responses("BAN")
    assert computed == [nets["BAN"]] and again["predictions"] == first["predictions"]
    assert sorted(again["predictions"]) == ["clip0", "clip2"]
    assert all(np.array_equal(again["activations"][a], first["activations"][a]) for a in act.AREAS)
    pipeline("other").responses("BAN")
    assert computed == [nets["BAN"], nets["other"]]


def test_predictions_are_computed_once_kept_on_disk_and_keyed_by_weights_and_spectrograms(tmp_path, monkeypatch):
    """Chapter 03 asks for the same network's held-out predictions several times, and the next chapter or a
    book on other data with the same networks and audio asks again: computed once, equal to predict's."""
    import torch

    import banlib.models.train as tr
    from banlib.models import build_model

    torch.manual_seed(0)
    nets = {w: build_model("BAN", widths=(4, 4, 8, 8)).eval() for w in ("BAN", "other")}
    g = np.random.default_rng(0)

    def spectrograms(shift=0.0):
        return tr.SpectrogramSet([g.normal(size=(64, 300)).astype(np.float32) + shift for _ in range(3)],
                                 np.array([0, 1, 2]), ["a", "b", "c"])

    sets = {"val": spectrograms(), "fmri_test": spectrograms()}
    computed = []
    real = tr.predict
    monkeypatch.setattr(tr, "predict", lambda model, data, *a, **kw: computed.append(model) or real(model, data, *a, **kw))

    def pipeline(weights, data=sets):
        pipe = Pipeline(None, "quick", 0, tmp_path, device="cpu")
        monkeypatch.setattr(pipe, "network", lambda name, passes=None, widths=None, replicate=0: (nets[weights], [], (0.0, 1.0)))
        pipe.__dict__["training_data"] = data
        return pipe

    pipe = pipeline("BAN")
    first = pipe.predictions("BAN", "val")
    assert pipe.predictions("BAN", "val") is first and len(computed) == 1
    np.testing.assert_array_equal(first, real(nets["BAN"], sets["val"], pipe.config("BAN").crop_frames))
    assert first.shape == (3, 10) and first.dtype == np.float32
    assert len(list((tmp_path / ".scratch" / "predictions").glob("BAN-r0-val-*.npz"))) == 1
    np.testing.assert_array_equal(pipeline("BAN").predictions("BAN", "val"), first)      # the next chapter reads it
    assert len(computed) == 1
    pipeline("BAN").predictions("BAN", "fmri_test")                                      # another split
    pipeline("other").predictions("BAN", "val")                                          # other weights
    pipeline("BAN", {"val": spectrograms(shift=1.0)}).predictions("BAN", "val")          # other spectrograms
    assert len(computed) == 4
    quick = pipeline("BAN")
    assert quick.grid_predictions((2, 2, 4), "val") is quick.predictions("BAN", "val")   # the quick grid's 2/2/4 is BAN
