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
