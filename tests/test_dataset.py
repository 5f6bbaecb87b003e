import numpy as np
import pytest

from banlib.config import TRS_PER_CLIP
from banlib.data.dataset import DataError, DataSource, check_present, load_responses, voxel_quality
from banlib.data.design import clip_grid, clip_table, tr_design


def test_dangling_annex_symlink_prints_datalad_get(tmp_path):
    (tmp_path / ".datalad").mkdir()
    link = tmp_path / "derivative" / "sub-001_Resp_Training.npy"
    link.parent.mkdir()
    link.symlink_to("../.git/annex/objects/XX/missing.npy")
    with pytest.raises(DataError, match=r"datalad get -d .* derivative/sub-001_Resp_Training\.npy"):
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
