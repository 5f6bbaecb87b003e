import hashlib
import json

import numpy as np
import pytest

from banlib.config import GENRES
from banlib.data.dataset import load_responses, voxel_table
from banlib.twin import brain, build, music


def test_design_is_the_real_design():
    d = build.make_design(0)
    assert len(d["Training"]) == 12 and len(d["Test"]) == 6
    assert all(len(ev) == 41 for runs in d.values() for ev in runs)
    train = {(g, t) for ev in d["Training"] for g, t in zip(ev.genre[1:], ev.track[1:])}
    test = {(g, t) for ev in d["Test"] for g, t in zip(ev.genre[1:], ev.track[1:])}
    assert len(train) == 480 and len(test) == 60 and not train & test
    assert all(ev.genre[1:].value_counts().eq(4).all() for ev in d["Training"])
    assert build.make_design(0)["Training"][3].equals(d["Training"][3])
    assert not build.make_design(1)["Training"][3].equals(d["Training"][3])


def test_render_is_deterministic_and_musical():
    a = music.render("reggae", 7, seed=0, seconds=3.0)
    b = music.render("reggae", 7, seed=0, seconds=3.0)
    c = music.render("reggae", 7, seed=1, seconds=3.0)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.shape == (3 * 22_050,) and 0.01 < np.sqrt(np.mean(a ** 2)) < 0.9


def test_planted_truth_is_saved(quick_twin):
    info = json.loads((quick_twin.truth_root / "twin.json").read_text())
    assert set(info["subjects"]) == set(quick_twin.subjects())
    for sub in quick_twin.subjects():
        vox = voxel_table(quick_twin, sub)
        assert set(vox.truth) == {"genre", "acoustic", "none"}
        assert {"x", "y", "z", "roi", "snr"} <= set(vox.columns)
        assert len(vox) == load_responses(quick_twin, sub, "Training").shape[1]
    P = np.loadtxt(quick_twin.truth_root / "behaviour_confusion.tsv", skiprows=1, usecols=range(1, 11))
    np.testing.assert_allclose(P.sum(1), 1, atol=1e-5)
    beh = quick_twin.bids_root / "sub-001" / "beh" / "sub-001_task-GenreChoice_beh.tsv"
    lines = beh.read_text().splitlines()
    assert lines[0].split("\t") == ["trial", "run", "genre", "track", "choice"] and len(lines) == 61
    assert (quick_twin.gtzan_root / "genres" / "jazz" / "jazz.00054.wav").exists()


def test_responses_are_preprocessed_like_the_derivatives(quick_twin):
    Y = np.asarray(load_responses(quick_twin, "sub-003", "Training"))
    runs = Y.reshape(12, 400, -1)
    np.testing.assert_allclose(runs.mean(1), 0, atol=1e-4)
    np.testing.assert_allclose(runs.std(1), 1, atol=1e-3)
    mean = np.asarray(load_responses(quick_twin, "sub-003", "Test_Mean"))
    test = np.asarray(load_responses(quick_twin, "sub-003", "Test")).reshape(6, 4, 100, -1)
    np.testing.assert_allclose(mean, test.mean(1).reshape(600, -1), atol=1e-5)


def test_acoustic_voxels_carry_no_genre_mean():
    feats = np.random.default_rng(0).normal(size=(40, 10, 3)) + np.repeat(np.arange(4), 10)[:, None, None]
    genres = np.repeat(np.array(GENRES[:4]), 10)
    out = brain.orthogonalise_genre(feats, genres)
    for g in GENRES[:4]:
        np.testing.assert_allclose(out[genres == g].mean(axis=(0, 1)), 0, atol=1e-5)


def _digest(root):
    files = sorted(p for p in root.rglob("*") if p.is_file() and ".git" not in p.parts and ".datalad" not in p.parts)
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


@pytest.mark.e2e
def test_same_seed_gives_byte_identical_twins(quick_twin, tmp_path):
    again = build.make_twin(tmp_path / "again", "quick", 0, datalad=False)
    ours, theirs = _digest(quick_twin.bids_root), _digest(again)
    ours = {k: v for k, v in ours.items() if k not in (".gitattributes",)}
    assert ours.keys() == theirs.keys()
    assert [k for k in ours if ours[k] != theirs[k]] == []
