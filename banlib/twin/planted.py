"""Which of the paper's claims the twin's generator plants, derived from the generator's own constants.

A claim is *planted* when a constant of :mod:`banlib.twin.brain` or :mod:`banlib.twin.music` sets its answer:
agreement with the paper there is calibration of the simulator, never replication. Each claim's ``about``
(:class:`banlib.paper.claims.Claim`) says what quantity it is about; :func:`why_planted` maps that quantity to the
constant that sets it on the twin, or to None when no constant does. The set is derived when a twin is opened
(:func:`banlib.twin.open_or_make`, not stored in ``twin.json``: the format stamp ties a twin to the constants it was
made with), reaches every results file's ``source_info`` and is read by the scorecard
(:func:`banlib.paper.scorecard.planted_set`).
"""
from __future__ import annotations

import numpy as np

from ..config import GENRES, N_MELS, N_TEST_RUNS, SUBJECTS
from ..paper.claims import CLAIMS
from . import brain, music


def test_clip_counts() -> np.ndarray:
    """How many of each genre's fMRI test clips the generator makes sound like each genre, int array of shape
    (10, 10) (rows true genre, GTZAN order): :func:`brain.nearest_counts` of :func:`brain.planted_test_confusion`
    over the genre's test clips (one per test run), as :func:`brain.sounds_like` plants them."""
    P = brain.planted_test_confusion()
    return np.stack([brain.nearest_counts(P[i], N_TEST_RUNS, i) for i in range(len(GENRES))])


def _row_constant(genre: str) -> str:
    if genre in brain.PLANTED_TEST_ROWS:
        return f"PLANTED_TEST_ROWS['{genre}']"
    return f"PLANTED_ACCURACY / PLANTED_CONFUSIONS (row {genre})"


def _cell(a: str, b: str, via: str = "") -> str | None:
    n = int(test_clip_counts()[GENRES.index(a), GENRES.index(b)])
    if n == 0:
        return None
    return f"{_row_constant(a)}: {n} of the {N_TEST_RUNS} {a} test clips sound like {b}{via}"


def _labels_tuned(labels) -> str | None:
    short = sorted({lab.split(".")[-1] for lab in labels})
    tuned = [lab for lab in short if lab in brain.LABEL_TUNING]
    if not tuned:
        return None
    return f"LABEL_TUNING[{', '.join(tuned)}] (share of genre / acoustic voxels and SNR per label)"


def _distinct(higher, lower) -> str | None:
    labels = tuple(higher) + tuple(lower)
    biased = [lab for lab in labels if lab in brain.GENRE_BIAS]
    tuning = {brain.LABEL_TUNING.get(lab, brain.LABEL_TUNING["other"]) for lab in labels}
    parts = []
    if biased:
        parts.append(f"GENRE_BIAS[{', '.join(biased)}] (favoured-genre loadings)")
    if len(tuning) > 1:
        parts.append("LABEL_TUNING (genre SNR and voxel shares differ between these labels)")
    return "; ".join(parts) or None


def _top_genres(label: str, genres) -> str | None:
    favoured = set(brain.GENRE_BIAS.get(label, ())) & set(genres)
    if not favoured:
        return None
    return f"GENRE_BIAS['{label}'] favours {', '.join(sorted(favoured))}"


def _maps(genre: str) -> str | None:
    """The blues cue: a harmonica riff in a fixed register, planted to steer the interpretability maps; it sets the
    low-frequency reading when its band lies in the lower half of the mel bands."""
    if music.CUE.genre != genre:
        return None
    half = float(music.mel_band_centres(N_MELS)[N_MELS // 2 - 1])
    lo, hi = music.cue_band_hz()
    where = "lower" if hi <= half else "upper"
    return f"CUE ({music.CUE.genre} harmonica riff at {lo:.0f}-{hi:.0f} Hz, the {where} half of the mel bands)"


def genre_bias_sentence() -> str:
    """Which genres the twin favours in which label (:data:`brain.GENRE_BIAS`), for chapter 05."""
    return ("Planted on the twin: " + "; ".join(f"{lab}: {', '.join(g)}" for lab, g in brain.GENRE_BIAS.items())
            + ". Finding them here checks the pipeline, not the paper.")


def why_planted(about: tuple) -> str | None:
    """The twin constant that sets the answer of a claim about ``about`` (a claim's ``about`` tuple), or None when
    nothing the generator plants decides it."""
    if not about:
        return None
    kind, *args = about
    if kind == "roi_size":
        sub = args[0]
        return (f"SUBJECT_EXTENT['{sub}'] = {brain.SUBJECT_EXTENT[sub]} (from PAPER_ROI_SIZES)"
                if sub in brain.SUBJECT_EXTENT else None)
    if kind == "roi_sizes":
        subs = [s for s in SUBJECTS if s in brain.SUBJECT_EXTENT]
        return f"SUBJECT_EXTENT[{', '.join(subs)}] (from PAPER_ROI_SIZES)" if subs else None
    if kind == "decoding":
        return _cell(*args)
    if kind == "listeners":
        return _cell(*args, via="; listeners choose what a clip sounds like (choice_probabilities)")
    if kind == "network_error":
        return _cell(*args, via="; BAN hears those clips")
    if kind == "consistency":
        counts = test_clip_counts()
        off = int(counts.sum() - np.trace(counts))
        return (f"PLANTED_TEST_ROWS / PLANTED_CONFUSIONS: {off} test clips sound like another genre, the same clips "
                f"for every subject") if off else None
    if kind in ("table2", "table2_order"):
        labels = args[:1] if kind == "table2" else args
        return _labels_tuned(labels)
    if kind == "bilateral_stg":
        stg = [lab for lab in ("HG", "HS", "PT", "LSTG") if brain.LABEL_TUNING.get(lab) and
               brain.LABEL_TUNING[lab].p_genre > 0]
        return f"LABEL_TUNING[{', '.join(stg)}] plants genre voxels in the STG" if stg else None
    if kind == "distinct":
        return _distinct(*args)
    if kind == "top_genres":
        return _top_genres(*args)
    if kind == "maps":
        return _maps(args[0])
    return None


def planted_claims(claims=CLAIMS) -> dict[str, str]:
    """``{claim id: the constant that plants it}`` for every claim of ``claims`` whose answer the twin plants."""
    out = {}
    for c in claims:
        why = why_planted(c.about)
        if why:
            out[c.id] = why
    return out
