import numpy as np
import pytest
import torch

from banlib.analyses.interpret import METHODS, attribution_maps, band_share, deletion_auc, faithfulness, mel_frequencies, patch_mask, patch_scores
from banlib.models import build_model

BAND = slice(26, 38)
DISTRACTORS = (slice(4, 16), slice(48, 60))
PULSE = (np.arange(64) // 4) % 2 == 0


def _toy(label, g, frames=64):
    """Noise; two distractor bands switch on at random; the class is carried only by the middle band
    pulsing (4 frames on, 4 off) instead of holding steady."""
    x = g.normal(0, 0.3, (64, frames)).astype(np.float32) - 1
    for s in DISTRACTORS:
        if g.random() < 0.5:
            x[s] += 2.0
    x[BAND] += 2.0 * (PULSE[:frames] if label else 1.0)
    return x


@pytest.fixture(scope="module")
def toy_model():
    torch.manual_seed(0)
    g = np.random.default_rng(0)
    X = np.stack([_toy(k, g) for k in (0, 1) for _ in range(60)])
    y = np.repeat([0, 1], 60)
    model = build_model("BAN", widths=(8, 16, 16, 16), n_classes=2)
    opt = torch.optim.Adam(model.parameters(), 1e-2)
    for _ in range(15):
        model.train()
        for idx in np.array_split(g.permutation(len(X)), 6):
            loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(X[idx])[:, None]), torch.from_numpy(y[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        assert (model(torch.from_numpy(X)[:, None]).argmax(1).numpy() == y).mean() == 1.0
    return model


def test_maps_have_the_input_shape():
    torch.manual_seed(0)
    model = build_model("BAN", widths=(4, 4, 8, 8)).eval()
    spec = np.random.default_rng(0).normal(size=(64, 48)).astype(np.float32)
    maps = attribution_maps(model, spec, 3, area="PB")
    assert set(maps) == set(METHODS) and all(m.shape == spec.shape and np.isfinite(m).all() for m in maps.values())


def test_every_method_finds_the_band_that_carries_the_class(toy_model):
    g = np.random.default_rng(1)
    chance = (BAND.stop - BAND.start) / 64
    for _ in range(3):
        x = _toy(1, g)
        maps = attribution_maps(toy_model, x, 1, area="A1")
        shares = {m: band_share(a, BAND) for m, a in maps.items()}
        assert all(s > 0.5 for s in shares.values()), (shares, chance)


def test_deletion_curves_and_a_faithful_map_beats_random(toy_model):
    x = _toy(1, np.random.default_rng(2))
    maps = attribution_maps(toy_model, x, 1, area="A1")
    out = faithfulness(toy_model, x, 1, maps, n_random=5)
    for curve in out["curves"].values():
        assert len(curve) == 21 and 0 <= curve.min() and curve.max() <= 1
    assert out["auc"]["occlusion"] < out["auc"]["random"] - 0.1
    # nothing removed = the model's own probability
    with torch.no_grad():
        p = torch.softmax(toy_model(torch.from_numpy(x)[None, None]), 1)[0, 1].item()
    assert out["curves"]["LIME"][0] == pytest.approx(p, abs=1e-5)
    assert deletion_auc(np.ones(11)) == pytest.approx(1.0) and deletion_auc(np.zeros(11)) == 0


def test_patches_and_mel_frequencies():
    ids = patch_mask((64, 40), (8, 16))
    assert ids.shape == (64, 40) and ids.max() + 1 == 8 * 3
    assert np.allclose(patch_scores(np.ones((64, 40)), (8, 16)), 1)
    f = mel_frequencies()
    assert len(f) == 64 and np.all(np.diff(f) > 0) and 0 < f[0] < 100 and 9_000 < f[-1] < 11_025
    import torchaudio

    fb = torchaudio.functional.melscale_fbanks(513, 0.0, 11_025.0, 64, 22_050).numpy()    # (freqs, mels)
    peaks = np.linspace(0, 11_025, 513)[fb.argmax(axis=0)]
    assert np.abs(peaks - f).max() < 25.0           # within one FFT bin (21.5 Hz)


def test_reading_rows_one_per_clip_and_method():
    from banlib.analyses.interpret import Explained, reading_rows, reading_table

    g = np.random.default_rng(3)
    crops = [g.normal(size=(64, 128)) for _ in range(2)]
    ex = Explained(None, ["blues.00001", "blues.00002"], np.zeros(2, int), np.zeros(2, int), np.zeros((2, 10)), crops)
    maps = {i: {m: crops[i] + (j + 1) * g.normal(size=(64, 128)) for j, m in enumerate(METHODS)} for i in range(2)}
    rows = reading_rows(ex, maps)
    assert len(rows) == 2 * len(METHODS) and set(rows.columns) == {"clip", "method", "intensity_rho", "low_half_share"}
    assert np.allclose(reading_table(ex, maps).loc[METHODS[0]], rows[rows.method == METHODS[0]].mean(numeric_only=True))
