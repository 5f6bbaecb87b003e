"""Simulated cortex for the twin: voxels, planted tuning, BOLD responses, behaviour.

Three kinds of voxel are planted (``truth`` column of the voxel table):

* ``genre``: respond to genre identity (a fixed response per genre for the whole clip);
* ``acoustic``: respond to acoustic features of the audio actually played (log-mel band
  energies and spectral flux per TR), orthogonalised against genre so that they carry no
  genre information on average;
* ``none``: noise only.

Responses are the drive convolved with a double-gamma HRF at TR 1.5 s, scaled to a per-voxel
SNR (signal sd / noise sd), plus AR(1) noise; then, as in the real derivatives, the first 10
TRs of each run are dropped and each voxel is z-scored per run.

This separation is cleaner than real cortex, where genre and acoustics are entangled.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import ndimage, signal, stats

from ..data.atlas import CODE_TO_ROI, cortical_voxels, destrieux_2mm, is_cortical
from ..config import DROPPED_TRS, GENRES, TEST_REPEATS, TR, rng

# probability that a voxel of each label is planted as genre / acoustic
P_GENRE = {"HS": 0.5, "LSTG": 0.45, "PT": 0.25, "HG": 0.2, "other": 0.01}
P_ACOUSTIC = {"HS": 0.2, "LSTG": 0.25, "PT": 0.45, "HG": 0.55, "other": 0.01}
# genres with a stronger mean response, per label (the paper: pop, disco, country, hip-hop
# in lateral STG; blues around Heschl's sulcus)
GENRE_BIAS = {"LSTG": ("pop", "disco", "country", "hiphop"), "HS": ("blues",)}
ROI_FRACTION_QUICK = 0.4      # share of auditory-ROI voxels in a down-sized (quick) subject


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


def make_voxels(subject: str, n_voxels: int, seed: int, candidates: pd.DataFrame) -> pd.DataFrame:
    """Sample a subject's voxels and plant their kind, SNR and tuning labels."""
    g = rng(seed, "twin", "voxels", subject)
    in_roi = candidates.roi.to_numpy() != "other"
    core = ~candidates.rim.to_numpy()
    roi_idx = np.nonzero(in_roi & core)[0]
    if n_voxels >= core.sum():                      # full size: every cortical voxel, then rim
        rim_idx = np.nonzero(~core)[0]
        chosen = np.concatenate([np.nonzero(core)[0], g.choice(rim_idx, n_voxels - core.sum(), replace=False)])
    else:
        n_roi = min(len(roi_idx), int(round(ROI_FRACTION_QUICK * n_voxels)))
        if n_voxels >= 0.5 * core.sum():
            n_roi = len(roi_idx)
        other_idx = np.nonzero(~in_roi & core)[0]
        chosen = np.concatenate([g.choice(roi_idx, n_roi, replace=False),
                                 g.choice(other_idx, n_voxels - n_roi, replace=False)])
    vox = candidates.iloc[np.sort(chosen)].reset_index(drop=True).drop(columns="rim")
    short = vox.roi.str.split(".").str[-1]
    u = g.random(len(vox))
    p_gen = short.map(P_GENRE).to_numpy()
    p_aco = short.map(P_ACOUSTIC).to_numpy()
    kind = np.where(u < p_gen, "genre", np.where(u < p_gen + p_aco, "acoustic", "none"))
    snr = np.exp(g.normal(np.log(0.25), 0.4, len(vox))).clip(0.1, 1.0)
    vox["truth"] = kind
    vox["snr"] = np.where(kind == "none", 0.0, snr).round(4)
    vox.insert(0, "voxel", np.arange(len(vox)))
    return vox


def genre_weights(voxels: pd.DataFrame, seed: int, subject: str) -> np.ndarray:
    """(V, 10) genre tuning; zero except for genre voxels."""
    g = rng(seed, "twin", "genre_weights", subject)
    W = g.normal(0, 1, (len(voxels), len(GENRES)))
    short = voxels.roi.str.split(".").str[-1].to_numpy()
    for label, favoured in GENRE_BIAS.items():
        cols = [GENRES.index(x) for x in favoured]
        W[np.ix_(short == label, cols)] += 1.0
    W[voxels.truth.to_numpy() != "genre"] = 0
    return W


