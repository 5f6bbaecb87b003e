"""Spectrograms with attribution maps drawn over them (the interpretability figures)."""
from __future__ import annotations

import numpy as np

from ..config import GENRES, HOP_LENGTH, SAMPLE_RATE


def draw_attribution(ax, spec, attribution=None, title: str = "", hop_seconds: float = HOP_LENGTH / SAMPLE_RATE,
                     alpha: float = 0.6):
    """A log-mel spectrogram (bands, frames) in grey with an attribution map over it in colour;
    time axis in seconds, frequency axis labelled in Hz at mel-band centres."""
    from ..analyses.interpret import mel_frequencies

    n_bands, n_frames = spec.shape
    extent = (0, n_frames * hop_seconds, -0.5, n_bands - 0.5)
    ax.imshow(spec, origin="lower", aspect="auto", cmap="gray", extent=extent)
    if attribution is not None:
        a = np.clip(attribution, 0, None)
        a = a / a.max() if a.max() > 0 else a
        ax.imshow(np.ma.masked_less(a, 0.05), origin="lower", aspect="auto", cmap="inferno", alpha=alpha,
                  extent=extent, vmin=0, vmax=1)
    freqs = mel_frequencies(n_bands)
    ticks = [0, n_bands // 4, n_bands // 2, 3 * n_bands // 4, n_bands - 1]
    ax.set_yticks(ticks, [f"{freqs[t]:,.0f}" for t in ticks])
    ax.set_xlabel("time (s)")
    ax.set_ylabel("frequency (Hz)")
    ax.set_title(title, fontsize=8)
    return ax


def methods_one_clip(ex, i: int, maps: dict, areas, gradcams: dict):
    """Fig. 6: a clip, its three maps (Grad-CAM at A1), and Grad-CAM at every area."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 4, figsize=(13, 5.6))
    draw_attribution(axes[0, 0], ex.crops[i], None, f"{ex.names[i]} (predicted {GENRES[ex.pred[i]]})")
    for ax, (m, a) in zip(axes[0, 1:], maps.items()):
        draw_attribution(ax, ex.crops[i], a, m + (" (A1)" if m == "Grad-CAM" else ""))
    for ax, area in zip(axes[1], areas):
        draw_attribution(ax, ex.crops[i], gradcams[area], f"Grad-CAM at {area} (last pass)")
    fig.tight_layout()
    return fig


def maps_per_clip(ex, maps: dict):
    """Fig. 7: one row per clip (``{clip index: {method: map}}``), the spectrogram and each method's map."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(maps), 4, figsize=(13, 2.6 * len(maps)), squeeze=False)
    for row, (i, m) in zip(axes, maps.items()):
        draw_attribution(row[0], ex.crops[i], None, f"{ex.names[i]} -> {GENRES[ex.pred[i]]} ({ex.prob[i, ex.pred[i]]:.2f})")
        for ax, (name, a) in zip(row[1:], m.items()):
            draw_attribution(ax, ex.crops[i], a, name)
    fig.tight_layout()
    return fig


def two_classes(ex, i: int, maps_by_class: dict, note: str):
    """Fig. 8: one clip's maps for two classes (``{label: {method: map}}``), one row per class."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 4, figsize=(13, 5.6))
    for k, (row, (label, m)) in enumerate(zip(axes, maps_by_class.items())):
        draw_attribution(row[0], ex.crops[i], None, f"{ex.names[i]} ({note})" if k == 0 else "")
        for ax, (name, a) in zip(row[1:], m.items()):
            draw_attribution(ax, ex.crops[i], a, f"{name}, class {label}")
    fig.tight_layout()
    return fig


def deletion_curves(curves: dict):
    """Mean deletion curve per method (``{method: [curve per clip]}``), random order dotted."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    x = np.linspace(0, 1, len(next(iter(curves.values()))[0]))
    for k, cs in curves.items():
        ax.plot(x, np.mean(cs, axis=0), label=k, ls=":" if k == "random" else "-", color="0.4" if k == "random" else None)
    ax.set_xlabel("share of patches silenced")
    ax.set_ylabel("probability of the class")
    ax.legend(fontsize=8)
    return fig
