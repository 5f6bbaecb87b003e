import numpy as np
import torch

from banlib.models.activations import area_activations
from banlib.models import build_model


def test_activations_per_tr_from_the_last_pass_and_hooks_removed():
    torch.manual_seed(0)
    model = build_model("BAN", widths=(4, 4, 8, 8)).eval()
    specs = np.random.default_rng(0).normal(size=(3, 64, 646)).astype(np.float32)
    acts = area_activations(model, specs, batch_size=2)
    # A1: 4 channels x 16 mel rows; T2T3: 8 channels x 2 rows; 10 TRs per clip
    assert acts["A1"].shape == (3, 10, 64) and acts["T2T3"].shape == (3, 10, 16)
    assert all(len(m._forward_hooks) == 0 for m in model.areas().values())
    with torch.no_grad():
        x = torch.from_numpy(specs[:1, None])
        out = model.T2T3(model.PB(model.Belt(model.A1(x)))).numpy()[0]     # the area's final state
    whole = out.reshape(16, -1).mean(axis=1)
    np.testing.assert_allclose(acts["T2T3"][0].mean(axis=0), whole, rtol=0.05, atol=1e-4)


def test_a_missing_stimulus_is_an_error_naming_it(quick_twin, monkeypatch):
    import pytest

    import banlib.models.activations as act
    from banlib.data.design import clip_table

    clips = clip_table(quick_twin).iloc[:3]
    real = act.stimulus_clips
    monkeypatch.setattr(act, "stimulus_clips", lambda s, c: {k: v for k, v in real(s, c).items() if k != 1})
    name = f"{clips.genre.iloc[1]}.{int(clips.track.iloc[1]):05d}.wav"
    with pytest.raises(act.MissingStimuli, match=name.replace(".", r"\.")):
        act.played_stimuli(quick_twin, clips)


def test_genre_readout_of_t2t3_is_genre_outputs():
    from banlib.models.activations import genre_outputs, genre_readout

    torch.manual_seed(0)
    model = build_model("BAN", widths=(4, 4, 8, 8)).eval()
    specs = np.random.default_rng(0).normal(size=(2, 64, 200)).astype(np.float32)
    probs = genre_outputs(model, specs)
    assert probs.shape == (2, 10, 10) and np.allclose(probs.sum(-1), 1, atol=1e-5)
    assert np.array_equal(genre_readout(model, area_activations(model, specs, areas=("T2T3",))["T2T3"]), probs)


def test_responses_key_changes_with_weights_stimuli_and_settings():
    from banlib.models.activations import responses_key, stimuli_digest

    def key_of(model, specs, device):
        return responses_key(model, stimuli_digest(specs), device)

    torch.manual_seed(0)
    model = build_model("BAN", widths=(4, 4, 8, 8))
    specs = np.random.default_rng(0).normal(size=(2, 64, 50)).astype(np.float32)
    key = key_of(model, specs, "cpu")
    torch.manual_seed(0)
    assert key_of(build_model("BAN", widths=(4, 4, 8, 8)), specs.copy(), "cpu") == key   # same weights
    other = build_model("BAN", widths=(4, 4, 8, 8))                                             # next draw
    changed = specs.copy()
    changed[1, 3, 7] += 1e-3
    assert len({key, key_of(other, specs, "cpu"), key_of(model, changed, "cpu"),
                key_of(model, specs, "cuda"), key_of(model, specs[:, :, :49], "cpu")}) == 5
    with torch.no_grad():
        model.A1.conv1.weight[0, 0, 0, 0] += 1e-3
    assert key_of(model, specs, "cpu") != key


def test_cached_arrays_round_trip_and_a_broken_file_is_computed_again(tmp_path):
    import pytest

    from banlib.models.activations import read_cached, write_cached

    path = tmp_path / "r" / "BAN-r0-abc.npz"
    assert read_cached(path, ["A1"]) is None
    write_cached(path, {"A1": np.arange(6, dtype=np.float32).reshape(2, 3)})
    assert read_cached(path, ["A1"])["A1"].tolist() == [[0, 1, 2], [3, 4, 5]]
    with pytest.warns(UserWarning, match="T2T3"):
        assert read_cached(path, ["A1", "T2T3"]) is None                      # written by a version without it
    assert [p.name for p in path.parent.iterdir()] == [path.name]            # no temporary file left
    path.write_bytes(path.read_bytes()[:40])                                  # an interrupted copy
    with pytest.warns(UserWarning, match="BAN-r0-abc.npz"):
        assert read_cached(path, ["A1"]) is None
