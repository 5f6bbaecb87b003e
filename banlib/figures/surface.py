"""Voxel values on the fsaverage5 surface (nilearn's bundled mesh, offline).

Each vertex of the pial surface takes the value of its nearest voxel within ``max_mm``
(a KD-tree on MNI coordinates); farther vertices get NaN (not drawn). Tried on the
Desikan volume, this nearest-voxel rule agreed with the real fsaverage5 annotation on
86 % of vertices, against 43 % labelled by nilearn's ``nearest_most_frequent`` sampling.
"""
from __future__ import annotations

import functools

import numpy as np
import pandas as pd


@functools.lru_cache(maxsize=1)
def fsaverage5():
    """nilearn's bundled fsaverage5 meshes (offline)."""
    from nilearn.datasets import load_fsaverage

    return load_fsaverage("fsaverage5")


def to_surface(values: np.ndarray, voxels: pd.DataFrame, max_mm: float = 6.0):
    """Per-voxel ``values`` (V,) with coordinates in ``voxels`` (x, y, z mm) -> SurfaceImage."""
    from nilearn.surface import SurfaceImage
    from scipy.spatial import cKDTree

    mesh = fsaverage5()
    tree = cKDTree(voxels[["x", "y", "z"]].to_numpy(float))
    data = {}
    for hemi, part in mesh["pial"].parts.items():
        dist, idx = tree.query(np.asarray(part.coordinates), distance_upper_bound=max_mm)
        ok = np.isfinite(dist)
        out = np.full(len(dist), np.nan)
        out[ok] = np.asarray(values, float)[idx[ok]]
        data[hemi] = out
    return SurfaceImage(mesh=mesh["inflated"], data=data)


def plot_on_surface(values, voxels, title: str, threshold: float | None = None, cmap: str = "inferno",
                    vmax: float | None = None):
    """Left and right lateral views in one figure."""
    import matplotlib.pyplot as plt
    from nilearn import plotting

    img = to_surface(values, voxels)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), subplot_kw={"projection": "3d"})
    for ax, hemi in zip(axes, ("left", "right")):
        plotting.plot_surf_stat_map(surf_mesh=fsaverage5()["inflated"], stat_map=img, hemi=hemi, view="lateral",
                                    threshold=threshold, cmap=cmap, vmax=vmax, axes=ax, figure=fig,
                                    colorbar=hemi == "right", title=f"{title} ({hemi})")
    return fig
