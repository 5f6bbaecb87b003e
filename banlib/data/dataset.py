"""Where the data live and how to read them: one code path for OpenNeuro and the twin.

A :class:`DataSource` names three folders: the BIDS tree (events, sidecars), the folder
with the preprocessed response matrices, and the GTZAN-layout audio folder. The readers
below check what they read and fail with messages that name the file and the fix.
"""
from __future__ import annotations

import json
import os
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from ..config import DROPPED_TRS, N_TEST_RUNS, N_TRAINING_RUNS, TEST_REPEATS, VOLUMES_PER_RUN
from ..errors import BanlibError
from ..files import is_annex_pointer, load_array
from ..provenance import read_head

TASKS = {"Training": N_TRAINING_RUNS, "Test": N_TEST_RUNS}
RESPONSE_KINDS = ("Training", "Test", "Test_Mean")
ROWS_PER_KIND = {
    "Training": N_TRAINING_RUNS * (VOLUMES_PER_RUN - DROPPED_TRS),
    "Test": N_TEST_RUNS * (VOLUMES_PER_RUN - DROPPED_TRS),
    "Test_Mean": N_TEST_RUNS * (VOLUMES_PER_RUN - DROPPED_TRS) // TEST_REPEATS,
}


PROVENANCE_FILE = Path(".banlib") / "fetch.json"   # written by banlib fetch in each fetched dataset


class DataError(BanlibError, RuntimeError):
    """Data that are missing, unfetched or inconsistent; the message says how to fix it."""


def dataset_root(path: Path) -> Path | None:
    """Nearest parent of ``path`` that is a DataLad or git dataset."""
    for parent in [path.parent, *path.parents]:
        if (parent / ".datalad").is_dir() or (parent / ".git").exists():
            return parent
    return None


def get_command(path: str | Path) -> str:
    """The ``datalad get`` command that fetches ``path``, runnable from any working directory.

    DataLad resolves a relative path against the working directory, not against ``-d``, so both
    the dataset and the file are given as absolute paths (quoted for the shell).
    """
    path = Path(os.path.abspath(path))
    root = dataset_root(path)
    if root is None:
        return f"datalad get {shlex.quote(str(path))}"
    return f"datalad get -d {shlex.quote(str(root))} {shlex.quote(str(path))}"


