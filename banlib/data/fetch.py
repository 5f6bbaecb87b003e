"""Real data with DataLad: ds003720 from OpenNeuro, its derivatives from Zenodo, GTZAN.

Every fetch takes its source as a URL (or a local path), so that a mirror or a local copy can
stand in for the real hosts (``banlib mirror`` writes one). Each fetch:

* checks first that the host answers on the URL's own scheme and port (a few seconds at most;
  skipped for local paths and ``file://``), so that offline it fails at once, naming what it
  would have downloaded;
* works from any working directory (every DataLad and git call names the dataset and passes
  absolute paths);
* builds the dataset under ``<name>.partial`` and renames it when complete; an interrupted fetch
  resumes there without downloading completed files again (a file whose checksum is right is
  kept);
* verifies checksums: the records API's md5 of each file (of an archive, and of its members when
  it ships an ``MD5SUMS`` list), GTZAN's sha256 when one is known;
* cleans up after itself as a non-root user too (git-annex makes its object folders read-only:
  they are made writable before removal, and a failed removal is an error, never ignored);
* writes ``.banlib/fetch.json`` in the dataset (source URL, record id, version and commit,
  checksums, time, banlib version; git-ignored through ``.git/info/exclude``), which
  :func:`banlib.data.dataset.open_source` reads into the data label.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

from .. import __version__, tools
from ..config import OPENNEURO_URL, OPENNEURO_VERSION, SUBJECTS, ZENODO_RECORD
from ..files import annex_md5, write_text
from .dataset import PROVENANCE_FILE, fetch_record

ZENODO_API = f"https://zenodo.org/api/records/{ZENODO_RECORD}"
GTZAN_URL = "https://huggingface.co/datasets/marsyas/gtzan/resolve/main/data/genres.tar.gz"
# sha256 of the original genres.tar.gz (as checked by torchaudio's GTZAN loader)
GTZAN_SHA256 = "24347e0223d2ba798e0a558c4c172d9d4a19c00bb7963fe055d183dadb4ef2c6"
ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tar.xz")
CHECKSUM_LISTS = ("md5sums", "md5sums.txt", "md5sum.txt", "checksums.md5")
DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21}


class FetchError(RuntimeError):
    """A fetch that could not complete; the message says what was kept and how to go on."""


def say(msg: str) -> None:
    """One progress line on stderr (stdout stays free for what a caller may parse)."""
    print(msg, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- sources
def is_local(url: str) -> bool:
    """True for a local path or a ``file://`` URL."""
    scheme = urlparse(str(url)).scheme
    return scheme in ("", "file") or len(scheme) == 1        # one letter: a Windows drive


def local_path(url: str) -> Path:
    """The path of a local source (a path or a ``file://`` URL)."""
    parsed = urlparse(str(url))
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else Path(url).expanduser().absolute()


def check_network(url: str, what: str, timeout: float = 5.0) -> None:
    """Fail fast, naming ``what``, when the host of ``url`` does not answer on its port."""
    if is_local(url):
        return
    parsed = urlparse(url)
    host = parsed.hostname or url
    port = parsed.port or DEFAULT_PORTS.get(parsed.scheme, 443)
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as err:
        raise FetchError(f"network unreachable: cannot reach {host}:{port} ({err}).\n"
                         f"Would have downloaded: {what}\nNothing was written. Retry with internet access, "
                         f"or name a mirror with --url.") from None


def read_json(url: str) -> dict:
    """A JSON document from a URL or a local path."""
    try:
        if is_local(url):
            return json.loads(local_path(url).read_text())
        with urllib.request.urlopen(url, timeout=60) as resp:
            return json.load(resp)
    except (OSError, ValueError) as err:
        raise FetchError(f"{url}: cannot read the record ({err})") from None


