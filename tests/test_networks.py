"""banlib.analyses.networks: per-seed accuracies and the recurrence grid over seeds, on a stand-in pipeline whose
'networks' are accuracies."""
from types import SimpleNamespace

import numpy as np
import pytest

from banlib.analyses import networks
from banlib.config import network_seed


class FakePipe:
    """Three seeds; the 'predictions' of a network are its accuracy, so accuracy_of() can read it back."""

    replicates = range(3)
    seed = 0
    device = "cpu"
    training_data = {"val": "val", "fmri_test": "fmri"}
    grid_widths = (16, 32, 64, 128)

    def config(self, name, passes=None, widths=None, replicate=0):
        return SimpleNamespace(seed=network_seed(0, replicate))

    def predictions(self, name, split="val", passes=None, widths=None, replicate=0):
        return {"BAN": 0.8, "feedforward": 0.6}[name] + 0.01 * replicate

    def grid_predictions(self, passes, split="val", replicate=0):
        return (0.7 if tuple(passes) == (1, 1, 1) else 0.8) + 0.02 * replicate


@pytest.fixture
def pipe(monkeypatch):
    monkeypatch.setattr(networks, "accuracy_of", lambda probabilities, data: (probabilities, None))
    return FakePipe()


def test_seed_accuracies_summary_and_values(pipe):
    per_seed = networks.seed_accuracies(pipe, ("BAN", "feedforward"))
    assert per_seed.seed.tolist() == [0, 0, 1000, 1000, 2000, 2000]
    summary = networks.seed_summary(per_seed)
    assert summary.loc["BAN", ("held-out accuracy", "mean")] == pytest.approx(0.81)
    assert summary.loc["BAN", ("held-out accuracy", "count")] == 3
    table = per_seed[per_seed.seed == 0].set_index("network").assign(parameters=1)
    values = networks.comparison_values(table, per_seed)
    assert values["val_accuracy_sd_feedforward"] == pytest.approx(0.01)
    assert len(values["accuracy_per_seed"]) == 6


def test_grid_over_seeds_gives_mean_and_sd(pipe):
    per_seed = networks.recurrence_grid_seeds(pipe, [(1, 1, 1), (2, 2, 4)])
    assert per_seed.shape == (2, 3) and list(per_seed.columns) == [0, 1000, 2000]
    values = networks.grid_values(per_seed, pipe.grid_widths)
    assert values["recurrence_grid"]["2/2/4"] == pytest.approx(0.82)
    assert values["recurrence_grid_sd"]["1/1/1"] == pytest.approx(0.02)
    assert values["recurrence_grid_seeds"] == 3 and values["recurrence_grid_widths"] == [16, 32, 64, 128]
    assert values["recurrence_grid_per_seed"]["1/1/1"] == pytest.approx({"0": 0.7, "1000": 0.72, "2000": 0.74})
    one = networks.grid_values(per_seed[[0]], pipe.grid_widths)
    assert "recurrence_grid_sd" not in one and np.isfinite(list(one["recurrence_grid"].values())).all()
