import json

import numpy as np
import pandas as pd
import pytest

from banlib.data.atlas import TABLE2_ROIS

from banlib.analyses import calibration as cal
from banlib.config import GENRES, REAL_N_VOXELS, SUBJECTS
from banlib.paper.values import PAPER_ROI_SIZES


def test_targets_table_is_the_issues_contract():
    ids = [t.id for t in cal.TARGETS]
    assert len(ids) == len(set(ids))
    assert {f"roi_size_{s}" for s in SUBJECTS} <= set(ids)
    assert sum(i.startswith("table2_") for i in ids) == 24
    for key in ("decoding_classical", "decoding_rock", "confusion_reggae_as_rock", "confusion_rock_as_country",
                "decoding_mean", "decoding_best_subject", "consistency_max_p", "consistency_min_rho_offdiagonal",
                "ban_heldout_accuracy", "ban_per_genre_range"):
        assert key in ids
    frame = cal.targets_frame()
    assert list(frame.columns) == ["id", "target", "section", "paper", "tolerance"] and len(frame) == len(ids)


def test_table2_targets_name_the_papers_values():
    from banlib.paper.values import PAPER_TABLE2

    rows = {t.id: t for t in cal.TARGETS}
    for roi, models in PAPER_TABLE2.items():
        for m, (mean, _) in models.items():
            assert rows[f"table2_{roi}_{m}"].paper == f"{mean:.3f}"


def test_roi_size_is_the_papers_share_of_v():
    for s in SUBJECTS:
        assert cal.roi_expected_size(s, REAL_N_VOXELS[s]) == pytest.approx(PAPER_ROI_SIZES[s])
    assert cal.roi_expected_size("sub-003", 6470) == pytest.approx(159.3)


def test_off_diagonal_rank():
    m = np.array([[0.5, 0.3, 0.2], [0.1, 0.8, 0.1], [0.3, 0.0, 0.7]])
    assert cal.off_diagonal_rank(m, 0, 1) == 1
    assert cal.off_diagonal_rank(m, 2, 0) == 1              # ties share the best rank
    assert cal.off_diagonal_rank(m, 0, 2) == 3
    assert cal.off_diagonal_rank(m, 2, 1) == 6


def _confusions(n_subjects, seed, accuracy):
    """Random decoding results: each subject right with probability ``accuracy``, else a random genre."""
    from banlib.analyses.metrics import confusion_matrix

    g = np.random.default_rng(seed)
    true = np.repeat(np.arange(10), 6)
    out, acc = {}, {}
    for k in range(n_subjects):
        pred = np.where(g.random(60) < accuracy, true, g.integers(0, 10, 60))
        out[f"s{k}"], acc[f"s{k}"] = confusion_matrix(true, pred), float((pred == true).mean())
    return out, acc


def test_decoding_measures_flag_perfect_decoding():
    perfect = {f"s{k}": np.eye(10) for k in range(3)}
    m = cal.decoding_measures(perfect, {k: 1.0 for k in perfect})
    assert m["decoding_classical"] == 1 and m["decoding_best_subject"] == 1
    assert np.isnan(m["consistency_min_rho_offdiagonal"])       # no errors: off-diagonal rho undefined
    table = cal._table(m, {}, {})
    ok = table.set_index("id").ok
    assert not ok["decoding_best_subject"] and not ok["consistency_min_rho_offdiagonal"] and not ok["decoding_rock"]


def test_decoding_measures_on_noisy_decoders():
    conf, acc = _confusions(5, 0, 0.6)
    m = cal.decoding_measures(conf, acc)
    assert 0.5 < m["decoding_mean"] < 0.8 and np.isfinite(m["consistency_min_rho_offdiagonal"])
    mean = np.mean([conf[s] for s in sorted(conf)], axis=0)
    assert m["decoding_rock"] == pytest.approx(mean[GENRES.index("rock"), GENRES.index("rock")])


