"""The twin's planted set follows the generator's constants: change a constant and the set changes with it."""
import pytest

from banlib.paper.claims import CLAIMS
from banlib.twin import brain, music, planted


def test_the_set_names_the_constant_behind_each_planted_claim():
    p = planted.planted_claims()
    assert p["V-E.confusion.reggae_as_rock"].startswith("PLANTED_TEST_ROWS['reggae']: 3 of the 6")
    assert p["V-F.lstg_genres"] == "GENRE_BIAS['LSTG'] favours country, disco, hiphop, pop"
    assert "SUBJECT_EXTENT['sub-003']" in p["V-B2.roi_size.sub-003"] and "LABEL_TUNING[HS]" in p["V-F.table2.R.HS.BAN"]
    assert "CUE" in p["V-E.maps.LIME"]
    # nothing the generator plants decides which network scores best, or the recurrence grid
    for cid in ("IV.bas_highest", "IV.behaviour_highest", "VI.cortical_highest", "V-D.recurrence", "IV-A.best_area",
                "Abstract.accuracy_cortical_aligned", "IV.trained_beats_untrained", "V-E.ban_decoding"):
        assert cid not in p
    assert set(p) <= {c.id for c in CLAIMS}


def test_the_chapter_names_the_favoured_genres_from_the_constant(monkeypatch):
    monkeypatch.setattr(brain, "GENRE_BIAS", {"HS": ("blues",)})
    assert planted.genre_bias_sentence().startswith("Planted on the twin: HS: blues.")


def test_test_clip_counts_are_the_generators():
    counts = planted.test_clip_counts()
    assert (counts.sum(axis=1) == 6).all()
    assert counts[brain.GENRES.index("rock"), brain.GENRES.index("country")] == 3


def test_removing_a_planted_row_unplants_its_claims(monkeypatch):
    rows = dict(brain.PLANTED_TEST_ROWS, reggae={"reggae": 1.0})
    monkeypatch.setattr(brain, "PLANTED_TEST_ROWS", rows)
    monkeypatch.setattr(brain, "PLANTED_CONFUSIONS", {k: v for k, v in brain.PLANTED_CONFUSIONS.items()
                                                      if k != ("reggae", "rock")})
    p = planted.planted_claims()
    assert "V-E.confusion.reggae_as_rock" not in p and "V-E.listeners.reggae_as_rock" not in p
    assert "V-E.confusion.rock_as_country" in p


def test_adding_a_planted_constant_plants_its_claim(monkeypatch):
    monkeypatch.setattr(brain, "GENRE_BIAS", {"LSTG": brain.GENRE_BIAS["LSTG"]})
    assert "V-F.hs_blues" not in planted.planted_claims()
    monkeypatch.setattr(brain, "GENRE_BIAS", {**brain.GENRE_BIAS, "HS": ("blues",)})
    assert planted.planted_claims()["V-F.hs_blues"] == "GENRE_BIAS['HS'] favours blues"
    # a subject whose extent is not set from the paper's size is not planted, and comes back with it
    extent = {k: v for k, v in brain.SUBJECT_EXTENT.items() if k != "sub-002"}
    monkeypatch.setattr(brain, "SUBJECT_EXTENT", extent)
    assert "V-B2.roi_size.sub-002" not in planted.planted_claims()
    monkeypatch.setattr(brain, "SUBJECT_EXTENT", {**extent, "sub-002": 0.9})
    assert "V-B2.roi_size.sub-002" in planted.planted_claims()


def test_the_cue_plants_the_maps_claim_only_for_its_genre(monkeypatch):
    monkeypatch.setattr(music, "CUE", music.Cue(genre="jazz"))
    assert "V-E.maps.LIME" not in planted.planted_claims()


@pytest.mark.parametrize("kind", ["table2", "table2_order"])
def test_a_label_without_tuning_is_not_planted(kind, monkeypatch):
    monkeypatch.setattr(brain, "LABEL_TUNING", {k: v for k, v in brain.LABEL_TUNING.items() if k != "PT"})
    assert planted.why_planted((kind, "L.PT", "BAN")) is None
    assert planted.why_planted((kind, "L.HG", "BAN")) is not None


def test_the_twin_source_carries_the_set(quick_twin):
    assert quick_twin.info["planted_claims"] == planted.planted_claims()
