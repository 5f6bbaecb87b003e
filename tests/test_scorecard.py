import json

import numpy as np
import pytest

from banlib.paper import scorecard
from banlib.paper.claims import CLAIMS, Claim
from banlib.paper.scorecard import build, checks, load_results, tally
from banlib.paper.values import PAPER_TABLE2, TABLE2_MODELS, TABLE2_ROIS
from banlib.paper.verdicts import (AGREES_TWIN, DISAGREES_TWIN, INCONCLUSIVE, NOT_REPLICATED, NOT_TESTABLE, PLANTED,
                                   READING_DEPENDENT, REPLICATED)

SUBJECTS = [f"sub-00{i}" for i in range(1, 6)]
SEEDS = (0, 1000, 2000)


def _bas_rows(means, spread, column="bas", seeds=SEEDS, extra=None):
    """One row per network, seed and subject; the value ``means[network]`` plus a per-(seed, subject) offset that
    all networks share (so paired differences are tight) and a small per-network jitter."""
    g = np.random.default_rng(0)
    rows = []
    for net, m in means.items():
        for i, seed in enumerate(seeds):
            for j, sub in enumerate(SUBJECTS):
                v = m + 0.05 * (i - 1) + 0.03 * (j - 2) + spread * g.normal()
                rows.append({"network": net, "seed": seed, "subject": sub, "cortical": v, "behavioural": v,
                             "bas": v, "bas_without_structure": v, "bas_matched": v, "bas_pooled": v, **(extra or {})})
    return rows


def _results(**over):
    values = {
        "01_data": {"n_clips": 540, "n_training_clips": 480, "n_test_clips": 60, "n_subjects": 5, "n_genres": 10},
        "02_roi_selection": {f"roi_size_paper_sub-00{i}": n for i, n in zip(range(1, 6), (468, 581, 1593, 473, 529))},
        "03_train_ban": {"recurrence_grid": {"1/1/1": 0.5, "2/2/4": 0.7, "2/2/6": 0.6},
                         "recurrence_grid_per_seed": {"1/1/1": {"0": 0.50, "1000": 0.52, "2000": 0.49},
                                                      "2/2/4": {"0": 0.70, "1000": 0.71, "2000": 0.69},
                                                      "2/2/6": {"0": 0.60, "1000": 0.63, "2000": 0.58}},
                         "recurrence_grid_at_ceiling": False},
        "04_confusion_bas": {"brain_accuracy_per_genre_mean": {"classical": 1.0, "rock": 0.4},
                             "brain_trials_per_genre": {"classical": 30, "rock": 30, "reggae": 30},
                             "brain_confusion_reggae_as_rock": 0.3, "brain_confusion_rock_as_country": 0.3,
                             "brain_consistency_pairs": [{"a": "s1", "b": "s2", "rho": 0.5, "p": 0.001}],
                             "brain_decoding_at_ceiling": False, "behaviour_subjects": 5,
                             "bas_table": _bas_rows({"BAN": 0.5, "feedforward": 0.4}, spread=0.005),
                             "best_area": {"BAN": "T2T3"}},
    }
    for k, v in over.items():
        values[k] = v
    return values


def _twin(results, planted):
    """Hand-made results marked as the twin's, with ``planted`` as the planted set in their source_info."""
    return {nb: v | {"_source": "twin", "_planted": planted} for nb, v in results.items()}


def test_nothing_run_means_nothing_testable():
    card = build({})
    assert len(card) > 10 and set(card.verdict) == {NOT_TESTABLE}
    assert (card.note != "").all()