# ----------------------------------------------------------------------------- helpers
def _run(args, cwd: Path, show: bool = False) -> str:
    """Run a command in ``cwd``; ``show`` lets its progress reach the terminal (long downloads)."""
    args = [str(a) for a in args]
    if show:
        proc = subprocess.run(args, cwd=cwd, env=tools.environment(), stdout=2)   # all of it to our stderr
        if proc.returncode != 0:
            raise FetchError(f"{' '.join(args)} (in {cwd}) failed; its messages are above")
        return ""
    proc = subprocess.run(args, cwd=cwd, env=tools.environment(), capture_output=True, text=True)
    if proc.returncode != 0:
        raise FetchError(f"{' '.join(args)} (in {cwd}) failed:\n"
                         f"{(proc.stderr.strip() or proc.stdout.strip())[-2000:]}")
    return proc.stdout


def remove_tree(path: Path) -> None:
    """Delete ``path`` and everything under it, also as a non-root user: git-annex makes its object
    folders read-only, so every folder is made writable first. Fails loudly if anything is left."""
    path = Path(path)
    if not (path.exists() or path.is_symlink()):
        return
    if path.is_dir() and not path.is_symlink():
        for folder, dirs, _ in os.walk(path):
            for d in [folder, *(os.path.join(folder, x) for x in dirs)]:
                if not os.path.islink(d):
                    os.chmod(d, os.stat(d).st_mode | stat.S_IRWXU)
        shutil.rmtree(path)
    else:
        path.unlink()
    if path.exists() or path.is_symlink():
        raise FetchError(f"{path}: could not be removed; delete it by hand (chmod -R u+w {path}; rm -rf {path})")


def file_digest(path: Path, algorithm: str, block: int = 1 << 22) -> str:
    """Hex digest of a file (``"md5"``, ``"sha256"``), read in blocks."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(block), b""):
            h.update(chunk)
    return h.hexdigest()


def write_record(root: Path, record: dict) -> None:
    """Write ``root/.banlib/fetch.json`` atomically and keep it out of git (``.git/info/exclude``)."""
    path = root / PROVENANCE_FILE
    write_text(path, json.dumps(record, indent=2, sort_keys=True) + "\n")
    exclude = root / ".git" / "info" / "exclude"
    if exclude.parent.is_dir():
        lines = exclude.read_text().splitlines() if exclude.exists() else []
        if "/.banlib/" not in lines:
            exclude.write_text("\n".join([*lines, "/.banlib/"]) + "\n")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _is_dataset(path: Path) -> bool:
    return (path / ".datalad").is_dir() and (path / ".git").exists()


def _start(dest: Path, name: str) -> tuple[Path, Path]:
    """The folder to work in (the finished dataset, or ``<name>.partial``, made if needed) and the final path."""
    final = dest / name
    if _is_dataset(final):
        return final, final
    if final.exists():
        raise FetchError(f"{final} exists but is not a DataLad dataset; move it away and fetch again")
    work = dest / f"{name}.partial"
    if work.exists() and not _is_dataset(work):
        say(f"{work}: left by an interrupted start, removing it")
        remove_tree(work)
    if not work.exists():
        dest.mkdir(parents=True, exist_ok=True)
        _run(["datalad", "create", work], cwd=dest)
    return work, final


def _finish(work: Path, final: Path) -> Path:
    if work != final:
        work.rename(final)
    return final


def _download(work: Path, target: Path, url: str) -> None:
    """Download ``url`` to ``target`` inside dataset ``work`` without saving it yet."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if is_local(url):
        tmp = target.with_name(target.name + ".banlib-copy")
        shutil.copyfile(local_path(url), tmp)
        tmp.replace(target)
    else:
        _run(["datalad", "download-url", "--nosave", "-d", work, "--path", target, url], cwd=work, show=True)
    if not target.is_file():
        raise FetchError(f"{url}: nothing was downloaded to {target}")


def _save(work: Path, target: Path, url: str, message: str) -> None:
    """Save ``target`` into dataset ``work`` and register its URL with git-annex (web sources)."""
    _run(["datalad", "save", "-d", work, "-m", message, target], cwd=work)
    if not is_local(url) and target.is_symlink():
        _run(["git", "annex", "addurl", "--relaxed", "--file", target.relative_to(work), url], cwd=work)


