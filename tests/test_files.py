import os

import numpy as np
import pytest

from banlib.files import annex_md5, content_md5, replacing, save_npy, save_npz, write_text


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


def _annexed(root, name, content):
    """A locked git-annex file as git-annex lays it out: a link into .git/annex/objects named by its MD5E key."""
    import hashlib
    md5 = hashlib.md5(content).hexdigest()
    key = f"MD5E-s{len(content)}--{md5}.wav"
    obj = root / ".git" / "annex" / "objects" / "Xy" / "Zw" / key / key
    obj.parent.mkdir(parents=True)
    obj.write_bytes(content)
    link = root / name
    link.symlink_to(os.path.relpath(obj, root))
    return link, obj, md5


def test_an_annexed_file_gives_its_md5_from_the_key_and_a_plain_copy_the_same_by_reading(tmp_path):
    link, obj, md5 = _annexed(tmp_path, "a.wav", b"RIFF tones")
    assert annex_md5(link) == md5 == content_md5(link)
    plain = tmp_path / "copy.wav"
    plain.write_bytes(b"RIFF tones")
    assert annex_md5(plain) is None and content_md5(plain) == md5
    # the key, not the bytes, is read for an annexed file: an object corrupted in place at the same size keeps
    # its key's md5 (the limit of not reading; `git annex fsck` finds it)
    obj.chmod(0o644)
    obj.write_bytes(b"RIFF TONES")
    assert content_md5(link) == md5


def test_other_links_are_read_and_an_absent_annexed_content_is_an_error(tmp_path):
    target = tmp_path / "MD5E-s3--0123456789abcdef0123456789abcdef.wav"   # a key-like name outside annex/objects
    target.write_bytes(b"abc")
    link = tmp_path / "b.wav"
    link.symlink_to(target.name)
    assert annex_md5(link) is None
    assert content_md5(link) == "900150983cd24fb0d6963f7d28e17f72"       # md5("abc")
    (tmp_path / "ds").mkdir()
    gone, obj, _ = _annexed(tmp_path / "ds", "c.wav", b"x")
    obj.unlink()                                                          # `datalad drop`: the link stays
    with pytest.raises(FileNotFoundError, match="c.wav"):
        content_md5(gone)


def test_a_pointer_file_of_an_unlocked_dropped_file_is_no_content(tmp_path):
    from banlib.data.dataset import DataError, check_present

    pointer = tmp_path / "sub-001_Resp_Training.npy"
    pointer.write_text("/annex/objects/MD5E-s3--900150983cd24fb0d6963f7d28e17f72.npy\n")
    with pytest.raises(FileNotFoundError):
        content_md5(pointer)
    with pytest.raises(DataError, match="datalad get"):
        check_present(pointer, "response matrix")


def test_an_object_written_over_is_read_not_taken_from_its_key(tmp_path):
    link, obj, md5 = _annexed(tmp_path, "a.wav", b"RIFF tones")
    obj.chmod(0o644)
    obj.write_bytes(b"RIFF other tones")                  # as root can, through the read-only object
    assert annex_md5(link) is None
    assert content_md5(link) != md5


@pytest.mark.parametrize("text, why", [
    ('{"values": {"r": NaN}}', "NaN"),
    ('{"values": {"r": -Infinity}}', "Infinity"),
    ('{"values": {"r": 1e999}}', "out of range"),
    ('{"values": {"r": 1, "r": 2}}', "appears twice"),
    ('{"values": {"r": 1}', "not valid JSON"),
])
def test_the_strict_reader_refuses_what_python_reads_leniently(tmp_path, text, why):
    from banlib.files import StrictJSONError, read_json_strict

    path = tmp_path / "01_data.json"
    path.write_text(text)
    with pytest.raises(StrictJSONError, match=why) as err:
        read_json_strict(path)
    assert str(err.value).startswith(f"{path}: ")


def test_a_results_file_without_its_completion_marker_is_named_incomplete(tmp_path):
    import json

    from banlib.files import IncompleteResults, ResultsError, read_results

    path = tmp_path / "03_train_ban.json"
    path.write_text(json.dumps({"notebook": "03_train_ban", "values": {"x": 1}, "complete": False}))
    with pytest.raises(IncompleteResults, match=r"03_train_ban\.json: incomplete.*--only 03_train_ban"):
        read_results(path)
    assert read_results(path, require_complete=False)["values"] == {"x": 1}
    path.write_text(json.dumps({"notebook": "03_train_ban", "values": {"x": 1}, "complete": True}))
    assert read_results(path)["values"] == {"x": 1}
    path.write_text("[1, 2]")
    with pytest.raises(ResultsError, match="not a banlib results file"):
        read_results(path)


@pytest.mark.parametrize("content", [b"", b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order'", b"not numpy"])
def test_an_empty_or_damaged_array_file_is_named(tmp_path, content):
    from banlib.errors import BanlibError
    from banlib.files import load_array

    path = tmp_path / "sub-001_Resp_Test.npy"
    path.write_bytes(content)
    with pytest.raises(BanlibError, match=r"sub-001_Resp_Test\.npy: the response matrix .* — fetch it again"):
        load_array(path, "response matrix", "fetch it again", mmap_mode="r")