def test_table2_cells_need_enough_subjects():
    t = pd.DataFrame({"genre": [0.1, 0.2], "MFCC": [0.05, 0.05], "BAN": [0.1, 0.1], "n": [3, 0]},
                     index=["L.HG", "L.HS"])
    names = [f"s{k}" for k in range(cal.TABLE2_MIN_SUBJECTS)]
    full = {s: t.reindex(list(TABLE2_ROIS)).fillna({"n": 0}).astype({"n": int}) for s in names}
    full[names[0]].loc["L.HS", ["genre", "MFCC", "BAN", "n"]] = [0.2, 0.05, 0.1, 2]
    for s in names[1:]:
        full[s].loc["L.HS", ["genre", "MFCC", "BAN"]] = np.nan
    measures = cal.table2_measures(full)
    assert measures["table2_L.HG_genre"] == (pytest.approx(0.1), len(names))
    assert measures["table2_L.HS_genre"] == (pytest.approx(0.2), 1)
    values = {k: v for k, (v, _) in measures.items()}
    ok = cal._table(values, {}, {}, {k: n for k, (_, n) in measures.items()}).set_index("id").ok
    assert ok["table2_L.HG_genre"] and not ok["table2_L.HS_genre"]   # in range, but from one subject only
    assert not ok["table2_R.HG_genre"]                                # undefined


def test_json_form_is_strict():
    m = cal.decoding_measures({f"s{k}": np.eye(10) for k in range(2)}, {"s0": 1.0, "s1": 1.0})
    rows = cal.as_json(cal._table(m, {"consistency_min_rho_offdiagonal": "undefined: no errors"}, {}))
    text = json.dumps(rows, allow_nan=False)
    back = {r["id"]: r for r in json.loads(text)}
    assert back["consistency_min_rho_offdiagonal"]["measured"] is None
    assert back["consistency_min_rho_offdiagonal"]["note"] == "undefined: no errors"
    assert back["table2_L.HG_genre"]["measured"] is None and back["table2_L.HG_genre"]["note"]
    assert back["decoding_classical"]["measured"] == 1.0 and back["decoding_classical"]["ok"] is True


def test_recorded_rows_and_display():
    conf, acc = _confusions(5, 1, 0.6)
    table = cal._table(cal.decoding_measures(conf, acc), {}, {})
    rows = cal.record_rows(table)
    assert [list(r) for r in rows] == [list(cal.RECORD_COLUMNS)] * len(cal.TARGETS)
    back = json.loads(json.dumps(rows, allow_nan=False))
    assert [r["ok"] for r in back] == table.ok.tolist()
    shown = cal.display(table)
    assert len(shown) == len(cal.TARGETS) and set(shown.met) <= {"✓", "✗"}
    assert shown.loc[table.target[table.id == "table2_L.HG_genre"].item(), "twin"] == "undefined"
    assert (shown.met == "✓").sum() == table.ok.sum()


@pytest.fixture(scope="session")
def quick_calibration(built_book):
    """The calibration table chapter 01 recorded for the quick twin (seed 0): measured by the book's own
    pipeline (:func:`banlib.analyses.calibration.measure` on the chapters' ROIs and networks), read strictly."""
    def refuse(token):
        raise ValueError(f"{token} in results/01_data.json")

    values = json.loads((built_book / "results" / "01_data.json").read_text(), parse_constant=refuse)["values"]
    assert "calibration" in values, "chapter 01 recorded no calibration table"
    return values["calibration"]


@pytest.mark.e2e
def test_quick_twin_meets_every_calibration_target(quick_calibration):
    assert [r["id"] for r in quick_calibration] == [t.id for t in cal.TARGETS]
    missed = [(r["id"], r["measured"], r["tolerance"], r["note"]) for r in quick_calibration if not r["ok"]]
    assert not missed, "\n".join(map(str, missed))
    assert all(r["measured"] is not None for r in quick_calibration)


def test_ban_targets_are_averaged_over_training_seeds():
    runs = [{"ban_heldout_accuracy": a, "ban_per_genre_range": 0.0, "_ban_per_genre": {"blues": b, "rock": r}}
            for a, b, r in ((0.5, 1.0, 0.0), (0.7, 0.5, 0.5), (0.9, 0.0, 1.0))]
    values, notes = cal.over_seeds(runs)
    assert values["ban_heldout_accuracy"] == pytest.approx(0.7)
    assert values["ban_per_genre_range"] == pytest.approx(0.0)      # each genre averages to 0.5: no spread
    assert "3 training seeds (0.500, 0.700, 0.900)" in notes["ban_heldout_accuracy"]
    one = cal.over_seeds(runs[:1])[0]
    assert one["ban_heldout_accuracy"] == 0.5 and one["ban_per_genre_range"] == 1.0