def check_present(path: str | Path, what: str = "file") -> Path:
    """Fail clearly when ``path`` is missing or an annexed file whose content is not fetched.

    Parameters
    ----------
    path : path of the file a reader is about to open
    what : what the file is, for the message (``"response matrix"``)

    Returns
    -------
    path : the same path, as a :class:`~pathlib.Path`

    Raises
    ------
    DataError
        naming the file; for un-fetched annexed content, with the exact ``datalad get`` command.
    """
    path = Path(path)
    # a dropped annexed file is a dangling link (locked) or a one-line pointer file (unlocked, adjusted branch)
    if (path.is_symlink() and not path.exists()) or is_annex_pointer(path):
        raise DataError(
            f"{path}: the {what} is in the dataset but its content has not been fetched "
            f"(an un-fetched git-annex file). Fetch it with:\n    {get_command(path)}\n"
            f"If DataLad answers that the content is not available, no known source holds it "
            f"(offline, or a mirror without this file)."
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
        """Path of ``<subject>_task-<task>_run-NN_events.tsv`` in the BIDS tree."""
        return self.bids_root / subject / "func" / f"{subject}_task-{task}_run-{run:02d}_events.tsv"

    def response_path(self, subject: str, kind: str) -> Path:
        """Path of ``<subject>_Resp_<kind>.npy`` (found anywhere under the derivatives folder)."""
        if kind not in RESPONSE_KINDS:
            raise ValueError(f"kind must be one of {RESPONSE_KINDS}, not {kind!r}")
        name = f"{subject}_Resp_{kind}.npy"
        direct = self.derivatives_root / name
        if direct.exists() or direct.is_symlink():
            return direct
        found = find_file(self.derivatives_root, name)
        return found or direct

    def stimulus_file(self, name: str) -> Path | None:
        """Path of one of the authors' stimulus-generation files (``Mean_RMS.mat`` ...), or None.

        Looked for under the derivatives folder (the Zenodo record, any layout) and in
        ``../stimuli_generate`` beside it (the 2023 OpenNeuro layout, and the twin's).
        """
        found = find_file(self.derivatives_root, name)
        if found is not None:
            return found
        beside = self.derivatives_root.parent / "stimuli_generate" / name
        return beside if (beside.exists() or beside.is_symlink()) else None

    def audio_path(self, genre: str, track: int) -> Path:
        """The GTZAN file ``<genre>.000NN.wav`` in whichever layout the GTZAN folder has
        (see :func:`banlib.data.audio.gtzan_path`)."""
        from .audio import gtzan_path

        return gtzan_path(self.gtzan_root, genre, track)

    @property
    def label(self) -> str:
        """One line naming the data, printed on every figure."""
        if self.kind == "twin":
            return (f"data: synthetic twin (profile {self.info.get('profile')}, seed {self.info.get('seed')}) "
                    f"- not the paper's data")
        commit = self.info.get("commit") or "unknown commit"
        deriv = self.info.get("derivatives") or {}
        gtzan = self.info.get("gtzan") or {}
        sha = (gtzan.get("sha256") or "unknown")[:12]
        stim = self.info.get("stimuli", "")
        stim = "; stimuli from the authors' files" if stim.startswith("cut and scaled by the authors") else \
            ("; stimuli from events start/end" if stim else "")
        return (f"data: OpenNeuro ds003720 v{self.info.get('version') or '?'} @ {commit[:10]}, "
                f"derivatives Zenodo {deriv.get('record') or '?'}, GTZAN sha256 {sha}{stim}")

    def subjects(self) -> list[str]:
        """The ``sub-*`` folders of the BIDS tree, sorted; raises :class:`DataError` when there are none."""
        subs = sorted(p.name for p in self.bids_root.glob("sub-*") if p.is_dir())
        if not subs:
            raise DataError(f"{self.bids_root}: no sub-* folders; is this a ds003720 dataset?")
        return subs


def find_file(root: Path, name: str) -> Path | None:
    """First file called ``name`` under ``root`` (sorted walk; dot folders such as ``.git`` skipped)."""
    if not root.is_dir():
        return None
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        if name in files:
            return Path(folder) / name
    return None


def _git(path: Path, *args) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(path), *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else None


def _git_commit(path: Path) -> str:
    """The commit of the dataset at ``path``: from git, else read from its ``.git`` directly (git refuses a
    checkout another user owns), else ``"unknown"``."""
    return _git(path, "rev-parse", "HEAD") or read_head(path) or "unknown"


def fetch_record(root: Path) -> dict:
    """What ``banlib fetch`` wrote about a fetched dataset (``<root>/.banlib/fetch.json``), or {}."""
    path = root / PROVENANCE_FILE
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except ValueError:
        raise DataError(f"{path}: not valid JSON; delete it and run the fetch again") from None


def _openneuro_info(bids: Path, deriv: Path, gtzan: Path) -> dict:
    """Provenance of the three real datasets, from their fetch records and git."""
    ds = fetch_record(bids)
    commit = _git_commit(bids)
    # the tag at HEAD; else the fetched version, marked when the clone has moved away from it since
    version = _git(bids, "describe", "--tags", "--exact-match", "HEAD") or ds.get("version")
    if version and ds.get("commit") and ds["commit"] != commit:
        version = f"{version}, changed after the fetch"
    dr = fetch_record(deriv.parent if deriv.name == "preprocessed_data" else deriv)
    gz = fetch_record(gtzan)
    return {"version": version, "commit": commit, "source_url": ds.get("source_url"),
            "derivatives": {"record": dr.get("record"), "source_url": dr.get("source_url"),
                            "md5": {k: v.get("md5") for k, v in dr.get("files", {}).items()}},
            "gtzan": {"source_url": gz.get("source_url"), "sha256": gz.get("sha256"),
                      "sha256_checked": gz.get("sha256_checked")}}


def twin_dir(data_dir: str | Path, profile: str, seed: int) -> Path:
    """Where the twin of ``profile`` and ``seed`` lives under ``data_dir``."""
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
        source = DataSource("twin", root, root / "derivative" / "preprocessed_data",
                            root / "stimuli" / "gtzan", root / "derivative" / "twin_truth", info)
        info["stimuli"] = stimuli_route(source)
        return source
    if data_source == "openneuro":
        bids = data_dir / "ds003720"
        if not (bids / "dataset_description.json").exists():
            raise DataError(f"{bids}: ds003720 is not here. Get it with:\n    banlib fetch openneuro --dest {data_dir}")
        deriv = data_dir / "ds003720-derivatives"
        if not deriv.is_dir():  # the 2023 OpenNeuro layout kept them inside the dataset
            deriv = bids / "derivative" / "preprocessed_data"
        source = DataSource("openneuro", bids, deriv, data_dir / "gtzan", None,
                            _openneuro_info(bids, deriv, data_dir / "gtzan"))
        source.info["stimuli"] = stimuli_route(source)
        return source
    raise ValueError(f"data_source must be 'twin' or 'openneuro', not {data_source!r}")


def stimuli_route(source: DataSource) -> str:
    """How the stimuli are rebuilt for ``source``: from the authors' stimulus files, or from the events."""
    from .stimuli import route

    return route(source)



# ------------------------------------------------------------------------ responses
TRS_BY_VOXELS = "TRs x voxels"
VOXELS_BY_TRS = "voxels x TRs"


def _open_responses(source: DataSource, subject: str, kind: str) -> tuple[np.ndarray, str, Path]:
    """The stored array as a memory map, the orientation found, and the path."""
    if kind not in RESPONSE_KINDS:
        raise ValueError(f"kind must be one of {RESPONSE_KINDS}, not {kind!r}")
    path = check_present(source.response_path(subject, kind), "response matrix")
    arr = load_array(path, "response matrix", "check the copy with banlib fetch derivatives (it reads every file's "
                     "md5 against the record) and fetch it again; on the twin, generate it again (banlib twin --force)",
                     mmap_mode="r", error=DataError)
    expected = ROWS_PER_KIND[kind]
    if arr.ndim != 2 or expected not in arr.shape:
        raise DataError(f"{path}: shape {arr.shape}, but the events give {expected} TRs for {kind}: "
                        f"expected ({expected}, n_voxels) or (n_voxels, {expected}); the file does not "
                        f"match the design")
    if arr.shape[0] == arr.shape[1]:
        raise DataError(f"{path}: shape {arr.shape}: both axes have {expected} entries, so which one is "
                        f"time cannot be told from the design")
    if arr.dtype != np.float32:
        raise DataError(f"{path}: dtype {arr.dtype}, expected float32")
    return arr, (TRS_BY_VOXELS if arr.shape[0] == expected else VOXELS_BY_TRS), path


def response_orientation(source: DataSource, subject: str, kind: str) -> str:
    """How ``Resp_<kind>`` is stored on disk: ``"TRs x voxels"`` or ``"voxels x TRs"``.

    Decided by which axis has the design's number of TRs (:data:`ROWS_PER_KIND`); every real
    V differs from 4,800 / 2,400 / 600, so the answer is unambiguous. Reads only the header.
    """
    return _open_responses(source, subject, kind)[1]


def load_responses(source: DataSource, subject: str, kind: str) -> np.ndarray:
    """``Resp_<kind>`` as a read-only float32 array of shape ``(n_TRs, n_voxels)``.

    The file is memory-mapped, never loaded. A file stored voxels x TRs (as the Zenodo
    derivatives most likely are) is handed out as the transposed *view* of its memory map: no
    copy, and a column chunk ``Y[:, lo:hi]`` reads contiguous rows of the file.

    Raises
    ------
    DataError
        if the file is missing or un-fetched, pickled, not float32, or neither axis has the
        number of TRs the events give for ``kind`` (the message names file, shape and expectation).
    """
    arr, orientation, _ = _open_responses(source, subject, kind)
    return arr if orientation == TRS_BY_VOXELS else arr.T


@dataclass(frozen=True)
class VoxelQuality:
    """Which voxels are usable: finite everywhere and not constant."""

    usable: np.ndarray   # (V,) bool
    n_nonfinite: int
    n_constant: int

    def summary(self) -> str:
        """One sentence: voxels usable, and how many were excluded for which reason."""
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

