"""banlib.twin.raw: the twin's raw runs and T1w, and derivatives that are exactly their preprocessing."""
import json

import numpy as np
import pytest

from banlib.data import preprocess as pp
from banlib.twin import raw


def test_anatomy_is_reproducible_and_per_subject():
    a, b = raw.plant_anatomy("sub-001", 0, "quick"), raw.plant_anatomy("sub-001", 0, "quick")
    c = raw.plant_anatomy("sub-002", 0, "quick")
    assert np.array_equal(a.affine, b.affine) and np.array_equal(a.head, b.head)
    assert not np.allclose(a.affine, c.affine)
    ijk = np.array([[0, 0, 0], [10, 20, 5]])
    p = ijk @ a.epi_affine[:3, :3].T + a.epi_affine[:3, 3]
    p = p @ a.head[:3, :3].T + a.head[:3, 3]
    assert np.allclose(a.epi_to_mni(ijk), a.scanner_to_mni(p))
    # the field of view is centred near the asked MNI point (the warp moves it by a few mm at most)
    centre = (np.array(a.geometry.epi_shape) - 1) / 2
    assert np.linalg.norm(a.epi_to_mni(centre[None])[0] - np.array(a.geometry.epi_centre_mni)) < 10


def test_native_candidates_are_cortical_epi_voxels():
    from banlib.data.atlas import is_cortical

    an = raw.plant_anatomy("sub-001", 0, "quick")
    cand = raw.native_candidates(an)
    assert len(cand) > 4000 and (cand.roi != "other").sum() > 300
    assert is_cortical(cand.code).all()
    shape = np.array(an.geometry.epi_shape)
    assert ((cand[["i", "j", "k"]].to_numpy() >= 0) & (cand[["i", "j", "k"]].to_numpy() < shape)).all()
    assert np.allclose(an.epi_to_mni(cand[["i", "j", "k"]].to_numpy(float)), cand[["x", "y", "z"]], atol=1e-3)


def test_head_motion_starts_at_the_reference():
    m = raw.head_motion("sub-001", 0, "Training", 1)
    assert m.shape == (410, 6) and np.all(m[0] == 0)
    other = raw.head_motion("sub-001", 0, "Test", 3)
    assert np.abs(other[0]).max() > 0 and np.abs(other[:, :3]).max() < 3


@pytest.fixture(scope="module")
def raw_sub(quick_twin):
    return raw.raw_subjects("quick")[0]


def test_the_twin_has_raw_runs_and_a_t1w(quick_twin, raw_sub):
    import nibabel as nib

    info = json.loads((quick_twin.truth_root / "twin.json").read_text())["subjects"][raw_sub]["raw"]
    geo = raw.GEOMETRY["quick"]
    for task, run in raw.run_list():
        img = nib.load(str(pp.bold_path(quick_twin.bids_root, raw_sub, task, run)))
        assert img.shape == (*geo.epi_shape, 410) and img.get_data_dtype() == np.int16
    t1 = nib.load(str(quick_twin.bids_root / raw_sub / "anat" / f"{raw_sub}_T1w.nii"))
    assert t1.shape == geo.t1_shape
    assert info["median_r_preprocessed_vs_simulated"]["Training"] > 0.85
    others = [s for s in quick_twin.subjects() if s not in raw.raw_subjects("quick")]
    assert not list((quick_twin.bids_root / others[0] / "func").glob("*.nii"))


def test_planted_voxels_are_native_with_exact_mni_positions(quick_twin, raw_sub):
    from banlib.data.dataset import voxel_table

    vox = voxel_table(quick_twin, raw_sub)
    planted = json.loads((quick_twin.truth_root / f"{raw_sub}_raw.json").read_text())
    an = raw.plant_anatomy(raw_sub, quick_twin.info["seed"], "quick")
    assert np.allclose(np.array(planted["affine"]), an.affine, atol=1e-7)
    assert np.allclose(an.epi_to_mni(vox[["i", "j", "k"]].to_numpy(float)), vox[["x", "y", "z"]], atol=1e-2)


def test_derivatives_are_exactly_the_preprocessed_raw_runs(quick_twin, raw_sub):
    from banlib.data.dataset import load_responses, voxel_table

    vox = voxel_table(quick_twin, raw_sub)
    cols = np.arange(0, len(vox), 37)
    ijk = vox[["i", "j", "k"]].to_numpy()[cols]
    ref_img = pp.open_bold(pp.bold_path(quick_twin.bids_root, raw_sub, "Training", 1))
    reference = pp.read_volume(ref_img, 0)
    corrector = pp.MotionCorrector().fit(reference, pp.voxel_size(ref_img))
    img = pp.open_bold(pp.bold_path(quick_twin.bids_root, raw_sub, "Training", 2))
    mine = pp.preprocess_run(img, corrector, ijk, progress=False).data
    theirs = np.asarray(load_responses(quick_twin, raw_sub, "Training"))[400:800, cols]
    assert np.allclose(mine, theirs, atol=1e-5)
