"""Genre-representing ROI selection (paper Section V-B2), all voxels at once.

Per subject: genre one-hot features with FIR delays, a ridge model fitted on a random 75 %
of the training clips and scored on the other 25 % (Pearson r per voxel), 100 times;
Benjamini-Hochberg FDR across voxels in each repetition; a voxel enters the ROI when it is
significant in more than 75 % of repetitions.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.atlas import TABLE2_ROIS
from ..data.dataset import DataError, DataSource, check_present, load_responses, voxel_quality
from ..data.design import SubjectDesign
from ..encoding.delays import Delayer
from ..encoding.resampling import resampled_scores
from ..encoding.stats import fdr_bh, pearson_pvalues
from ..features.labels import genre_onehot
from ..files import load_array, save_npz
from ..paper.values import PAPER_ROI_SIZES
from .recovery import roi_recovery


@dataclass
class ROISelector:
    """Resampled genre-encoding significance per voxel; the ROI is what passes often enough.

    Parameters
    ----------
    n_repeats : int
        Random splits of whole clip presentations.
    train_fraction : float
        Share of presentations fitted in each split; the rest is scored.
    q : float
        Benjamini-Hochberg false discovery rate across voxels, per split.
    threshold : float
        A voxel joins the ROI when significant in more than this share of splits.
    alpha : float
        Ridge penalty (small: ordinary least squares up to numerical stabilisation).
    seed : int
        Seeds the splits (:func:`banlib.config.rng`).

    ``fit(X, Y, blocks)`` sets ``r_`` (n_repeats, V), ``frequency_`` (V,), ``mask_`` (V,), ``mean_r_`` (V,).
    """

    n_repeats: int = 100
    train_fraction: float = 0.75
    q: float = 0.05
    threshold: float = 0.75
    alpha: float = 1.0
    seed: int = 0

    def fit(self, X, Y, blocks, usable=None, progress=None) -> "ROISelector":
        """Score every split; ``X`` (T, P), ``Y`` (T, V), ``blocks`` (T,), ``usable`` (V,) bool."""
        V = Y.shape[1]
        usable = np.ones(V, bool) if usable is None else np.asarray(usable, bool)
        res = resampled_scores(X, Y, blocks, self.n_repeats, self.train_fraction, self.alpha,
                               self.seed, usable=usable, progress=progress)
        r = res.r
        p = np.full(r.shape, np.nan)
        for i in range(self.n_repeats):
            p[i, usable] = pearson_pvalues(r[i, usable], int(res.n_test[i]))
        significant = fdr_bh(p, self.q)
        self.r_ = r
        self.frequency_ = significant.mean(axis=0)
        self.mean_r_ = np.where(usable, r.mean(axis=0), np.nan)
        self.mask_ = (self.frequency_ > self.threshold) & usable
        self.usable_ = usable
        return self


ROI_SPLITS = ("training", "paper")
SELECTION_KINDS = {"training": ("Training",), "paper": ("Training", "Test_Mean")}
TEST_BLOCK_OFFSET = 100_000      # keeps the Test_Mean presentations' block ids apart from the training runs'


def genre_design(design: SubjectDesign, delayer: Delayer = Delayer(), split: str = "training"):
    """The genre design the ROI is selected on.

    Parameters
    ----------
    split : ``"training"`` or ``"paper"``
        ``training`` (the book's choice): the 12 training runs only. ``paper`` (the paper's Table I reading):
        the training runs pooled with the 600 ``Test_Mean`` rows, so that 75 % / 25 % of the 5,400 rows are
        the 4,050 / 1,350 volumes of Table I; the test clips then take part in the selection.

    Returns
    -------
    X : float32 array of shape (n_rows, 10 * n_delays)
        One-hot genre of the clip playing, FIR-delayed (4,800 rows, or 5,400 with ``paper``).
    blocks : int array of shape (n_rows,)
        One id per clip presentation: splits keep whole presentations together.
    """
    onehot = genre_onehot(design.clips.genre)
    X = [delayer.design_matrix(onehot, design.grids["Training"])]
    blocks = [design.rows["Training"].block.to_numpy()]
    if split == "paper":
        X.append(delayer.design_matrix(onehot, design.grids["Test"], mean_over_repeats=True))
        blocks.append(design.rows["Test_Mean"].block.to_numpy() + TEST_BLOCK_OFFSET)
    elif split != "training":
        raise ValueError(f"split must be one of {ROI_SPLITS}, not {split!r}")
    return np.vstack(X), np.concatenate(blocks)


class RowStack:
    """Several response matrices, arrays of shape (n_i, V), read as one of shape (sum n_i, V), a column
    block at a time (memory maps stay on disk)."""

    def __init__(self, *arrays):
        self.arrays = arrays
        self.shape = (sum(a.shape[0] for a in arrays), arrays[0].shape[1])

    def __getitem__(self, key):
        rows, cols = key
        if rows != slice(None):
            raise IndexError("RowStack reads whole columns only")
        return np.vstack([np.asarray(a[:, cols]) for a in self.arrays])


def selection_responses(source: DataSource, subject: str, split: str = "training"):
    """The responses the ROI is selected on: ``Resp_Training`` (default), stacked with ``Resp_Test_Mean``
    for the ``paper`` split; shape (n_rows, V)."""
    arrays = [load_responses(source, subject, kind) for kind in SELECTION_KINDS[split]]
    return arrays[0] if len(arrays) == 1 else RowStack(*arrays)


@dataclass
class ROI:
    """One subject's genre-representing ROI and how it was chosen.

    Attributes
    ----------
    subject : str
    mask : bool array of shape (V,)
        The ROI: significant in more than the threshold share of repetitions.
    frequency : array of shape (V,)
        Share of repetitions in which each voxel was significant.
    mean_r : array of shape (V,)
        Mean test r over repetitions (NaN for unusable voxels).
    usable : bool array of shape (V,)
        Voxels that are finite and not constant (the others never enter a score).
    inputs : str
        What the selection was computed from (:func:`selection_fingerprint`; empty when unknown): a saved
        ROI whose inputs differ from the data's is selected again, not reused.
    """

    subject: str
    mask: np.ndarray
    frequency: np.ndarray
    mean_r: np.ndarray
    usable: np.ndarray
    inputs: str = ""

    @property
    def size(self) -> int:
        """Number of ROI voxels."""
        return int(self.mask.sum())

    def summary(self) -> str:
        """One line: usable voxels and ROI size."""
        n_bad = int((~self.usable).sum())
        return f"{self.subject}: {int(self.usable.sum())} of {self.usable.size} voxels usable ({n_bad} excluded); " \
               f"ROI {self.size} voxels"

    def save(self, path) -> None:
        """Write the ROI as ``.npz`` (atomically: a temporary name, then renamed)."""
        save_npz(path, mask=self.mask, frequency=self.frequency.astype(np.float32),
                 mean_r=self.mean_r.astype(np.float32), usable=self.usable, inputs=np.array(self.inputs))

    @classmethod
    def load(cls, path, subject: str) -> "ROI":
        """Read an ROI written by :meth:`save`."""
        with load_array(check_present(path, "ROI mask file"), "ROI mask file",
                        "delete it and run chapter 02 again (banlib book --only 02_roi_selection)", error=DataError) as f:
            mask = f["mask"].astype(bool)
            usable = f["usable"].astype(bool) if "usable" in f.files else np.ones_like(mask)
            inputs = str(f["inputs"]) if "inputs" in f.files else ""
            return cls(subject, mask, f["frequency"], f["mean_r"], usable, inputs)


def selection_fingerprint(source: DataSource, subject: str, selector: "ROISelector", split: str = "training") -> str:
    """16 hex digits of a SHA-256 over the response files the selection reads (``SELECTION_KINDS[split]``,
    their contents' md5, :func:`banlib.files.content_md5`) and the selector's settings: equal fingerprints,
    equal ROIs."""
    import hashlib

    from ..files import content_md5

    digest = hashlib.sha256(repr((split, sorted(vars(selector).items()))).encode())
    for kind in SELECTION_KINDS[split]:
        path = check_present(source.response_path(subject, kind), f"{subject} Resp_{kind}")
        digest.update(content_md5(path).encode())
    return digest.hexdigest()[:16]


def select_roi(source: DataSource, design: SubjectDesign, selector: ROISelector | None = None,
               delayer: Delayer = Delayer(), split: str = "training", progress=None) -> ROI:
    """ROI selection for one subject (paper Section V-B2).

    Parameters
    ----------
    source : DataSource
    design : SubjectDesign
    selector : ROISelector, optional
        Resampling settings (default: 100 repetitions, 75 % / 25 %, FDR .05, threshold .75).
    delayer : Delayer
        FIR delays of the genre design.
    split : ``"training"`` or ``"paper"``
        Which rows are resampled (:func:`genre_design`): the training runs only, or training and test pooled.
    progress : callable, optional
        Called with the number of voxels done after each chunk.
    """
    selector = selector or ROISelector()
    Y = selection_responses(source, design.subject, split)
    quality = voxel_quality(Y)
    X, blocks = genre_design(design, delayer, split)
    selector.fit(X, Y, blocks, usable=quality.usable, progress=progress)
    return ROI(design.subject, selector.mask_, selector.frequency_, selector.mean_r_, quality.usable)


def selection_volumes(design: SubjectDesign, split: str = "training", train_fraction: float = 0.75) -> dict:
    """Volumes in the fitted and the scored part of one resampling (Table I's "train / test samples")."""
    n = sum(len(design.rows[k]) for k in SELECTION_KINDS[split])
    n_train = int(round(train_fraction * n))
    return {"train": n_train, "test": n - n_train}


def label_counts(mask: np.ndarray, voxels: pd.DataFrame) -> dict[str, int]:
    """ROI voxels per Table II label (``L.HG`` ... ``R.LSTG``, ``other``), from a voxel table with ``roi``."""
    labels = voxels["roi"].to_numpy()
    counts = pd.Series(labels[mask]).value_counts().to_dict()
    return {str(k): int(v) for k, v in sorted(counts.items())}


def label_fractions(counts: dict[str, int]) -> dict[str, float]:
    """Share of the ROI in each Table II label and ``other`` (0 where a label has none)."""
    total = sum(counts.values())
    if total == 0:
        raise ValueError("an empty ROI has no label fractions")
    return {k: counts.get(k, 0) / total for k in (*TABLE2_ROIS, "other")}


def roi_values(rois: dict[str, ROI], voxel_tables: dict) -> dict:
    """The chapter's results per subject: ROI size, its voxel indices, excluded voxels and, where the
    data have voxel labels, the ROI voxels per Table II label."""
    out = {}
    for sub, roi in rois.items():
        out[f"roi_size_{sub}"] = roi.size
        out[f"roi_voxels_{sub}"] = np.nonzero(roi.mask)[0].tolist()
        out[f"excluded_voxels_{sub}"] = int((~roi.usable).sum())
        if voxel_tables.get(sub) is not None:
            out[f"label_counts_{sub}"] = label_counts(roi.mask, voxel_tables[sub])
    return out


def size_table(rois: dict[str, ROI]) -> pd.DataFrame:
    """ROI size per subject beside the paper's, and the usable voxels."""
    return pd.DataFrame({"this run": {s: r.size for s, r in rois.items()},
                         "paper": {s: PAPER_ROI_SIZES.get(s) for s in rois},
                         "usable voxels": {s: int(r.usable.sum()) for s, r in rois.items()}})


def label_fraction_table(rois: dict[str, ROI], voxel_tables: dict) -> pd.DataFrame:
    """Share of each subject's ROI in each Table II label and ``other`` (rows subjects). Needs voxel labels."""
    return pd.DataFrame({s: label_fractions(label_counts(r.mask, voxel_tables[s])) for s, r in rois.items()}).T


def auditory_fraction_values(fractions: pd.DataFrame) -> dict:
    """``roi_auditory_fraction_<sub>``: the share of the ROI inside the eight Table II labels."""
    return {f"roi_auditory_fraction_{s}": float(1 - fractions.loc[s, "other"]) for s in fractions.index}


def recovery_table(rois: dict[str, ROI], voxel_tables: dict) -> pd.DataFrame:
    """Twin only: each ROI against the planted genre voxels (:func:`banlib.analyses.recovery.roi_recovery`:
    precision, recall, recall among the strongly tuned, acoustic voxels selected), one row per subject."""
    return pd.DataFrame({s: roi_recovery(r.mask, voxel_tables[s]) for s, r in rois.items()}).T


def split_table(rois: dict[str, ROI], paper_rois: dict[str, ROI], voxel_tables: dict | None = None) -> pd.DataFrame:
    """The book's selection (training runs) beside the paper's reading (training and test pooled), per subject:
    sizes and overlap, and, where planted truth exists (twin), each one's precision and recall."""
    rows = {}
    for s, r in rois.items():
        p = paper_rois[s]
        row = {"training-only size": r.size, "pooled (paper) size": p.size, "both": int((r.mask & p.mask).sum())}
        vox = (voxel_tables or {}).get(s)
        if vox is not None and "truth" in vox:
            for name, roi in (("training-only", r), ("pooled", p)):
                rec = roi_recovery(roi.mask, vox)
                row[f"{name} precision"], row[f"{name} recall"] = rec["precision"], rec["recall"]
        rows[s] = row
    return pd.DataFrame(rows).T


def split_values(rois: dict[str, ROI], paper_rois: dict[str, ROI], design: SubjectDesign) -> dict:
    """Results on the two selections: the pooled split's ROI sizes and each split's volumes per resampling."""
    out = {f"roi_size_paper_{s}": r.size for s, r in paper_rois.items()}
    out["selection_volumes_training"] = selection_volumes(design, "training")
    out["selection_volumes_paper"] = selection_volumes(design, "paper")
    return out