def test_a_value_inside_the_tolerance_without_equivalence_is_inconclusive():
    # rock decoded at .30 against the paper's .40, 30 clips each: inside the old two-SE tolerance (replicated
    # before), but neither equivalent within ±.15 nor significantly different
    card = build(_results(**{"04_confusion_bas": _results()["04_confusion_bas"] | {
        "brain_accuracy_per_genre_mean": {"classical": 1.0, "rock": 0.30}}})).set_index("id")
    assert card.loc["V-E.decoding.rock", "verdict"] == INCONCLUSIVE
    assert card.loc["V-E.decoding.classical", "verdict"] == REPLICATED          # 100 % against 100 %: equivalent
    assert card.loc["V-E.confusion.reggae_as_rock", "verdict"] == INCONCLUSIVE
    # a Table II cell .01 from the paper's: no detected difference, not equivalence
    summary = [{"roi": "L.HS", "genre mean": 0.229, "genre sd": 0.06}]
    card = build(_results(**{"05_table2": {"table2_summary": summary, "table2_n_subjects": 5}})).set_index("id")
    assert card.loc["V-F.table2.L.HS.genre", "verdict"] == INCONCLUSIVE
    assert "neither equivalent" in card.loc["V-F.table2.L.HS.genre", "note"]


def test_table2_cells_are_judged_by_equivalence():
    summary = [{"roi": "L.LSTG", "genre mean": 0.082, "genre sd": 0.005, "MFCC mean": 0.5, "MFCC sd": 0.01}]
    card = build(_results(**{"05_table2": {"table2_summary": summary, "table2_n_subjects": 5}})).set_index("id")
    assert card.loc["V-F.table2.L.LSTG.genre", "verdict"] == REPLICATED
    assert card.loc["V-F.table2.L.LSTG.MFCC", "verdict"] == NOT_REPLICATED
    assert card.loc["V-F.table2.L.LSTG.BAN", "verdict"] == NOT_TESTABLE
    assert card.loc["V-F.table2.L.LSTG.genre", "ours"] == "0.082 ± 0.005"
    one = build(_results(**{"05_table2": {"table2_summary": summary, "table2_n_subjects": 1}})).set_index("id")
    assert one.loc["V-F.table2.L.LSTG.genre", "verdict"] == INCONCLUSIVE          # n 1: no interval


def test_table2_not_testable_on_real_derivatives_says_why():
    card = build(_results(**{"05_table2": {"table2_testable": False}}))
    cells = card[card.id.str.startswith("V-F.")]
    assert set(cells.verdict) == {NOT_TESTABLE}
    assert cells.note.str.contains("no voxel coordinates").all()


def test_three_of_the_four_lstg_genres_is_not_replicated():
    tops = {"LSTG": ["pop", "disco", "country", "rock"], "HS": ["jazz", "blues", "pop", "rock"]}
    card = build(_results(**{"05_table2": {"genre_top4_per_label": tops}})).set_index("id")
    assert card.loc["V-F.lstg_genres", "verdict"] == NOT_REPLICATED and card.loc["V-F.lstg_genres", "ours"].startswith("3 of 4")
    assert card.loc["V-F.hs_blues", "verdict"] == NOT_REPLICATED                # blues second is not the top
    tops = {"LSTG": ["hiphop", "pop", "country", "disco"], "HS": ["blues", "jazz", "pop", "rock"]}
    card = build(_results(**{"05_table2": {"genre_top4_per_label": tops}})).set_index("id")
    assert card.loc["V-F.lstg_genres", "verdict"] == REPLICATED and card.loc["V-F.hs_blues", "verdict"] == REPLICATED


def test_each_distinct_label_against_each_other_label():
    def per_subject(hs):
        return {s: {"HS": hs + 0.01 * i, "LSTG": 0.5 + 0.01 * i, "HG": 0.2, "PT": 0.21 - 0.005 * i, "LS": 0.1 + 0.002 * i}
                for i, s in enumerate(SUBJECTS)}
    card = build(_results(**{"05_table2": {"genre_distinctness_per_subject": per_subject(0.5)}})).set_index("id")
    assert card.loc["V-F.distinct_hs_lstg", "verdict"] == REPLICATED
    assert "LS" in card.loc["V-F.distinct_hs_lstg", "note"] and "sub-003" in card.loc["V-F.distinct_hs_lstg", "note"]
    # HS above HG and PT but not above the lateral sulcus: the sentence's "each" fails
    low = {s: v | {"LS": 0.9 + 0.003 * i} for i, (s, v) in enumerate(per_subject(0.5).items())}
    card = build(_results(**{"05_table2": {"genre_distinctness_per_subject": low}})).set_index("id")
    assert card.loc["V-F.distinct_hs_lstg", "verdict"] == NOT_REPLICATED


