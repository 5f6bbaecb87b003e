import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from banlib import tools
from banlib.data import fetch
from banlib.data.dataset import fetch_record

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def offline(monkeypatch):
    def refuse(*args, **kwargs):
        raise socket.gaierror(-2, "Name or service not known")
    monkeypatch.setattr(fetch.socket, "create_connection", refuse)


@pytest.mark.parametrize("call, words", [
    (lambda d: fetch.fetch_openneuro(d, ["sub-001"], raw=True), ["ds003720", "raw BOLD"]),
    (lambda d: fetch.fetch_derivatives(d, ["sub-002"]), ["Zenodo record 8275363", "sub-002"]),
    (lambda d: fetch.fetch_gtzan(d), ["GTZAN", "genres.tar.gz"]),
])
def test_offline_fetch_fails_fast_and_clearly(offline, tmp_path, call, words):
    t0 = time.time()
    with pytest.raises(fetch.FetchError, match="network unreachable") as err:
        call(tmp_path)
    assert time.time() - t0 < 5
    for w in words:
        assert w in str(err.value)
    assert list(tmp_path.iterdir()) == []              # nothing half-made left behind


def test_zenodo_file_selection():
    record = {"files": [
        {"key": "sub-001_Resp_Training.npy", "checksum": "md5:aa", "size": 1, "links": {"self": "u1"}},
        {"key": "sub-002_Resp_Training.npy", "checksum": "md5:bb", "size": 1, "links": {"self": "u2"}},
        {"key": "README.md", "checksum": "md5:cc", "size": 1, "links": {"self": "u3"}},
    ]}
    keys = [f["key"] for f in fetch.zenodo_files(record, ["sub-002"])]
    assert keys == ["sub-002_Resp_Training.npy", "README.md"]


def test_file_digest_matches_hashlib(tmp_path):
    import hashlib

    p = tmp_path / "f.bin"
    p.write_bytes(b"abc" * 100_000)
    assert fetch.file_digest(p, "md5", block=1000) == hashlib.md5(p.read_bytes()).hexdigest()
    assert fetch.file_digest(p, "sha256") == hashlib.sha256(p.read_bytes()).hexdigest()


def test_network_check_uses_the_urls_port_and_skips_local_sources(monkeypatch, tmp_path):
    seen = []

    class Conn:
        def close(self):
            pass

    monkeypatch.setattr(fetch.socket, "create_connection", lambda addr, timeout: seen.append(addr) or Conn())
    fetch.check_network("http://127.0.0.1:8123/zenodo/records/8275363.json", "x")
    fetch.check_network("https://zenodo.org/api/records/8275363", "x")
    fetch.check_network("http://example.org/a.zip", "x")
    fetch.check_network(str(tmp_path / "archive.zip"), "x")
    fetch.check_network((tmp_path / "archive.zip").as_uri(), "x")
    assert seen == [("127.0.0.1", 8123), ("zenodo.org", 443), ("example.org", 80)]


def test_record_links_resolve_against_the_api_url():
    record = {"files": [
        {"key": "sub-001_Resp_Test.npy", "checksum": "md5:aa", "size": 1, "links": {"self": "8275363/files/sub-001_Resp_Test.npy"}},
        {"key": "Mean_RMS.mat", "checksum": "md5:bb", "size": 1,
         "links": {"self": "https://zenodo.org/api/records/8275363/files/Mean_RMS.mat/content"}},
    ]}
    files = fetch.zenodo_files(record, ["sub-001"], base="http://127.0.0.1:9/zenodo/records/8275363.json")
    assert [f["url"] for f in files] == ["http://127.0.0.1:9/zenodo/records/8275363/files/sub-001_Resp_Test.npy",
                                         "https://zenodo.org/api/records/8275363/files/Mean_RMS.mat/content"]
    local = fetch.zenodo_files(record, ["sub-001"], base="/srv/mirror/zenodo/records/8275363.json")
    assert local[0]["url"] == "file:///srv/mirror/zenodo/records/8275363/files/sub-001_Resp_Test.npy"


