from banlib.paper import contract
from banlib.paper.claims import CHECKS, CLAIMS, claims_markdown, lookup


def test_claim_ids_are_unique_and_complete():
    ids = [c.id for c in CLAIMS + CHECKS]
    assert len(ids) == len(set(ids))
    assert all(c.section and c.claim and c.about for c in CLAIMS + CHECKS)
    assert all(":" in source for c in CLAIMS + CHECKS for source in c.reads)
    assert sum(c.id.startswith("V-F.table2.") for c in CLAIMS) == 24


def test_every_key_a_claim_reads_is_declared_in_the_contract():
    undeclared = [s for c in CLAIMS + CHECKS for s in c.reads
                  if contract.declaration(*s.partition(":")[::2]) is None and
                  contract.declaration(s.partition(":")[0], s.partition(":")[2].split("/")[0]) is None]
    assert undeclared == []


def test_lookup_reaches_nested_values():
    results = {"04": {"best_area": {"BAN": "T2T3"}, "x": 1}}
    assert lookup(results, "04:best_area/BAN") == "T2T3" and lookup(results, "04:x") == 1
    assert lookup(results, "04:best_area/feedforward") is None and lookup(results, "09:x") is None
    assert lookup(results, "04:x/y") is None and lookup(results, None) is None


def test_markdown_lists_every_claim_and_check():
    md = claims_markdown()
    assert all(f"`{c.id}`" in md for c in CLAIMS + CHECKS) and "Consistency checks" in md


# Every claim of the paper, by section (kept here by hand: a claim dropped from the table fails this test)
EXPECTED = (
    ["T-I.demographics"]
    + [f"V-B2.roi_size.sub-00{i}" for i in range(1, 6)] + ["V-B2.roi_sizes"]
    + ["V-E.decoding.classical", "V-E.decoding.rock", "V-E.confusion.reggae_as_rock", "V-E.confusion.rock_as_country",
       "V-E.consistency", "V-E.ban_decoding", "IV.bas_highest", "IV.behaviour_highest", "VI.cortical_highest",
       "IV.trained_beats_untrained", "Abstract.accuracy_cortical_aligned", "IV-A.best_area", "V-D.recurrence",
       "V-C.ban_accuracy", "V-E.listeners.classical", "V-E.listeners.rock", "V-E.listeners.reggae_as_rock",
       "V-E.listeners.rock_as_country", "V-E.fig8_blues_as_jazz", "V-F.bilateral_stg", "V-F.distinct_hs_lstg"]
    + [f"V-F.order.{h}.{r}" for h in "LR" for r in ("HG", "HS", "PT", "LSTG")]
    + ["V-F.ban_over_mfcc"]
    + [f"V-F.table2.{h}.{r}.{m}" for h in "LR" for r in ("HG", "HS", "PT", "LSTG") for m in ("genre", "MFCC", "BAN")]
    + ["V-F.lstg_genres", "V-F.hs_blues", "V-E.maps.Grad-CAM", "V-E.maps.LIME", "V-E.maps.occlusion"]
)
# What the book's design, arithmetic or own choice fixes: consistency checks, not claims
EXPECTED_CHECKS = (["V-A.n_clips", "V-A.n_training_clips", "V-A.n_test_clips", "V-A.n_subjects", "V-A.n_genres",
                    "V-A.n_runs", "V-A.clips_per_genre", "V-A.clips_per_run", "V-A.test_clips_per_run",
                    "V-A.test_repeats", "T-I.train_volumes", "T-I.test_volumes", "V-F.pca_components"])


def test_the_scorecard_lists_every_claim_of_the_paper():
    assert sorted(c.id for c in CLAIMS) == sorted(EXPECTED)
    assert sorted(c.id for c in CHECKS) == sorted(EXPECTED_CHECKS)
