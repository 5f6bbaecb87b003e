"""Constants of the experiment and the one place where seeds and profiles live.

Every random draw in banlib goes through :func:`rng`, keyed by a purpose string, so
that two runs with the same seed give identical numbers and adding a new consumer of
randomness does not shift the draws of the others.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

GENRES: tuple[str, ...] = (
    "blues", "classical", "country", "disco", "hiphop",
    "jazz", "metal", "pop", "reggae", "rock",
)
SUBJECTS: tuple[str, ...] = ("sub-001", "sub-002", "sub-003", "sub-004", "sub-005")

TR = 1.5                      # s, repetition time of the EPI
CLIP_SECONDS = 15.0           # s, every stimulus
TRS_PER_CLIP = 10             # 15 s / 1.5 s
CLIPS_PER_RUN = 41            # 40 clips + the repeated first clip
VOLUMES_PER_RUN = 410         # 41 clips x 10 TRs
DROPPED_TRS = 10              # the repeated first clip, removed in the derivatives
N_TRAINING_RUNS = 12
N_TEST_RUNS = 6
TEST_REPEATS = 4
SAMPLE_RATE = 22_050          # Hz, GTZAN
GTZAN_SECONDS = 30.0
FADE_SECONDS = 2.0            # fade-in and fade-out of every fMRI stimulus

# Spectrogram input of the networks
N_MELS = 64                   # mel bands
N_FFT = 1024                  # samples
HOP_LENGTH = 512              # samples: 23.2 ms at 22,050 Hz
CROP_FRAMES = 128             # frames (about 3 s): the crop length networks are trained and explained on

# Cortical voxels per subject in the real derivatives (from the annexed file sizes).
REAL_N_VOXELS = {
    "sub-001": 60_784, "sub-002": 53_927, "sub-003": 64_700,
    "sub-004": 61_899, "sub-005": 53_421,
}



OPENNEURO_URL = "https://github.com/OpenNeuroDatasets/ds003720.git"
OPENNEURO_VERSION = "1.0.1"
ZENODO_RECORD = "8275363"     # doi 10.5281/zenodo.8275363: the preprocessed derivatives

DEFAULT_SEED = 0

# CPU threads every network is trained with, whatever the machine has: the summation order of a convolution's
# gradient depends on how the work is split over threads, so trained weights depend on the thread count
# (one epoch of the quick BAN with 1 and 2 threads differs by up to 0.22 in a weight). 2 is what CI has.
TRAIN_THREADS = 2


QUICK_WIDTHS = (16, 32, 64, 128)         # BAN channels per area in the quick profile
FULL_WIDTHS = (64, 128, 256, 512)        # and at full size (CORnet-S's V1..IT widths)


@dataclass(frozen=True)
class Profile:
    """Size of a run of the book: ``quick`` fits CI, ``full`` has the real shapes."""

    name: str
    voxel_fraction: float        # of the real V per subject (twin only)
    n_roi_repeats: int           # resamplings in ROI selection
    train_epochs: int            # BAN training epochs
    all_gtzan_tracks: bool       # twin: render all 100 tracks per genre, or only the 54 used
    widths: tuple = FULL_WIDTHS  # BAN channels per area (A1, Belt, PB, T2/T3)
    # The recurrence grid (chapter 03) screens structures, not sizes: it is trained at the quick widths in
    # every profile (at full width it would be the book's most expensive and least informative step),
    # unless ``--grid-widths full`` asks for the profile's own widths (see :func:`grid_widths`).
    grid_widths: tuple = QUICK_WIDTHS
    n_permutations: int = 200    # permutation nulls of decoding and Table II cells
    # every network is trained from this many seeds (network_seed), so that comparisons between networks
    # can be judged against the spread over seeds and subjects, not over subjects alone
    training_seeds: int = 3


PROFILES = {
    "quick": Profile("quick", voxel_fraction=1 / 10, n_roi_repeats=100, train_epochs=8,
                     all_gtzan_tracks=False, widths=QUICK_WIDTHS, n_permutations=20),
    "full": Profile("full", voxel_fraction=1.0, n_roi_repeats=100, train_epochs=60,
                    all_gtzan_tracks=True),
}
GRID_WIDTH_CHOICES = ("quick", "full")


def get_profile(name: str) -> Profile:
    """The :class:`Profile` named ``name`` (``quick`` or ``full``)."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}: choose one of {sorted(PROFILES)}") from None


def network_seed(seed: int, replicate: int) -> int:
    """The training seed of replicate ``replicate`` of every network in a book run of ``seed``: the run's own
    seed for replicate 0 (so one-seed results and checkpoints are unchanged), then ``seed + 1000 k``."""
    return seed + 1000 * replicate


def grid_widths(profile: Profile, choice: str = "quick") -> tuple:
    """Channel widths of the recurrence grid's networks: ``"quick"`` (the default in every profile)
    gives ``profile.grid_widths``, ``"full"`` the widths of the profile's other networks (so in the
    quick profile both are the same)."""
    if choice not in GRID_WIDTH_CHOICES:
        raise ValueError(f"unknown grid widths {choice!r}: choose one of {list(GRID_WIDTH_CHOICES)}")
    return tuple(profile.grid_widths if choice == "quick" else profile.widths)


SEED_MAX = 2 ** 32 - 1       # seeds are 0 ... 2^32 - 1 (what every consumer, numpy's and torch's included, accepts)


def check_seed(seed: object, option: str = "--seed") -> int:
    """``seed`` when it is a whole number from 0 to :data:`SEED_MAX`; raises
    :class:`~banlib.errors.UsageError` naming ``option`` before any work is done otherwise."""
    from .errors import UsageError

    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) <= SEED_MAX:
        raise UsageError(file=f"{option} {seed}", what=f"a seed is a whole number from 0 to {SEED_MAX} (2^32 - 1)",
                         fix="give a seed in that range")
    return int(seed)


def rng(seed: int, *purpose: object) -> np.random.Generator:
    """A generator for one purpose, e.g. ``rng(seed, "twin", "noise", "sub-001")``."""
    key = "/".join(str(p) for p in (seed, *purpose)).encode()
    digest = hashlib.sha256(key).digest()
    return np.random.default_rng(np.frombuffer(digest[:16], dtype=np.uint32).astype(np.uint64))