def _read_only_tree(root: Path) -> Path:
    """A folder shaped like git-annex's objects: read-only files in read-only folders."""
    tree = root / "ds.partial"
    obj = tree / ".git" / "annex" / "objects" / "Xy" / "Zw" / "KEY"
    obj.mkdir(parents=True)
    (obj / "KEY").write_bytes(b"content")
    for path in [obj / "KEY", obj, obj.parent, obj.parent.parent]:
        path.chmod(0o444 if path.is_file() else 0o555)
    return tree


def _as_unprivileged(code: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run Python ``code`` as an unprivileged user (nobody when the tests run as root)."""
    cmd = [sys.executable, "-c", code]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: cannot test as an unprivileged user")
        subprocess.run(["chown", "-R", "65534:65534", str(cwd)], check=True)
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
    env = dict(os.environ, PYTHONPATH=str(REPO), HOME=str(cwd))
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)


def test_cleanup_of_read_only_annex_folders_as_unprivileged_user():
    root = Path(tempfile.mkdtemp(prefix="banlib-rm-"))
    try:
        root.chmod(0o755)
        tree = _read_only_tree(root)
        # what the old code did: rmtree(ignore_errors=True) silently leaves the tree behind
        _as_unprivileged(f"import shutil; shutil.rmtree({str(tree)!r}, ignore_errors=True)", root)
        assert tree.exists()
        run = _as_unprivileged(f"from banlib.data.fetch import remove_tree; remove_tree({str(tree)!r})", root)
        assert run.returncode == 0, run.stderr
        assert not tree.exists()
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(root)])
        shutil.rmtree(root)


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _local_record(folder: Path, archive: bool, bad_md5: str | None = None) -> Path:
    """A records-API JSON with relative links: one plain .npy, and a plain .mat or a zip holding
    it with an MD5SUMS list."""
    files = folder / "8275363" / "files"
    files.mkdir(parents=True)
    np.save(files / "sub-001_Resp_Test_Mean.npy", np.ones((3, 600), np.float32))
    (files / "sub-002_Resp_Test_Mean.npy").write_bytes(b"not wanted")
    mat = b"stand-in for Mean_RMS.mat"
    if archive:
        with zipfile.ZipFile(files / "stimuli_generate.zip", "w") as zf:
            zf.writestr("stimuli_generate/Mean_RMS.mat", mat)
            zf.writestr("stimuli_generate/MD5SUMS", f"{hashlib.md5(mat).hexdigest()}  Mean_RMS.mat\n")
        names = ["sub-001_Resp_Test_Mean.npy", "sub-002_Resp_Test_Mean.npy", "stimuli_generate.zip"]
    else:
        (files / "Mean_RMS.mat").write_bytes(mat)
        names = ["sub-001_Resp_Test_Mean.npy", "sub-002_Resp_Test_Mean.npy", "Mean_RMS.mat"]
    record = {"id": 8275363, "files": [{"key": n, "size": (files / n).stat().st_size,
                                        "checksum": f"md5:{bad_md5 if bad_md5 and n.endswith('.mat') else _md5(files / n)}",
                                        "links": {"self": f"8275363/files/{n}"}} for n in names]}
    path = folder / "8275363.json"
    path.write_text(json.dumps(record))
    return path


@pytest.mark.parametrize("archive", [False, True])
def test_derivatives_from_a_record_of_files_or_an_archive_from_another_directory(tmp_path, monkeypatch, capsys, archive):
    url = _local_record(tmp_path / "mirror", archive)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    ds = fetch.fetch_derivatives("data", ["sub-001"], url=str(url))
    assert ds == elsewhere / "data" / "ds003720-derivatives" and not (elsewhere / "data" / "ds003720-derivatives.partial").exists()
    assert np.load(ds / "sub-001_Resp_Test_Mean.npy").shape == (3, 600)
    assert not (ds / "sub-002_Resp_Test_Mean.npy").exists()
    mat = ds / "stimuli_generate" / "Mean_RMS.mat" if archive else ds / "Mean_RMS.mat"
    assert mat.read_bytes() == b"stand-in for Mean_RMS.mat"
    rec = fetch_record(ds)
    assert rec["record"] == "8275363" and rec["source_url"] == str(url)
    assert rec["files"]["sub-001_Resp_Test_Mean.npy"]["md5"] == _md5(ds / "sub-001_Resp_Test_Mean.npy")
    if archive:
        assert rec["files"]["stimuli_generate.zip"]["members_md5"] == {"stimuli_generate/Mean_RMS.mat": _md5(mat)}
    head = subprocess.run(["git", "-C", str(ds), "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    capsys.readouterr()
    fetch.fetch_derivatives("data", ["sub-001"], url=str(url))             # again: nothing to do
    assert "downloaded" not in capsys.readouterr().err
    assert subprocess.run(["git", "-C", str(ds), "rev-parse", "HEAD"], capture_output=True, text=True).stdout == head
    status = subprocess.run(["git", "-C", str(ds), "status", "--porcelain"], capture_output=True, text=True).stdout
    assert status == ""                                                    # .banlib/ stays out of git


def test_derivatives_md5_mismatch_keeps_nothing_of_the_bad_file(tmp_path):
    url = _local_record(tmp_path / "mirror", archive=False, bad_md5="0" * 32)
    with pytest.raises(fetch.FetchError, match=r"md5 .* differs from the record's 0{32}; the download was deleted"):
        fetch.fetch_derivatives(tmp_path / "data", ["sub-001"], url=str(url))
    work = tmp_path / "data" / "ds003720-derivatives.partial"
    assert not (work / "Mean_RMS.mat").exists() and (work / "sub-001_Resp_Test_Mean.npy").exists()


def _gtzan_zip(folder: Path) -> Path:
    import soundfile as sf

    folder.mkdir(parents=True)
    src = folder / "src" / "Data" / "genres_original" / "jazz"
    src.mkdir(parents=True)
    sf.write(src / "jazz.00001.wav", np.zeros(2205, np.float32), 22050, subtype="PCM_16")
    path = folder / "archive.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.write(src / "jazz.00001.wav", "Data/genres_original/jazz/jazz.00001.wav")
    return path


@pytest.mark.skipif(shutil.which("7z") is None, reason="7z (p7zip-full) is needed to fetch GTZAN")
def test_gtzan_mirror_without_sha256_records_it_and_a_dropped_file_comes_back(tmp_path):
    archive = _gtzan_zip(tmp_path / "mirror")
    ds = fetch.fetch_gtzan(tmp_path / "data", url=str(archive))
    rec = fetch_record(ds)
    assert rec["sha256"] == hashlib.sha256(archive.read_bytes()).hexdigest() and rec["sha256_checked"] is False
    wav = ds / "Data" / "genres_original" / "jazz" / "jazz.00001.wav"
    from banlib.data.audio import gtzan_path

    assert gtzan_path(ds, "jazz", 1) == wav and wav.is_symlink()
    env = tools.environment()
    subprocess.run(["datalad", "drop", "-d", str(ds), str(wav)], cwd=tmp_path, env=env, check=True, capture_output=True)
    assert not wav.exists()
    got = subprocess.run(["datalad", "get", "-d", str(ds), str(wav)], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=120)
    assert got.returncode == 0, got.stdout + got.stderr
    assert wav.exists()


def test_gtzan_checksum_mismatch_keeps_nothing(tmp_path):
    archive = _gtzan_zip(tmp_path / "mirror")
    if shutil.which("7z") is None:
        pytest.skip("7z (p7zip-full) is needed to fetch GTZAN")
    with pytest.raises(fetch.FetchError, match="nothing kept"):
        fetch.fetch_gtzan(tmp_path / "data", url=str(archive), sha256="0" * 64)
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == []
