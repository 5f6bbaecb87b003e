"""Figures of the data chapter: one stimulus, a carpet of responses, the auditory labels."""
from __future__ import annotations

import numpy as np


def stimulus(wave: np.ndarray, title: str, sr: int | None = None):
    """Waveform and log-mel spectrogram of one stimulus (``wave`` float array of shape (samples,))."""
    import matplotlib.pyplot as plt

    from ..config import SAMPLE_RATE
    from ..features.spectral import log_mel

    sr = sr or SAMPLE_RATE
    mel = log_mel(wave)
    fig, axes = plt.subplots(2, 1, figsize=(9, 5), sharex=True)
    axes[0].plot(np.arange(len(wave)) / sr, wave, lw=0.3)
    axes[0].set_ylabel("amplitude")
    axes[0].set_title(title)
    axes[1].imshow(mel, origin="lower", aspect="auto", extent=[0, len(wave) / sr, 0, mel.shape[0]], cmap="magma")
    axes[1].set_xlabel("time (s)")
    axes[1].set_ylabel("mel band")
    return fig


def carpet(Y, voxels, subject: str, n_rows: int = 800, max_voxels: int = 1500):
    """The first ``n_rows`` TRs of ``Y`` (array of shape (n_trs, V)) as an image of voxels by TRs, voxels
    sorted by label when a voxel table is given."""
    import matplotlib.pyplot as plt

    order = np.argsort(voxels.roi.to_numpy(), kind="stable") if voxels is not None else np.arange(Y.shape[1])
    step = max(1, Y.shape[1] // max_voxels)
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.imshow(np.asarray(Y[:n_rows, order[::step]]).T, aspect="auto", cmap="gray", vmin=-2.5, vmax=2.5,
              interpolation="nearest")
    ax.set_xlabel(f"TR (first {n_rows} rows: runs 1-{n_rows // 400}, 400 TRs each)")
    ax.set_ylabel("voxel" + (" (sorted by label)" if voxels is not None else ""))
    ax.set_title(f"{subject} Resp_Training")
    return fig


def label_glass(voxels, title: str):
    """Voxels of the Table II labels on a glass brain, one colour per label."""
    import matplotlib.pyplot as plt
    import pandas as pd
    from nilearn import plotting

    aud = voxels[voxels.roi != "other"]
    colors = pd.Categorical(aud.roi).codes
    fig = plt.figure(figsize=(9, 3.2))
    disp = plotting.plot_glass_brain(None, display_mode="lzr", figure=fig, title=title)
    disp.add_markers(aud[["x", "y", "z"]].to_numpy(), marker_color=plt.cm.tab10(colors % 10), marker_size=4)
    return fig
