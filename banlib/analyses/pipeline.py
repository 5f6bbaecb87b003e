"""The steps later chapters share, computed once per book run and reused.

A :class:`Pipeline` is one (data, profile, seed, work folder). Trained networks live in
``<work>/checkpoints/<name>-seed<seed>/`` (weights only) and ROI masks in ``<work>/results/02_roi_<sub>.npz``
(written by the ROI chapter). Outside the recorded outputs, ``<work>/.scratch/`` holds the optimiser state
needed to resume an interrupted training (deleted when training completes), the networks' responses to
the stimuli (``responses/``) and their predictions on the held-out tracks and the fMRI test clips
(``predictions/``), both keyed by the weights and the spectrograms. A chapter run on its own computes
what is missing and leaves it there for the next. Every step is deterministic given the seed, so a cached
result and a recomputed one are the same.
"""
from __future__ import annotations

import hashlib
from functools import cached_property
from pathlib import Path

import numpy as np

from ..config import Profile, get_profile, network_seed
from ..config import grid_widths as _grid_widths


UNTRAINED = " (untrained)"     # suffix of a network name that asks for its untrained control


def work_dir(results_path) -> Path:
    """The book run's output folder (``build/``) given a notebook's ``results_path``."""
    return Path(results_path).absolute().parent.parent if results_path else Path("build-local").absolute()


def network_tag(name: str, passes=None) -> str:
    """A file-name-safe tag of a network (and its passes, for the recurrence grid)."""
    return name.replace(" ", "_") + ("" if passes is None else "-" + "".join(map(str, passes)))