def _get(work: Path, target: Path) -> None:
    _run(["datalad", "get", "-d", work, target], cwd=work, show=True)


# ----------------------------------------------------------------------------- OpenNeuro
def fetch_openneuro(dest: str | Path, subjects=SUBJECTS, raw: bool = False, url: str | None = None,
                    version: str = OPENNEURO_VERSION) -> Path:
    """Clone ds003720 at tag ``version`` into ``dest/ds003720`` (events and sidecars come with the
    clone); with ``raw``, ``datalad get`` the BOLD runs of ``subjects`` (514 MB each, 18 per subject).

    ``url``: a git URL or local path of the dataset (default: OpenNeuro's GitHub mirror).
    Returns the dataset path. Repeating it keeps an existing clone.
    """
    url = url or OPENNEURO_URL
    dest = Path(os.path.abspath(dest))
    final = dest / "ds003720"
    what = (f"a DataLad clone of {url} (version {version}, metadata only) into {final}"
            + (f", then the raw BOLD runs of {', '.join(subjects)} ({len(subjects) * 18 * 0.514:.1f} GB)" if raw else ""))
    if not (final / "dataset_description.json").exists():
        check_network(url, what)
        if final.exists():
            raise FetchError(f"{final} exists but has no dataset_description.json; move it away and fetch again")
        tmp = dest / "ds003720.partial"
        remove_tree(tmp)                          # a clone holds metadata only: redo it rather than resume
        dest.mkdir(parents=True, exist_ok=True)
        _run(["datalad", "clone", str(local_path(url)) if is_local(url) else url, tmp], cwd=dest, show=True)
        try:
            _run(["git", "-C", tmp, "checkout", "-q", version], cwd=dest)
        except FetchError:
            remove_tree(tmp)
            raise FetchError(f"{url}: no version {version} (git tag) in this dataset; nothing kept") from None
        commit = _run(["git", "-C", tmp, "rev-parse", "HEAD"], cwd=dest).strip()
        write_record(tmp, {"what": "openneuro", "dataset": "ds003720", "source_url": url, "version": version,
                           "commit": commit, "fetched_at": _now(), "banlib_version": __version__})
        _finish(tmp, final)
        say(f"ds003720 {version} @ {commit[:10]} cloned into {final}")
    else:
        rec = fetch_record(final)
        say(f"{final}: already there (version {rec.get('version', '?')}, commit {str(rec.get('commit', '?'))[:10]}); "
            f"nothing to clone")
    if raw:
        check_network(url, what)
        for sub in subjects:
            _get(final, final / sub / "func")
    return final


# ----------------------------------------------------------------------------- Zenodo
def zenodo_files(record_json: dict, subjects, base: str = ZENODO_API) -> list[dict]:
    """Files of a records-API answer needed for ``subjects``: ``{key, url, md5, size}``.

    Links may be relative (a mirror): they are resolved against ``base``, the API URL the
    record was read from, so real absolute links and mirror links both work.
    """
    base_url = base if not is_local(base) or base.startswith("file:") else local_path(base).as_uri()
    out = []
    for f in record_json.get("files", []):
        key = f.get("key") or f.get("filename")
        if any(s in key for s in SUBJECTS) and not any(s in key for s in subjects):
            continue
        algo, _, digest = (f.get("checksum") or ":").partition(":")
        link = (f.get("links") or {}).get("self") or (f.get("links") or {}).get("download")
        if not link:
            raise FetchError(f"{base}: the record gives no link for {key}")
        out.append({"key": key, "url": urljoin(base_url, link), "md5": digest if algo == "md5" else None,
                    "size": f.get("size")})
    return out


