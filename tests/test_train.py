import numpy as np
import pytest
import torch

from banlib.config import TRAIN_THREADS
from banlib.models.train import (CHECKPOINT_KEYS, CheckpointError, SpectrogramSet, TrainConfig, augment_batch,
                                  l2_penalty, load_trained, predict, resume_path, torch_threads, train)


def _toy(n_per_class=8, classes=3, seed=0):
    """Spectrograms in which class k has energy in mel band group k."""
    g = np.random.default_rng(seed)
    specs, labels = [], []
    for k in range(classes):
        for _ in range(n_per_class):
            x = g.normal(0, 0.3, (64, 80)).astype(np.float32)
            x[k * 16:(k + 1) * 16] += 2.0
            specs.append(x)
            labels.append(k)
    return SpectrogramSet(specs, np.array(labels), [str(i) for i in range(len(labels))])


CFG = dict(widths=(4, 8, 8, 8), batch_size=8, crop_frames=32, lr=3e-3, seed=1)


def _state(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_resume_after_interruption_gives_identical_weights(tmp_path):
    data = {"train": _toy(), "val": _toy(2, seed=1)}
    full, hist_full = train(TrainConfig(epochs=3, **CFG), data, tmp_path / "a", progress=False)
    train(TrainConfig(epochs=3, **CFG), data, tmp_path / "b", progress=False, stop_after=1)
    resumed, hist_resumed = train(TrainConfig(epochs=3, **CFG), data, tmp_path / "b", progress=False)
    a, b = _state(full), _state(resumed)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert hist_full == hist_resumed and len(hist_full) == 3
    assert len((tmp_path / "b" / "metrics.jsonl").read_text().splitlines()) == 3


def test_recorded_checkpoint_holds_weights_only_and_the_scratch_state_is_removed(tmp_path):
    data = {"train": _toy(), "val": _toy(2, seed=1)}
    cfg = TrainConfig(epochs=2, **CFG)
    out, scratch = tmp_path / "build" / "checkpoints" / "net", tmp_path / "build" / ".scratch" / "net"
    model, _ = train(cfg, data, out, progress=False, scratch_dir=scratch)
    state = torch.load(out / "checkpoint.pt", map_location="cpu", weights_only=True)
    assert set(state) == CHECKPOINT_KEYS and "optimizer" not in state
    assert state["precision"] == "float32" and state["epoch"] == 2
    torch.save(model.state_dict(), tmp_path / "weights.pt")                 # the weights alone, for size
    assert (out / "checkpoint.pt").stat().st_size < (tmp_path / "weights.pt").stat().st_size + 10_000
    assert not resume_path(cfg, scratch).exists() and not scratch.exists()
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.pt", "metrics.jsonl"]
    loaded, hist, norm = load_trained(cfg, out)
    assert all(torch.equal(a, b) for a, b in zip(loaded.state_dict().values(), model.state_dict().values()))
    assert norm == (data["train"].mean, data["train"].sd) and len(hist) == 2


def test_an_interrupted_run_leaves_its_optimiser_state_in_scratch_only(tmp_path):
    data = {"train": _toy()}
    cfg = TrainConfig(epochs=3, **CFG)
    out, scratch = tmp_path / "out", tmp_path / "scratch"
    train(cfg, data, out, progress=False, stop_after=2, scratch_dir=scratch)
    assert not (out / "checkpoint.pt").exists() and load_trained(cfg, out) is None
    state = torch.load(resume_path(cfg, scratch), map_location="cpu", weights_only=True)
    assert state["epoch"] == 2 and state["optimizer"]["state"]             # Adam moments kept for resuming
    resumed, _ = train(cfg, data, out, progress=False, scratch_dir=scratch)
    full, _ = train(cfg, data, tmp_path / "uninterrupted", progress=False, scratch_dir=tmp_path / "s2")
    a, b = _state(full), _state(resumed)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not scratch.exists()


def _reference_train(cfg, data):
    """The float32 training loop as it was before mixed precision (CPU): the CPU path must not change."""
    from banlib.config import rng
    from banlib.models.ban import build_model

    torch.manual_seed(int(rng(cfg.seed, "train", "init", cfg.key()).integers(2 ** 31)))
    model = build_model(cfg.model, widths=cfg.widths, passes=cfg.passes)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    specs, labels = data["train"].specs, data["train"].labels
    for epoch in range(cfg.epochs):
        g = rng(cfg.seed, "train", "epoch", epoch)
        order = g.permutation(len(specs))
        model.train()
        for i in range(0, len(specs), cfg.batch_size):
            idx = order[i:i + cfg.batch_size]
            x = torch.from_numpy(augment_batch(specs, idx, cfg.crop_frames, g))
            loss = torch.nn.functional.cross_entropy(model(x), torch.from_numpy(labels[idx]).long())
            loss = loss + cfg.l2 * l2_penalty(model)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return model


def test_cpu_training_is_the_plain_float32_loop_bit_for_bit(tmp_path, monkeypatch):
    import banlib.models.train as tr

    # the production pin (conftest lowers it to 1 while the books are built beside this session)
    monkeypatch.setattr(tr, "TRAIN_THREADS", TRAIN_THREADS)
    data = {"train": _toy()}
    cfg = TrainConfig(epochs=2, **CFG)
    ours, _ = train(cfg, data, tmp_path, progress=False)
    with torch_threads(TRAIN_THREADS):
        ref = _reference_train(cfg, data)
    a, b = _state(ours), _state(ref)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_weights_do_not_depend_on_the_threads_the_process_has(tmp_path, monkeypatch):
    import banlib.models.train as tr

    monkeypatch.setattr(tr, "TRAIN_THREADS", TRAIN_THREADS)       # the production pin, as above
    data = {"train": _toy()}
    cfg = TrainConfig(epochs=2, **CFG)
    states, loose = [], []
    for n in (1, 3):
        with torch_threads(n):
            states.append(_state(train(cfg, data, tmp_path / f"t{n}", progress=False)[0]))
            assert torch.get_num_threads() == n                                   # restored after training
            loose.append(_state(_reference_train(cfg, data)))
    assert all(torch.equal(states[0][k], states[1][k]) for k in states[0])
    assert not all(torch.equal(loose[0][k], loose[1][k]) for k in loose[0])   # without the pin they differ


def test_a_finished_run_of_another_length_is_retrained_not_reused(tmp_path):
    data = {"train": _toy()}
    short, _ = train(TrainConfig(epochs=1, **CFG), data, tmp_path, progress=False)
    assert load_trained(TrainConfig(epochs=2, **CFG), tmp_path) is None
    longer, hist = train(TrainConfig(epochs=2, **CFG), data, tmp_path, progress=False)
    ref, _ = train(TrainConfig(epochs=2, **CFG), data, tmp_path / "fresh", progress=False)
    assert len(hist) == 2 and all(torch.equal(a, b) for a, b in zip(_state(longer).values(), _state(ref).values()))


def test_learns_the_toy_task(tmp_path):
    data = {"train": _toy(), "val": _toy(4, seed=2)}
    model, hist = train(TrainConfig(epochs=12, **CFG), data, tmp_path, progress=False)
    acc = (predict(model, data["val"], 32).argmax(1) == data["val"].labels).mean()
    assert acc > 0.6, hist


def test_corrupt_checkpoint_gives_a_clear_error(tmp_path):
    (tmp_path / "checkpoint.pt").write_bytes(b"\x80\x04 not a checkpoint")
    with pytest.raises(CheckpointError, match=r"(?s)checkpoint\.pt: cannot be loaded.*Delete it"):
        train(TrainConfig(epochs=1, **CFG), {"train": _toy()}, tmp_path, progress=False)


def test_checkpoint_of_another_config_is_refused(tmp_path):
    data = {"train": _toy()}
    train(TrainConfig(epochs=1, **CFG), data, tmp_path, progress=False)
    other = dict(CFG, lr=1e-2)
    with pytest.raises(CheckpointError, match="another configuration"):
        train(TrainConfig(epochs=2, **other), data, tmp_path, progress=False)


def test_augmentation_is_deterministic_and_keeps_shape():
    specs = _toy().specs
    a = augment_batch(specs, [0, 5], 32, np.random.default_rng(3))
    b = augment_batch(specs, [0, 5], 32, np.random.default_rng(3))
    assert a.shape == (2, 1, 64, 32) and np.array_equal(a, b)


def test_fmri_test_names_stay_aligned_when_a_stimulus_is_skipped(quick_twin, monkeypatch):
    import banlib.models.train as tr
    from banlib.config import GENRES

    real = tr.stimulus_clips

    def drop_third(source, clips):
        out = real(source, clips)
        out.pop(int(np.nonzero((clips.split == "Test").to_numpy())[0][3]))   # the 4th test clip
        return out

    monkeypatch.setattr(tr, "stimulus_clips", drop_third)
    d = tr.prepare_data(quick_twin)["fmri_test"]
    assert len(d.specs) == len(d.names) == len(d.labels) == 59
    assert [n.split(".")[0] for n in d.names] == [GENRES[k] for k in d.labels]
    test = tr.clip_table(quick_twin).query("split == 'Test'").reset_index(drop=True)
    assert f"{test.genre[3]}.{test.track[3]:05d}" not in d.names
    assert d.names[3] == f"{test.genre[4]}.{test.track[4]:05d}"


def test_a_checkpoint_of_other_training_data_is_not_reused(tmp_path):
    data = {"train": _toy(), "val": _toy(2, seed=1)}
    data["train"].fingerprint = "aaaa"
    cfg = TrainConfig(epochs=1, **CFG)
    first, _ = train(cfg, data, tmp_path, progress=False)
    assert load_trained(cfg, tmp_path, "aaaa") is not None and load_trained(cfg, tmp_path, "bbbb") is None
    other = {"train": _toy(seed=5), "val": _toy(2, seed=6)}
    other["train"].fingerprint = "bbbb"
    second, _ = train(cfg, other, tmp_path, progress=False)            # retrained, not loaded
    assert not all(torch.equal(a, b) for a, b in zip(first.state_dict().values(), second.state_dict().values()))
    assert torch.load(tmp_path / "checkpoint.pt", weights_only=True)["data_fingerprint"] == "bbbb"


def _fake_gtzan(root, names):
    for name in names:
        genre = name.split(".")[0]
        (root / "genres" / genre).mkdir(parents=True, exist_ok=True)
        (root / "genres" / genre / f"{name}.wav").write_bytes(name.encode())
    return root


def test_training_leaves_out_the_test_tracks_and_their_repetitions(tmp_path):
    import pandas as pd
    from types import SimpleNamespace
    from banlib.models.train import training_fingerprint, training_tracks

    names = ["jazz.00033", "jazz.00051", "jazz.00001", "rock.00002"]       # jazz 33 and 51: one recording
    src = SimpleNamespace(gtzan_root=_fake_gtzan(tmp_path / "a", names))
    clips = pd.DataFrame({"genre": ["jazz"], "track": [33], "split": ["Test"]})
    items, excluded = training_tracks(src, clips)
    assert sorted(p.stem for p, _, _ in items) == ["jazz.00001", "rock.00002"]
    assert excluded["jazz.00033"] == "fMRI test stimulus" and "jazz.00033" in excluded["jazz.00051"]
    moved = SimpleNamespace(gtzan_root=_fake_gtzan(tmp_path / "b" / "elsewhere", names))
    assert training_fingerprint(src, clips) == training_fingerprint(moved, clips)
    (tmp_path / "b" / "elsewhere" / "genres" / "rock" / "rock.00002.wav").write_bytes(b"other content")
    assert training_fingerprint(src, clips) != training_fingerprint(moved, clips)


def test_stretch_is_np_interp_row_by_row_to_the_bit():
    """The vectorised time-stretch gives np.interp's numbers exactly (trained weights stay the same bits),
    shorter and longer than the crop, on and between samples."""
    from banlib.models.train import stretch

    g = np.random.default_rng(0)
    for length in (1, 2, 3, 64, 115, 127, 128, 129, 141, 300):
        for frames in (1, 2, 32, 128):
            seg = g.normal(size=(64, length)).astype(np.float32)
            pos = np.linspace(0, length - 1, frames)
            reference = np.stack([np.interp(pos, np.arange(length), row) for row in seg])
            got = stretch(seg, frames)
            assert got.dtype == np.float64 and got.shape == (64, frames)
            assert np.array_equal(got, reference), (length, frames)
