import socket
import time

import pytest

from banlib.data import fetch


@pytest.fixture
def offline(monkeypatch):
    def refuse(*args, **kwargs):
        raise socket.gaierror(-2, "Name or service not known")
    monkeypatch.setattr(fetch.socket, "create_connection", refuse)


@pytest.mark.parametrize("call, words", [
    (lambda d: fetch.fetch_openneuro(d, ["sub-001"], raw=True), ["ds003720", "raw BOLD"]),
    (lambda d: fetch.fetch_derivatives(d, ["sub-002"]), ["Zenodo record 8275363", "sub-002"]),
    (lambda d: fetch.fetch_gtzan(d), ["GTZAN genres.tar.gz"]),
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