def _verify_members(work: Path) -> dict[str, str]:
    """Check the files an extracted ``MD5SUMS`` list names; returns {path: md5} checked."""
    checked = {}
    for lst in sorted(p for p in work.rglob("*") if p.name.lower() in CHECKSUM_LISTS and ".git" not in p.parts):
        for line in lst.read_text().splitlines():
            if not line.strip():
                continue
            digest, _, name = line.strip().partition(" ")
            member = lst.parent / name.strip().lstrip("*")
            got = file_digest(member, "md5")
            if got != digest.lower():
                raise FetchError(f"{member}: md5 {got} differs from {digest} listed in {lst}; the dataset "
                                 f"{work} is kept for inspection. Delete it and fetch again.")
            checked[str(member.relative_to(work))] = got
    return checked


def _fetch_record_file(work: Path, f: dict, record_id: str, state: dict) -> str:
    """Bring one file of the record into ``work``; returns what was done."""
    key, target = f["key"], work / f["key"]
    archive = key.endswith(ARCHIVE_SUFFIXES)
    done = state["files"].get(key, {})
    if archive and done.get("extracted"):
        return "kept (extracted before)"
    if target.is_symlink() and not target.exists():
        _get(work, target)                        # annexed, content dropped: get it from its registered URL
    if target.is_symlink():
        md5 = annex_md5(target) or file_digest(target, "md5")
        if f["md5"] and md5 != f["md5"]:
            raise FetchError(f"{target}: in the dataset with md5 {md5}, but the record gives {f['md5']}; "
                             f"the record changed? Move {work} away and fetch again.")
        state["files"][key] = {"md5": md5, "size": f["size"], "url": f["url"]}
        result = "kept (md5 ok)"
    else:
        if target.is_file():                      # downloaded, not saved: an interrupted run
            if f["md5"] and file_digest(target, "md5") == f["md5"]:
                result = "kept (downloaded before, md5 ok)"
            else:
                target.unlink()
        if not target.is_file():
            _download(work, target, f["url"])
            result = "downloaded, md5 ok" if f["md5"] else "downloaded (the record gives no md5)"
        md5 = file_digest(target, "md5")
        if f["md5"] and md5 != f["md5"]:
            target.unlink()
            raise FetchError(f"{f['url']}: md5 {md5} differs from the record's {f['md5']}; the download was "
                             f"deleted (nothing of it kept). Retry the fetch; if it happens again, the source is bad.")
        _save(work, target, f["url"], f"Zenodo {record_id}: {key} (md5 {md5})")
        state["files"][key] = {"md5": md5, "size": f["size"], "url": f["url"]}
    if archive:
        _run(["datalad", "add-archive-content", "-d", work, "--existing", "overwrite", "--delete",
              target.relative_to(work)], cwd=work)
        state["files"][key]["extracted"] = True
        state["files"][key]["members_md5"] = _verify_members(work)
        result += ", extracted"
    return result


def fetch_derivatives(dest: str | Path, subjects=SUBJECTS, url: str | None = None) -> Path:
    """The preprocessed response matrices and stimulus-generation files of Zenodo record 8275363
    (doi 10.5281/zenodo.8275363) in their own DataLad dataset ``dest/ds003720-derivatives``.

    ``url``: the records-API URL (or a local path) of the record; its ``files`` list gives keys,
    links, sizes and md5 checksums. Returns the dataset path.
    """
    url = url or ZENODO_API
    dest = Path(os.path.abspath(dest))
    name = "ds003720-derivatives"
    check_network(url, f"the file list of Zenodo record {ZENODO_RECORD} ({url}), then the response "
                  f"matrices of {', '.join(subjects)} (about 1.9 GB per subject) into {dest / name}")
    record = read_json(url)
    record_id = str(record.get("id") or record.get("recid") or ZENODO_RECORD)
    files = zenodo_files(record, subjects, base=url)
    if not files:
        raise FetchError(f"{url}: record {record_id} lists no files for {', '.join(subjects)}")
    work, final = _start(dest, name)
    state = fetch_record(work) or {}
    state.update({"what": "derivatives", "record": record_id, "source_url": url,
                  "doi": record.get("doi"), "banlib_version": __version__})
    state.setdefault("files", {})
    for f in files:
        result = _fetch_record_file(work, f, record_id, state)
        write_record(work, state)                 # progress kept: an interruption resumes after this file
        say(f"{f['key']}: {result}")
    state["fetched_at"] = _now()
    write_record(work, state)
    return _finish(work, final)