def test_bas_highest_is_paired_over_seeds_and_subjects():
    card = build(_results()).set_index("id")
    assert card.loc["IV.bas_highest", "verdict"] == REPLICATED
    assert card.loc["IV.behaviour_highest", "verdict"] == REPLICATED and card.loc["VI.cortical_highest", "verdict"] == REPLICATED
    # a lead smaller than the pairs' noise: inconclusive, not replicated (and not "not replicated")
    close = {"bas_table": _bas_rows({"BAN": 0.50, "feedforward": 0.499}, spread=0.05)}
    card = build(_results(**{"04_confusion_bas": close})).set_index("id")
    assert card.loc["IV.bas_highest", "verdict"] == INCONCLUSIVE
    # a rival clearly ahead: not replicated; an untrained control far ahead is a control, not a rival
    ahead = {"bas_table": _bas_rows({"BAN": 0.40, "feedforward": 0.50}, spread=0.005)}
    assert build(_results(**{"04_confusion_bas": ahead})).set_index("id").loc["IV.bas_highest", "verdict"] == NOT_REPLICATED
    control = {"bas_table": _bas_rows({"BAN": 0.5, "feedforward": 0.4, "BAN (untrained)": 0.9}, spread=0.005)}
    card = build(_results(**{"04_confusion_bas": control})).set_index("id")
    assert card.loc["IV.bas_highest", "verdict"] == REPLICATED and "controls: BAN (untrained)" in card.loc["IV.bas_highest", "note"]


def test_a_reading_dependent_bas_is_reported_as_such():
    rows = _bas_rows({"BAN": 0.5, "feedforward": 0.4}, spread=0.005)
    for r in rows:                                   # without the structural factor the baseline leads
        if r["network"] == "feedforward":
            r["bas_without_structure"] = r["bas"] + 0.3
    card = build(_results(**{"04_confusion_bas": {"bas_table": rows}})).set_index("id")
    row = card.loc["IV.bas_highest"]
    assert row.verdict == READING_DEPENDENT
    assert row.readings == {"with the structural factor": REPLICATED, "without it": NOT_REPLICATED,
                            "cortical term over matched area-region pairs": REPLICATED,
                            "cortical term as one pooled r": REPLICATED}
    assert "without it: not replicated" in row.note
    # a reading the data cannot give is left out and said so
    for r in rows:
        r["bas_matched"] = None
        if r["network"] == "feedforward":
            r["bas_without_structure"] = r["bas"]
    row = build(_results(**{"04_confusion_bas": {"bas_table": rows}})).set_index("id").loc["IV.bas_highest"]
    assert row.verdict in (REPLICATED, INCONCLUSIVE) and "not computable on these data" in row.note


def test_without_listeners_the_bas_is_not_testable_and_the_cortical_claim_is():
    rows = _bas_rows({"BAN": 0.5, "feedforward": 0.4}, spread=0.005)
    for r in rows:
        r.update(behavioural=None, bas=None, bas_without_structure=None, bas_matched=None, bas_pooled=None)
    card = build(_results(**{"04_confusion_bas": {"bas_table": rows, "behaviour_subjects": 0}})).set_index("id")
    assert card.loc["IV.bas_highest", "verdict"] == NOT_TESTABLE and "listeners" in card.loc["IV.bas_highest", "note"]
    assert card.loc["VI.cortical_highest", "verdict"] == REPLICATED


