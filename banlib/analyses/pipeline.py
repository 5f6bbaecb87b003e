"""The steps later chapters share, computed once per book run and reused.

A :class:`Pipeline` is one (data, profile, seed, work folder). Trained networks live in
``<work>/checkpoints/<name>-seed<seed>/`` (weights only; the optimiser state needed to resume an
interrupted training lives in ``<work>/.scratch/``, outside the recorded outputs, and is deleted
when training completes) and ROI masks in ``<work>/results/02_roi_<sub>.npz``
(written by the ROI chapter); a chapter run on its own computes what is missing and leaves
it there for the next. Every step is deterministic given the seed, so a cached result and a
recomputed one are the same.
"""
from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np

from ..config import get_profile
from ..config import grid_widths as _grid_widths


def work_dir(results_path) -> Path:
    """The book run's output folder (``build/``) given a notebook's ``results_path``."""
    return Path(results_path).absolute().parent.parent if results_path else Path("build-local").absolute()


def network_tag(name: str, passes=None) -> str:
    return name.replace(" ", "_") + ("" if passes is None else "-" + "".join(map(str, passes)))


class Pipeline:
    def __init__(self, source, profile: str, seed: int, work: str | Path, device: str | None = None,
                 grid_widths: str = "quick"):
        self.source, self.profile, self.seed = source, get_profile(profile), seed
        self.grid_widths = _grid_widths(self.profile, grid_widths)   # the recurrence grid's channel widths
        self.work = Path(work)
        self._requested_device = device
        self._spectrogram_cache: dict = {}     # per input normalisation
        self._responses_cache: dict = {}       # per (network, passes)

    @cached_property
    def training_data(self):
        """Spectrograms for training (``train``, ``val``, ``fmri_test``); read only when needed."""
        from ..models.train import prepare_data

        return prepare_data(self.source, split="random", seed=self.seed)

    @cached_property
    def device(self) -> str:
        """The device asked for, else CUDA when available, else CPU."""
        if self._requested_device:
            return self._requested_device
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"

    def config(self, name: str, passes=None, widths=None):
        from ..models.train import TrainConfig

        return TrainConfig(model=name, widths=tuple(widths or self.profile.widths), passes=passes,
                           epochs=self.profile.train_epochs, seed=self.seed, device=self.device)

    def network(self, name: str = "BAN", passes=None, widths=None):
        """``(model, history, (input_mean, input_sd))``: loaded when trained, else trained now.

        ``widths`` other than the profile's go into the checkpoint folder's name (``-w16-32-64-128``)."""
        from ..models.train import load_trained, train

        cfg = self.config(name, passes, widths)
        tag = network_tag(name, passes)
        if cfg.widths != tuple(self.profile.widths):
            tag += "-w" + "-".join(map(str, cfg.widths))
        out = self.work / "checkpoints" / f"{tag}-seed{self.seed}"
        done = load_trained(cfg, out)
        if done is not None:
            model, history, norm = done
            return model.to(cfg.device), history, norm
        data = self.training_data
        model, history = train(cfg, data, out, progress=False,
                               scratch_dir=self.work / ".scratch" / "checkpoints" / out.name)
        return model, history, (data["train"].mean, data["train"].sd)

    def grid_network(self, passes):
        """The recurrence grid's BAN with ``passes`` (Belt, PB, T2/T3) at the grid's widths
        (:attr:`grid_widths`); BAN's own 2/2/4 at the profile's widths is the main BAN, not trained twice."""
        from ..models.ban import MODEL_SPECS

        if tuple(passes) == MODEL_SPECS["BAN"]["passes"] and self.grid_widths == tuple(self.profile.widths):
            return self.network("BAN")
        return self.network("BAN", tuple(passes), widths=self.grid_widths)

    @cached_property
    def clips(self):
        from ..data.design import clip_table

        return clip_table(self.source)

    def stimulus_spectrograms(self, norm: tuple[float, float]) -> np.ndarray:
        """(540, 64, frames) standardised log-mel of every stimulus as played; cached per ``norm``."""
        from ..models.activations import clip_spectrograms

        if norm not in self._spectrogram_cache:
            self._spectrogram_cache[norm] = clip_spectrograms(self.source, self.clips, *norm)
        return self._spectrogram_cache[norm]

    def responses(self, name: str = "BAN", passes=None) -> dict:
        """A trained network on the 540 stimuli: ``activations`` {area: (540, 10, F)},
        ``predictions`` {clip name: genre} for the 60 test clips, and the ``model``. Cached."""
        key = (name, None if passes is None else tuple(passes))
        if key not in self._responses_cache:
            self._responses_cache[key] = self._responses(name, passes)
        return self._responses_cache[key]

    def _responses(self, name: str, passes) -> dict:
        from ..config import GENRES
        from ..models.activations import area_activations
        from ..models.train import SpectrogramSet, predict

        model, history, norm = self.network(name, passes)
        specs = self.stimulus_spectrograms(norm)
        test = np.nonzero((self.clips.split == "Test").to_numpy())[0]
        names = [f"{g}.{int(t):05d}" for g, t in zip(self.clips.genre.iloc[test], self.clips.track.iloc[test])]
        prob = predict(model, SpectrogramSet(list(specs[test]), np.zeros(len(test), int), names),
                       self.config(name, passes).crop_frames, self.device)
        return {"model": model, "history": history,
                "activations": area_activations(model, specs, device=self.device),
                "predictions": {n: GENRES[k] for n, k in zip(names, prob.argmax(1))}}

    @cached_property
    def mfcc_features(self) -> np.ndarray:
        """(540, 10, 32) MFCC-model features of every stimulus as played (:mod:`banlib.mfcc`)."""
        from ..features.mfcc import clip_mfcc
        from ..models.activations import played_stimuli

        return np.stack([clip_mfcc(w) for w in played_stimuli(self.source, self.clips)])

    def genre_features(self, name: str = "BAN") -> np.ndarray:
        """(540, 10, 10) the network's genre probabilities per TR (:func:`banlib.activations.genre_outputs`)."""
        from ..models.activations import genre_outputs

        model, _, norm = self.network(name)
        return genre_outputs(model, self.stimulus_spectrograms(norm), device=self.device)

    def roi_mask(self, subject: str) -> np.ndarray:
        """The subject's genre ROI (V,) bool, from the ROI chapter's file or selected now."""
        from .roi import ROISelector, select_roi

        path = self.work / "results" / f"02_roi_{subject}.npz"
        if path.exists():
            with np.load(path, allow_pickle=False) as f:
                return f["mask"].astype(bool)
        sel = ROISelector(n_repeats=self.profile.n_roi_repeats, seed=self.seed)
        select_roi(self.source, subject, sel)
        save_roi(path, sel)
        return sel.mask_


def save_roi(path: str | Path, selector) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.npz")
    np.savez(tmp, mask=selector.mask_, frequency=selector.frequency_.astype(np.float32),
             mean_r=selector.mean_r_.astype(np.float32))
    tmp.replace(path)