def acoustic_weights(voxels: pd.DataFrame, n_features: int, seed: int, subject: str) -> np.ndarray:
    g = rng(seed, "twin", "acoustic_weights", subject)
    W = g.normal(0, 1, (len(voxels), n_features))
    W[voxels.truth.to_numpy() != "acoustic"] = 0
    return W


def orthogonalise_genre(acoustic: np.ndarray, genres) -> np.ndarray:
    """Remove each genre's mean from per-clip features (n_clips, 10, F); z-score overall."""
    out = acoustic.astype(np.float64).copy()
    genres = np.asarray(genres)
    for name in np.unique(genres):
        out[genres == name] -= out[genres == name].mean(axis=(0, 1))
    flat = out.reshape(-1, out.shape[-1])
    return ((out - flat.mean(0)) / flat.std(0)).astype(np.float32)


def simulate_runs(drive: np.ndarray, weights: np.ndarray, snr: np.ndarray, h: np.ndarray,
                  seed: int, subject: str, task: str, chunk: int = 8192) -> np.ndarray:
    """BOLD for every run: ``drive`` (n_runs, 410, K) stimulus features on the TR grid,
    ``weights`` (K, V). Returns (n_runs, 400, V) float32, lead-in dropped, z-scored per run."""
    n_runs, n_vol, _ = drive.shape
    conv = signal.lfilter(h, [1.0], drive, axis=1)                    # HRF convolution per run
    V = weights.shape[1]
    out = np.empty((n_runs, n_vol - DROPPED_TRS, V), np.float32)
    sig_all = np.einsum("rtk,kv->rtv", conv, weights)
    sd = sig_all.reshape(-1, V).std(0)
    scale = np.divide(snr, sd, out=np.zeros_like(sd), where=sd > 0)
    for lo in range(0, V, chunk):
        hi = min(lo + chunk, V)
        g = rng(seed, "twin", "noise", subject, task, lo)
        phi = g.uniform(0.2, 0.5, hi - lo)
        e = g.standard_normal((n_runs, n_vol, hi - lo))
        noise = np.empty_like(e)
        noise[:, 0] = e[:, 0]
        for t in range(1, n_vol):                                    # AR(1), unit variance
            noise[:, t] = phi * noise[:, t - 1] + np.sqrt(1 - phi ** 2) * e[:, t]
        y = sig_all[:, :, lo:hi] * scale[lo:hi] + noise
        y = y[:, DROPPED_TRS:]
        y = (y - y.mean(axis=1, keepdims=True)) / y.std(axis=1, keepdims=True)
        out[:, :, lo:hi] = y
    return out


def test_mean(test_runs: np.ndarray) -> np.ndarray:
    """(6, 400, V) -> (600, V): average of the 4 repeats of each test run."""
    n_runs, n_t, V = test_runs.shape
    return test_runs.reshape(n_runs, TEST_REPEATS, n_t // TEST_REPEATS, V).mean(axis=1).reshape(-1, V)


def behavioural_confusion() -> np.ndarray:
    """Planted P(choice | true genre), rows = true genre (GTZAN order)."""
    acc = {"blues": .75, "classical": .95, "country": .7, "disco": .7, "hiphop": .8, "jazz": .8,
           "metal": .85, "pop": .75, "reggae": .6, "rock": .5}
    confusions = {("reggae", "rock"): .2, ("rock", "country"): .2, ("rock", "metal"): .15,
                  ("blues", "jazz"): .1, ("disco", "pop"): .15, ("country", "rock"): .1, ("pop", "disco"): .1,
                  ("jazz", "blues"): .1, ("hiphop", "reggae"): .05}
    n = len(GENRES)
    P = np.zeros((n, n))
    for i, g in enumerate(GENRES):
        P[i, i] = acc[g]
        for (a, b), p in confusions.items():
            if a == g:
                P[i, GENRES.index(b)] = p
        rest = 1 - P[i].sum()
        free = P[i] == 0
        P[i, free] = rest / free.sum()
    return P


def behavioural_choices(test_genres, seed: int, subject: str) -> list[str]:
    g = rng(seed, "twin", "behaviour", subject)
    P = behavioural_confusion()
    return [GENRES[g.choice(len(GENRES), p=P[GENRES.index(x)])] for x in test_genres]