def test_trained_beats_untrained_and_alignment():
    rows = _bas_rows({"BAN": 0.5, "feedforward": 0.4, "CORnet-S passes": 0.45}, spread=0.005)
    controls = _bas_rows({"BAN (untrained)": 0.2}, spread=0.005, seeds=(0,))
    acc = [{"network": n, "seed": s, "held-out accuracy": a} for n, a in
           (("BAN", 0.8), ("feedforward", 0.6), ("CORnet-S passes", 0.7)) for s in SEEDS]
    grid_cort = [{"structure": "1/1/1", "seed": s, "subject": sub, "cortical": 0.3} for s in SEEDS for sub in SUBJECTS]
    r = _results(**{"04_confusion_bas": {"bas_table": rows, "untrained_bas_table": controls, "grid_cortical": grid_cort},
                    "03_train_ban": {"accuracy_per_seed": acc,
                                     "recurrence_grid_per_seed": {"1/1/1": {"0": 0.5, "1000": 0.5, "2000": 0.5}}}})
    card = build(r).set_index("id")
    assert card.loc["IV.trained_beats_untrained", "verdict"] == REPLICATED
    assert card.loc["Abstract.accuracy_cortical_aligned", "verdict"] == REPLICATED        # 4 points in the same order
    assert card.loc["Abstract.accuracy_cortical_aligned", "ours"] == "rho +1.00 over 4"


def test_the_recurrence_grid_needs_significance():
    card = build(_results()).set_index("id")
    assert card.loc["V-D.recurrence", "verdict"] == REPLICATED
    tie = {"recurrence_grid": {"1/1/1": 0.69, "2/2/4": 0.70, "2/2/6": 0.6},
           "recurrence_grid_per_seed": {"1/1/1": {"0": 0.72, "1000": 0.66, "2000": 0.70},
                                        "2/2/4": {"0": 0.70, "1000": 0.71, "2000": 0.69},
                                        "2/2/6": {"0": 0.60, "1000": 0.61, "2000": 0.59}}}
    card = build(_results(**{"03_train_ban": tie})).set_index("id")
    assert card.loc["V-D.recurrence", "verdict"] == INCONCLUSIVE          # fewer layers, not significantly worse
    small = {"recurrence_grid": {"1/1/1": 0.5, "2/2/4": 0.7},
             "recurrence_grid_per_seed": {"1/1/1": {"0": 0.5, "1000": 0.5}, "2/2/4": {"0": 0.7, "1000": 0.71}}}
    card = build(_results(**{"03_train_ban": small})).set_index("id")
    assert card.loc["V-D.recurrence", "verdict"] == NOT_TESTABLE          # nothing with more layers
    # "according to our scores": by held-out accuracy 2/2/4 wins, by the cortical score 1/1/1 does
    cort = [{"structure": st, "seed": s, "subject": sub, "cortical": c + 0.01 * j + 0.003 * k}
            for st, c in (("1/1/1", 0.8), ("2/2/6", 0.2)) for j, s in enumerate(SEEDS) for k, sub in enumerate(SUBJECTS)]
    r = _results()
    r["04_confusion_bas"] = r["04_confusion_bas"] | {"grid_cortical": cort}
    row = build(r).set_index("id").loc["V-D.recurrence"]
    assert row.verdict == READING_DEPENDENT
    assert row.readings == {"held-out accuracy": REPLICATED, "T2/T3 cortical score": NOT_REPLICATED}


def test_decoding_from_ban_activity_against_chance():
    r = _results()
    r["04_confusion_bas"] |= {"ban_decoding": {"accuracy": 0.3, "n_clips": 60, "chance": 0.1}, "ban_fmri_accuracy": 0.35}
    assert build(r).set_index("id").loc["V-E.ban_decoding", "verdict"] == REPLICATED
    r["04_confusion_bas"] |= {"ban_decoding": {"accuracy": 0.12, "n_clips": 60, "chance": 0.1}}
    row = build(r).set_index("id").loc["V-E.ban_decoding"]
    assert row.verdict == READING_DEPENDENT and row.readings["BAN's own read-out"] == REPLICATED


