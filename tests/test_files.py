import numpy as np
import pytest

from banlib.files import replacing, save_npy, save_npz, write_text


def test_a_failed_write_leaves_the_former_file_and_no_temporary_one(tmp_path):
    path = tmp_path / "sub" / "a.json"
    write_text(path, "old\n")
    with pytest.raises(RuntimeError), replacing(path) as tmp:
        tmp.write_text("half")
        raise RuntimeError("interrupted")
    assert path.read_text() == "old\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["a.json"]


def test_writers_that_choose_the_format_by_extension_get_it(tmp_path):
    with replacing(tmp_path / "mean_epi.nii.gz", keep_extension=True) as tmp:
        assert tmp.name == "mean_epi.partial.nii.gz"
        tmp.write_bytes(b"\x1f\x8b")
    with replacing(tmp_path / "x.json", ".tmp") as tmp:
        assert tmp.name == "x.json.tmp"
        tmp.write_text("{}")
    save_npz(tmp_path / "r.npz", a=np.arange(3), b=np.ones((2, 2), np.float32))
    with np.load(tmp_path / "r.npz", allow_pickle=False) as f:
        assert f["a"].tolist() == [0, 1, 2] and f["b"].dtype == np.float32
    save_npy(tmp_path / "m.npy", np.arange(4, dtype=np.int16))
    assert np.load(tmp_path / "m.npy", allow_pickle=False).tolist() == [0, 1, 2, 3]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npy", "mean_epi.nii.gz", "r.npz", "x.json"]
