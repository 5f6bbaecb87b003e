"""Where on the spectrogram BAN looks: Grad-CAM, LIME and occlusion (paper Figs. 6-8), and checks.

Every map has the input's shape (64 mel bands, frames) so the three can be compared cell by cell.

* Grad-CAM (captum ``LayerGradCam``) on one area, upsampled to the input. The layer is the area
  module itself, whose output is its **last pass**: a recurrent area's ``output`` hook fires once
  per pass, and the last pass is the state the next area reads.
* Occlusion (captum ``Occlusion``): a patch of ``patch`` (mel bands, frames) slides over the input
  and is set to silence, which on a log-mel input is its minimum, not zero; the map is the drop in the
  class probability (the paper's description), or in its logit on request.
* LIME (captum ``Lime``): the interpretable features are the same time-frequency patches; a patch
  is switched off by setting it to silence; a ridge surrogate is fitted on the samples.

Faithfulness: :func:`deletion_curve` removes patches in the order a map ranks them and follows the
class probability; a faithful map makes it fall faster than removing patches at random.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from scipy import stats

from ..config import CROP_FRAMES, GENRES, N_MELS, SAMPLE_RATE

PATCH = (8, 16)          # mel bands x frames (about 0.37 s)
METHODS = ("Grad-CAM", "LIME", "occlusion")


def _as_input(spec: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(spec, np.float32))[None, None]


def patch_mask(shape: tuple[int, int], patch=PATCH) -> np.ndarray:
    """(bands, frames) int: the id of the time-frequency patch each cell belongs to."""
    rows = np.arange(shape[0]) // patch[0]
    cols = np.arange(shape[1]) // patch[1]
    n_cols = cols.max() + 1
    return rows[:, None] * n_cols + cols[None, :]


def gradcam(model, spec: np.ndarray, target: int, area: str = "T2T3") -> np.ndarray:
    """Grad-CAM of ``target`` at ``area`` (its last pass), ReLU'd, upsampled to (bands, frames)."""
    from captum.attr import LayerAttribution, LayerGradCam

    model.eval()
    x = _as_input(spec)
    cam = LayerGradCam(model, model.areas()[area]).attribute(x, target=int(target), relu_attributions=True)
    up = LayerAttribution.interpolate(cam, tuple(x.shape[-2:]), interpolate_mode="bilinear")
    return up[0, 0].detach().numpy().astype(np.float32)