def test_roi_sizes_per_subject_are_inconclusive_and_judged_over_subjects():
    card = build(_results()).set_index("id")
    assert card.loc["V-B2.roi_size.sub-003", "verdict"] == INCONCLUSIVE and "inside ±20 %" in card.loc["V-B2.roi_size.sub-003", "note"]
    exact = card.loc["V-B2.roi_sizes", "verdict"]
    assert exact == INCONCLUSIVE                           # identical ratios: no spread over subjects, no interval
    near = {f"roi_size_paper_sub-00{i}": int(n * f) for i, n, f in
            zip(range(1, 6), (468, 581, 1593, 473, 529), (1.02, 0.98, 1.01, 0.99, 1.0))}
    assert build(_results(**{"02_roi_selection": near})).set_index("id").loc["V-B2.roi_sizes", "verdict"] == REPLICATED
    far = {k: v * 3 + i for i, (k, v) in enumerate(near.items())}
    assert build(_results(**{"02_roi_selection": far})).set_index("id").loc["V-B2.roi_sizes", "verdict"] == NOT_REPLICATED


def test_a_twin_builds_planted_claims_never_read_replicated():
    planted = {"V-E.decoding.classical": "PLANTED_TEST_ROWS['classical']", "IV.bas_highest": "a test constant",
               "V-B2.roi_sizes": "SUBJECT_EXTENT"}
    near = {f"roi_size_paper_sub-00{i}": int(n * f) for i, n, f in
            zip(range(1, 6), (468, 581, 1593, 473, 529), (1.02, 0.98, 1.01, 0.99, 1.0))}
    real = build(_results(**{"02_roi_selection": near})).set_index("id")
    assert real.loc[list(planted), "verdict"].eq(REPLICATED).all()        # the rules say replicated on real data ...
    card = build(_twin(_results(**{"02_roi_selection": near}), planted)).set_index("id")
    assert (card.loc[list(planted), "verdict"] == PLANTED).all()          # ... on the twin they are calibration
    assert card.loc["V-E.decoding.classical", "note"].startswith("planted by the twin: PLANTED_TEST_ROWS")
    assert "calibration outcome: agrees (twin)" in card.loc["V-E.decoding.classical", "note"]
    assert not card.verdict.isin([REPLICATED, NOT_REPLICATED]).any()     # those words only on real data
    assert not card.note.str.contains(r"\breplicated").any()
    assert card.loc["IV.behaviour_highest", "verdict"] == AGREES_TWIN
    counts = tally(card.reset_index(), twin=True)
    assert PLANTED not in counts and sum(counts.values()) == len(card) - len(planted)
    assert scorecard.n_planted(card) == len(planted)
    assert scorecard.tally_shown(card.reset_index(), twin=True) == counts | {PLANTED: len(planted)}
    text = scorecard.tally_sentence(card.reset_index(), twin=True)
    assert f"**{len(planted)}**" in text and "not counted" in text


def test_twin_results_without_a_planted_set_are_not_judged():
    card = build(_twin(_results(), None))
    assert set(card.verdict) == {NOT_TESTABLE} and card.note.str.contains("planted set").all()


def test_the_real_planted_set_covers_what_the_issue_names():
    from banlib.twin.planted import planted_claims

    planted = planted_claims()
    for cid in ("V-B2.roi_size.sub-001", "V-E.confusion.reggae_as_rock", "V-E.fig8_blues_as_jazz", "V-F.lstg_genres",
                "V-F.hs_blues", "V-F.table2.L.HG.genre"):
        assert cid in planted, cid
    assert "IV.bas_highest" not in planted
    card = build(_twin(_results(), planted))
    assert not card[card.id.isin(list(planted))].verdict.ne(PLANTED).any()
    assert not card.verdict.isin([REPLICATED, NOT_REPLICATED]).any()
    assert set(card.verdict) <= {PLANTED, AGREES_TWIN, DISAGREES_TWIN, "inconclusive (twin)", "reading-dependent (twin)",
                                 NOT_TESTABLE}


