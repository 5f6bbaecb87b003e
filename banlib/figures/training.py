"""Figures of the training chapter: learning curves, confusion matrices, the recurrence grid."""
from __future__ import annotations

from ..config import GENRES
from .common import heatmap


def learning_curves(trained: dict):
    """Training loss and held-out accuracy per epoch of each network (``{name: Trained}``)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    for name, t in trained.items():
        h = t.curves
        axes[0].plot(h.index, h.train_loss, label=name)
        axes[1].plot(h.index, h.val_acc, label=name)
    axes[0].set(xlabel="epoch", ylabel="training cross-entropy", title="loss")
    axes[1].set(xlabel="epoch", ylabel="accuracy", title="held-out tracks", ylim=(0, 1))
    axes[1].axhline(0.1, color="0.6", ls=":", lw=1)
    axes[1].legend(fontsize=8)
    return fig


def confusions(matrices: dict, accuracies: dict, who: str = "BAN", xlabel: str = "predicted"):
    """Side-by-side confusion matrices (``{title: (10, 10) array}``), each titled with its accuracy."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(matrices), figsize=(5.5 * len(matrices), 4.6), squeeze=False)
    for ax, (title, m) in zip(axes[0], matrices.items()):
        heatmap(ax, m, GENRES, f"{who}, {title} (acc {accuracies[title]:.2f})", vmax=1)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("true")
    return fig


def grid(per_seed):
    """Held-out accuracy per structure of the recurrence grid: mean over training seeds with their sd (a frame
    indexed ``"b/p/t"``, one column per seed), each seed as a dot."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1.2 + 0.6 * len(per_seed), 3))
    mean = per_seed.mean(axis=1)
    sd = per_seed.std(axis=1) if per_seed.shape[1] > 1 else None
    mean.plot.bar(ax=ax, color="0.6", yerr=sd, capsize=3)
    for x, (_, row) in enumerate(per_seed.iterrows()):
        ax.plot([x] * len(row), row.to_numpy(), "o", color="0.1", ms=3)
    ax.set_ylim(0, 1)
    ax.set_ylabel(f"held-out accuracy ({per_seed.shape[1]} seeds)")
    ax.set_xlabel("passes Belt/PB/T2T3")
    return fig
