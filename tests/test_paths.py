import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from banlib.paths import (Locked, NotOurs, UnsafeName, check_link, check_out, inside, lock_path, made_by,
                          output_lock, stamp)

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", ["/etc/passwd", "../outside.npy", "a/../../outside.npy", "~/x", ".git/config",
                                  "sub/.datalad/config", ".banlib/fetch.json", "", "a\\..\\b", "a\x00b", None, 3])
def test_a_name_from_outside_that_leaves_its_folder_is_refused_with_its_source(tmp_path, name):
    with pytest.raises(UnsafeName) as err:
        inside(tmp_path, name, "record.json", "use the real record", what="file key")
    assert str(err.value).startswith("record.json: file key ") and str(err.value).endswith("— use the real record")


def test_a_name_that_stays_inside_is_joined_and_a_link_leading_out_is_refused(tmp_path):
    assert inside(tmp_path, "sub/x.npy", "r", "f") == tmp_path / "sub" / "x.npy"
    (tmp_path / "escape").symlink_to(tmp_path.parent)
    with pytest.raises(UnsafeName, match="through a link"):
        inside(tmp_path, "escape/secret", "r", "f")
    # a name relative to a subfolder may resolve anywhere in the dataset (annexed files link into .git/annex)
    obj = tmp_path / ".git" / "annex" / "objects" / "k"
    obj.parent.mkdir(parents=True)
    obj.write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "m.mat").symlink_to(os.path.relpath(obj, tmp_path / "sub"))
    assert inside(tmp_path / "sub", "m.mat", "MD5SUMS", "f", within=tmp_path).read_text() == "x"


def test_links_must_be_http_unless_the_source_was_local():
    assert check_link("https://zenodo.org/x", "r", allow_local=False, fix="f") == "https://zenodo.org/x"
    for bad in ("file:///etc/passwd", "/etc/passwd", "ftp://host/x", "javascript:alert(1)", "http://"):
        with pytest.raises(UnsafeName, match="not http|without a host"):
            check_link(bad, "r", allow_local=False, fix="f")
    assert check_link("file:///srv/mirror/x", "r", allow_local=True, fix="f") == "file:///srv/mirror/x"


def test_out_checks_a_file_a_foreign_folder_and_banlibs_own(tmp_path):
    assert check_out(tmp_path / "new", "twin") == "new"
    (tmp_path / "empty").mkdir()
    assert check_out(tmp_path / "empty", "twin") == "new"
    (tmp_path / "file").write_text("mine")
    with pytest.raises(NotOurs, match="is a file"):
        check_out(tmp_path / "file", "twin")
    with pytest.raises(NotOurs, match="is a file"):
        check_out(tmp_path / "file" / "below", "twin")
    foreign = tmp_path / "data"
    foreign.mkdir()
    (foreign / "README.md").write_text("real data")
    with pytest.raises(NotOurs, match="banlib did not make"):
        check_out(foreign, "twin", force=True)
    ours = tmp_path / "ours"
    stamp(ours, "mirror")
    assert made_by(ours) == "mirror"
    with pytest.raises(NotOurs, match="pass --force"):
        check_out(ours, "mirror")
    assert check_out(ours, "mirror", force=True) == "replace"
    with pytest.raises(NotOurs, match="made by banlib mirror, not by banlib twin"):
        check_out(ours, "twin", force=True)


def test_folders_from_before_the_stamp_are_recognised_by_what_banlib_wrote(tmp_path):
    twin = tmp_path / "twin" / "derivative" / "twin_truth"
    twin.mkdir(parents=True)
    (twin / "twin.json").write_text(json.dumps({"banlib_version": "0.1.0", "format": 6}))
    assert made_by(tmp_path / "twin") == "twin"
    book = tmp_path / "book"
    book.mkdir()
    (book / ".gitignore").write_text("# banlib book: rebuilt from the recorded outputs\n")
    assert made_by(book) == "book"
    assert made_by(tmp_path) is None


HOLD = ("import sys, time\n"
        "from banlib.paths import output_lock\n"
        "with output_lock(sys.argv[1], 'banlib twin --out test'):\n"
        "    print('held', flush=True)\n"
        "    time.sleep(60)\n")


def _holder(out: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_run_fails_at_once_naming_the_holder_and_a_dead_holder_is_taken_over(tmp_path, capsys):
    out = tmp_path / "twin"
    proc = _holder(out)
    try:
        t0 = time.time()
        with pytest.raises(Locked, match=f"process {proc.pid} \\(banlib twin --out test\\)"):
            with output_lock(out, "second"):
                pass
        assert time.time() - t0 < 1
    finally:
        proc.kill()
        proc.wait()
    # the killed holder left its lock file; the next run takes it over and says so
    assert json.loads(lock_path(out).read_text())["pid"] == proc.pid
    with output_lock(out, "third") as path:
        assert json.loads(path.read_text())["command"] == "third"
    assert f"process {proc.pid} (banlib twin --out test), no longer running, was taken over" in capsys.readouterr().err
    assert not lock_path(out).exists()
