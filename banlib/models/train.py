"""Training BAN and its baselines on GTZAN-layout audio (paper Sections III-C and V-C).

* Input: log-mel spectrograms (64 bands, 22,050 Hz, hop 512 = 23 ms), standardised with the
  training set's mean and sd; random crops of ``crop_frames`` (~3 s).
* Augmentation (label-preserving, Section V-C), applied to the spectrogram: start shift (random
  crop), speed change (time-stretch of the crop by 0.9-1.1), pitch change (shift by up to 2 mel
  bands, an approximation of a pitch shift), additive Gaussian noise on the standardised log-mel
  values with sd = 3 * sd(crop) * 10**(-u / 20), u drawn from 20-40 (a "dB below" scale on log values,
  not a signal-to-noise ratio on the waveform).
* Loss: cross-entropy plus L2 on all parameters (Eq. 1-3), written into the loss, not the optimiser.
* Data: tracks that are not fMRI test stimuli; ``split="filtered"`` uses the fault-filtered split.
* Deterministic: every epoch draws its order and augmentations from ``rng(seed, "train", epoch)``,
  so a run resumed from the state of epoch k ends with the same weights as one that never stopped.
* Two files, written atomically. The *resume state* (weights, Adam moments, epoch, history) goes to a
  scratch folder after every epoch and is deleted when training completes; only then is the
  *checkpoint* written to ``out_dir/checkpoint.pt``: weights (with batch-norm statistics), the input
  mean and sd, the configuration key, the history and the precision used - no optimiser state, so the
  recorded build holds 1x the parameters instead of 3x.
* On CUDA the forward and backward passes run under bf16 autocast with ``channels_last`` tensors
  (weights, optimiser and loss stay float32); on CPU everything is float32, bit-for-bit as before.
* ``torchrun --nproc_per_node N``: data-parallel, each rank takes every N-th batch item.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch.nn import functional as F

from ..config import CROP_FRAMES, GENRES, TRAIN_THREADS, rng
from ..data.audio import gtzan_files, gtzan_filtered_split, read_many
from ..data.stimuli import stimulus_clips
from ..data.dataset import DataSource
from ..errors import BanlibError
from ..files import content_md5, replacing
from ..data.design import clip_table
from ..features.spectral import log_mel
from .ban import build_model


class CheckpointError(BanlibError, RuntimeError):
    """A checkpoint or resume state that cannot be used (unreadable, or written for another configuration)."""


@dataclass
class TrainConfig:
    """Everything that decides a trained network's weights, except its data (see :func:`training_fingerprint`).

    ``widths``: channels per area (A1, Belt, PB, T2/T3); ``passes``: recurrent passes (Belt, PB, T2/T3), None for
    the model's own; ``crop_frames``: training crop length in spectrogram frames (23 ms each); ``l2``: the weight
    of the L2 penalty in the loss; ``split``: how tracks are held out for validation."""
    model: str = "BAN"
    widths: tuple = (16, 32, 64, 128)
    passes: tuple | None = None
    epochs: int = 12
    batch_size: int = 32
    lr: float = 1e-3
    l2: float = 1e-5
    crop_frames: int = CROP_FRAMES
    seed: int = 0
    split: str = "random"            # "random" (10 % of tracks per genre held out) or "filtered"
    device: str = "cpu"

    def key(self) -> str:
        """16 hex digits naming the configuration (epochs and device left out: a run of another length or on
        another device is the same configuration)."""
        d = asdict(self)
        d.pop("epochs")
        d.pop("device")
        return hashlib.sha256(json.dumps(d, sort_keys=True, default=list).encode()).hexdigest()[:16]


TEST_STIMULUS = "fMRI test stimulus"     # why a test track is excluded from training


@dataclass
class SpectrogramSet:
    """Standardised log-mel spectrograms ``(n, 64, frames)`` with labels and names."""

    specs: list
    labels: np.ndarray
    names: list
    mean: float = 0.0
    sd: float = 1.0
    skipped: list = field(default_factory=list)
    excluded: dict = field(default_factory=dict)     # track -> why it was left out of training
    fingerprint: str = ""                            # training_fingerprint of the files read

    @property
    def test_repeats(self) -> dict:
        """The excluded tracks that repeat an fMRI test track (the test tracks themselves left out)."""
        return {k: v for k, v in self.excluded.items() if v != TEST_STIMULUS}



def training_tracks(source: DataSource, clips=None) -> tuple[list, dict]:
    """The GTZAN files BAN may learn from, and those it may not.

    Returns ``(items, excluded)``: ``items`` a list of ``(path, genre, track number)`` in file order;
    ``excluded`` ``{genre.000NN: reason}`` for the fMRI test tracks and for every track listed as a repetition
    of one (:func:`banlib.data.gtzan_faults.repeats`: the same recording or song under another name, which
    would let a network hear a test clip during training)."""
    from ..data import gtzan_faults

    clips = clip_table(source) if clips is None else clips
    test = gtzan_faults.test_tracks(clips)
    excluded = {name: TEST_STIMULUS for name in test}
    excluded.update({name: f"{why['kind']} of {why['repeats']} ({TEST_STIMULUS})"
                     for name, why in gtzan_faults.repeats(test).items()})
    items = [(p, p.name.split(".")[0], int(p.name.split(".")[1])) for p in gtzan_files(source.gtzan_root)]
    return [it for it in items if it[0].stem not in excluded], excluded


def training_fingerprint(source: DataSource, clips=None) -> str:
    """16 hex digits of a SHA-256 over the name and content md5 of every file :func:`training_tracks` keeps:
    two data sources with the same fingerprint train the same network, wherever their files lie."""
    return _fingerprint(training_tracks(source, clips)[0])


def _fingerprint(items) -> str:
    # content_md5 reads an annexed track's md5 from its git-annex key: each chapter re-checks its
    # checkpoints' data without reading all of GTZAN again (5.9 of chapter 04's 57 s of scoring)
    digest = hashlib.sha256()
    for path, _, _ in items:
        digest.update(path.name.encode() + b"\0")
        digest.update(bytes.fromhex(content_md5(path)))
    return digest.hexdigest()[:16]


def _specs(waves) -> list[np.ndarray]:
    return [log_mel(w) for w in waves]


def prepare_data(source: DataSource, split: str = "random", seed: int = 0, clips=None,
                 fingerprint: str | None = None) -> dict[str, SpectrogramSet]:
    """``train`` and ``val`` sets from GTZAN-layout tracks (fMRI test tracks excluded) and the
    ``fmri_test`` set: the 60 fMRI test stimuli as played (15-s cuts). ``clips`` is the design's clip
    table (read from the events when not given); ``fingerprint``, the :func:`training_fingerprint` when the
    caller has it already (else it is computed)."""
    clips = clip_table(source) if clips is None else clips
    items, excluded = training_tracks(source, clips)
    if split == "filtered":
        fsplit = gtzan_filtered_split()
        train_names, val_names = set(fsplit["train"]), set(fsplit["valid"]) | set(fsplit["test"])
        assign = {it[0]: ("train" if it[0].stem in train_names else "val" if it[0].stem in val_names else None)
                  for it in items}
    else:
        g = rng(seed, "train", "split")
        assign = {}
        for genre in GENRES:
            mine = [it[0] for it in items if it[1] == genre]
            held = set(g.choice(len(mine), max(1, len(mine) // 10), replace=False).tolist()) if mine else set()
            assign.update({p: "val" if i in held else "train" for i, p in enumerate(mine)})
    waves = read_many([it[0] for it in items if assign.get(it[0])], min_seconds=5.0)
    skipped = [str(it[0]) for it in items if assign.get(it[0]) and it[0] not in waves]
    out = {}
    for part in ("train", "val"):
        chosen = [it for it in items if assign.get(it[0]) == part and it[0] in waves]
        out[part] = SpectrogramSet(_specs(waves[it[0]] for it in chosen),
                                   np.array([GENRES.index(it[1]) for it in chosen]),
                                   [it[0].stem for it in chosen], skipped=skipped, excluded=excluded)
    # cut every stimulus so all share one RMS target, as in the experiment (and in banlib.activations)
    stim = stimulus_clips(source, clips)
    rows = [i for i in np.nonzero((clips.split == "Test").to_numpy())[0] if i in stim]
    read = clips.iloc[rows]                       # names, labels and specs of the clips actually read
    out["fmri_test"] = SpectrogramSet(_specs(stim[i] for i in rows),
                                      np.array([GENRES.index(g) for g in read.genre]),
                                      [f"{g}.{t:05d}" for g, t in zip(read.genre, read.track)])
    all_train = np.concatenate([s.ravel() for s in out["train"].specs])
    mean, sd = float(all_train.mean()), float(all_train.std())
    fingerprint = fingerprint or _fingerprint(items)
    for s in out.values():
        s.specs = [((x - mean) / sd).astype(np.float32) for x in s.specs]
        s.mean, s.sd, s.fingerprint = mean, sd, fingerprint
    return out


def stretch(seg: np.ndarray, frames: int) -> np.ndarray:
    """The time-stretch of the augmentation: ``seg`` (rows, length) resampled linearly to ``frames`` evenly
    spaced positions from its first to its last frame, float64 array of shape (rows, frames).

    All rows at once, and the same numbers as ``np.interp`` row by row (its slope times the offset plus the
    left sample, and the sample itself where a position falls on one): the weights trained with it are the
    same bits as before it was vectorised."""
    y = np.asarray(seg, np.float64)
    length = y.shape[1]
    pos = np.linspace(0, length - 1, frames)
    if length == 1:
        return np.repeat(y, frames, axis=1)
    left = np.minimum(pos.astype(np.intp), length - 2)           # pos >= 0: truncation is the floor
    out = (y[:, left + 1] - y[:, left]) * (pos - left) + y[:, left]
    on = np.flatnonzero(pos == np.floor(pos))                    # on a sample (the last position included)
    out[:, on] = y[:, pos[on].astype(np.intp)]
    return out


def augment_batch(specs, idx, crop: int, g: np.random.Generator) -> np.ndarray:
    """Random crops with speed, pitch and noise augmentation: (batch, 1, 64, crop)."""
    out = np.empty((len(idx), 1, specs[0].shape[0], crop), np.float32)
    for b, i in enumerate(idx):
        x = specs[i]
        speed = g.uniform(0.9, 1.1)
        length = min(int(round(crop * speed)), x.shape[1])
        start = int(g.integers(0, x.shape[1] - length + 1))
        seg = x[:, start:start + length]
        seg = stretch(seg, crop)
        shift = int(g.integers(-2, 3))
        seg = np.roll(seg, shift, axis=0)
        if shift > 0:
            seg[:shift] = seg.min()
        elif shift < 0:
            seg[shift:] = seg.min()
        out[b, 0] = seg + g.normal(0, 10 ** (-g.uniform(20, 40) / 20) * seg.std() * 3, seg.shape)
    return out


def crops(x: np.ndarray, crop: int) -> np.ndarray:
    """Non-overlapping crops of one spectrogram: (n_crops, 1, 64, crop)."""
    n = max(1, x.shape[1] // crop)
    return np.stack([x[:, k * crop:(k + 1) * crop] for k in range(n)])[:, None]


@torch.no_grad()
def predict(model, data: SpectrogramSet, crop: int, device="cpu") -> np.ndarray:
    """Clip-level class probabilities (n, 10): softmax averaged over the clip's crops."""
    model.eval()
    out = []
    for x in data.specs:
        logits = model(torch.from_numpy(crops(x, crop)).to(device))
        out.append(F.softmax(logits, dim=1).mean(0).cpu().numpy())
    return np.stack(out) if out else np.zeros((0, len(GENRES)))


