"""Known faults of GTZAN that matter here: repeated excerpts (which could leak a test clip into training)
and distortions.

Facts, not code, from public sources (checked against each other; see the methods chapter):

* Sturm, B. L. (2013). *The GTZAN dataset: its contents, its faults, their effects on evaluation, and its
  future use.* arXiv:1306.1461; and Sturm (2012), *An analysis of the GTZAN music genre dataset*, MIRUM '12
  (50 exact replicas, one across two genres; 22 excerpts from the same recording; 13 versions).
* :data:`EXACT_REPETITIONS`: Sturm's exact replicas, as transcribed in public preprocessing scripts and in
  Foleiss & Tavares (2020, gtzan_sturm_filter_3folds_stratified); every group has the same artist and title
  in Sturm's own index (``GTZANindex.txt``) and the same Shazam fingerprint (Doh et al. 2023, gtzan-bind).
  The 46 groups hold the 50 replicas Sturm counts.
* :data:`SAME_RECORDING`, :data:`SAME_SONG`, :data:`FINGERPRINT_ONLY`: Sturm's own lists of recording
  repetitions and versions could not be read here. These groups are derived instead: excerpts that share
  artist and title in Sturm's index *and* a Shazam recording key (same recording, high confidence), the same
  artist and title only (same song: a recording repetition or a version), or a Shazam key only (unconfirmed).
  The fault-filtered split of Kereliuk, Sturm & Larsen (2015) keeps at most one member of 15 of them, which
  suggests Sturm listed those as faults.
* :data:`DISTORTED`: the two most distorted excerpts named by Foleiss & Tavares (2020); Sturm's full list of
  distortions and his mislabelings were not reachable.

``jazz.00054`` is unreadable in common copies: a download fault, handled by the audio reader, not listed here.
"""
from __future__ import annotations

EXACT_REPETITIONS: tuple[tuple[str, ...], ...] = (
    ("disco.00050", "disco.00051", "disco.00070"), ("disco.00055", "disco.00060", "disco.00089"), ("disco.00071", "disco.00074"),
    ("disco.00098", "disco.00099"), ("hiphop.00039", "hiphop.00045"), ("hiphop.00076", "hiphop.00078"),
    ("jazz.00033", "jazz.00051"), ("jazz.00034", "jazz.00053"), ("jazz.00035", "jazz.00055"),
    ("jazz.00036", "jazz.00058"), ("jazz.00037", "jazz.00060"), ("jazz.00038", "jazz.00062"),
    ("jazz.00039", "jazz.00065"), ("jazz.00040", "jazz.00067"), ("jazz.00042", "jazz.00068"),
    ("jazz.00043", "jazz.00069"), ("jazz.00044", "jazz.00070"), ("jazz.00045", "jazz.00071"),
    ("jazz.00046", "jazz.00072"), ("metal.00004", "metal.00013"), ("metal.00034", "metal.00094"),
    ("metal.00040", "metal.00061"), ("metal.00041", "metal.00062"), ("metal.00042", "metal.00063"),
    ("metal.00043", "metal.00064"), ("metal.00044", "metal.00065"), ("metal.00045", "metal.00066"),
    ("pop.00015", "pop.00022"), ("pop.00030", "pop.00031"), ("pop.00045", "pop.00046"),
    ("pop.00047", "pop.00080"), ("pop.00052", "pop.00057"), ("pop.00054", "pop.00060"),
    ("pop.00056", "pop.00059"), ("pop.00067", "pop.00071"), ("pop.00087", "pop.00090"),
    ("reggae.00003", "reggae.00054"), ("reggae.00005", "reggae.00056"), ("reggae.00008", "reggae.00057"),
    ("reggae.00010", "reggae.00060"), ("reggae.00013", "reggae.00058"), ("reggae.00041", "reggae.00069"),
    ("reggae.00073", "reggae.00074"), ("reggae.00080", "reggae.00081", "reggae.00082"), ("reggae.00075", "reggae.00091", "reggae.00092"),
    ("metal.00058", "rock.00016"),
)