# ----------------------------------------------------------------------------- GTZAN
def _require_7z() -> None:
    if shutil.which("7z", path=tools.environment()["PATH"]) is None:
        raise FetchError(
            "GTZAN needs 7z (Debian/Ubuntu: apt-get install p7zip-full; conda: p7zip). Without it DataLad "
            "extracts archives with patool, which calls file(1) under git-annex; the git-annex wheel points "
            "file(1) at its own, incompatible magic database (MAGIC), so a dropped GTZAN file could never "
            "be fetched again from the archive. Nothing was written.")


def fetch_gtzan(dest: str | Path, url: str | None = None, sha256: str | None = None) -> Path:
    """GTZAN into a DataLad dataset ``dest/gtzan``, in the archive's own layout (``genres/...`` for
    the original archive, ``Data/genres_original/...`` for the Kaggle zip; both are read).

    The archive is registered with ``datalad download-url``, its sha256 checked, then extracted
    with ``datalad add-archive-content`` (so that every file can be dropped and fetched again).

    Parameters
    ----------
    url : archive URL or local path; default the original ``genres.tar.gz``
    sha256 : expected sha256 of the archive. Default: the original archive's when ``url`` is the
        default, else none: the checksum is then computed, recorded and shown, not enforced.
    """
    default = url is None
    url = url or GTZAN_URL
    if sha256 is None and default:
        sha256 = GTZAN_SHA256
    dest = Path(os.path.abspath(dest))
    final = dest / "gtzan"
    if _is_dataset(final):
        rec = fetch_record(final)
        if sha256 and rec.get("sha256") and rec["sha256"] != sha256:
            raise FetchError(f"{final}: holds an archive with sha256 {rec['sha256']}, not {sha256}; "
                             f"move it away to fetch another")
        say(f"{final}: already there (from {rec.get('source_url', '?')}, sha256 {rec.get('sha256', '?')}); nothing to do")
        return final
    check_network(url, f"GTZAN ({url}, about 1.2 GB) into {final}")
    _require_7z()
    work, final = _start(dest, "gtzan")
    state = fetch_record(work) or {}
    name = Path(unquote(urlparse(url).path)).name or "genres.tar.gz"
    target = work / name
    if not state.get("extracted"):
        if target.is_symlink() and not target.exists():
            _get(work, target)
        if not (target.is_file() and (target.is_symlink() or state.get("downloaded") == url)):
            if target.is_file() and not target.is_symlink():
                target.unlink()
            _download(work, target, url)
            state.update({"downloaded": url})
            write_record(work, state)
        digest = file_digest(target, "sha256")
        if sha256 and digest != sha256.lower():
            remove_tree(work)
            raise FetchError(f"{url}: sha256 {digest} differs from the expected {sha256}; nothing kept "
                             f"({work} removed). Use another mirror with --url (and --sha256 if you know its checksum).")
        if not target.is_symlink():
            _save(work, target, url, f"GTZAN archive from {url} (sha256 {digest})")
        state.update({"what": "gtzan", "source_url": url, "archive": name, "sha256": digest,
                      "sha256_checked": bool(sha256), "banlib_version": __version__})
        write_record(work, state)
        say(f"{name}: sha256 {digest} " + ("(matches the expected checksum)" if sha256 else
                                             "(no expected checksum given: computed and recorded, not checked)"))
        _run(["datalad", "add-archive-content", "-d", work, "--existing", "overwrite", "--delete", name], cwd=work)
        state.update({"extracted": True, "fetched_at": _now()})
        write_record(work, state)
    from .audio import gtzan_base
    from .dataset import DataError

    try:
        base = gtzan_base(work)
    except DataError as err:
        raise FetchError(f"the archive from {url} was extracted into {work}, but: {err}") from None
    say(f"GTZAN extracted: {base.relative_to(work)}/<genre>/<genre>.000NN.wav")
    return _finish(work, final)
