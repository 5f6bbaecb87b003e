"""BAN and the baselines as classifiers (paper Sections III, V-C, V-D): training data, accuracy,
confusion, the comparison table and the recurrence grid.

The networks themselves are trained (or loaded) by :meth:`banlib.analyses.pipeline.Pipeline.network`;
this module evaluates them.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import CROP_FRAMES, GENRES, network_seed
from ..models.train import parameter_count, predict
from .metrics import confusion_matrix

NETWORKS = ("BAN", "feedforward", "CORnet-S passes")


def data_values(data: dict) -> dict:
    """Training and held-out track counts and the unreadable files skipped."""
    return {"n_train_tracks": len(data["train"].specs), "n_val_tracks": len(data["val"].specs),
            "skipped_audio": [Path(p).name for p in data["train"].skipped],
            "excluded_test_repeats": data["train"].test_repeats,
            "training_fingerprint": data["train"].fingerprint}


def data_sentence(data: dict, device: str, widths) -> str:
    """The training data in one sentence."""
    skipped = [Path(p).name for p in data["train"].skipped]
    repeats = data["train"].test_repeats
    return (f"Training tracks: **{len(data['train'].specs)}**, held-out tracks: **{len(data['val'].specs)}**, "
            f"fMRI test clips: **{len(data['fmri_test'].specs)}**; skipped unreadable files: {len(skipped)} "
            f"({', '.join(skipped) or 'none'}); left out as listed repetitions of an fMRI test track (GTZAN's "
            f"faults, `banlib.data.gtzan_faults`): {len(repeats)} "
            f"({', '.join(f'{k}: {v}' for k, v in repeats.items()) or 'none'}). Device: {device}; widths {widths}.")


@dataclass
class Trained:
    """A trained network: the model and its training history (one dict per epoch)."""

    name: str
    model: object
    history: list

    @property
    def curves(self) -> pd.DataFrame:
        """Training loss and held-out accuracy per epoch."""
        return pd.DataFrame(self.history).set_index("epoch")


def train_all(pipe, names=NETWORKS) -> dict[str, Trained]:
    """Train (or load) every named network from each of the pipeline's training seeds; returns the first
    seed's networks (the others are read back by :func:`seed_accuracies`)."""
    out = {}
    for replicate in pipe.replicates:
        for name in names:
            model, history, _ = pipe.network(name, replicate=replicate)
            if replicate == 0:
                out[name] = Trained(name, model, history)
    return out


def seed_accuracies(pipe, names=NETWORKS) -> pd.DataFrame:
    """Held-out and fMRI-clip accuracy of every network and training seed: one row per (network, seed)."""
    data = pipe.training_data
    rows = []
    for replicate in pipe.replicates:
        for name in names:
            rows.append({"network": name, "seed": network_seed(pipe.seed, replicate),
                         **{column: accuracy_of(pipe.predictions(name, split, replicate=replicate), data[split])[0]
                            for column, split in ACCURACY_COLUMNS.items()}})
    return pd.DataFrame(rows)


def seed_summary(per_seed: pd.DataFrame) -> pd.DataFrame:
    """Mean, sd and number of seeds of each accuracy per network (from :func:`seed_accuracies`)."""
    return per_seed.groupby("network", sort=False)[["held-out accuracy", "fMRI-clip accuracy"]].agg(["mean", "std", "count"])


def accuracy(model, spectrograms, device: str = "cpu", crop: int = CROP_FRAMES) -> tuple[float, np.ndarray]:
    """Clip-level accuracy and predicted genre index, array of shape (n,), of ``model`` on a spectrogram set."""
    return accuracy_of(predict(model, spectrograms, crop, device), spectrograms)


def accuracy_of(probabilities: np.ndarray, spectrograms) -> tuple[float, np.ndarray]:
    """Clip-level accuracy and predicted genre index, array of shape (n,), from class probabilities of shape
    (n, 10) on the spectrogram set they were computed on (its ``labels``)."""
    pred = np.asarray(probabilities).argmax(1)
    return float((pred == spectrograms.labels).mean()), pred


# the two accuracies of every network: column name -> split of the pipeline's training data
ACCURACY_COLUMNS = {"held-out accuracy": "val", "fMRI-clip accuracy": "fmri_test"}


@dataclass
class Evaluation:
    """BAN on the held-out tracks and on the 60 fMRI test clips."""

    val_accuracy: float
    val_pred: np.ndarray
    fmri_accuracy: float
    fmri_pred: np.ndarray
    data: dict

    def per_genre(self) -> pd.Series:
        """Held-out accuracy per genre."""
        conf = confusion_matrix(self.data["val"].labels, self.val_pred)
        return pd.Series(np.diag(conf), index=GENRES, name="held-out accuracy")

    def confusions(self) -> dict[str, np.ndarray]:
        """Row-normalised confusion matrices on the held-out tracks and the fMRI test clips."""
        return {"held-out tracks": confusion_matrix(self.data["val"].labels, self.val_pred),
                "fMRI test clips": confusion_matrix(self.data["fmri_test"].labels, self.fmri_pred)}

    def values(self) -> dict:
        """The chapter's results on BAN's accuracy."""
        names = self.data["fmri_test"].names
        return {"ban_val_accuracy": self.val_accuracy, "ban_fmri_test_accuracy": self.fmri_accuracy,
                "ban_val_accuracy_per_genre": self.per_genre().round(4).to_dict(),
                "ban_fmri_test_predictions": {n: GENRES[p] for n, p in zip(names, self.fmri_pred)}}


