"""Simulated cortex for the twin: voxels, planted tuning, BOLD responses, behaviour.

What is planted (all of it written to ``derivative/twin_truth/``):

* **One planted confusion** between genres, :func:`planted_confusion` (rows = true genre): which
  genres sound alike (rock - country - metal, reggae - rock, disco - pop, blues - jazz, ...).
* **Tracks that sound like another genre** (:func:`sounds_like`): in every group of tracks (a genre's
  48 fMRI training tracks, the rest) the share that "sounds like" genre j is the planted confusion's
  share, by quota; the 6 fMRI test tracks of a genre follow :data:`PLANTED_TEST_ROWS` (set so that brain
  decoding gives the paper's named confusions) or, for the other genres, the planted confusion rounded per
  cell (:func:`nearest_counts`); such a track borrows its musical elements from j's recipe
  with probability ``blend`` (:mod:`banlib.twin.music`), lies at ``(1 - blend) E_genre + blend E_j``
  in the genre space, and listeners take it for j with probability ``blend``.
* **A low-dimensional genre space** (:func:`genre_space`): genres placed in ``GENRE_DIMS`` dimensions so
  that their distances follow the planted confusion (similar genres close; classical apart).
* **Voxels with mixed tuning** (:func:`make_voxels`), per Destrieux label (:data:`LABEL_TUNING`): a
  ``genre`` voxel responds to the clip's position in the genre space (loadings drawn per voxel, plus
  the label's favoured genres, :data:`GENRE_BIAS`) *and* to the acoustics of the audio played (log-mel
  band energies and spectral flux per TR, genre means removed), each at its own SNR
  (``genre_snr``, ``acoustic_snr``: signal sd / noise sd); an ``acoustic`` voxel only to acoustics;
  ``none`` to nothing. How many voxels of each label are genre voxels also depends on the subject
  (:data:`SUBJECT_EXTENT`, from the ROI sizes the paper reports).
* **Noise as in real data**: AR(1) noise, slow drift, and a few noisy voxels with spikes; then, as in
  the real derivatives, the first 10 TRs of each run are dropped and each voxel is z-scored per run.

The quick profile samples the same share of every label (stratified), so its voxels are a scale model
of the full cortex and its ROI should be the same fraction of V.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import ndimage, signal, stats

from ..config import DROPPED_TRS, GENRES, REAL_N_VOXELS, SUBJECTS, TEST_REPEATS, TR, rng
from ..data.atlas import CODE_TO_ROI, cortical_voxels, destrieux_2mm, is_cortical
from ..paper.values import PAPER_ROI_SIZES

# --------------------------------------------------------------------------- planted confusion

PLANTED_ACCURACY = {"blues": .8, "classical": .95, "country": .75, "disco": .8, "hiphop": .8, "jazz": .8,
                    "metal": .85, "pop": .8, "reggae": .7, "rock": .65}
PLANTED_CONFUSIONS = {("reggae", "rock"): .12, ("rock", "reggae"): .08, ("rock", "country"): .12,
                      ("country", "rock"): .1, ("rock", "metal"): .08, ("metal", "rock"): .05,
                      ("disco", "pop"): .08, ("pop", "disco"): .06, ("blues", "jazz"): .07, ("jazz", "blues"): .06,
                      ("hiphop", "reggae"): .05, ("reggae", "hiphop"): .04}
# The 60 fMRI test clips (6 per genre) are planted so that brain decoding gives the confusions the paper
# reports for them (Section V-E, Fig. 4: rock right 40 %, reggae taken for rock 33.3 %, rock for country
# 28.6 %, classical never confused). The ROI decoder names the genre a borrowing clip sounds like for only
# some of them (0.5 of the reggae-like-rock and 0.7 of the rock-like-country decodings on the quick twin), so
# the sounds-like shares are planted above the decoded rates: 3 of 6 reggae clips sound like rock, 3 of 6 rock
# clips like country. The two sibling pairs (blues - jazz, disco - pop) give one of their six clips to each
# other: with only the confusions of 1/12 or more (nearest_counts), a decoder that names what every clip sounds
# like would score 0.867, and the full-size ROIs come that close (0.873 at twin format 5), above the 0.85 that
# leaves room for errors; with these four clips that decoder scores 0.80.
PLANTED_TEST_ROWS = {"reggae": {"reggae": 0.5, "rock": 0.5},
                     "rock": {"rock": 1 / 3, "country": 0.5, "metal": 1 / 6},
                     "classical": {"classical": 1.0},
                     "blues": {"blues": 5 / 6, "jazz": 1 / 6}, "jazz": {"jazz": 5 / 6, "blues": 1 / 6},
                     "disco": {"disco": 5 / 6, "pop": 1 / 6}, "pop": {"pop": 5 / 6, "disco": 1 / 6}}
BLEND = (0.85, 1.0)            # how far a borrowing track goes towards the genre it sounds like
LAPSE = 0.04                  # listeners' random choices on tracks that sound like their genre
GENRE_DIMS = 5
CLIP_JITTER = 0.06            # sd of each clip's own offset in the genre space (genre distances ~1)


def planted_confusion() -> np.ndarray:
    """P(sounds like column | true genre row), GTZAN order; rows sum to 1."""
    n = len(GENRES)
    P = np.zeros((n, n))
    for i, g in enumerate(GENRES):
        P[i, i] = PLANTED_ACCURACY[g]
        for (a, b), p in PLANTED_CONFUSIONS.items():
            if a == g:
                P[i, GENRES.index(b)] = p
        free = P[i] == 0
        P[i, free] = (1 - P[i].sum()) / free.sum()
    return P


def planted_test_confusion() -> np.ndarray:
    """The planted confusion of the fMRI test clips: :func:`planted_confusion`, with the rows the paper
    reports for its test clips (:data:`PLANTED_TEST_ROWS`; the rest of such a row spread evenly)."""
    P = planted_confusion()
    for genre, row in PLANTED_TEST_ROWS.items():
        i = GENRES.index(genre)
        P[i] = 0
        for other, p in row.items():
            P[i, GENRES.index(other)] = p
        free = P[i] == 0
        P[i, free] = max(0.0, 1 - P[i].sum()) / free.sum()
    return P / P.sum(axis=1, keepdims=True)


def behavioural_confusion() -> np.ndarray:
    """The planted confusion (kept under its old name for callers that read it as the listeners')."""
    return planted_confusion()


def quotas(p: np.ndarray, n: int) -> np.ndarray:
    """Integer counts summing to ``n`` closest to ``n * p`` (largest remainder; ties to the lower index)."""
    exact = n * np.asarray(p, float)
    counts = np.floor(exact).astype(int)
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    return counts


def nearest_counts(p: np.ndarray, n: int, own: int) -> np.ndarray:
    """Counts of ``n`` items: every cell but ``own`` rounded to the nearest count of ``n * p``, the rest to
    ``own``. For the six test clips of a genre this keeps a 7 % confusion at none of them, where
    :func:`quotas` would give it a whole clip (17 %, half of the confusions the paper reports)."""
    counts = np.floor(n * np.asarray(p, float) + 0.5).astype(int)
    counts[own] = 0
    if counts.sum() > n:
        raise ValueError(f"the confusions of row {own} exceed its {n} items")
    counts[own] = n - counts.sum()
    return counts


def sounds_like(groups: dict[str, dict[str, list[int]]], seed: int) -> pd.DataFrame:
    """Which genre each track sounds like, and how much.

    ``groups`` maps a genre to named lists of its track numbers: ``"test"`` (the fMRI test tracks),
    and any others (fMRI training tracks, the rest). Within each list the counts follow a row of the
    planted confusion by quota (:func:`planted_confusion`), so every group carries the planted structure;
    the six ``"test"`` tracks of a genre follow :func:`planted_test_confusion` by :func:`nearest_counts`
    (a confusion under 1/12 gives none of them). Returns columns
    ``genre, track, like, blend`` (``blend`` 0 for tracks that sound like their own genre)."""
    test, others = planted_test_confusion(), planted_confusion()
    rows = []
    for genre in GENRES:
        i = GENRES.index(genre)
        for name, tracks in groups.get(genre, {}).items():
            g = rng(seed, "twin", "sounds_like", genre, name)
            counts = (nearest_counts(test[i], len(tracks), i) if name == "test"
                      else quotas(others[i], len(tracks)))
            likes = np.repeat(np.arange(len(GENRES)), counts)[g.permutation(len(tracks))]
            blends = g.uniform(*BLEND, len(tracks))
            for t, j, b in zip(tracks, likes, blends):
                rows.append({"genre": genre, "track": int(t), "like": GENRES[j],
                             "blend": 0.0 if j == i else round(float(b), 4)})
    return pd.DataFrame(rows, columns=["genre", "track", "like", "blend"]).sort_values(
        ["genre", "track"], kind="stable").reset_index(drop=True)


def target_distances(P: np.ndarray | None = None, closest: float = 0.5) -> np.ndarray:
    """Genre-space distances wanted: 1 for genres never confused, down to ``closest`` for the most
    confused pair, linear in the symmetrised confusion."""
    P = planted_confusion() if P is None else P
    S = (P + P.T) / 2
    off = ~np.eye(len(S), dtype=bool)
    D = 1 - (1 - closest) * S / S[off].max()
    np.fill_diagonal(D, 0)
    return D


def genre_space(n_dims: int = GENRE_DIMS, n_iter: int = 500) -> np.ndarray:
    """(10, n_dims) genre coordinates whose distances approximate :func:`target_distances`
    (SMACOF stress majorisation from the classical-MDS start; deterministic)."""
    D = target_distances()
    n = len(D)
    J = np.eye(n) - 1 / n
    w, V = np.linalg.eigh(-0.5 * J @ (D ** 2) @ J)
    top = np.argsort(w)[::-1][:n_dims]
    X = V[:, top] * np.sqrt(np.maximum(w[top], 1e-9))
    for _ in range(n_iter):                                  # Guttman transform, unit weights
        dist = np.linalg.norm(X[:, None] - X[None], axis=-1)
        B = -np.divide(D, dist, out=np.zeros_like(D), where=dist > 0)
        np.fill_diagonal(B, -B.sum(axis=1))
        X = B @ X / n
    X -= X.mean(axis=0)
    # a fixed orientation: principal axes, each with its largest coordinate positive
    _, _, Vt = np.linalg.svd(X, full_matrices=False)
    X = X @ Vt.T
    return X * np.sign(X[np.argmax(np.abs(X), axis=0), np.arange(X.shape[1])])


# --------------------------------------------------------------------------- voxels


@dataclass(frozen=True)
class Tuning:
    """Planted tuning of one Destrieux label.

    ``p_genre``: share of the label's voxels that are genre voxels (before :data:`SUBJECT_EXTENT`);
    ``p_acoustic``: share that respond to acoustics only; ``genre_snr``/``acoustic_snr``: median SNR
    (signal sd / noise sd, lognormal spread ``SNR_SPREAD``) of the genre and acoustic drives; genre
    voxels carry acoustic drive too, at ``mixed_acoustic`` times the label's acoustic SNR;
    ``unexplained_snr``: median SNR of a drive that neither genre nor acoustics explain (the same at
    every presentation of a clip), in every voxel with a genre or acoustic drive (acoustic-only voxels:
    :data:`ACOUSTIC_UNEXPLAINED` times that)."""

    p_genre: float
    p_acoustic: float
    genre_snr: float
    acoustic_snr: float
    unexplained_snr: float
    mixed_acoustic: float = 0.4


LABEL_TUNING = {
    "HS": Tuning(p_genre=0.8, p_acoustic=0.1, genre_snr=0.30, acoustic_snr=0.3, unexplained_snr=1.1),
    "HG": Tuning(p_genre=0.5, p_acoustic=0.35, genre_snr=0.24, acoustic_snr=0.5, unexplained_snr=1.2),
    "PT": Tuning(p_genre=0.4, p_acoustic=0.35, genre_snr=0.23, acoustic_snr=0.4, unexplained_snr=1.2),
    "LSTG": Tuning(p_genre=0.29, p_acoustic=0.25, genre_snr=0.21, acoustic_snr=0.25, unexplained_snr=1.1),
    "other": Tuning(p_genre=0.0145, p_acoustic=0.01, genre_snr=0.20, acoustic_snr=0.2, unexplained_snr=0.8),
}
ACOUSTIC_UNEXPLAINED = 0.4    # acoustic-only voxels: their unexplained drive relative to the label's
N_UNEXPLAINED = 6             # dimensions of the unexplained stimulus drive
SNR_SPREAD = 0.3             # log-sd of the per-voxel SNRs
# How widely each subject's cortex represents genre (multiplies p_genre): the paper's ROI sizes as a
# share of V (468/60,784 ... 1,593/64,700) over their mean; sub-003 "exhibited genre-specific
# activations in large brain regions".
_ROI_SHARE = {s: PAPER_ROI_SIZES[s] / REAL_N_VOXELS[s] for s in SUBJECTS}
SUBJECT_EXTENT = {s: round(v / float(np.mean(list(_ROI_SHARE.values()))), 3) for s, v in _ROI_SHARE.items()}
# genres with a stronger response per label (the paper: pop, disco, country, hip-hop in lateral STG;
# blues around Heschl's sulcus)
GENRE_BIAS = {"LSTG": ("pop", "disco", "country", "hiphop"), "HS": ("blues",)}
BIAS_WEIGHT = 0.4             # loading on the favoured-genre indicator, relative to the space's loadings
NOISY_SHARE = 0.03            # voxels with 2-4x noise and spikes (motion, vessels)
DRIFT_SD = 0.4                # residual slow drift, sd relative to the AR noise
ROI_FRACTION_QUICK = None     # kept for reference: the quick profile now samples labels in proportion


def hrf(peak: float = 6.0, undershoot: float = 16.0, ratio: float = 1 / 6, tr: float = TR,
        length: float = 32.0) -> np.ndarray:
    """Double-gamma HRF sampled every ``tr`` seconds, unit sum."""
    t = np.arange(0, length, tr)
    h = stats.gamma.pdf(t, peak) - ratio * stats.gamma.pdf(t, undershoot)
    return h / h.sum()


def candidate_voxels() -> pd.DataFrame:
    """Cortical voxels, plus a one-voxel rim when a subject needs more than the atlas has."""
    cortex = cortical_voxels()
    labels, affine = destrieux_2mm()
    grown = ndimage.grey_dilation(np.where(is_cortical(labels), labels, 0), size=(3, 3, 3))
    rim = np.argwhere((labels == 0) & is_cortical(grown))
    xyz = rim @ affine[:3, :3].T + affine[:3, 3]
    code = grown[tuple(rim.T)]
    extra = pd.DataFrame({"i": rim[:, 0], "j": rim[:, 1], "k": rim[:, 2], "x": xyz[:, 0], "y": xyz[:, 1],
                          "z": xyz[:, 2], "code": code,
                          "roi": [CODE_TO_ROI.get(int(c), "other") for c in code]})
    cortex["rim"] = False
    extra["rim"] = True
    return pd.concat([cortex, extra], ignore_index=True)


def full_size_counts(candidates: pd.DataFrame, n_voxels: int) -> pd.Series:
    """Voxels per label in a full-size subject of ``n_voxels``: every auditory-label voxel, the rest
    from the other cortex (then the rim when the cortex is not enough)."""
    core = candidates[~candidates.rim]
    counts = core.roi.value_counts()
    other = n_voxels - int(counts.drop("other", errors="ignore").sum())
    counts["other"] = other
    return counts.sort_index()


def sample_voxels(candidates: pd.DataFrame, n_voxels: int, full_voxels: int, g) -> np.ndarray:
    """Row indices of ``candidates`` for a subject of ``n_voxels``, with the label shares of a full-size
    subject of ``full_voxels`` (stratified by label, so small labels are never left out by chance)."""
    core = ~candidates.rim.to_numpy()
    roi = candidates.roi.to_numpy()
    full = full_size_counts(candidates, full_voxels)
    want = quotas((full / full.sum()).to_numpy(), n_voxels)
    chosen = []
    for label, n in zip(full.index, want):
        pool = np.nonzero(core & (roi == label))[0]
        if label == "other" and n > len(pool):              # full size: all the cortex, then rim
            rim = np.nonzero(~core)[0]
            chosen += [pool, g.choice(rim, n - len(pool), replace=False)]
        else:
            chosen.append(pool if n >= len(pool) else g.choice(pool, n, replace=False))
    return np.sort(np.concatenate(chosen))


def label_quotas(candidates: pd.DataFrame, n_voxels: int, full_voxels: int) -> pd.Series:
    """Voxels per short label (HG, HS, LSTG, PT, other) that a subject of ``n_voxels`` sampled from
    ``candidates`` with the shares of a full-size subject of ``full_voxels`` is meant to have."""
    full = full_size_counts(candidates, full_voxels)
    want = pd.Series(quotas((full / full.sum()).to_numpy(), n_voxels), index=full.index)
    return want.groupby(want.index.str.split(".").str[-1]).sum()


def make_voxels(subject: str, n_voxels: int, seed: int, candidates: pd.DataFrame,
                full_voxels: int | None = None, reference: pd.DataFrame | None = None,
                extent_gain: float = 1.0) -> pd.DataFrame:
    """Sample a subject's voxels and plant their kind, SNRs and noise.

    ``extent_gain`` multiplies the subject's :data:`SUBJECT_EXTENT` (a raw subject's, to make up for the
    genre voxels its preprocessing hides: :data:`banlib.twin.raw.GENRE_EXTENT_GAIN`).

    ``reference``: the candidates whose label shares the subject should have (default ``candidates``).
    A raw subject's native candidates cover only its field of view (a slab in the quick profile), so a
    label can hold fewer voxels than a whole cortex gives it; its genre and acoustic voxels are then
    counted on the reference's share (up to 95 % of the label's voxels), so that the subject represents
    genre as widely as the others instead of in proportion to its field of view.

    Columns added to the candidates' ``i j k x y z code roi``: ``voxel``, ``truth`` (genre / acoustic /
    none), ``genre_snr``, ``acoustic_snr``, ``unexplained_snr``, ``snr`` (total signal sd / noise sd),
    ``noise_scale`` (1, or 2-4 for noisy voxels), ``drift_sd``."""
    g = rng(seed, "twin", "voxels", subject)
    full_voxels = full_voxels or n_voxels
    chosen = sample_voxels(candidates, n_voxels, full_voxels, g)
    vox = candidates.iloc[chosen].reset_index(drop=True).drop(columns="rim")
    short = vox.roi.str.split(".").str[-1].to_numpy()
    tune = [LABEL_TUNING[s] for s in short]
    extent = SUBJECT_EXTENT.get(subject, 1.0) * extent_gain
    want = label_quotas(candidates if reference is None else reference, n_voxels, full_voxels)
    kind = np.full(len(vox), "none", dtype=object)
    for label in sorted(set(short)):                   # exact counts per label, so subjects differ less
        idx = np.nonzero(short == label)[0]
        p_gen = min(LABEL_TUNING[label].p_genre * extent, 0.95)
        p_aco = min(LABEL_TUNING[label].p_acoustic, 1 - p_gen)
        basis = max(len(idx), int(want.get(label, 0)))
        n_gen = min(int(round(p_gen * basis)), int(round(0.95 * len(idx))))
        n_aco = min(int(round(p_aco * basis)), len(idx) - n_gen)
        order = g.permutation(idx)
        kind[order[:n_gen]] = "genre"
        kind[order[n_gen:n_gen + n_aco]] = "acoustic"
    kind = kind.astype(str)
    spread = np.exp(g.normal(0, SNR_SPREAD, (2, len(vox))))
    genre_snr = np.where(kind == "genre", [t.genre_snr for t in tune] * spread[0], 0.0)
    unexplained_snr = np.where(kind == "none", 0.0, [t.unexplained_snr for t in tune] * np.exp(g.normal(0, 0.3, len(vox))))
    unexplained_snr = np.where(kind == "acoustic", ACOUSTIC_UNEXPLAINED * unexplained_snr, unexplained_snr)
    aco_median = np.array([t.acoustic_snr * (t.mixed_acoustic if k == "genre" else 1.0)
                           for t, k in zip(tune, kind)])
    acoustic_snr = np.where(kind == "none", 0.0, aco_median * spread[1])
    noisy = g.random(len(vox)) < NOISY_SHARE
    vox["truth"] = kind
    vox["genre_snr"] = genre_snr.round(4)
    vox["acoustic_snr"] = acoustic_snr.round(4)
    vox["unexplained_snr"] = unexplained_snr.round(4)
    vox["snr"] = np.sqrt(genre_snr ** 2 + acoustic_snr ** 2 + unexplained_snr ** 2).round(4)
    vox["noise_scale"] = np.where(noisy, g.uniform(2, 4, len(vox)), 1.0).round(3)
    vox["drift_sd"] = (DRIFT_SD * np.exp(g.normal(0, 0.3, len(vox)))).round(3)
    vox.insert(0, "voxel", np.arange(len(vox)))
    return vox


def genre_weights(voxels: pd.DataFrame, seed: int, subject: str, n_dims: int = GENRE_DIMS) -> np.ndarray:
    """(V, n_dims + len(GENRE_BIAS)) loadings on the genre space and on each label's favoured-genre
    indicator; zero except for genre voxels."""
    g = rng(seed, "twin", "genre_weights", subject)
    W = np.zeros((len(voxels), n_dims + len(GENRE_BIAS)))
    W[:, :n_dims] = g.normal(0, 1, (len(voxels), n_dims))
    short = voxels.roi.str.split(".").str[-1].to_numpy()
    for b, label in enumerate(GENRE_BIAS):
        W[short == label, n_dims + b] = BIAS_WEIGHT * np.sqrt(n_dims) * np.abs(
            g.normal(1, 0.3, int((short == label).sum())))
    W[voxels.truth.to_numpy() != "genre"] = 0
    return W


def unexplained_features(n_clips: int, seed: int, n_features: int = N_UNEXPLAINED, n_trs: int = 10) -> np.ndarray:
    """(n_clips, n_trs, n_features): what each clip drives beyond genre and the acoustic features, random
    but fixed per clip (so it survives averaging over repeats), smooth within the clip (AR(1), 0.7)."""
    g = rng(seed, "twin", "unexplained")
    e = g.standard_normal((n_clips, n_trs, n_features))
    out = np.empty_like(e)
    out[:, 0] = e[:, 0]
    for t in range(1, n_trs):
        out[:, t] = 0.7 * out[:, t - 1] + np.sqrt(1 - 0.49) * e[:, t]
    return out.astype(np.float32)


def unexplained_weights(voxels: pd.DataFrame, n_features: int, seed: int, subject: str) -> np.ndarray:
    """(V, n_features) loadings on the unexplained drive; zero where it is absent."""
    g = rng(seed, "twin", "unexplained_weights", subject)
    W = g.normal(0, 1, (len(voxels), n_features))
    W[voxels.unexplained_snr.to_numpy() == 0] = 0
    return W


def acoustic_weights(voxels: pd.DataFrame, n_features: int, seed: int, subject: str) -> np.ndarray:
    """(V, n_features) acoustic tuning; zero for voxels without acoustic drive."""
    g = rng(seed, "twin", "acoustic_weights", subject)
    W = g.normal(0, 1, (len(voxels), n_features))
    W[voxels.acoustic_snr.to_numpy() == 0] = 0
    return W


def clip_genre_drive(clips: pd.DataFrame, tracks: pd.DataFrame, seed: int, n_dims: int = GENRE_DIMS) -> np.ndarray:
    """(n_clips, n_dims + len(GENRE_BIAS)) where each clip lies in the genre space, and how much of each
    label's favoured genres it carries: ``(1 - blend) E_genre + blend E_like`` plus its own jitter."""
    E = genre_space(n_dims)
    info = tracks.set_index(["genre", "track"])
    g = rng(seed, "twin", "clip_jitter")
    out = np.zeros((len(clips), n_dims + len(GENRE_BIAS)))
    for n, (genre, track) in enumerate(zip(clips.genre, clips.track.astype(int))):
        like, blend = info.loc[(genre, track), ["like", "blend"]]
        i, j = GENRES.index(genre), GENRES.index(like)
        out[n, :n_dims] = (1 - blend) * E[i] + blend * E[j]
        for b, favoured in enumerate(GENRE_BIAS.values()):
            out[n, n_dims + b] = (1 - blend) * (genre in favoured) + blend * (like in favoured)
    out[:, :n_dims] += g.normal(0, CLIP_JITTER, (len(clips), n_dims))
    out[:, n_dims:] -= out[:, n_dims:].mean(axis=0)
    return out


def orthogonalise_genre(acoustic: np.ndarray, genres) -> np.ndarray:
    """Remove each genre's mean from per-clip features (n_clips, 10, F); z-score overall."""
    out = acoustic.astype(np.float64).copy()
    genres = np.asarray(genres)
    for name in np.unique(genres):
        out[genres == name] -= out[genres == name].mean(axis=(0, 1))
    flat = out.reshape(-1, out.shape[-1])
    return ((out - flat.mean(0)) / flat.std(0)).astype(np.float32)


def signal_gains(drives: dict[str, np.ndarray], weights: dict[str, np.ndarray], snrs: dict[str, np.ndarray],
                 h: np.ndarray) -> dict[str, np.ndarray]:
    """Per-voxel gain of each drive so that its HRF-convolved signal has sd = its SNR on ``drives``
    (the training runs, (n_runs, 410, K)); 0 where the signal is constant."""
    gains = {}
    for name, drive in drives.items():
        conv = signal.lfilter(h, [1.0], drive, axis=1)[:, DROPPED_TRS:]
        sd = np.einsum("rtk,kv->rtv", conv, weights[name]).reshape(-1, weights[name].shape[1]).std(0)
        gains[name] = np.divide(snrs[name], sd, out=np.zeros_like(sd), where=sd > 0)
    return gains


def simulate_runs(drives: dict[str, np.ndarray], weights: dict[str, np.ndarray], gains: dict[str, np.ndarray],
                  voxels: pd.DataFrame, h: np.ndarray, seed: int, subject: str, task: str,
                  keep_parts: bool = False, chunk: int = 4096) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """BOLD for every run of a task.

    ``drives[name]`` (n_runs, 410, K) stimulus features on the TR grid, ``weights[name]`` (K, V),
    ``gains[name]`` (V,) from :func:`signal_gains`. Returns the responses (n_runs, 400, V) float32
    (lead-in dropped, z-scored per run) and each drive's signal on the same rows, scaled by the same
    per-run sd (float32; for the oracle scores of the planted truth), when ``keep_parts``."""
    n_runs, n_vol, _ = next(iter(drives.values())).shape
    conv = {k: signal.lfilter(h, [1.0], d, axis=1) for k, d in drives.items()}     # HRF per run
    V = len(voxels)
    out = np.empty((n_runs, n_vol - DROPPED_TRS, V), np.float32)
    parts = {k: np.empty_like(out) for k in drives} if keep_parts else {}
    scale = voxels.noise_scale.to_numpy()
    drift_sd = voxels.drift_sd.to_numpy()
    spiky = scale > 1
    t = np.arange(n_vol)[:, None] * TR
    for lo in range(0, V, chunk):
        hi = min(lo + chunk, V)
        g = rng(seed, "twin", "noise", subject, task, lo)
        n = hi - lo
        phi = g.uniform(0.2, 0.5, n)
        e = g.standard_normal((n_runs, n_vol, n))
        noise = np.empty_like(e)
        noise[:, 0] = e[:, 0]
        for i in range(1, n_vol):                                    # AR(1), unit variance
            noise[:, i] = phi * noise[:, i - 1] + np.sqrt(1 - phi ** 2) * e[:, i]
        # slow drift left after the 240-s filter: three cosines with periods of 100-400 s per run
        for _ in range(3):
            period = g.uniform(100, 400, (n_runs, 1, n))
            phase = g.uniform(0, 2 * np.pi, (n_runs, 1, n))
            noise += drift_sd[lo:hi] * np.sqrt(2 / 3) * np.cos(2 * np.pi * t[None] / period + phase)
        noise *= scale[lo:hi]
        spikes = (g.random((n_runs, n_vol, n)) < 0.006) & spiky[lo:hi]
        noise += spikes * g.choice([-1, 1], spikes.shape) * g.uniform(4, 8, spikes.shape) * scale[lo:hi]
        sig = {k: np.einsum("rtk,kv->rtv", conv[k], weights[k][:, lo:hi]) * gains[k][lo:hi] for k in drives}
        y = sum(sig.values()) + noise
        y, sig = y[:, DROPPED_TRS:], {k: s[:, DROPPED_TRS:] for k, s in sig.items()}
        mu, sd = y.mean(axis=1, keepdims=True), y.std(axis=1, keepdims=True)
        out[:, :, lo:hi] = (y - mu) / sd
        for k in parts:
            parts[k][:, :, lo:hi] = sig[k] / sd
    return out, parts


def oracle_r(parts: dict[str, np.ndarray], test_runs: np.ndarray) -> dict[str, np.ndarray]:
    """Pearson r per voxel between each planted signal and the response, both averaged over the 4
    repeats of the test runs (as ``Resp_Test_Mean``): the best any model of that drive can score."""
    from ..encoding.stats import pearson_columns

    y = test_mean(test_runs)
    return {k: pearson_columns(test_mean(s), y) for k, s in parts.items()}


def test_mean(test_runs: np.ndarray) -> np.ndarray:
    """(6, 400, V) -> (600, V): average of the 4 repeats of each test run."""
    n_runs, n_t, V = test_runs.shape
    return test_runs.reshape(n_runs, TEST_REPEATS, n_t // TEST_REPEATS, V).mean(axis=1).reshape(-1, V)


def label_tuning_table() -> pd.DataFrame:
    """The planted per-label tuning, one row per label (for ``twin_truth/label_tuning.tsv``)."""
    rows = {label: {"p_genre": t.p_genre, "p_acoustic_only": t.p_acoustic, "genre_snr_median": t.genre_snr,
                    "acoustic_snr_median": t.acoustic_snr, "acoustic_snr_in_genre_voxels": t.acoustic_snr * t.mixed_acoustic,
                    "unexplained_snr_median": t.unexplained_snr,
                    "favoured_genres": ",".join(GENRE_BIAS.get(label, ()))}
            for label, t in LABEL_TUNING.items()}
    return pd.DataFrame(rows).T.rename_axis("label")


def subject_extent_table() -> pd.Series:
    """How widely each subject's cortex represents genre (:data:`SUBJECT_EXTENT`, the factor on every
    label's ``p_genre``), as a Series indexed by subject named ``genre_extent``."""
    return pd.Series({s: SUBJECT_EXTENT.get(s, 1.0) for s in SUBJECTS}, name="genre_extent")


# --------------------------------------------------------------------------- behaviour


def choice_probabilities(tracks: pd.DataFrame) -> dict[tuple[str, int], np.ndarray]:
    """P(choice) (10,) per ``(genre, track)``: the genre the track sounds like with probability
    ``blend``, its own genre otherwise, and a lapse (a random other genre) with probability ``LAPSE``."""
    out = {}
    for r in tracks.itertuples():
        p = np.full(len(GENRES), LAPSE / (len(GENRES) - 1))
        p[GENRES.index(r.genre)] = 0.0
        p[GENRES.index(r.genre)] += (1 - LAPSE) * (1 - r.blend)
        p[GENRES.index(r.like)] += (1 - LAPSE) * r.blend
        out[(r.genre, int(r.track))] = p / p.sum()
    return out


def expected_choice_confusion(tracks: pd.DataFrame, test_genres, test_tracks) -> np.ndarray:
    """Expected listeners' confusion (rows true genre) over the given test clips."""
    probs = choice_probabilities(tracks)
    P = np.zeros((len(GENRES), len(GENRES)))
    counts = np.zeros(len(GENRES))
    for genre, track in zip(test_genres, test_tracks):
        i = GENRES.index(genre)
        P[i] += probs[(genre, int(track))]
        counts[i] += 1
    return P / np.maximum(counts, 1)[:, None]


def behavioural_choices(tracks: pd.DataFrame, trials, seed: int, subject: str) -> list[str]:
    """One simulated choice per ``(genre, track)`` trial, drawn from :func:`choice_probabilities`."""
    g = rng(seed, "twin", "behaviour", subject)
    probs = choice_probabilities(tracks)
    return [GENRES[g.choice(len(GENRES), p=probs[(genre, int(track))])] for genre, track in trials]
