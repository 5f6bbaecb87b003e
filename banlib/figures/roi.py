"""Figures of the ROI chapter: sizes, selection frequency, where the ROI lies, its labels."""
from __future__ import annotations

import numpy as np


def sizes(table):
    """ROI size per subject, this run beside the paper (``table`` from :func:`banlib.analyses.roi.size_table`)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3))
    table[["this run", "paper"]].plot.bar(ax=ax)
    ax.set_ylabel("ROI voxels")
    ax.set_title("ROI size per subject")
    return fig


def frequency(rois: dict, threshold: float = 0.75):
    """Histogram of each subject's selection frequency (usable voxels), log count axis."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(rois), figsize=(2.2 * len(rois), 2.6), sharey=True)
    for ax, (sub, roi) in zip(np.atleast_1d(axes), rois.items()):
        ax.hist(roi.frequency[roi.usable], bins=20, range=(0, 1), color="0.3")
        ax.axvline(threshold, color="C3", lw=1)
        ax.set_yscale("log")
        ax.set_title(sub, fontsize=9)
        ax.set_xlabel("frequency")
    np.atleast_1d(axes)[0].set_ylabel("voxels")
    return fig


def glass(values, voxels, title: str, threshold: float = 0.75):
    """Per-voxel values (array of shape (V,)) on a glass brain, thresholded."""
    import matplotlib.pyplot as plt
    from nilearn import plotting

    from ..data.atlas import to_volume

    fig = plt.figure(figsize=(9, 3.2))
    plotting.plot_glass_brain(to_volume(values, voxels), display_mode="lzr", threshold=threshold, vmin=0, vmax=1,
                              colorbar=True, cmap="inferno", figure=fig, title=title)
    return fig


def label_fractions(fractions):
    """Stacked bars: the share of each subject's ROI in each Table II label."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3))
    fractions.plot.bar(stacked=True, ax=ax, colormap="tab10", width=0.8)
    ax.set_ylabel("fraction of ROI")
    ax.legend(fontsize=7, ncol=3, bbox_to_anchor=(1, 1))
    return fig
