"""Spectrograms with attribution maps drawn over them (the interpretability figures)."""
from __future__ import annotations




def draw_attribution(ax, spec, attribution=None, title: str = "", hop_seconds: float = 512 / 22_050,
                     alpha: float = 0.6):
    """A log-mel spectrogram (bands, frames) in grey with an attribution map over it in colour;
    time axis in seconds, frequency axis labelled in Hz at mel-band centres."""
    import numpy as np

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
