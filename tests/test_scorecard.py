import json

from banlib.paper import scorecard
from banlib.paper.scorecard import build, load_results, tally


def _bas_rows(means, spread, seeds=3, subjects=5):
    rows = []
    for net, m in means.items():
        for k in range(seeds * subjects):
            off = spread * (k % 3 - 1)                           # sd about `spread`
            rows.append({"network": net, "subject": f"sub-{k % subjects}", "bas": m + off, "behavioural": m + off})
    return rows


def _results(**over):
    values = {
        "01_data": {"n_clips": 540, "n_training_clips": 480, "n_test_clips": 60, "n_subjects": 5, "n_genres": 10},
        "02_roi_selection": {f"roi_size_sub-00{i}": n for i, n in zip(range(1, 6), (468, 581, 1593, 473, 529))},
        "03_train_ban": {"recurrence_grid": {"1/1/1": 0.5, "2/2/4": 0.7, "2/2/6": 0.6},
                         "recurrence_grid_sd": {"1/1/1": 0.02, "2/2/4": 0.02, "2/2/6": 0.02},
                         "recurrence_grid_at_ceiling": False},
        "04_confusion_bas": {"brain_accuracy_per_genre_mean": {"classical": 1.0, "rock": 0.4},
                             "brain_confusion_reggae_as_rock": 0.3, "brain_confusion_rock_as_country": 0.3,
                             "brain_consistency_max_p": 0.001, "brain_decoding_at_ceiling": False,
                             "bas_table": _bas_rows({"BAN": 0.5, "feedforward": 0.4}, spread=0.01),
                             "best_area": {"BAN": "T2T3"}},
    }
    for k, v in over.items():
        values[k] = v
    return values


def test_nothing_run_means_nothing_testable():
    card = build({})
    assert len(card) > 10 and set(card.verdict) == {"not testable"}
    assert (card.note != "").all()


def test_verdicts_follow_the_values():
    card = build(_results()).set_index("claim")
    assert card.loc["clips in the experiment", "verdict"] == "replicated"
    assert card.loc["ROI size, sub-003", "verdict"] == "replicated"
    assert card.loc["BAN has the highest BAS of the compared networks", "verdict"] == "replicated"
    assert card.loc["passes 2/2/4 score best in the recurrence grid", "ours"] == "2/2/4"
    worse = _results(**{"02_roi_selection": {"roi_size_sub-003": 300},
                        "03_train_ban": {"recurrence_grid": {"1/1/1": 0.9, "2/2/4": 0.7, "2/2/6": 0.6}}})
    card = build(worse).set_index("claim")
    assert card.loc["ROI size, sub-003", "verdict"] == "not replicated"
    assert card.loc["ROI size, sub-001", "verdict"] == "not testable"
    assert card.loc["passes 2/2/4 score best in the recurrence grid", "verdict"] == "not replicated"
    assert sum(tally(card.reset_index()).values()) == len(card)


def test_table2_not_testable_on_real_derivatives_says_why():
    card = build(_results(**{"05_table2": {"table2_testable": False}}))
    cells = card[card.id.str.startswith("V-F.table2.")]
    assert len(cells) == 24 and set(cells.verdict) == {"not testable"}
    assert cells.note.str.contains("no voxel coordinates").all()


def test_table2_cells_are_judged_from_the_summary():
    summary = [{"roi": "L.HG", "genre mean": 0.15, "genre sd": 0.02, "MFCC mean": 0.5, "MFCC sd": 0.01}]
    card = build(_results(**{"05_table2": {"table2_summary": summary, "table2_n_subjects": 5}})).set_index("id")
    assert card.loc["V-F.table2.L.HG.genre", "verdict"] == "replicated"
    assert card.loc["V-F.table2.L.HG.MFCC", "verdict"] == "not replicated"
    assert card.loc["V-F.table2.L.HG.BAN", "verdict"] == "not testable"
    assert card.loc["V-F.table2.L.HG.genre", "ours"] == "0.150 ± 0.020"


def test_load_results_reads_every_chapter(tmp_path):
    for nb in ("01_data", "02_roi_selection"):
        (tmp_path / f"{nb}.json").write_text(json.dumps({"notebook": nb, "data": "twin", "git_commit": "abc",
                                                          "values": {"x": 1}, "complete": True}))
    out = load_results(tmp_path)
    assert set(out) == {"01_data", "02_roi_selection"} and out["01_data"]["x"] == 1