def evaluate(pipe, name: str = "BAN", replicate: int = 0) -> Evaluation:
    """Accuracy of the pipeline's network ``name`` (training seed ``replicate``) on the held-out tracks and the
    fMRI test clips."""
    data = pipe.training_data
    val_acc, val_pred = accuracy_of(pipe.predictions(name, "val", replicate=replicate), data["val"])
    fmri_acc, fmri_pred = accuracy_of(pipe.predictions(name, "fmri_test", replicate=replicate), data["fmri_test"])
    return Evaluation(val_acc, val_pred, fmri_acc, fmri_pred, data)


def comparison_table(pipe, trained: dict[str, Trained]) -> pd.DataFrame:
    """Parameters, passes, weight sharing and accuracies of each network of ``trained`` (the first training
    seed's, :func:`train_all`)."""
    data = pipe.training_data
    rows = {}
    for name, t in trained.items():
        m = t.model
        rows[name] = {"parameters": parameter_count(m), "passes (Belt, PB, T2/T3)": str(m.passes),
                      "weights shared": m.shared,
                      **{column: round(accuracy_of(pipe.predictions(name, split), data[split])[0], 3)
                         for column, split in ACCURACY_COLUMNS.items()}}
    return pd.DataFrame(rows).T


def comparison_values(table: pd.DataFrame, per_seed: pd.DataFrame | None = None) -> dict:
    """``params_<network>`` and ``val_accuracy_<network>`` (the first seed) from :func:`comparison_table`;
    with :func:`seed_accuracies`, also ``val_accuracy_mean_<network>``/``val_accuracy_sd_<network>`` over seeds
    and ``accuracy_per_seed`` (the rows)."""
    out = {}
    for name in table.index:
        out[f"params_{name}"] = int(table.loc[name, "parameters"])
        out[f"val_accuracy_{name}"] = float(table.loc[name, "held-out accuracy"])
    if per_seed is not None:
        for name, acc in per_seed.groupby("network", sort=False)["held-out accuracy"]:
            out[f"val_accuracy_mean_{name}"] = float(acc.mean())
            if len(acc) > 1:
                out[f"val_accuracy_sd_{name}"] = float(acc.std())
        out["accuracy_per_seed"] = per_seed.round(4).to_dict(orient="records")
    return out


def grid_structures(profile_name: str) -> list[tuple[int, int, int]]:
    """Passes (Belt, PB, T2/T3) trained in the recurrence grid: a corner at the quick profile, Belt and PB
    in {1, 2} by T2/T3 in {1, 2, 4} at the full profile."""
    if profile_name == "quick":
        return [(1, 1, 1), (2, 2, 4)]
    return [(b, p, t) for b in (1, 2) for p in (1, 2) for t in (1, 2, 4)]


def recurrence_grid_seeds(pipe, structures=None) -> pd.DataFrame:
    """Held-out accuracy of BAN with each structure of the grid (rows, ``"b/p/t"``) and each training seed
    (columns)."""
    structures = structures or grid_structures(pipe.profile.name)
    data = pipe.training_data
    scores = {}
    for replicate in pipe.replicates:
        seed = network_seed(pipe.seed, replicate)
        for passes in structures:
            scores.setdefault("/".join(map(str, passes)), {})[seed] = accuracy_of(
                pipe.grid_predictions(passes, "val", replicate), data["val"])[0]
    return pd.DataFrame(scores).T.rename_axis(index="structure", columns="seed")


def recurrence_grid(per_seed: pd.DataFrame) -> pd.Series:
    """Mean held-out accuracy over seeds of each structure (from :func:`recurrence_grid_seeds`)."""
    return per_seed.mean(axis=1).rename("held-out accuracy")


def grid_values(per_seed: pd.DataFrame, widths) -> dict:
    """The grid's results: mean (``recurrence_grid``), every seed's accuracy (``recurrence_grid_per_seed``,
    ``{structure: {seed: accuracy}}``), sd over seeds (``recurrence_grid_sd``, with two seeds or more), whether it is
    at ceiling, and the widths it was trained at."""
    grid = recurrence_grid(per_seed)
    out = {"recurrence_grid": grid.to_dict(), "recurrence_grid_at_ceiling": grid_at_ceiling(grid),
           "recurrence_grid_per_seed": {k: {str(s): float(v) for s, v in row.items()} for k, row in per_seed.iterrows()},
           "recurrence_grid_widths": list(widths), "recurrence_grid_seeds": int(per_seed.shape[1])}
    if per_seed.shape[1] > 1:
        out["recurrence_grid_sd"] = per_seed.std(axis=1).to_dict()
    return out


def grid_at_ceiling(grid: pd.Series, level: float = 0.95) -> bool:
    """Whether every structure of the grid scores at least ``level`` (the grid then cannot rank them)."""
    return bool(grid.min() >= level)