class Pipeline:
    """Shared, cached steps of one book run.

    Parameters
    ----------
    source : DataSource
        The data (:func:`banlib.data.dataset.open_source`).
    profile : str or Profile
        ``"quick"`` or ``"full"``; resolved once here.
    seed : int
        The run's seed (training, resampling).
    work : path
        The book run's output folder; checkpoints and ROI masks are kept under it.
    device : str, optional
        Torch device; default CUDA when available, else CPU.
    grid_widths : {"quick", "full"}
        Channel widths of the recurrence grid (chapter 03): the quick widths in every profile unless "full".
    """

    def __init__(self, source, profile: str | Profile, seed: int, work: str | Path, device: str | None = None,
                 grid_widths: str = "quick"):
        self.source = source
        self.profile = profile if isinstance(profile, Profile) else get_profile(profile)
        self.seed = seed
        self.grid_widths = _grid_widths(self.profile, grid_widths)   # the recurrence grid's channel widths
        self.work = Path(work)
        self._requested_device = device
        self._designs: dict = {}               # per subject
        self._voxel_tables: dict = {}          # per subject
        self._rois: dict = {}                  # per subject
        self._spectrogram_cache: dict = {}     # per input normalisation
        self._spectrogram_digests: dict = {}   # per input normalisation
        self._responses_cache: dict = {}       # per (network, passes)
        self._predictions: dict = {}           # per (network, passes, widths, replicate, split)
        self._set_digests: dict = {}           # per split of the training data

    # ------------------------------------------------------------------ data
    @cached_property
    def subjects(self) -> list[str]:
        """The subjects of the data source."""
        return self.source.subjects()

    def design(self, subject: str | None = None):
        """The subject's :class:`~banlib.data.design.SubjectDesign`, read once (default: first subject)."""
        from ..data.design import subject_design

        subject = subject or self.subjects[0]
        if subject not in self._designs:
            self._designs[subject] = subject_design(self.source, subject)
        return self._designs[subject]

    @property
    def clips(self):
        """The 540 clips (:func:`banlib.data.design.clip_table`) of the first subject."""
        return self.design().clips

    def voxel_table(self, subject: str):
        """Per-voxel coordinates and labels (DataFrame), or None where the data have none."""
        from ..data.dataset import voxel_table

        if subject not in self._voxel_tables:
            self._voxel_tables[subject] = voxel_table(self.source, subject)
        return self._voxel_tables[subject]

    @property
    def has_coordinates(self) -> bool:
        """Whether every subject's voxels have coordinates and anatomical labels."""
        return all(self.voxel_table(s) is not None for s in self.subjects)

    @property
    def located_subjects(self) -> list[str]:
        """The subjects whose voxels have coordinates and labels (on real data: those ``banlib coordinates``
        has been run for)."""
        return [s for s in self.subjects if self.voxel_table(s) is not None]

    # ------------------------------------------------------------------ ROI
    def roi_path(self, subject: str, split: str = "training") -> Path:
        """Where the subject's ROI is kept: ``<work>/results/02_roi_<sub>.npz`` (``02_roi_paper_<sub>.npz`` for
        the paper's split)."""
        tag = "" if split == "training" else f"{split}_"
        return self.work / "results" / f"02_roi_{tag}{subject}.npz"

    def roi(self, subject: str, recompute: bool = False, split: str = "training", progress=None):
        """The subject's genre ROI (:class:`~banlib.analyses.roi.ROI`): read from the ROI chapter's
        file, or selected now (and saved) when missing or ``recompute``. ``split``: ``training`` (the book's
        selection, training runs only) or ``paper`` (training and test pooled, as Table I implies)."""
        from .roi import ROI, ROISelector, select_roi, selection_fingerprint

        path, key = self.roi_path(subject, split), (subject, split)
        if not recompute and key in self._rois:
            return self._rois[key]
        sel = ROISelector(n_repeats=self.profile.n_roi_repeats, seed=self.seed)
        inputs = selection_fingerprint(self.source, subject, sel, split)
        roi = None if recompute or not path.exists() else ROI.load(path, subject)
        if roi is None or roi.inputs != inputs:       # missing, or selected from other data or settings
            roi = select_roi(self.source, self.design(subject), sel, split=split, progress=progress)
            roi.inputs = inputs
            roi.save(path)
        self._rois[key] = roi
        return roi

    def rois(self, recompute: bool = False, split: str = "training", progress: bool = True) -> dict:
        """:meth:`roi` of every subject, ``{subject: ROI}``, with a progress bar."""
        from tqdm.auto import tqdm

        return {s: self.roi(s, recompute, split) for s in tqdm(self.subjects, desc=f"ROI selection ({split})",
                                                                unit="subject", disable=not progress)}

    def voxel_tables(self) -> dict:
        """:meth:`voxel_table` of every subject (values None where the data have no coordinates)."""
        return {s: self.voxel_table(s) for s in self.subjects}

    def roi_mask(self, subject: str, split: str = "training") -> np.ndarray:
        """The subject's genre ROI as a bool array of shape (V,)."""
        return self.roi(subject, split=split).mask

    # ------------------------------------------------------------------ networks
    @cached_property
    def training_data(self):
        """Spectrograms for training (``train``, ``val``, ``fmri_test``); read only when needed."""
        from ..models.train import prepare_data

        return prepare_data(self.source, split="random", seed=self.seed, clips=self.clips,
                            fingerprint=self.__dict__.get("training_fingerprint"))

    @cached_property
    def training_fingerprint(self) -> str:
        """What the networks learn from, as a hash of the training files' names and contents
        (:func:`banlib.models.train.training_fingerprint`): a checkpoint trained on other data is not reused."""
        from ..models.train import training_fingerprint

        if "training_data" in self.__dict__:
            return self.training_data["train"].fingerprint
        return training_fingerprint(self.source, self.clips)

    @cached_property
    def device(self) -> str:
        """The device asked for, else CUDA when available, else CPU."""
        if self._requested_device:
            return self._requested_device
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"

    @property
    def replicates(self) -> range:
        """The training replicates of every network: ``range(profile.training_seeds)``; replicate ``k`` is
        trained with seed :func:`banlib.config.network_seed` ``(seed, k)``."""
        return range(self.profile.training_seeds)

    def config(self, name: str, passes=None, widths=None, replicate: int = 0):
        """The :class:`~banlib.models.train.TrainConfig` of a network in this profile (``widths`` default:
        the profile's; ``replicate``: which of its training seeds)."""
        from ..models.train import TrainConfig

        return TrainConfig(model=name, widths=tuple(widths or self.profile.widths), passes=passes,
                           epochs=self.profile.train_epochs, seed=network_seed(self.seed, replicate),
                           device=self.device)

    def network(self, name: str = "BAN", passes=None, widths=None, replicate: int = 0):
        """``(model, history, (input_mean, input_sd))``: loaded when trained, else trained now. A name ending
        in ``" (untrained)"`` gives that network's initial weights (history empty), the untrained control.

        ``widths`` other than the profile's go into the checkpoint folder's name (``-w16-32-64-128``)."""
        from ..models.train import initial_model, load_trained, train

        if name.endswith(UNTRAINED):
            # the control: the weights training starts from; inputs standardised as for the trained network
            base = name.removesuffix(UNTRAINED)
            _, _, norm = self.network(base, passes, widths, replicate)
            model = initial_model(self.config(base, passes, widths, replicate)).to(self.device).eval()
            return model, [], norm
        cfg = self.config(name, passes, widths, replicate)
        tag = network_tag(name, passes)
        if cfg.widths != tuple(self.profile.widths):
            tag += "-w" + "-".join(map(str, cfg.widths))
        out = self.work / "checkpoints" / f"{tag}-seed{cfg.seed}"
        done = load_trained(cfg, out, self.training_fingerprint)
        if done is not None:
            model, history, norm = done
            return model.to(cfg.device), history, norm
        data = self.training_data
        model, history = train(cfg, data, out, progress=False,
                               scratch_dir=self.work / ".scratch" / "checkpoints" / out.name)
        return model, history, (data["train"].mean, data["train"].sd)

    def _grid_args(self, passes) -> tuple:
        """``(name, passes, widths)`` of the recurrence grid's network with ``passes``: BAN's own 2/2/4 at the
        profile's widths is the main BAN (``("BAN", None, None)``), not trained twice."""
        from ..models.ban import MODEL_SPECS

        if tuple(passes) == MODEL_SPECS["BAN"]["passes"] and self.grid_widths == tuple(self.profile.widths):
            return "BAN", None, None
        return "BAN", tuple(passes), self.grid_widths

    def grid_network(self, passes, replicate: int = 0):
        """The recurrence grid's BAN with ``passes`` (Belt, PB, T2/T3) at the grid's widths
        (:attr:`grid_widths`); BAN's own 2/2/4 at the profile's widths is the main BAN, not trained twice."""
        name, passes, widths = self._grid_args(passes)
        return self.network(name, passes, widths, replicate)

    def predictions(self, name: str = "BAN", split: str = "val", passes=None, widths=None,
                    replicate: int = 0) -> np.ndarray:
        """A trained network's clip-level genre probabilities (softmax averaged over 3-s crops,
        :func:`~banlib.models.train.predict`), array of shape (n clips, 10), on ``split`` of
        :attr:`training_data`: ``val`` (the held-out tracks) or ``fmri_test`` (the 60 fMRI test clips as played).

        Computed once: kept in memory, and on disk under ``<work>/.scratch/predictions/`` keyed by the weights,
        the set's spectrograms and the crop length (as :meth:`responses` are), so that a later chapter, or a
        book on other data with the same networks and the same audio, reads them."""
        key = (name, None if passes is None else tuple(passes), None if widths is None else tuple(widths),
               replicate, split)
        if key not in self._predictions:
            self._predictions[key] = self._predict(name, split, passes, widths, replicate)
        return self._predictions[key]

    def grid_predictions(self, passes, split: str = "val", replicate: int = 0) -> np.ndarray:
        """:meth:`predictions` of the recurrence grid's network with ``passes`` (see :meth:`grid_network`)."""
        name, passes, widths = self._grid_args(passes)
        return self.predictions(name, split, passes, widths, replicate)

    def _set_digest(self, split: str) -> str:
        from ..models.activations import stimuli_digest

        if split not in self._set_digests:
            data = self.training_data[split]
            digest = hashlib.sha256("\0".join(data.names).encode())
            for x in data.specs:
                digest.update(stimuli_digest(x).encode())
            self._set_digests[split] = digest.hexdigest()
        return self._set_digests[split]

    def _predict(self, name, split, passes, widths, replicate) -> np.ndarray:
        from ..models.activations import read_cached, responses_key, write_cached
        from ..models.train import predict

        model, _, _ = self.network(name, passes, widths, replicate)
        crop = self.config(name, passes, widths, replicate).crop_frames
        key = responses_key(model, self._set_digest(split), "predictions", split, crop, self.device)
        path = self.work / ".scratch" / "predictions" / f"{network_tag(name, passes)}-r{replicate}-{split}-{key}.npz"
        cached = read_cached(path, ["probabilities"])
        if cached is not None:
            return cached["probabilities"]
        prob = predict(model, self.training_data[split], crop, self.device).astype(np.float32)
        write_cached(path, {"probabilities": prob})
        return prob

    def stimulus_spectrograms(self, norm: tuple[float, float]) -> np.ndarray:
        """Standardised log-mel of every stimulus as played, array of shape (540, 64, frames); cached per
        ``norm`` (the training set's mean and sd)."""
        from ..models.activations import clip_spectrograms

        if norm not in self._spectrogram_cache:
            self._spectrogram_cache[norm] = clip_spectrograms(self.source, self.clips, *norm)
        return self._spectrogram_cache[norm]

    def stimulus_digest(self, norm: tuple[float, float]) -> str:
        """:func:`~banlib.models.activations.stimuli_digest` of :meth:`stimulus_spectrograms` (``norm``), cached."""
        from ..models.activations import stimuli_digest

        if norm not in self._spectrogram_digests:
            self._spectrogram_digests[norm] = stimuli_digest(self.stimulus_spectrograms(norm))
        return self._spectrogram_digests[norm]

    def responses(self, name: str = "BAN", passes=None, replicate: int = 0, widths=None) -> dict:
        """A trained network on the 540 stimuli: ``activations`` {area: array of shape (540, 10, F)},
        ``predictions`` {clip name: genre} for the 60 test clips, the ``model`` and its ``history``. Cached.
        ``widths`` other than the profile's: a network of the recurrence grid (:meth:`grid_responses`)."""
        key = (name, None if passes is None else tuple(passes), replicate, None if widths is None else tuple(widths))
        if key not in self._responses_cache:
            self._responses_cache[key] = self._responses(name, passes, replicate, widths)
        return self._responses_cache[key]

    def grid_responses(self, passes, replicate: int = 0) -> dict:
        """:meth:`responses` of the recurrence grid's network with ``passes`` (see :meth:`grid_network`)."""
        name, passes, widths = self._grid_args(passes)
        return self.responses(name, passes, replicate, widths)

    def _responses(self, name: str, passes, replicate: int = 0, widths=None) -> dict:
        from ..config import GENRES
        from ..models.activations import AREAS, area_activations, read_cached, responses_key, write_cached
        from ..models.train import SpectrogramSet, predict

        model, history, norm = self.network(name, passes, widths, replicate=replicate)
        specs = self.stimulus_spectrograms(norm)
        design = self.design()
        test = design.test_clips
        names = design.clip_names(test)
        crop = self.config(name, passes, widths).crop_frames
        # kept on disk, keyed by the weights and the stimuli: the next chapter, and a book on other data
        # with the same networks and stimuli (the real route's mirror), read them instead of computing them
        key = responses_key(model, self.stimulus_digest(norm), AREAS, crop, tuple(names), self.device)
        path = self.work / ".scratch" / "responses" / f"{network_tag(name, passes)}-r{replicate}-{key}.npz"
        stored = ["test_probabilities", *AREAS]
        arrays = read_cached(path, stored)
        if arrays is None:
            prob = predict(model, SpectrogramSet(list(specs[test]), np.zeros(len(test), int), names), crop,
                           self.device)
            arrays = {"test_probabilities": prob.astype(np.float32),
                      **area_activations(model, specs, areas=AREAS, device=self.device)}
            write_cached(path, arrays)
        return {"model": model, "history": history, "activations": {a: arrays[a] for a in AREAS},
                "predictions": {n: GENRES[k] for n, k in zip(names, arrays["test_probabilities"].argmax(1))}}

    @cached_property
    def mfcc_features(self) -> np.ndarray:
        """MFCC-model features of every stimulus as played (:mod:`banlib.features.mfcc`), array of shape
        (540, 10, 32)."""
        from ..features.mfcc import clip_mfcc
        from ..models.activations import played_stimuli

        return np.stack([clip_mfcc(w) for w in played_stimuli(self.source, self.clips)])

    def genre_features(self, name: str = "BAN") -> np.ndarray:
        """The network's genre probabilities per TR (:func:`banlib.models.activations.genre_readout` of its
        T2/T3 responses), array of shape (540, 10, 10)."""
        from ..models.activations import genre_readout

        out = self.responses(name)
        return genre_readout(out["model"], out["activations"]["T2T3"], device=self.device)
