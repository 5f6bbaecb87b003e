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
from banlib.errors import BanlibError

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
        {"key": "sub-001_Resp_Training.npy", "checksum": "md5:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "size": 1, "links": {"self": "u1"}},
        {"key": "sub-002_Resp_Training.npy", "checksum": "md5:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "size": 1, "links": {"self": "u2"}},
        {"key": "README.md", "checksum": "md5:cccccccccccccccccccccccccccccccc", "size": 1, "links": {"self": "u3"}},
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
        {"key": "sub-001_Resp_Test.npy", "checksum": "md5:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "size": 1, "links": {"self": "8275363/files/sub-001_Resp_Test.npy"}},
        {"key": "Mean_RMS.mat", "checksum": "md5:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "size": 1,
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


# ------------------------------------------------------------------------------------------- hostile sources
@pytest.fixture
def served(tmp_path):
    """``(folder, base URL)``: a folder served over HTTP on 127.0.0.1 only, stopped after the test."""
    import functools
    import http.server
    import threading

    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _record(folder: Path, entries: list[dict]) -> Path:
    path = folder / "8275363.json"
    path.write_text(json.dumps({"id": 8275363, "files": entries}))
    return path


def _entry(files: Path, name: str, content: bytes, key: str | None = None, link: str | None = None, md5=True):
    files.mkdir(parents=True, exist_ok=True)
    (files / name).write_bytes(content)
    entry = {"key": key or name, "size": len(content), "links": {"self": link or f"8275363/files/{name}"}}
    if md5:
        entry["checksum"] = "md5:" + hashlib.md5(content).hexdigest()
    return entry


@pytest.mark.parametrize("key", ["ABSOLUTE", "../../victim.txt", "sub/../../../victim.txt", ".git/config"])
def test_a_record_key_outside_the_dataset_is_refused_and_nothing_outside_is_touched(tmp_path, key):
    victim = tmp_path / "victim.txt"
    victim.write_text("the user's file, md5 differs from the record's")
    files = tmp_path / "mirror" / "8275363" / "files"
    url = _record(tmp_path / "mirror", [_entry(files, "x.npy", b"hostile content",
                                               key=str(victim) if key == "ABSOLUTE" else key)])
    with pytest.raises(BanlibError, match="file key .* (absolute path|climbs out|leads into .git)"):
        fetch.fetch_derivatives(tmp_path / "data" / "deep", ["sub-001"], url=str(url))
    assert victim.read_text() == "the user's file, md5 differs from the record's"
    assert not (tmp_path / "data").exists()                # refused before any dataset was made


def test_a_served_record_may_not_link_a_local_file_and_a_record_needs_checksums(tmp_path, served):
    root, base = served
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the dataset")
    files = root / "8275363" / "files"
    _record(root, [_entry(files, "a.npy", b"aaa"), {"key": "b.npy", "size": 3, "checksum": "md5:" + "0" * 32,
                                                    "links": {"self": secret.as_uri()}}])
    with pytest.raises(BanlibError, match=r"link 'file://.*secret\.txt' is a local file, not http\(s\)"):
        fetch.fetch_derivatives(tmp_path / "data", ["sub-001"], url=f"{base}/8275363.json")
    assert not (tmp_path / "data").exists()
    _record(root, [_entry(files, "a.npy", b"aaa", md5=False)])
    with pytest.raises(fetch.FetchError, match="no md5 checksum for a.npy .* --allow-missing-checksums"):
        fetch.fetch_derivatives(tmp_path / "data", ["sub-001"], url=f"{base}/8275363.json")
    assert not (tmp_path / "data").exists()
    ds = fetch.fetch_derivatives(tmp_path / "data", ["sub-001"], url=f"{base}/8275363.json",
                                 allow_missing_checksums=True)
    assert (ds / "a.npy").read_bytes() == b"aaa" and fetch_record(ds)["allow_missing_checksums"] is True


def _zip(path: Path, members: dict[str, bytes]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


@pytest.mark.parametrize("members, why", [
    ({"../../escaped.mat": b"x"}, "archive member '../../escaped.mat' climbs out"),
    ({"stimuli/Mean_RMS.mat": b"m", "stimuli/MD5SUMS": f"{hashlib.md5(b'x').hexdigest()}  ../../../escaped.mat\n"
      .encode()}, "listed file '../../../escaped.mat' climbs out"),
    ({"stimuli/Mean_RMS.mat": b"m", "stimuli/MD5SUMS": f"{hashlib.md5(b'm').hexdigest()}  Gone.mat\n".encode()},
     r"line 1 lists 'Gone.mat', which the archive does not hold"),
])
def test_hostile_archive_members_and_checksum_lists_are_refused(tmp_path, members, why):
    (tmp_path / "escaped.mat").write_text("outside")
    archive = tmp_path / "mirror" / "8275363" / "files" / "stimuli_generate.zip"
    _zip(archive, members)
    url = _record(tmp_path / "mirror", [{"key": archive.name, "size": archive.stat().st_size,
                                         "checksum": f"md5:{_md5(archive)}",
                                         "links": {"self": f"8275363/files/{archive.name}"}}])
    with pytest.raises(BanlibError, match=why):
        fetch.fetch_derivatives(tmp_path / "data", ["sub-001"], url=str(url))
    assert (tmp_path / "escaped.mat").read_text() == "outside"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "escaped.mat", "mirror"]


def test_a_refetch_reads_the_content_and_finds_it_written_over_in_place(tmp_path):
    url = _local_record(tmp_path / "mirror", archive=False)
    ds = fetch.fetch_derivatives(tmp_path / "data", ["sub-001"], url=str(url))
    mat = ds / "Mean_RMS.mat"
    obj = mat.resolve()
    obj.chmod(0o644)
    obj.write_bytes(b"stand-in for Mean_RMS.MAT")              # same size, other content, behind git-annex's back
    with pytest.raises(fetch.FetchError, match=r"Mean_RMS\.mat: in the dataset with md5 .*, but the record gives"):
        fetch.fetch_derivatives(tmp_path / "data", ["sub-001"], url=str(url))


def test_another_url_for_an_existing_dataset_is_an_error_naming_the_recorded_one(tmp_path):
    url = _local_record(tmp_path / "mirror", archive=False)
    fetch.fetch_derivatives(tmp_path / "data", ["sub-001"], url=str(url))
    other = tmp_path / "other" / "8275363.json"
    other.parent.mkdir()
    other.write_text(url.read_text())
    with pytest.raises(fetch.FetchError, match=f"was fetched from {url}, not from {other} — repeat the command "
                                               f"with --url {url}"):
        fetch.fetch_derivatives(tmp_path / "data", ["sub-001"], url=str(other))
    # GTZAN likewise: a dataset from one archive is never silently kept for another --url
    gtzan = tmp_path / "data" / "gtzan"
    for d in (".datalad", ".git", ".banlib"):
        (gtzan / d).mkdir(parents=True)
    (gtzan / ".banlib" / "fetch.json").write_text(json.dumps({"source_url": "https://example.org/genres.tar.gz",
                                                               "sha256": "a" * 64}))
    with pytest.raises(fetch.FetchError, match="was fetched from https://example.org/genres.tar.gz, not from"):
        fetch.fetch_gtzan(tmp_path / "data", url=str(tmp_path / "archive.zip"))


def test_a_dropped_file_comes_back_from_a_mirror_on_127_0_0_1(tmp_path, served, capsys):
    root, base = served
    files = root / "8275363" / "files"
    _record(root, [_entry(files, "sub-001_Resp_Test_Mean.npy", b"\x93NUMPY stand-in bytes")])
    ds = fetch.fetch_derivatives(tmp_path / "data", ["sub-001"], url=f"{base}/8275363.json")
    assert "127.0.0.1 (the mirror on this machine)" in capsys.readouterr().err
    allowed = subprocess.run(["git", "-C", str(ds), "config", "annex.security.allowed-ip-addresses"],
                             capture_output=True, text=True).stdout.strip()
    assert allowed == "127.0.0.1"
    target = ds / "sub-001_Resp_Test_Mean.npy"
    env = tools.environment()
    subprocess.run(["datalad", "drop", "-d", str(ds), str(target)], cwd=tmp_path, env=env, check=True,
                   capture_output=True)
    assert not target.exists()
    got = subprocess.run(["datalad", "get", "-d", str(ds), str(target)], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=120)
    assert got.returncode == 0, got.stdout + got.stderr
    assert target.read_bytes() == b"\x93NUMPY stand-in bytes"