SAME_RECORDING: tuple[tuple[str, ...], ...] = (
    ("blues.00024", "blues.00028"), ("classical.00051", "classical.00080"), ("country.00008", "country.00051"),
    ("hiphop.00001", "hiphop.00042"), ("hiphop.00020", "hiphop.00036"), ("hiphop.00046", "hiphop.00065"),
    ("hiphop.00047", "hiphop.00067"), ("hiphop.00048", "hiphop.00068"), ("hiphop.00049", "hiphop.00069"),
    ("hiphop.00050", "hiphop.00072"), ("pop.00068", "pop.00073"), ("pop.00088", "pop.00089"),
    ("reggae.00007", "reggae.00059"), ("reggae.00033", "reggae.00044"),
)

SAME_SONG: tuple[tuple[str, ...], ...] = (
    ("classical.00000", "classical.00001", "classical.00002"), ("classical.00042", "classical.00053"), ("classical.00044", "classical.00048"),
    ("disco.00038", "disco.00078"), ("disco.00066", "disco.00069"), ("hiphop.00002", "hiphop.00032"),
    ("pop.00010", "pop.00014"), ("pop.00015", "pop.00021", "pop.00022", "pop.00037"), ("pop.00016", "pop.00017"),
    ("pop.00047", "pop.00048", "pop.00051", "pop.00080"), ("pop.00052", "pop.00054", "pop.00057", "pop.00060"), ("pop.00075", "pop.00082"),
    ("pop.00093", "pop.00094"),
)

FINGERPRINT_ONLY: tuple[tuple[str, ...], ...] = (
    ("hiphop.00018", "hiphop.00037"), ("pop.00074", "pop.00077"), ("reggae.00085", "reggae.00096"),
    ("rock.00054", "rock.00055"),
)

DISTORTED: tuple[str, ...] = ("pop.00037", "reggae.00086")

REPETITION_KINDS = {"exact repetition": EXACT_REPETITIONS, "same recording": SAME_RECORDING,
                    "same song (index)": SAME_SONG, "same recording (fingerprint only)": FINGERPRINT_ONLY}


def repeats(tracks) -> dict[str, dict[str, str]]:
    """Every track that repeats one of ``tracks`` (``genre.000NN`` names) in any listed way:
    ``{repeating track: {"repeats": the track it repeats, "kind": how}}``. The given tracks themselves
    are never returned."""
    tracks = set(tracks)
    out = {}
    for kind, groups in REPETITION_KINDS.items():
        for group in groups:
            hit = tracks & set(group)
            for other in group:
                if hit and other not in tracks and other not in out:
                    out[other] = {"repeats": sorted(hit)[0], "kind": kind}
    return dict(sorted(out.items()))


def faults_of(track: str) -> list[str]:
    """How ``track`` is faulty, as listed here: the kinds of repetition it takes part in and distortion."""
    kinds = [kind for kind, groups in REPETITION_KINDS.items() if any(track in g for g in groups)]
    return kinds + (["distorted"] if track in DISTORTED else [])


def test_tracks(clips) -> list[str]:
    """The fMRI test tracks of a clip table (:func:`banlib.data.design.clip_table`), as ``genre.000NN`` names."""
    test = clips[clips.split == "Test"]
    return sorted({f"{g}.{int(t):05d}" for g, t in zip(test.genre, test.track)})


def fault_table(tracks):
    """The tracks of ``tracks`` listed here with a fault: a frame indexed by track with the kinds of fault and
    the other tracks of its repetition groups (empty when none is faulty)."""
    import pandas as pd

    rows = {}
    for track in tracks:
        kinds = faults_of(track)
        if kinds:
            others = sorted({o for groups in REPETITION_KINDS.values() for g in groups if track in g for o in g} - {track})
            rows[track] = {"faults": ", ".join(kinds), "repeated by": ", ".join(others) or "-"}
    return pd.DataFrame.from_dict(rows, orient="index", columns=["faults", "repeated by"])