def l2_penalty(model) -> torch.Tensor:
    """Sum of squares of every parameter (Eq. 3's L2 term), a scalar tensor."""
    return sum((p * p).sum() for p in model.parameters())


def save_checkpoint(path: Path, state: dict) -> None:
    """``torch.save`` to a temporary name, then rename: an interrupted save leaves the old file."""
    with replacing(path, ".tmp") as tmp:         # *.tmp: left out of the book's run records
        torch.save(state, tmp)


def load_checkpoint(path: Path) -> dict:
    """A checkpoint or resume state as a dict of tensors and plain values (``weights_only``: nothing in the
    file is executed); :class:`CheckpointError` naming the file when it cannot be read."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else ""
        raise CheckpointError(f"{path}: cannot be loaded as a banlib checkpoint ({type(err).__name__}: {first}). "
                              f"Delete it to train from scratch.") from None


# What a recorded checkpoint holds (no optimiser state: that lives in the scratch resume file only).
CHECKPOINT_KEYS = frozenset({"model", "epoch", "config_key", "data_fingerprint", "history", "input_mean", "input_sd",
                             "precision"})


def default_scratch_dir(out_dir: str | Path) -> Path:
    """Where :func:`train` keeps its resume state when not told: ``<parent>/.scratch/<out_dir name>``,
    beside the output folder but outside it (the book passes ``<build>/.scratch/checkpoints/<name>``)."""
    out_dir = Path(out_dir)
    return out_dir.parent / ".scratch" / out_dir.name


def resume_path(config: TrainConfig, scratch_dir: str | Path) -> Path:
    """The resume state of one configuration (its key in the name: another configuration's is ignored)."""
    return Path(scratch_dir) / f"resume-{config.key()}.pt"


def precision(device: str) -> str:
    """``"bf16-autocast"`` on CUDA, ``"float32"`` elsewhere (see :func:`train`)."""
    return "bf16-autocast" if torch.device(device).type == "cuda" else "float32"


def initial_model(config: TrainConfig):
    """The network ``config`` describes with the weights training starts from (seeded by the configuration
    and its seed): the untrained control of a trained network."""
    torch.manual_seed(int(rng(config.seed, "train", "init", config.key()).integers(2 ** 31)))
    return build_model(config.model, widths=config.widths, passes=config.passes)


def load_trained(config: TrainConfig, out_dir: str | Path, fingerprint: str | None = None):
    """``(model, history, (input_mean, input_sd))`` from a finished run in ``out_dir``, or None
    when there is none (no checkpoint, another number of epochs than ``config.epochs``, another config, or
    - when ``fingerprint`` is given - other training data, :func:`training_fingerprint`)."""
    path = Path(out_dir) / "checkpoint.pt"
    if not path.exists():
        return None
    state = load_checkpoint(path)
    if state.get("config_key") != config.key() or int(state["epoch"]) != config.epochs or "input_mean" not in state:
        return None
    if fingerprint is not None and state.get("data_fingerprint") != fingerprint:
        return None
    model = build_model(config.model, widths=config.widths, passes=config.passes)
    model.load_state_dict(state["model"])
    model.eval()
    return model, json.loads(state["history"]), (float(state["input_mean"]), float(state["input_sd"]))


def _dist():
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not torch.distributed.is_initialized():
        torch.distributed.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    rank = torch.distributed.get_rank() if world > 1 else 0
    return rank, world


@contextlib.contextmanager
def torch_threads(n: int):
    """Run the block with ``n`` CPU threads in torch (the previous number is restored afterwards)."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def train(config: TrainConfig, data: dict[str, SpectrogramSet], out_dir: str | Path,
          progress: bool = True, stop_after: int | None = None, scratch_dir: str | Path | None = None):
    """Train (or resume) into ``out_dir``; returns ``(model, history)``. Always with
    :data:`banlib.config.TRAIN_THREADS` CPU threads, so that the weights do not depend on the machine's
    thread count.

    Parameters
    ----------
    config : TrainConfig
    data : dict
        ``train`` (and optionally ``val``) :class:`SpectrogramSet`.
    out_dir : path
        Gets ``checkpoint.pt`` (weights, input mean/sd, config key, history, precision; written once,
        when training completes) and ``metrics.jsonl`` (the history, after every epoch). A finished
        checkpoint of the same configuration is loaded instead of training again.
    stop_after : int, optional
        Stop after epoch k as if interrupted (used by the resume tests).
    scratch_dir : path, optional
        Where the resume state (weights + optimiser state) lives between epochs; deleted when training
        completes. Default :func:`default_scratch_dir`.
    """
    with torch_threads(TRAIN_THREADS):
        return _train(config, data, out_dir, progress, stop_after, scratch_dir)


def _train(config, data, out_dir, progress, stop_after, scratch_dir):
    from tqdm.auto import tqdm

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ckpt_path = out_dir / "checkpoint.pt"
    resume = resume_path(config, scratch_dir if scratch_dir is not None else default_scratch_dir(out_dir))
    rank, world = _dist()
    cuda = torch.device(config.device).type == "cuda"
    model = initial_model(config).to(config.device)
    if cuda:
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    history, start = [], 0
    if ckpt_path.exists():
        state = load_checkpoint(ckpt_path)
        if state.get("config_key") != config.key():
            raise CheckpointError(f"{ckpt_path}: written for another configuration; use another out_dir")
        same_data = state.get("data_fingerprint") == (data["train"].fingerprint or None)
        if int(state["epoch"]) == config.epochs and same_data:    # finished: nothing to train
            model.load_state_dict(state["model"])
            _remove(resume)
            return model, json.loads(state["history"])
        # a run of another length or on other data: nothing to continue from, so retrain (same numbers, by seed)
    state = load_checkpoint(resume) if resume.exists() else None
    if state is not None and state.get("config_key") != config.key():
        raise CheckpointError(f"{resume}: resume state of another configuration; delete it")
    if state is not None and state.get("data_fingerprint") != (data["train"].fingerprint or None):
        state = None                                                # another data set's state is of no use
    if state is not None and int(state["epoch"]) < config.epochs:  # a longer run's state is of no use
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        history, start = json.loads(state["history"]), int(state["epoch"])
    net = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    # bf16 autocast on CUDA (no loss scaling needed: bf16 has float32's range); a no-op on CPU
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if cuda else contextlib.nullcontext()
    train_set = data["train"]
    n = len(train_set.specs)
    for epoch in range(start, config.epochs):
        if stop_after is not None and epoch >= stop_after:
            break
        g = rng(config.seed, "train", "epoch", epoch)
        order = g.permutation(n)
        batches = [order[i:i + config.batch_size] for i in range(0, n, config.batch_size)]
        net.train()
        tot_loss = tot_correct = tot_n = 0.0
        bar = tqdm(batches, desc=f"{config.model} epoch {epoch + 1}/{config.epochs}", disable=not progress or rank)
        for idx in bar:
            x = augment_batch(train_set.specs, idx, config.crop_frames, g)[rank::world]
            y = train_set.labels[idx][rank::world]
            xt = torch.from_numpy(x).to(config.device)
            if cuda:
                xt = xt.contiguous(memory_format=torch.channels_last)
            yt = torch.from_numpy(y).long().to(config.device)
            with autocast:
                logits = net(xt)
            ce = F.cross_entropy(logits.float(), yt)
            loss = ce + config.l2 * l2_penalty(model)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            tot_loss += ce.item() * len(y)
            tot_correct += float((logits.argmax(1) == yt).sum())
            tot_n += len(y)
            bar.set_postfix(loss=f"{tot_loss / tot_n:.3f}", acc=f"{tot_correct / tot_n:.3f}")
        val = data.get("val")
        val_acc = float((predict(model, val, config.crop_frames, config.device).argmax(1) == val.labels).mean()) \
            if val is not None and len(val.specs) else float("nan")
        history.append({"epoch": epoch + 1, "train_loss": tot_loss / tot_n, "train_acc": tot_correct / tot_n,
                        "val_acc": val_acc})
        if rank == 0:
            if epoch + 1 < config.epochs:
                save_checkpoint(resume, {"model": model.state_dict(), "optimizer": opt.state_dict(),
                                         "epoch": epoch + 1, "config_key": config.key(),
                                         "data_fingerprint": train_set.fingerprint or None,
                                         "history": json.dumps(history)})
            (out_dir / "metrics.jsonl").write_text("".join(json.dumps(h) + "\n" for h in history))
    if rank == 0 and len(history) >= config.epochs:
        weights = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
        save_checkpoint(ckpt_path, {"model": weights, "epoch": len(history), "config_key": config.key(),
                                    "data_fingerprint": train_set.fingerprint or None,
                                    "history": json.dumps(history), "input_mean": float(train_set.mean),
                                    "input_sd": float(train_set.sd), "precision": precision(config.device)})
        _remove(resume)
    return model, history


def _remove(resume: Path) -> None:
    """Delete a resume state, and its scratch folder once empty."""
    resume.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        resume.parent.rmdir()


def parameter_count(model) -> int:
    """Number of trainable and frozen parameters of ``model``."""
    return int(sum(p.numel() for p in model.parameters()))


def history_frame(history) -> pd.DataFrame:
    """The training history (one dict per epoch) as a frame indexed by epoch."""
    return pd.DataFrame(history).set_index("epoch")