class _Probabilities(torch.nn.Module):
    """A classifier's softmax output: what the paper's occlusion measures changes of."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        """(batch, ...) -> (batch, n_classes) probabilities."""
        return torch.softmax(self.model(x), dim=1)


def occlusion(model, spec: np.ndarray, target: int, patch=PATCH, stride=None, on: str = "probability") -> np.ndarray:
    """Drop in the target's probability (``on="probability"``, as the paper describes) or logit
    (``on="logit"``) when each patch is silenced, averaged over overlapping windows: array of shape (bands, frames)."""
    from captum.attr import Occlusion

    model.eval()
    x = _as_input(spec)
    stride = stride or (patch[0] // 2, patch[1] // 2)
    forward = _Probabilities(model) if on == "probability" else model
    attr = Occlusion(forward).attribute(x, target=int(target), sliding_window_shapes=(1, *patch),
                                        strides=(1, *stride), baselines=float(spec.min()),
                                        perturbations_per_eval=32)
    return attr[0, 0].detach().numpy().astype(np.float32)


def lime(model, spec: np.ndarray, target: int, patch=PATCH, n_samples: int = 300, seed: int = 0) -> np.ndarray:
    """LIME weight of each time-frequency patch, painted over its cells."""
    from captum._utils.models.linear_model import SkLearnRidge
    from captum.attr import Lime

    model.eval()
    x = _as_input(spec)
    mask = torch.from_numpy(patch_mask(spec.shape, patch))[None, None]
    torch.manual_seed(seed)          # captum draws the perturbations with torch's generator
    attr = Lime(model, interpretable_model=SkLearnRidge(alpha=1.0)).attribute(
        x, target=int(target), feature_mask=mask, baselines=float(spec.min()), n_samples=n_samples,
        perturbations_per_eval=32)
    return attr[0, 0].detach().numpy().astype(np.float32)


def attribution_maps(model, spec: np.ndarray, target: int, area: str = "T2T3", seed: int = 0) -> dict[str, np.ndarray]:
    """All three maps, each (bands, frames)."""
    return {"Grad-CAM": gradcam(model, spec, target, area), "LIME": lime(model, spec, target, seed=seed),
            "occlusion": occlusion(model, spec, target)}


def patch_scores(attribution: np.ndarray, patch=PATCH) -> np.ndarray:
    """Mean attribution per patch, (n_patches,)."""
    ids = patch_mask(attribution.shape, patch).ravel()
    return np.bincount(ids, weights=attribution.ravel()) / np.bincount(ids)


def agreement(maps: dict[str, np.ndarray], patch=PATCH) -> dict[tuple[str, str], float]:
    """Spearman rho between every pair of maps, compared patch by patch."""
    names = list(maps)
    scores = {n: patch_scores(maps[n], patch) for n in names}
    return {(a, b): float(stats.spearmanr(scores[a], scores[b])[0])
            for i, a in enumerate(names) for b in names[i + 1:]}


@torch.no_grad()
def deletion_curve(model, spec: np.ndarray, target: int, order: np.ndarray, patch=PATCH,
                   steps: int = 20) -> np.ndarray:
    """Probability of ``target`` as patches are silenced in ``order`` (patch ids, first = removed
    first): (steps + 1,) from nothing removed to everything removed."""
    model.eval()
    ids = patch_mask(spec.shape, patch)
    n = int(ids.max()) + 1
    counts = np.linspace(0, n, steps + 1).round().astype(int)
    batch = np.repeat(np.asarray(spec, np.float32)[None], len(counts), axis=0)
    silence = float(spec.min())
    for i, k in enumerate(counts):
        batch[i][np.isin(ids, order[:k])] = silence
    prob = torch.softmax(model(torch.from_numpy(batch)[:, None]), dim=1)[:, int(target)]
    return prob.numpy()


def deletion_auc(curve: np.ndarray) -> float:
    """Area under a deletion curve on [0, 1] (trapezoid); lower = the map found what mattered."""
    x = np.linspace(0, 1, len(curve))
    return float(np.sum((curve[1:] + curve[:-1]) / 2 * np.diff(x)))


def faithfulness(model, spec: np.ndarray, target: int, maps: dict[str, np.ndarray], n_random: int = 5,
                 seed: int = 0, patch=PATCH, steps: int = 20) -> dict:
    """Deletion curves for each map (most-attributed patches first) and for random orders."""
    g = np.random.default_rng(seed)
    n = int(patch_mask(spec.shape, patch).max()) + 1
    curves = {name: deletion_curve(model, spec, target, np.argsort(-patch_scores(m, patch), kind="stable"),
                                   patch, steps) for name, m in maps.items()}
    random = np.stack([deletion_curve(model, spec, target, g.permutation(n), patch, steps) for _ in range(n_random)])
    curves["random"] = random.mean(axis=0)
    return {"curves": curves, "auc": {k: deletion_auc(v) for k, v in curves.items()},
            "random_auc_sd": float(np.std([deletion_auc(c) for c in random]))}


def mel_frequencies(n_mels: int = N_MELS, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Centre frequency (Hz) of each mel band of :func:`banlib.features.log_mel` (HTK mel, 0 to sr/2)."""
    def hz_to_mel(f):
        return 2595.0 * np.log10(1.0 + f / 700.0)

    mels = np.linspace(hz_to_mel(0.0), hz_to_mel(sr / 2), n_mels + 2)[1:-1]
    return 700.0 * (10 ** (mels / 2595.0) - 1.0)


def band_share(attribution: np.ndarray, rows: slice) -> float:
    """Share of the positive attribution that lies in the mel ``rows``."""
    pos = np.clip(attribution, 0, None)
    total = pos.sum()
    return float(pos[rows].sum() / total) if total > 0 else 0.0