def test_a_tie_in_the_grid_goes_to_fewer_layers_and_a_small_grid_is_not_testable():
    card = build(_results()).set_index("id")
    assert card.loc["V-D.recurrence", "verdict"] == "replicated"
    tie = {"recurrence_grid": {"1/1/1": 0.69, "2/2/4": 0.70, "2/2/6": 0.6},
           "recurrence_grid_sd": {"1/1/1": 0.03, "2/2/4": 0.03, "2/2/6": 0.03}}
    card = build(_results(**{"03_train_ban": tie})).set_index("id")
    assert card.loc["V-D.recurrence", "verdict"] == "not replicated"          # 1/1/1 ties with fewer layers
    assert card.loc["V-D.recurrence", "ours"] == "1/1/1"
    small = {"recurrence_grid": {"1/1/1": 0.5, "2/2/4": 0.7}}
    card = build(_results(**{"03_train_ban": small})).set_index("id")
    assert card.loc["V-D.recurrence", "verdict"] == "not testable"              # nothing with more layers


def test_a_bas_lead_inside_the_spread_is_not_replicated():
    inside = {"bas_table": _bas_rows({"BAN": 0.50, "feedforward": 0.49}, spread=0.05)}
    card = build(_results(**{"04_confusion_bas": inside})).set_index("id")
    assert card.loc["IV.bas_highest", "verdict"] == "not replicated"
    assert "within the spread" in card.loc["IV.bas_highest", "note"]
    clear = {"bas_table": _bas_rows({"BAN": 0.60, "feedforward": 0.40, "BAN (untrained)": 0.9}, spread=0.05)}
    card = build(_results(**{"04_confusion_bas": clear})).set_index("id")
    assert card.loc["IV.bas_highest", "verdict"] == "replicated"               # controls are not rivals
    none = {"bas_table": [{"network": "BAN", "subject": "s", "bas": None}]}
    assert build(_results(**{"04_confusion_bas": none})).set_index("id").loc["IV.bas_highest", "verdict"] == "not testable"


def test_recovery_section_lists_the_chapters_checks():
    results = {"02_roi_selection": {"recovery_roi": {"verdict": "recovered", "criterion": "c1", "summary": "s1"},
                                    "roi_size_sub-001": 40},
               "06_interpretability": {"recovery_cue": {"verdict": "not recovered", "criterion": "c2", "summary": "s2"}},
               "04_confusion_bas": {"recovery_decoding": {"verdict": "recovered", "criterion": "c3", "summary": "s3"},
                                    "behaviour_recovery_mae": 0.01}}
    table = scorecard.recovery_table(results)
    assert list(table.index) == ["roi", "decoding", "cue"] and table.loc["cue", "chapter"] == "06_interpretability"
    assert scorecard.recovery_values(table) == {"pipeline_recovery_verdicts": {"roi": "recovered", "decoding": "recovered",
                                                                      "cue": "not recovered"},
                                                "pipeline_recovery_recovered": 2, "pipeline_recovery_checks": 3}
    assert scorecard.recovery_table({"02_roi_selection": {"roi_size_sub-001": 40}}) is None
    assert scorecard.recovery_values(None) == {}


def test_load_results_refuses_what_the_strict_reader_refuses_and_skips_only_its_own_file(tmp_path):
    from types import SimpleNamespace

    import pytest

    from banlib.book.results import Results
    from banlib.files import IncompleteResults, StrictJSONError

    (tmp_path / "01_data.json").write_text(json.dumps({"notebook": "01_data", "values": {"x": 1}, "complete": True}))
    source = SimpleNamespace(label="data: twin", kind="twin", info={})
    own = Results(tmp_path / "07_scorecard.json", source, "07_scorecard")     # being written by this process
    assert json.loads(own.path.read_text())["complete"] is False
    assert set(load_results(tmp_path)) == {"01_data"}
    for text, error in (('{"notebook": "02_roi_selection", "values": {"x": NaN}, "complete": true}', StrictJSONError),
                        ('{"notebook": "02_roi_selection", "values": {"x": 1e999}, "complete": true}', StrictJSONError),
                        ('{"notebook": "02_roi_selection", "values": {"x": 1, "x": 2}, "complete": true}',
                         StrictJSONError),
                        ('{"notebook": "02_roi_selection", "values": {"x": 1}}', IncompleteResults)):
        (tmp_path / "02_roi_selection.json").write_text(text)
        with pytest.raises(error, match=r"02_roi_selection\.json"):
            load_results(tmp_path)
