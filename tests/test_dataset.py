import subprocess

import numpy as np
import pytest

from banlib.config import TRS_PER_CLIP
from banlib.data.dataset import (DataError, DataSource, check_present, get_command, load_responses,
                                 response_orientation, voxel_quality)
from banlib.data.design import clip_grid, clip_table, tr_design


def test_dangling_annex_symlink_prints_datalad_get(tmp_path):
    (tmp_path / ".datalad").mkdir()
    link = tmp_path / "derivative" / "sub-001_Resp_Training.npy"
    link.parent.mkdir()
    link.symlink_to("../.git/annex/objects/XX/missing.npy")
    with pytest.raises(DataError, match=rf"datalad get -d {tmp_path} {tmp_path}/derivative/sub-001_Resp_Training\.npy"):
        check_present(link, "response matrix")


def test_missing_file_is_named(tmp_path):
    with pytest.raises(DataError, match="nothing.npy: response matrix not found"):
        check_present(tmp_path / "nothing.npy", "response matrix")


def test_shape_that_disagrees_with_events(tmp_path):
    src = DataSource("twin", tmp_path, tmp_path, tmp_path)
    np.save(tmp_path / "sub-001_Resp_Training.npy", np.zeros((4799, 3), np.float32))
    with pytest.raises(DataError, match=r"shape \(4799, 3\).*4800 TRs"):
        load_responses(src, "sub-001", "Training")


def test_pickled_npy_is_refused(tmp_path):
    src = DataSource("twin", tmp_path, tmp_path, tmp_path)
    np.save(tmp_path / "sub-001_Resp_Test.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="not a plain .npy"):
        load_responses(src, "sub-001", "Test")


def test_voxel_quality_counts_nan_and_constant():
    Y = np.random.default_rng(0).normal(size=(50, 10)).astype(np.float32)
    Y[3, 2] = np.nan
    Y[:, 5] = 1.0
    Y[:, 7] = np.inf
    q = voxel_quality(Y, chunk=3)
    assert q.n_nonfinite == 2 and q.n_constant == 1
    assert q.usable.sum() == 7 and not q.usable[[2, 5, 7]].any()


def test_design_rows_match_response_matrices(quick_twin):
    clips = clip_table(quick_twin)
    for kind, rows in (("Training", 4800), ("Test", 2400), ("Test_Mean", 600)):
        d = tr_design(quick_twin, "sub-001", kind, clips)
        assert len(d) == rows == load_responses(quick_twin, "sub-001", kind).shape[0]
    d = tr_design(quick_twin, "sub-001", "Training", clips)
    assert d.groupby("block").size().eq(TRS_PER_CLIP).all() and d.block.nunique() == 480


def test_lead_clip_repeats(quick_twin):
    clips = clip_table(quick_twin)
    train = clip_grid(quick_twin, "sub-001", "Training", clips)
    assert all(train[r, 0] == train[r - 1, -1] for r in range(train.shape[0]))  # run 1 leads with run 12's last
    test = clip_grid(quick_twin, "sub-001", "Test", clips)
    assert all(row[0] == row[-1] for row in test)
    per_repeat = test[:, TRS_PER_CLIP:].reshape(test.shape[0], 4, -1)
    assert (per_repeat == per_repeat[:, :1]).all()


def test_voxels_by_trs_file_is_the_transposed_view_of_its_memory_map(tmp_path):
    src = DataSource("openneuro", tmp_path, tmp_path, tmp_path)
    stored = np.arange(7 * 600, dtype=np.float32).reshape(7, 600)       # voxels x TRs, as on Zenodo
    np.save(tmp_path / "sub-001_Resp_Test_Mean.npy", stored)
    Y = load_responses(src, "sub-001", "Test_Mean")
    assert Y.shape == (600, 7) and isinstance(Y, np.memmap)            # a view of the map: nothing loaded
    assert Y.flags.f_contiguous and not Y.flags.owndata
    np.testing.assert_array_equal(Y, stored.T)
    assert response_orientation(src, "sub-001", "Test_Mean") == "voxels x TRs"
    np.save(tmp_path / "sub-002_Resp_Test_Mean.npy", stored.T.copy())
    assert response_orientation(src, "sub-002", "Test_Mean") == "TRs x voxels"
    np.testing.assert_array_equal(load_responses(src, "sub-002", "Test_Mean"), Y)


def test_neither_axis_matching_names_file_shape_and_expectation(tmp_path):
    src = DataSource("openneuro", tmp_path, tmp_path, tmp_path)
    np.save(tmp_path / "sub-001_Resp_Test.npy", np.zeros((5, 2399), np.float32))
    with pytest.raises(DataError, match=r"sub-001_Resp_Test\.npy: shape \(5, 2399\).*\(2400, n_voxels\) or \(n_voxels, 2400\)"):
        load_responses(src, "sub-001", "Test")


def _datalad(*args, cwd):
    from banlib import tools

    subprocess.run(["datalad", *map(str, args)], cwd=cwd, env=tools.environment(), check=True, capture_output=True)


def test_printed_datalad_get_works_from_another_directory(tmp_path):
    origin, clone, elsewhere = tmp_path / "origin", tmp_path / "clone", tmp_path / "elsewhere"
    elsewhere.mkdir()
    _datalad("create", origin, cwd=tmp_path)
    (origin / "derivative").mkdir()
    np.save(origin / "derivative" / "sub-001_Resp_Test.npy", np.zeros((4, 2400), np.float32))
    _datalad("save", "-m", "add", cwd=origin)
    _datalad("clone", origin, clone, cwd=tmp_path)
    target = clone / "derivative" / "sub-001_Resp_Test.npy"
    with pytest.raises(DataError) as err:
        check_present(target, "response matrix")
    command = str(err.value).split("Fetch it with:\n")[1].splitlines()[0].strip()
    assert command == get_command(target) and str(clone) in command
    from banlib import tools

    run = subprocess.run(command, shell=True, cwd=elsewhere, env=tools.environment(), capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert check_present(target).stat().st_size > 0
