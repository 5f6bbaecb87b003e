import pandas as pd

from banlib.config import GENRES
from banlib.data import gtzan_faults as gf


def test_lists_are_well_formed_gtzan_names_and_counts():
    assert len(gf.EXACT_REPETITIONS) == 46
    assert sum(len(g) - 1 for g in gf.EXACT_REPETITIONS) == 50          # Sturm's 50 exact replicas
    for groups in gf.REPETITION_KINDS.values():
        for group in groups:
            assert len(group) >= 2 and len(set(group)) == len(group)
            for name in group:
                genre, number = name.split(".")
                assert genre in GENRES and len(number) == 5 and 0 <= int(number) <= 99


def test_repeats_finds_every_other_member_and_never_the_given_tracks():
    out = gf.repeats(["jazz.00033", "disco.00050"])
    assert out["jazz.00051"] == {"repeats": "jazz.00033", "kind": "exact repetition"}
    assert {"disco.00051", "disco.00070"} <= set(out)
    assert "jazz.00033" not in out and "disco.00050" not in out


def test_fault_table_and_test_tracks():
    clips = pd.DataFrame({"genre": ["jazz", "jazz", "pop", "rock"], "track": [33, 33, 37, 1],
                          "split": ["Test", "Test", "Test", "Training"]})
    tracks = gf.test_tracks(clips)
    assert tracks == ["jazz.00033", "pop.00037"]
    table = gf.fault_table(tracks)
    assert table.loc["jazz.00033", "faults"].startswith("exact repetition") and "jazz.00051" in table.loc["jazz.00033", "repeated by"]
    assert table.loc["pop.00037", "faults"].endswith("distorted")
    unlisted = sorted({f"{g}.{n:05d}" for g in GENRES for n in range(100)} - {t for k in gf.REPETITION_KINDS.values()
                                                                            for grp in k for t in grp} - set(gf.DISTORTED))
    assert gf.fault_table(unlisted[:5]).empty
