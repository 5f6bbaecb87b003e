"""Network activations on the TR grid: what a network "says" during each 1.5-s TR of a clip.

Each 15-s stimulus, as it was played (cut, faded, RMS-normalised), is turned into a
standardised log-mel spectrogram and passed through the network whole (the areas are
convolutional, so any length works). A forward hook on each area records its output
(batch, channels, mel', frames'); for recurrent areas that is the last pass, the state
the next area reads. Frequency and channels are flattened into features; frames are
averaged within each TR.
"""
from __future__ import annotations

import hashlib
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ..config import CLIP_SECONDS, TRS_PER_CLIP
from ..data.stimuli import stimulus_clips
from ..errors import BanlibError
from ..files import save_npz
from ..features.spectral import frames_to_trs, log_mel
from .ban import AREAS


class MissingStimuli(BanlibError, RuntimeError):
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
                chunks[a].append(frames_to_trs(frames, clip_seconds / t, TRS_PER_CLIP))
    finally:
        for h in hooks:
            h.remove()
    return {a: np.concatenate(v).astype(np.float32) for a, v in chunks.items()}


@torch.no_grad()
def genre_outputs(model, specs: np.ndarray, batch_size: int = 16, device: str = "cpu",
                  clip_seconds: float = CLIP_SECONDS) -> np.ndarray:
    """BAN's genre probabilities per TR: (n_clips, 10 TRs, 10 genres) float32 (:func:`genre_readout` of
    T2/T3's activations)."""
    t2t3 = area_activations(model, specs, areas=("T2T3",), batch_size=batch_size, device=device,
                            clip_seconds=clip_seconds)["T2T3"]
    return genre_readout(model, t2t3, device)


@torch.no_grad()
def genre_readout(model, t2t3: np.ndarray, device: str = "cpu") -> np.ndarray:
    """BAN's decoder on T2/T3's per-TR activations (n_clips, 10, C * F') -> genre probabilities
    (n_clips, 10, 10) float32.

    The decoder (average pool then linear) is applied to T2/T3's output averaged over the
    frequency rows and the frames of each TR, rather than over the whole clip: the same read-out,
    on 1.5-s windows.
    """
    channels = model.decoder.linear.in_features
    per_channel = t2t3.reshape(len(t2t3), TRS_PER_CLIP, channels, -1).mean(axis=-1)
    model.eval().to(device)
    logits = model.decoder.linear(torch.from_numpy(np.ascontiguousarray(per_channel)).to(device)).float()
    return torch.softmax(logits, dim=-1).cpu().numpy().astype(np.float32)


# Cached responses (banlib.analyses.pipeline.Pipeline.responses) are keyed by what determines them: the
# weights, the spectrograms and the settings. Code is not in the key: bump this when area_activations,
# genre_readout or train.predict change what they return, so that older cached files are computed again.
RESPONSES_VERSION = 1


def stimuli_digest(specs: np.ndarray) -> str:
    """SHA-256 (hex) of the stimuli's spectrograms ``specs``: their shape, dtype and values. Computed once per
    set of stimuli, not once per network (the 540 quick-profile spectrograms are 89 MB)."""
    digest = hashlib.sha256(repr((specs.shape, str(specs.dtype))).encode())
    digest.update(memoryview(np.ascontiguousarray(specs)).cast("B"))
    return digest.hexdigest()


def responses_key(model, stimuli: str, *settings) -> str:
    """16 hex digits of a SHA-256 over the model's weights (every tensor of its state dict, with its name,
    dtype and shape), the stimuli (their :func:`stimuli_digest`) and ``settings`` (areas, device, ...): equal
    keys, equal responses, wherever the weights were trained or the stimuli read."""
    digest = hashlib.sha256(repr((RESPONSES_VERSION, settings, stimuli)).encode())
    for name, tensor in sorted(model.state_dict().items()):
        tensor = tensor.detach().cpu().contiguous()
        digest.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()[:16]


def write_cached(path: str | Path, arrays: dict[str, np.ndarray]) -> None:
    """Save ``arrays`` as ``.npz`` under ``path`` (a temporary name, then renamed: an interrupted write
    leaves nothing that :func:`read_cached` would take)."""
    save_npz(path, **arrays)


def read_cached(path: str | Path, names) -> dict[str, np.ndarray] | None:
    """The arrays ``names`` from a file of :func:`write_cached`, or None when it is missing, unreadable or
    lacks one of them (then the caller computes them again; an unreadable file is named in a warning)."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as f:
            return {n: f[n] for n in names}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as err:
        warnings.warn(f"{path}: cached arrays unreadable ({err}); computing them again", stacklevel=2)
        return None
