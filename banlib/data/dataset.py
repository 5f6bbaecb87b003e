"""Where the data live and how to read them: one code path for OpenNeuro and the twin.

A :class:`DataSource` names three folders: the BIDS tree (events, sidecars), the folder
with the preprocessed response matrices, and the GTZAN-layout audio folder. The readers
below check what they read and fail with messages that name the file and the fix.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from ..config import DROPPED_TRS, N_TEST_RUNS, N_TRAINING_RUNS, TEST_REPEATS, VOLUMES_PER_RUN

TASKS = {"Training": N_TRAINING_RUNS, "Test": N_TEST_RUNS}
RESPONSE_KINDS = ("Training", "Test", "Test_Mean")
ROWS_PER_KIND = {
    "Training": N_TRAINING_RUNS * (VOLUMES_PER_RUN - DROPPED_TRS),
    "Test": N_TEST_RUNS * (VOLUMES_PER_RUN - DROPPED_TRS),
    "Test_Mean": N_TEST_RUNS * (VOLUMES_PER_RUN - DROPPED_TRS) // TEST_REPEATS,
}


class DataError(RuntimeError):
    """Data that are missing, unfetched or inconsistent; the message says how to fix it."""


def dataset_root(path: Path) -> Path | None:
    """Nearest parent of ``path`` that is a DataLad or git dataset."""
    for parent in [path.parent, *path.parents]:
        if (parent / ".datalad").is_dir() or (parent / ".git").exists():
            return parent
    return None


def check_present(path: str | Path, what: str = "file") -> Path:
    """Fail clearly when ``path`` is missing or an annexed file whose content is not fetched."""
    path = Path(path)
    if path.is_symlink() and not path.exists():
        root = dataset_root(path.absolute())
        rel = path.absolute().relative_to(root) if root else path
        where = f"-d {root} " if root else ""
        raise DataError(
            f"{path}: the {what} is in the dataset but its content has not been fetched "
            f"(an un-fetched git-annex file). Fetch it with:\n    datalad get {where}{rel}"
        )
    if not path.exists():
        raise DataError(f"{path}: {what} not found. Check data_dir, or fetch/generate the data "
                        f"(`banlib fetch ...` or `banlib twin ...`).")
    return path


@dataclass(frozen=True)
class DataSource:
    """The folders one analysis reads. Build it with :func:`open_source`."""

    kind: str                       # "twin" or "openneuro"
    bids_root: Path
    derivatives_root: Path
    gtzan_root: Path
    truth_root: Path | None = None  # twin only: the planted ground truth
    info: dict = field(default_factory=dict, compare=False)

    def events_path(self, subject: str, task: str, run: int) -> Path:
        return self.bids_root / subject / "func" / f"{subject}_task-{task}_run-{run:02d}_events.tsv"

    def response_path(self, subject: str, kind: str) -> Path:
        if kind not in RESPONSE_KINDS:
            raise ValueError(f"kind must be one of {RESPONSE_KINDS}, not {kind!r}")
        name = f"{subject}_Resp_{kind}.npy"
        direct = self.derivatives_root / name
        if direct.exists() or direct.is_symlink():
            return direct
        found = sorted(self.derivatives_root.rglob(name)) if self.derivatives_root.is_dir() else []
        return found[0] if found else direct

    def audio_path(self, genre: str, track: int) -> Path:
        return self.gtzan_root / "genres" / genre / f"{genre}.{track:05d}.wav"

    @property
    def label(self) -> str:
        """One line naming the data, printed on every figure."""
        if self.kind == "twin":
            return (f"data: synthetic twin (profile {self.info.get('profile')}, seed {self.info.get('seed')}) "
                    f"- not the paper's data")
        commit = self.info.get("commit", "unknown commit")
        return f"data: OpenNeuro ds003720 v{self.info.get('version', '?')} @ {commit[:10]}"

    def subjects(self) -> list[str]:
        subs = sorted(p.name for p in self.bids_root.glob("sub-*") if p.is_dir())
        if not subs:
            raise DataError(f"{self.bids_root}: no sub-* folders; is this a ds003720 dataset?")
        return subs


def _git_commit(path: Path) -> str:
    head = path / ".git" / "HEAD"
    try:
        ref = head.read_text().strip()
        if ref.startswith("ref: "):
            return (path / ".git" / ref[5:]).read_text().strip()
        return ref
    except OSError:
        return "unknown"


def twin_dir(data_dir: str | Path, profile: str, seed: int) -> Path:
    return Path(data_dir) / "twin" / f"{profile}-seed{seed}"


def open_source(data_source: str, data_dir: str | Path = "data", profile: str = "quick",
                seed: int = config.DEFAULT_SEED) -> DataSource:
    """Resolve the folders of ``data_source`` ("twin" or "openneuro") under ``data_dir``."""
    data_dir = Path(data_dir)
    if data_source == "twin":
        root = twin_dir(data_dir, profile, seed)
        manifest = root / "derivative" / "twin_truth" / "twin.json"
        if not manifest.exists():
            raise DataError(f"{root}: no twin here. Make it with:\n    banlib twin --out {root} "
                            f"--profile {profile} --seed {seed}")
        info = json.loads(manifest.read_text())
        return DataSource("twin", root, root / "derivative" / "preprocessed_data",
                          root / "stimuli" / "gtzan", root / "derivative" / "twin_truth", info)
    if data_source == "openneuro":
        bids = data_dir / "ds003720"
        if not (bids / "dataset_description.json").exists():
            raise DataError(f"{bids}: ds003720 is not here. Get it with:\n    banlib fetch openneuro --dest {data_dir}")
        deriv = data_dir / "ds003720-derivatives"
        if not deriv.is_dir():  # the 2023 OpenNeuro layout kept them inside the dataset
            deriv = bids / "derivative" / "preprocessed_data"
        info = {"version": config.OPENNEURO_VERSION, "commit": _git_commit(bids)}
        return DataSource("openneuro", bids, deriv, data_dir / "gtzan", None, info)
    raise ValueError(f"data_source must be 'twin' or 'openneuro', not {data_source!r}")


# --------------------------------------------------------------------------- design


# ------------------------------------------------------------------------ responses
def load_responses(source: DataSource, subject: str, kind: str) -> np.ndarray:
    """``Resp_<kind>`` as a read-only float32 memory map of shape ``(n_TRs, V)``."""
    path = check_present(source.response_path(subject, kind), "response matrix")
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError as err:
        raise DataError(f"{path}: not a plain .npy array ({err}); re-fetch it with datalad get") from None
    expected = ROWS_PER_KIND[kind]
    if arr.ndim != 2 or arr.shape[0] != expected:
        raise DataError(f"{path}: shape {arr.shape}, but the events give {expected} TRs "
                        f"(rows) for {kind}; the file does not match the design")
    if arr.dtype != np.float32:
        raise DataError(f"{path}: dtype {arr.dtype}, expected float32")
    return arr


@dataclass(frozen=True)
class VoxelQuality:
    """Which voxels are usable: finite everywhere and not constant."""

    usable: np.ndarray   # (V,) bool
    n_nonfinite: int
    n_constant: int

    def summary(self) -> str:
        return (f"{int(self.usable.sum())} of {self.usable.size} voxels usable; excluded "
                f"{self.n_nonfinite} with NaN/inf and {self.n_constant} constant")


def voxel_quality(Y: np.ndarray, chunk: int = 8192) -> VoxelQuality:
    """Scan ``Y`` (T, V) in voxel chunks (a memory map stays on disk)."""
    V = Y.shape[1]
    finite = np.ones(V, bool)
    constant = np.zeros(V, bool)
    for lo in range(0, V, chunk):
        block = np.asarray(Y[:, lo:lo + chunk])
        ok = np.isfinite(block).all(axis=0)
        finite[lo:lo + chunk] = ok
        safe = np.where(ok, block, 0)
        constant[lo:lo + chunk] = ok & (np.ptp(safe, axis=0) == 0)
    return VoxelQuality(finite & ~constant, int((~finite).sum()), int(constant.sum()))


def voxel_table(source: DataSource, subject: str) -> pd.DataFrame | None:
    """Per-voxel MNI coordinates (mm) and Destrieux label, where the data have them.

    The twin ships one; the real derivatives carry no coordinates (see the methods chapter).
    """
    path = source.derivatives_root / f"{subject}_voxels.tsv"
    if source.truth_root is not None:
        path = source.truth_root / f"{subject}_voxels.tsv"
    if not path.exists():
        return None
    return pd.read_csv(path, sep="\t")

