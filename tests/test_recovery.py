import numpy as np
import pandas as pd
import pytest

from banlib.analyses import recovery as rec
from banlib.config import GENRES
from banlib.data.dataset import DataError


def _voxels(truth, snr):
    return pd.DataFrame({"truth": truth, "genre_snr": snr})


def test_roi_recovery_counts_planted_voxels():
    vox = _voxels(["genre"] * 4 + ["acoustic"] * 2 + ["none"] * 4, [0.1, 0.2, 0.3, 0.4, 0, 0, 0, 0, 0, 0])
    mask = np.zeros(10, bool)
    mask[[2, 3, 4]] = True
    out = rec.roi_recovery(mask, vox)
    assert out["precision"] == pytest.approx(2 / 3) and out["recall"] == pytest.approx(0.5)
    assert out["recall_strong"] == 1.0 and out["acoustic_selected"] == 1 and out["verdict"] == rec.NOT_RECOVERED
    mask[4] = False
    assert rec.roi_recovery(mask, vox)["verdict"] == rec.RECOVERED
    assert rec.roi_recovery(np.zeros(10, bool), vox)["verdict"] == rec.NOT_RECOVERED


def test_confusion_recovery_can_fail():
    g = np.random.default_rng(0)
    planted = np.eye(10) * 0.6 + g.random((10, 10)) * 0.1
    out = rec.confusion_recovery(planted + g.normal(0, 0.005, (10, 10)), planted)
    assert out["rho_offdiagonal"] > 0.9 and out["verdict"] == rec.RECOVERED and out["top5_shared"] >= 3
    shuffled = rec.confusion_recovery(g.permutation(planted.ravel()).reshape(10, 10), planted)
    assert shuffled["verdict"] == rec.NOT_RECOVERED or shuffled["rho_offdiagonal"] < 0.4
    undefined = rec.confusion_recovery(np.eye(10), planted)
    assert np.isnan(undefined["rho_offdiagonal"]) and undefined["verdict"] == rec.NOT_RECOVERED


def test_planted_decoding_names_the_nearest_genre():
    space = np.eye(10)[:, :3] * 2.0
    space[3:] = np.array([[5.0 + k, 0, 0] for k in range(7)])
    drive = np.vstack([space[0] * 0.9, space[1] * 0.4 + space[0] * 0.6, space[2]])
    planted = rec.Planted(pd.DataFrame(), pd.DataFrame(), np.eye(10), space, drive, {})
    assert rec.planted_decoding(planted, [0, 1, 2]).tolist() == [0, 0, 2]


def test_network_recovery_follows_sounds_like():
    tracks = pd.DataFrame({"genre": ["rock", "rock", "reggae", "pop"], "track": [1, 2, 3, 4],
                           "like": ["country", "rock", "rock", "disco"], "blend": [0.7, 0.0, 0.6, 0.8]})
    planted = rec.Planted(tracks, pd.DataFrame(), np.eye(10), np.eye(10), np.eye(10), {})
    names = ["rock.00001", "rock.00002", "reggae.00003", "pop.00004"]
    true = [GENRES.index(g) for g in tracks.genre]
    pred = [GENRES.index(g) for g in ("country", "rock", "rock", "pop")]
    out = rec.network_recovery(names, true, pred, planted)
    assert out["errors"] == 2 and out["errors_to_planted_like"] == 2 and out["verdict"] == rec.RECOVERED
    assert out["accuracy_own_genre_tracks"] == 1.0 and out["accuracy_borrowing_tracks"] == pytest.approx(1 / 3)
    pred[0] = GENRES.index("metal")
    assert rec.network_recovery(names, true, pred, planted)["verdict"] == rec.NOT_RECOVERED


def test_table2_recovery_ranks_cells():
    from banlib.data.atlas import TABLE2_ROIS

    g = np.random.default_rng(1)
    vox = pd.DataFrame({"roi": np.repeat(list(TABLE2_ROIS), 5),
                        "oracle_r_genre": np.repeat(np.linspace(0.1, 0.4, 8), 5) + g.normal(0, 0.01, 40),
                        "oracle_r_acoustic": np.repeat(np.linspace(0.3, 0.05, 8), 5)})
    planted = {s: rec.planted_table2(vox) for s in ("a", "b")}
    assert planted["a"].loc["L.HG", "n"] == 5 and planted["a"].loc["L.HG", "genre"] == planted["a"].loc["L.HG", "BAN"]
    measured = {s: p[["genre", "MFCC", "BAN"]] * 0.5 + g.normal(0, 0.005, (8, 3)) for s, p in planted.items()}
    out = rec.table2_recovery(measured, planted)
    assert all(out[m]["verdict"] == rec.RECOVERED and out[m]["cells"] == 16 for m in ("genre", "MFCC", "BAN"))
    flipped = {s: -t for s, t in measured.items()}
    assert rec.table2_recovery(flipped, planted)["genre"]["verdict"] == rec.NOT_RECOVERED


def test_cue_recovery_needs_weight_on_the_cue_bands():
    rows = slice(20, 28)
    on_cue = np.zeros((64, 50))
    on_cue[rows] = 1.0
    on_cue[40:] = 0.2
    spread = np.ones((64, 50))
    out = rec.cue_recovery([on_cue, on_cue], [spread], rows)
    assert out["share_with_cue"] > out["share_without_cue"] == pytest.approx(8 / 64)
    assert out["enrichment"] > 3 and out["verdict"] == rec.RECOVERED
    assert rec.cue_recovery([spread], [spread], rows)["verdict"] == rec.NOT_RECOVERED
    assert np.isnan(rec.cue_share(np.zeros((64, 5)), rows))


def test_planted_truth_of_the_twin(quick_twin):
    planted = rec.load_planted(quick_twin)
    assert planted.confusion.shape == (10, 10) and planted.clip_drive.shape[0] == 540
    rows = rec.cue_bands(planted)
    assert 0 < rows.start < rows.stop <= 64
    test = np.nonzero((planted.clips.split == "Test").to_numpy())[0]
    expected = rec.planted_decoding(planted, test)
    true = np.array([GENRES.index(g) for g in planted.clips.genre.iloc[test]])
    assert 0.6 < (expected == true).mean() < 0.95          # planted confusions, not a perfect diagonal


def test_no_planted_truth_in_real_data(real_metadata):
    with pytest.raises(DataError, match="no planted truth"):
        rec.load_planted(real_metadata)
