import numpy as np
import pandas as pd
import pytest

from banlib.config import GENRES
from banlib.data.dataset import DataError
from banlib.data.design import clip_table
from banlib.analyses.behaviour import choice_confusion, sampling_error
from banlib.analyses.decoding import GenreDecoder, clip_patterns, consistency
from banlib.data.behaviour import human_choices, read_choices


def test_clip_patterns_credit_each_tr_to_the_clip_playing_lag_trs_earlier():
    # one run of 4 clips x 10 TRs; the first 10 TRs (the lead clip) already dropped
    tr = np.arange(10, 40)
    design = pd.DataFrame({"run": 1, "tr": tr, "clip": np.repeat([7, 8, 9], 10),
                           "block": 1000 + tr // 10})
    Y = np.repeat(np.arange(10, 40, dtype=np.float32)[:, None], 2, axis=1)   # value = TR index
    pat, info = clip_patterns(Y, design, lag=2)
    assert info["clip"].tolist() == [7, 8, 9]
    assert info.n_trs.tolist() == [10, 10, 8]                 # the last clip runs out of TRs
    assert pat[:, 0].tolist() == [np.mean(range(12, 22)), np.mean(range(22, 32)), np.mean(range(32, 40))]


def test_decoder_separates_separable_patterns_and_picks_c_by_run():
    g = np.random.default_rng(0)
    y = np.tile(np.arange(3), 40)
    X = g.normal(size=(120, 20)) + 3 * np.eye(3, 20)[y]
    runs = np.repeat(np.arange(6), 20)
    dec = GenreDecoder(Cs=(1e-3, 1.0)).fit(X, y, runs)
    assert dec.cv_accuracy_.shape == (2,) and dec.C_ in (1e-3, 1.0)
    Xt = g.normal(size=(30, 20)) + 3 * np.eye(3, 20)[np.tile(np.arange(3), 10)]
    assert (dec.predict(Xt) == np.tile(np.arange(3), 10)).mean() > 0.9


def test_consistency_is_one_for_equal_and_undefined_without_errors():
    g = np.random.default_rng(1)
    a = g.random((10, 10))
    out = consistency({"s1": a, "s2": a, "s3": g.random((10, 10))})
    assert out.rho.iloc[0] == pytest.approx(1.0) and abs(out.rho.iloc[1]) < 0.5
    eye = consistency({"s1": np.eye(10), "s2": np.eye(10)}, off_diagonal=True)
    assert np.isnan(eye.rho.iloc[0])


def test_read_choices_normalises_and_names_bad_rows(tmp_path):
    good = tmp_path / "good.tsv"
    good.write_text("trial\tgenre\ttrack\tchoice\n1\t'pop'\t8\tdisco'\n2\tJazz\t3\tjazz\n")
    df = read_choices(good)
    assert df.genre.tolist() == ["pop", "jazz"] and df.choice.tolist() == ["disco", "jazz"]
    bad = tmp_path / "bad.tsv"
    bad.write_text("genre\ttrack\tchoice\npop\t8\tpolka\n")
    with pytest.raises(DataError, match=r"bad.tsv, line 2: choice 'polka'"):
        read_choices(bad)
    missing = tmp_path / "missing.tsv"
    missing.write_text("genre\ttrack\npop\t8\n")
    with pytest.raises(DataError, match=r"missing column\(s\) \['choice'\]"):
        read_choices(missing)


def test_real_metadata_has_no_behaviour(real_metadata):
    assert human_choices(real_metadata, "sub-001") is None


def test_twin_choices_recover_the_planted_confusion(quick_twin):
    tables = [human_choices(quick_twin, s) for s in quick_twin.subjects()]
    test = clip_table(quick_twin).query("split == 'Test'")
    for t in tables:        # every test clip once, in the clip set of the design
        assert len(t) == 60 and set(zip(t.genre, t.track)) == set(zip(test.genre, test.track))
    planted = pd.read_csv(quick_twin.truth_root / "behaviour_confusion.tsv", sep="\t", index_col=0).to_numpy()
    trials = np.full(len(GENRES), 6 * len(tables))
    expected = sampling_error(planted, trials)
    err = np.abs(choice_confusion(tables) - planted).mean()
    assert err < 1.5 * expected, (err, expected)
    # the check can fail: choices unrelated to the clips are far from the planted matrix
    g = np.random.default_rng(0)
    shuffled = [t.assign(choice=g.permutation(t.choice.to_numpy())) for t in tables]
    assert np.abs(choice_confusion(shuffled) - planted).mean() > 3 * expected


def test_trials_per_genre_and_network_patterns():
    import numpy as np

    from banlib.analyses.decoding import Decoded, network_patterns, trials_per_genre

    d = [Decoded(s, np.repeat(np.arange(10), 6), np.zeros(60, int), np.arange(60), np.eye(10), None) for s in "ab"]
    counts = trials_per_genre(dict(zip("ab", d)))
    assert counts["blues"] == 12 and sum(counts.values()) == 120
    acts = np.arange(4 * 10 * 2, dtype=float).reshape(4, 10, 2)
    out = network_patterns(acts, [1, 3])
    assert out.shape == (2, 2) and np.allclose(out[0], acts[1].mean(axis=0))


def test_the_brain_decoder_decodes_a_networks_activity(quick_twin, tmp_path):
    """decode_network on a stand-in pipeline whose 'network' activity is the clip's genre plus noise: the brain
    decoding's decoder, trained on the 480 training clips, names the test clips' genre."""
    import numpy as np

    from banlib.analyses.decoding import decode_network
    from banlib.analyses.decoding import network_sentence as decoding_network_sentence
    from banlib.data.design import subject_design

    design = subject_design(quick_twin, "sub-001")
    g = np.random.default_rng(0)
    acts = np.eye(10)[design.genre][:, None, :].repeat(10, axis=1) + 0.3 * g.normal(size=(len(design.clips), 10, 10))

    class Pipe:
        seed = 0

        def design(self, subject=None):
            return design

        def responses(self, name, replicate=0):
            return {"activations": {"T2T3": acts}}

    out = decode_network(Pipe())
    assert out["n_clips"] == 60 and out["chance"] == 0.1 and out["accuracy"] > 0.9
    assert "BAN's T2T3 activity" in decoding_network_sentence(out, 0.5) and "its own read-out: 0.50" in decoding_network_sentence(out, 0.5)
    assert np.asarray(out["confusion"]).shape == (10, 10)