def test_consistency_checks_are_a_table_of_their_own():
    table = checks(_results()).set_index("id")
    assert table.loc["V-A.n_clips", "result"] == "consistent" and table.loc["V-A.n_runs", "result"] == NOT_TESTABLE
    wrong = _results(**{"01_data": {"n_clips": 541}, "05_table2": {"genre_pca_n_components": 10,
                                                                      "genre_pca_explained": [0.5] * 9 + [0.0]}})
    table = checks(wrong).set_index("id")
    assert table.loc["V-A.n_clips", "result"] == "inconsistent"
    assert table.loc["V-F.pca_components", "result"] == "inconsistent" and "PC10" in table.loc["V-F.pca_components", "note"]
    assert not set(table.index) & {c.id for c in CLAIMS}                  # outside the tally
    values = scorecard.scorecard_values(build(wrong), checks(wrong), twin=False)
    assert values["consistency_checks_inconsistent"] == 2 and "scorecard_replicated" in values


def test_load_results_reads_every_chapter_and_the_planted_set(tmp_path):
    for nb in ("01_data", "02_roi_selection"):
        (tmp_path / f"{nb}.json").write_text(json.dumps({
            "notebook": nb, "data": "twin", "git_commit": "abc", "data_source": "twin",
            "source_info": {"planted_claims": {"V-A.x": "C"}}, "values": {"x": 1}, "null_reasons": {"y": "why"}, "complete": True}))
    out = load_results(tmp_path)
    assert set(out) == {"01_data", "02_roi_selection"} and out["01_data"]["x"] == 1
    assert scorecard.is_twin(out) and scorecard.planted_set(out) == {"V-A.x": "C"}
    assert out["01_data"]["_null_reasons"] == {"y": "why"}


def test_a_claim_whose_key_no_chapter_writes_fails_the_contract():
    from banlib.paper import contract

    orphan = Claim("X.orphan", "X", "a claim reading a key nobody writes", 1, "04_confusion_bas:nobody_writes_this")
    problems = contract.audit(_results(), [s for c in (*CLAIMS, orphan) for s in c.reads])
    assert any("nobody_writes_this" in p and "not declared" in p for p in problems)


@pytest.mark.e2e
def test_every_claim_key_is_written_or_absent_for_a_declared_reason_in_the_quick_book(built_book):
    audit_book(built_book)


def audit_book(book):
    """The contract audit and the scorecard of a built book (every chapter ran)."""
    from banlib.book import runner
    from banlib.paper import contract
    from banlib.paper.claims import CHECKS

    results = load_results(book / "results")
    assert set(results) == {nb.stem for nb in runner.notebooks()}
    problems = contract.audit(results, [s for c in CLAIMS + CHECKS for s in c.reads])
    assert problems == []
    card = build(results)
    stored = json.loads((book / "results" / "07_scorecard.json").read_text())["values"]["scorecard"]
    assert [r["verdict"] for r in stored] == list(card.verdict)
    return card


@pytest.mark.e2e
def test_the_quick_books_scorecard_counts_only_unplanted_claims(built_book):
    from banlib.twin.planted import planted_claims

    values = json.loads((built_book / "results" / "07_scorecard.json").read_text())["values"]
    card = {r["id"]: r for r in values["scorecard"]}
    planted = planted_claims()
    assert values["scorecard_planted"] == len(planted) and all(card[c]["verdict"] == PLANTED for c in planted)
    assert values["scorecard_tallied"] == len(card) - len(planted)
    assert not {r["verdict"] for r in card.values()} & {REPLICATED, NOT_REPLICATED}
    assert values["consistency_checks"] and "scorecard_agrees_twin" in values


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


def test_every_table2_label_and_model_has_a_cell():
    ids = {c.id for c in CLAIMS}
    assert all(f"V-F.table2.{roi}.{m}" in ids for roi in TABLE2_ROIS for m in TABLE2_MODELS)
    assert set(PAPER_TABLE2) == set(TABLE2_ROIS)
