"""Network activations on the TR grid: what a network "says" during each 1.5-s TR of a clip.

Each 15-s stimulus, as it was played (cut, faded, RMS-normalised), is turned into a
standardised log-mel spectrogram and passed through the network whole (the areas are
convolutional, so any length works). A forward hook on each area records its output
(batch, channels, mel', frames'); for recurrent areas that is the last pass, the state
the next area reads. Frequency and channels are flattened into features; frames are
averaged within each TR.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ..config import CLIP_SECONDS, TRS_PER_CLIP
from ..data.stimuli import stimulus_clips
from ..features.spectral import frames_to_trs, log_mel
from .ban import AREAS


class MissingStimuli(RuntimeError):
    """Some fMRI stimuli could not be read; the design would have holes."""
    pass


def played_stimuli(source, clips: pd.DataFrame) -> list[np.ndarray]:
    """Every clip's 15-s waveform as played, in table order; all must be readable, as a missing
    stimulus would leave a hole in the fMRI design."""
    waves = stimulus_clips(source, clips)
    missing = sorted(set(range(len(clips))) - set(waves))
    if missing:
        names = [f"{clips.genre.iloc[i]}.{int(clips.track.iloc[i]):05d}.wav" for i in missing[:5]]
        raise MissingStimuli(f"{len(missing)} fMRI stimuli could not be read ({', '.join(names)} ...) under "
                             f"{source.gtzan_root}; re-fetch GTZAN (`banlib fetch gtzan`)")
    return [waves[i] for i in range(len(clips))]


def clip_spectrograms(source, clips: pd.DataFrame, mean: float, sd: float) -> np.ndarray:
    """Standardised log-mel spectrograms of every clip as played: (n_clips, 64, frames) float32.

    ``mean``/``sd`` are the training-set statistics the network was trained with.
    """
    waves = played_stimuli(source, clips)
    specs = np.stack([log_mel(w) for w in waves])
    return ((specs - mean) / sd).astype(np.float32)


@torch.no_grad()
def area_activations(model, specs: np.ndarray, areas=AREAS, batch_size: int = 16,
                     device: str = "cpu", clip_seconds: float = CLIP_SECONDS) -> dict[str, np.ndarray]:
    """Per-TR activations of each area: ``{area: (n_clips, 10, channels * mel')}`` float32.

    ``specs`` (n_clips, 64, frames) as from :func:`clip_spectrograms`.
    """
    model.eval().to(device)
    modules = model.areas()
    store: dict[str, torch.Tensor] = {}
    hooks = [modules[a].register_forward_hook(lambda _m, _i, out, a=a: store.__setitem__(a, out))
             for a in areas]
    chunks: dict[str, list] = {a: [] for a in areas}
    try:
        for lo in range(0, len(specs), batch_size):
            x = torch.from_numpy(np.ascontiguousarray(specs[lo:lo + batch_size, None])).to(device)
            model(x)
            for a in areas:
                out = store[a].float().cpu().numpy()                      # (b, C, F', T')
                b, c, f, t = out.shape
                frames = out.reshape(b, c * f, t).transpose(0, 2, 1)      # (b, T', C*F')
                chunks[a].extend(frames_to_trs(fr, clip_seconds / t, TRS_PER_CLIP) for fr in frames)
    finally:
        for h in hooks:
            h.remove()
    return {a: np.stack(v).astype(np.float32) for a, v in chunks.items()}


@torch.no_grad()
def genre_outputs(model, specs: np.ndarray, batch_size: int = 16, device: str = "cpu",
                  clip_seconds: float = CLIP_SECONDS) -> np.ndarray:
    """BAN's genre probabilities per TR: (n_clips, 10 TRs, 10 genres) float32.

    The decoder (average pool then linear) is applied to T2/T3's output averaged over the
    frequency rows and the frames of each TR, rather than over the whole clip: the same read-out,
    on 1.5-s windows.
    """
    pooled = area_activations(model, specs, areas=("T2T3",), batch_size=batch_size, device=device,
                              clip_seconds=clip_seconds)["T2T3"]                   # (n, 10, C * F')
    channels = model.decoder.linear.in_features
    per_channel = pooled.reshape(len(pooled), TRS_PER_CLIP, channels, -1).mean(axis=-1)
    logits = model.decoder.linear(torch.from_numpy(per_channel).to(device)).float()
    return torch.softmax(logits, dim=-1).cpu().numpy().astype(np.float32)
