"""Real data with DataLad: ds003720 from OpenNeuro, its derivatives from Zenodo, GTZAN.

Every fetch first checks that the host answers (a few seconds at most), so that offline
it fails at once with a message naming what it would have downloaded. Datasets are built
under ``<name>.partial`` and renamed when complete: an interrupted fetch never leaves a
folder that looks finished. DataLad records each file's URL (provenance) in git-annex.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import socket
import subprocess
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from .. import tools
from ..config import OPENNEURO_URL, OPENNEURO_VERSION, SUBJECTS, ZENODO_RECORD

ZENODO_API = f"https://zenodo.org/api/records/{ZENODO_RECORD}"
GTZAN_URL = "https://huggingface.co/datasets/marsyas/gtzan/resolve/main/data/genres.tar.gz"
# sha256 of the original genres.tar.gz (as checked by torchaudio's GTZAN loader)
GTZAN_SHA256 = "24347e0223d2ba798e0a558c4c172d9d4a19c00bb7963fe055d183dadb4ef2c6"


class FetchError(RuntimeError):
    pass


def check_network(url: str, what: str, timeout: float = 5.0) -> None:
    host = urlparse(url).hostname or url
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
    except OSError as err:
        raise FetchError(f"network unreachable: cannot reach {host} ({err}).\n"
                         f"Would have downloaded: {what}\nNothing was written. Retry with internet access.") from None


def _run(args, cwd=None) -> str:
    proc = subprocess.run(args, cwd=cwd, env=tools.environment(), capture_output=True, text=True)
    if proc.returncode != 0:
        raise FetchError(f"{' '.join(map(str, args))} failed:\n{proc.stderr.strip()[-2000:]}")
    return proc.stdout


def _finish(tmp: Path, final: Path) -> Path:
    if final.exists():
        shutil.rmtree(final)
    tmp.rename(final)
    return final


def fetch_openneuro(dest: str | Path, subjects=SUBJECTS, raw: bool = False) -> Path:
    """Clone ds003720 v1.0.1 (events and sidecars come with the clone); with ``raw``,
    ``datalad get`` the BOLD runs of ``subjects`` (514 MB each, 18 per subject)."""
    dest = Path(dest)
    final = dest / "ds003720"
    what = (f"a DataLad clone of {OPENNEURO_URL} (version {OPENNEURO_VERSION}, metadata only) into {final}"
            + (f", then the raw BOLD runs of {', '.join(subjects)} ({len(subjects) * 18 * 0.514:.1f} GB)" if raw else ""))
    check_network(OPENNEURO_URL, what)
    if not (final / "dataset_description.json").exists():
        tmp = dest / "ds003720.partial"
        shutil.rmtree(tmp, ignore_errors=True)
        dest.mkdir(parents=True, exist_ok=True)
        _run(["datalad", "clone", OPENNEURO_URL, str(tmp)])
        _run(["git", "-C", str(tmp), "checkout", "-q", OPENNEURO_VERSION])
        _finish(tmp, final)
    if raw:
        for sub in subjects:
            _run(["datalad", "get", "-d", str(final), f"{sub}/func"])
    return final


def zenodo_files(record_json: dict, subjects) -> list[dict]:
    """Files of the Zenodo record needed for ``subjects``: ``{key, url, md5, size}``."""
    out = []
    for f in record_json.get("files", []):
        key = f.get("key") or f.get("filename")
        if any(s in key for s in SUBJECTS) and not any(s in key for s in subjects):
            continue
        algo, _, digest = f.get("checksum", ":").partition(":")
        url = f.get("links", {}).get("self") or f.get("links", {}).get("download")
        out.append({"key": key, "url": url, "md5": digest if algo == "md5" else None, "size": f.get("size")})
    return out


def file_digest(path: Path, algorithm: str, block: int = 1 << 22) -> str:
    """Hex digest of a file (``"md5"``, ``"sha256"``), read in blocks."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(block), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch_derivatives(dest: str | Path, subjects=SUBJECTS) -> Path:
    """The preprocessed response matrices from Zenodo (doi 10.5281/zenodo.8275363), in their
    own DataLad dataset ``ds003720-derivatives``; checksums from Zenodo's records API."""
    dest = Path(dest)
    final = dest / "ds003720-derivatives"
    check_network(ZENODO_API, f"the file list of Zenodo record {ZENODO_RECORD}, then the response "
                  f"matrices of {', '.join(subjects)} (about 1.9 GB per subject) into {final}")
    with urllib.request.urlopen(ZENODO_API, timeout=30) as resp:
        files = zenodo_files(json.load(resp), subjects)
    if not files:
        raise FetchError(f"Zenodo record {ZENODO_RECORD} lists no files for {subjects}")
    work = final if final.exists() else dest / "ds003720-derivatives.partial"
    if not work.exists():
        _run(["datalad", "create", str(work)])
    for f in files:
        target = work / f["key"]
        if target.exists():
            continue
        archive = f["key"].endswith((".zip", ".tar.gz", ".tgz"))
        _run(["datalad", "download-url", "-d", str(work), "-m", f"Zenodo {ZENODO_RECORD}: {f['key']}",
              "--path", f["key"], *(["--archive"] if archive else []), f["url"]])
        if f["md5"] and not archive and file_digest(target, "md5") != f["md5"]:
            _run(["datalad", "drop", "-d", str(work), "--reckless", "kill", f["key"]])
            raise FetchError(f"{target}: md5 differs from Zenodo's {f['md5']}; dropped. Retry the fetch.")
    return final if work == final else _finish(work, final)


def fetch_gtzan(dest: str | Path, url: str | None = None, sha256: str | None = GTZAN_SHA256) -> Path:
    """GTZAN into a DataLad dataset ``gtzan`` with ``genres/<genre>/<genre>.000NN.wav``.

    The archive is registered with ``datalad download-url``, its sha256 checked, then
    extracted with ``datalad add-archive-content`` (what ``download-url --archive`` does,
    with the checksum verified in between). Pass ``sha256=None`` for a mirror that
    repackaged the archive.
    """
    dest = Path(dest)
    url = url or GTZAN_URL
    final = dest / "gtzan"
    check_network(url, f"GTZAN genres.tar.gz (1.2 GB) from {url} into {final}")
    tmp = dest / "gtzan.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    _run(["datalad", "create", str(tmp)])
    name = Path(urlparse(url).path).name or "genres.tar.gz"
    _run(["datalad", "download-url", "-d", str(tmp), "--path", name, url])
    if sha256 and file_digest(tmp / name, "sha256") != sha256:
        shutil.rmtree(tmp, ignore_errors=True)
        raise FetchError(f"{url}: sha256 differs from the known GTZAN archive; nothing kept. "
                         f"Use another mirror with --url.")
    _run(["datalad", "add-archive-content", "-d", str(tmp), "--delete", name], cwd=tmp)
    return _finish(tmp, final)