def intensity_and_frequency(spec: np.ndarray, attribution: np.ndarray) -> dict[str, float]:
    """The paper's reading of its maps, as numbers: Spearman rho between attribution and spectrogram
    intensity (cell by cell), and the share of positive attribution in the lower half of the mel bands."""
    rho = stats.spearmanr(np.asarray(spec).ravel(), np.asarray(attribution).ravel())[0]
    return {"intensity_rho": float(rho), "low_half_share": band_share(attribution, slice(0, spec.shape[0] // 2))}


def middle_crop(spec: np.ndarray, frames: int = CROP_FRAMES) -> np.ndarray:
    """The centred ``frames``-long crop of a (bands, frames) spectrogram (what BAN was trained on)."""
    start = max(0, (spec.shape[1] - frames) // 2)
    return spec[:, start:start + frames]



# ------------------------------------------------------------------------ the chapter's steps
@dataclass
class Explained:
    """A trained network on the 60 fMRI test clips, ready to be explained.

    Attributes
    ----------
    model : BAN (on the CPU, eval mode)
    names : list of str
        Clip names ``genre.000NN``.
    labels, pred : int arrays of shape (60,)
        True and predicted genre index.
    prob : array of shape (60, 10)
        Predicted probabilities (softmax averaged over crops).
    crops : list of arrays of shape (64, 128)
        The centred training-length crop of each clip's standardised log-mel spectrogram.
    """

    model: object
    names: list
    labels: np.ndarray
    pred: np.ndarray
    prob: np.ndarray
    crops: list

    @property
    def accuracy(self) -> float:
        """Share of the test clips predicted correctly."""
        return float((self.pred == self.labels).mean())

    def of_genre(self, genre: str, n: int | None = None) -> list[int]:
        """Indices of the clips of ``genre`` (the first ``n``)."""
        found = [i for i, lab in enumerate(self.labels) if GENRES[lab] == genre]
        return found[:n] if n else found

    def maps(self, i: int, target: int | None = None, seed: int = 0, area: str = "A1") -> dict[str, np.ndarray]:
        """The three attribution maps of clip ``i`` for ``target`` (default: its predicted class)."""
        target = int(self.pred[i]) if target is None else int(target)
        return attribution_maps(self.model, self.crops[i], target, area=area, seed=seed)


def explain_test_clips(pipe, name: str = "BAN") -> Explained:
    """The pipeline's trained network (on the CPU, where it is explained) and its predictions on the fMRI test
    clips (:meth:`~banlib.analyses.pipeline.Pipeline.predictions`, computed once per book on the pipeline's
    device, as chapter 03's: on a GPU a clip whose two best genres nearly tie may be predicted otherwise than
    the CPU copy would)."""
    model, _, _ = pipe.network(name)
    model = model.cpu().eval()
    test = pipe.training_data["fmri_test"]
    prob = pipe.predictions(name, "fmri_test")
    return Explained(model, list(test.names), np.asarray(test.labels), prob.argmax(1), prob,
                     [middle_crop(s) for s in test.specs])


def confused_clip(ex: Explained, true: str = "blues", taken_for: str = "jazz") -> tuple[int, int]:
    """A ``true`` clip predicted as ``taken_for`` (the first), else the ``true`` clip with the highest
    ``taken_for`` probability; returns ``(clip index, number of clips actually so confused)``."""
    t, f = GENRES.index(true), GENRES.index(taken_for)
    mine = [i for i, lab in enumerate(ex.labels) if lab == t]
    wrong = [i for i in mine if ex.pred[i] == f]
    return (wrong[0] if wrong else max(mine, key=lambda i: ex.prob[i, f])), len(wrong)


def agreement_table(maps: dict[int, dict]) -> pd.DataFrame:
    """Spearman rho between each pair of methods, one row per explained clip."""
    return pd.DataFrame([{f"{a} vs {b}": r for (a, b), r in agreement(m).items()} for m in maps.values()])


def deletion_results(ex: Explained, maps: dict[int, dict], seed: int = 0) -> tuple[pd.DataFrame, dict]:
    """Deletion AUC per clip and method (plus ``random``), and the curves ``{method: [curve per clip]}``."""
    aucs, curves = [], {}
    for i, m in maps.items():
        f = faithfulness(ex.model, ex.crops[i], int(ex.pred[i]), m, seed=seed)
        aucs.append(f["auc"])
        for k, c in f["curves"].items():
            curves.setdefault(k, []).append(c)
    return pd.DataFrame(aucs), curves


def gradcam_deletion_by_area(ex: Explained, clips, random_auc: pd.Series, areas) -> pd.DataFrame:
    """Deletion AUC of Grad-CAM attached to each area, per clip, beside the random order's."""
    rows = []
    for k, i in enumerate(clips):
        target = int(ex.pred[i])
        row = {a: deletion_auc(deletion_curve(ex.model, ex.crops[i], target,
                                              np.argsort(-patch_scores(gradcam(ex.model, ex.crops[i], target, a)),
                                                         kind="stable")))
               for a in areas}
        rows.append(row | {"random": float(random_auc.iloc[k])})
    return pd.DataFrame(rows)


def reading_rows(ex: Explained, maps: dict[int, dict]) -> pd.DataFrame:
    """The paper's reading per explained clip and method: ``clip method intensity_rho low_half_share``."""
    rows = [{"clip": ex.names[i], "method": meth, **intensity_and_frequency(ex.crops[i], m[meth])}
            for i, m in maps.items() for meth in METHODS]
    return pd.DataFrame(rows)


READING_REASONS = {"reading_per_clip": "rho is undefined for a map without variation"}


def reading_values(reading: pd.DataFrame, ex: Explained, maps: dict[int, dict]) -> dict:
    """The chapter's results on the paper's reading: the means per method (``reading``, :func:`reading_table`) and
    every clip's (``reading_per_clip``)."""
    return {"intensity_rho": reading.intensity_rho.round(4).to_dict(), "low_half_share": reading.low_half_share.round(4).to_dict(),
            "reading_per_clip": reading_rows(ex, maps).round(4).to_dict(orient="records")}


def reading_table(ex: Explained, maps: dict[int, dict]) -> pd.DataFrame:
    """The paper's reading per method: mean intensity rho and low-half share over the explained clips."""
    return reading_rows(ex, maps).groupby("method")[["intensity_rho", "low_half_share"]].mean()
