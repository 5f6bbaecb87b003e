"""Real data with DataLad: ds003720 from OpenNeuro, its derivatives from Zenodo, GTZAN.

Every fetch takes its source as a URL (or a local path), so that a mirror or a local copy can
stand in for the real hosts (``banlib mirror`` writes one). Each fetch:

* checks first that the host answers on the URL's own scheme and port (a few seconds at most;
  skipped for local paths and ``file://``), so that offline it fails at once, naming what it
  would have downloaded;
* works from any working directory (every DataLad and git call names the dataset and passes
  absolute paths);
* builds the dataset under ``<name>.partial`` (stamped as banlib's, :mod:`banlib.paths`) and renames
  it when complete; an interrupted fetch resumes there without downloading completed files again. Resume
  is per file: a file whose checksum is right is kept, a file cut off mid-download is downloaded again
  from its start;
* keeps every name from outside inside the dataset (:func:`banlib.paths.inside`): a record's file key,
  an archive member, a line of a checksum list. A record's links must be http(s) (local paths only when
  the record itself was given as a local ``--url``), and a record without md5 checksums is refused
  unless ``allow_missing_checksums`` (recorded in ``fetch.json``);
* verifies checksums: the records API's md5 of each file (of an archive, and of its members when
  it ships an ``MD5SUMS`` list), GTZAN's sha256 when one is known; a file kept from before is read
  again and checked, never trusted by its name or size;
* goes on only from the source it started from: another ``--url`` for an existing dataset is an
  error naming the recorded one;
* allows git-annex to download from a mirror on this machine (127.0.0.1): git-annex refuses private
  addresses unless ``annex.security.allowed-ip-addresses`` names them, so for a loopback source that
  one address is set in the dataset's own configuration, and a dropped file comes back with
  ``datalad get``;
* holds a lock on the dataset while it works (a second fetch into it fails at once, naming the first);
* cleans up after itself as a non-root user too (git-annex makes its object folders read-only:
  they are made writable before removal, and a failed removal is an error, never ignored);
* writes ``.banlib/fetch.json`` in the dataset (source URL, record id, version and commit,
  checksums, time, banlib version; git-ignored through ``.git/info/exclude``), which
  :func:`banlib.data.dataset.open_source` reads into the data label.
"""
from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import tarfile
import time
import urllib.request
import zipfile
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

from .. import __version__, tools
from ..config import OPENNEURO_URL, OPENNEURO_VERSION, SUBJECTS, ZENODO_RECORD
from ..errors import BanlibError
from ..files import StrictJSONError, loads_strict, write_text
from ..paths import check_link, check_name, check_removable, inside, output_lock, stamp
from .dataset import PROVENANCE_FILE, fetch_record

ZENODO_API = f"https://zenodo.org/api/records/{ZENODO_RECORD}"
GTZAN_URL = "https://huggingface.co/datasets/marsyas/gtzan/resolve/main/data/genres.tar.gz"
# sha256 of the original genres.tar.gz (as checked by torchaudio's GTZAN loader)
GTZAN_SHA256 = "24347e0223d2ba798e0a558c4c172d9d4a19c00bb7963fe055d183dadb4ef2c6"
ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tar.xz")
CHECKSUM_LISTS = ("md5sums", "md5sums.txt", "md5sum.txt", "checksums.md5")
DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21}


class FetchError(BanlibError, RuntimeError):
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
            text = local_path(url).read_bytes().decode("utf-8")
        else:
            with urllib.request.urlopen(url, timeout=60) as resp:
                text = resp.read().decode("utf-8")
        data = loads_strict(text, url)
    except (OSError, ValueError, StrictJSONError) as err:
        raise FetchError(f"{url}: cannot read the record ({err})") from None
    if not isinstance(data, dict):
        raise FetchError(f"{url}: not a records-API answer (a JSON object with a 'files' list)")
    return data


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
    _exclude_banlib(root)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _is_dataset(path: Path) -> bool:
    return (path / ".datalad").is_dir() and (path / ".git").exists()


def _start(dest: Path, name: str) -> tuple[Path, Path]:
    """The folder to work in (the finished dataset, or ``<name>.partial``, made if needed) and the final path.

    A new ``<name>.partial`` is stamped as banlib's before DataLad makes it a dataset, so that a start
    interrupted before that is recognised, and removed, on the next run; a folder there that banlib did not
    make is an error, never removed."""
    final = dest / name
    if _is_dataset(final):
        return final, final
    if final.exists() or final.is_symlink():
        raise FetchError(f"{final} exists but is not a DataLad dataset; move it away and fetch again")
    work = dest / f"{name}.partial"
    if (work.exists() or work.is_symlink()) and not _is_dataset(work):
        check_removable(work, "fetch", fix=f"move it away, or delete it yourself (rm -rf {work}), and fetch again")
        say(f"{work}: left by an interrupted start, removing it")
        remove_tree(work)
    if not work.exists():
        work.mkdir(parents=True)
        stamp(work, "fetch")
        _run(["datalad", "create", "--force", work], cwd=dest)
        _exclude_banlib(work)
    return work, final


def _exclude_banlib(root: Path) -> None:
    """Keep ``root/.banlib/`` (the fetch record and the stamp) out of git (``.git/info/exclude``)."""
    exclude = root / ".git" / "info" / "exclude"
    if exclude.parent.is_dir():
        lines = exclude.read_text().splitlines() if exclude.exists() else []
        if "/.banlib/" not in lines:
            exclude.write_text("\n".join([*lines, "/.banlib/"]) + "\n")


def loopback_addresses(url: str) -> list[str]:
    """The loopback addresses (127.0.0.1, ::1 ...) the host of ``url`` is, or resolves to; empty for any other
    host and for local sources."""
    if is_local(url):
        return []
    host = urlparse(url).hostname or ""
    try:
        found = {ai[4][0] for ai in socket.getaddrinfo(host, None)}
    except OSError:
        return []
    return sorted(a.split("%")[0] for a in found if ipaddress.ip_address(a.split("%")[0]).is_loopback)


def allow_mirror_address(root: Path, url: str) -> list[str]:
    """For a source on this machine (a mirror served on 127.0.0.1), let git-annex download from that address in
    dataset ``root``: git-annex refuses private and loopback addresses unless
    ``annex.security.allowed-ip-addresses`` names them, so a dropped file could never be fetched again from the
    mirror. Only the source's own loopback address is allowed, in the dataset's own configuration
    (``.git/config``), and it is said. Returns the addresses allowed (empty for any other source)."""
    addresses = loopback_addresses(url)
    if addresses:
        _run(["git", "-C", root, "config", "annex.security.allowed-ip-addresses", " ".join(addresses)], cwd=root)
        say(f"{root}: git-annex may download from {' '.join(addresses)} (the mirror on this machine) for "
            f"`datalad get` (annex.security.allowed-ip-addresses, in this dataset only)")
    return addresses


def _comparable(url: str) -> str:
    return str(local_path(url).resolve()) if is_local(url) else url.rstrip("/")


def _fetched_before(dest: Path, name: str) -> tuple[Path, str | None]:
    """The dataset (finished, else partial) a fetch of ``name`` goes on with, and the source it was fetched from."""
    for path in (dest / name, dest / f"{name}.partial"):
        rec = fetch_record(path) if path.is_dir() else {}
        if rec.get("source_url"):
            return path, rec["source_url"]
    return dest / name, None


def same_source(path: Path, recorded: str | None, url: str | None, option: str = "--url") -> str | None:
    """The source to fetch from for an existing dataset ``path`` fetched from ``recorded``: ``url`` when it is the
    same source (or none was recorded), the recorded one when ``url`` is None. Another ``url`` is an error,
    never silently ignored."""
    if url is None or recorded is None:
        return url or recorded
    if _comparable(url) != _comparable(recorded):
        raise FetchError(file=path, what=f"was fetched from {recorded}, not from {url}",
                         fix=f"repeat the command with {option} {recorded} (or without {option}) to go on with it, "
                             f"or move {path} away to fetch from {url}")
    return url


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

    ``url``: a git URL or local path of the dataset (default: OpenNeuro's GitHub mirror; for an existing
    clone, the URL it was cloned from, and another one is an error). Returns the dataset path. Repeating it
    keeps an existing clone.
    """
    dest = Path(os.path.abspath(dest))
    final = dest / "ds003720"
    if (final / "dataset_description.json").exists():
        same_source(final, fetch_record(final).get("source_url"), url)
    with output_lock(final, f"banlib fetch openneuro --dest {dest}"):
        if (final / "dataset_description.json").exists():
            rec = fetch_record(final)
            url = same_source(final, rec.get("source_url"), url) or OPENNEURO_URL
            say(f"{final}: already there (version {rec.get('version', '?')}, commit "
                f"{str(rec.get('commit', '?'))[:10]}); nothing to clone")
        else:
            url = url or OPENNEURO_URL
            _clone_openneuro(dest, final, url, version, subjects, raw)
        if raw:
            check_network(url, f"the raw BOLD runs of {', '.join(subjects)} ({len(subjects) * 18 * 0.514:.1f} GB) "
                               f"from {url}")
            for sub in subjects:
                _get(final, final / sub / "func")
    return final


def _clone_openneuro(dest: Path, final: Path, url: str, version: str, subjects, raw: bool) -> None:
    what = (f"a DataLad clone of {url} (version {version}, metadata only) into {final}"
            + (f", then the raw BOLD runs of {', '.join(subjects)} ({len(subjects) * 18 * 0.514:.1f} GB)" if raw else ""))
    check_network(url, what)
    if final.exists() or final.is_symlink():
        raise FetchError(f"{final} exists but has no dataset_description.json; move it away and fetch again")
    tmp = dest / "ds003720.partial"
    # a clone holds metadata only: an interrupted one is made again rather than resumed, if banlib made it
    check_removable(tmp, "fetch", fix=f"move it away, or delete it yourself (rm -rf {tmp}) if it is an interrupted "
                                      f"clone, and fetch again")
    remove_tree(tmp)
    dest.mkdir(parents=True, exist_ok=True)
    try:
        _run(["datalad", "clone", str(local_path(url)) if is_local(url) else url, tmp], cwd=dest, show=True)
    finally:                                  # cut off or failed: stamped as banlib's, so the next run removes it
        if tmp.is_dir() and not tmp.is_symlink():
            stamp(tmp, "fetch")
    _exclude_banlib(tmp)
    try:
        _run(["git", "-C", tmp, "checkout", "-q", version], cwd=dest)
    except FetchError:
        remove_tree(tmp)
        raise FetchError(f"{url}: no version {version} (git tag) in this dataset; nothing kept") from None
    commit = _run(["git", "-C", tmp, "rev-parse", "HEAD"], cwd=dest).strip()
    allow_mirror_address(tmp, url)
    write_record(tmp, {"what": "openneuro", "dataset": "ds003720", "source_url": url, "version": version,
                       "commit": commit, "fetched_at": _now(), "banlib_version": __version__})
    _finish(tmp, final)
    say(f"ds003720 {version} @ {commit[:10]} cloned into {final}")


# ----------------------------------------------------------------------------- Zenodo
def zenodo_files(record_json: dict, subjects, base: str = ZENODO_API, allow_missing_checksums: bool = False,
                 local_source: bool | None = None) -> list[dict]:
    """Files of a records-API answer needed for ``subjects``: ``{key, url, md5, size}``.

    Links may be relative (a mirror): they are resolved against ``base``, the API URL the
    record was read from, so real absolute links and mirror links both work.

    Everything in the record is checked before anything is downloaded: each file key must name a file inside
    the dataset (:func:`banlib.paths.inside`), each link must be http(s) (a local path or ``file://`` only when
    the record itself is local, ``local_source``, default: whether ``base`` is local), and each file must have an
    md5 checksum unless ``allow_missing_checksums``.

    Raises
    ------
    FetchError, banlib.paths.UnsafeName
        naming the record, the file key or link and the fix.
    """
    local = is_local(base) if local_source is None else local_source
    base_url = base if not is_local(base) or base.startswith("file:") else local_path(base).as_uri()
    files = record_json.get("files")
    if not isinstance(files, list):
        raise FetchError(file=base, what="not a records-API answer (no 'files' list)",
                         fix="give the records-API URL of the Zenodo record (e.g. " + ZENODO_API + ")")
    fix = "the record is not a Zenodo record banlib can trust; use the real record or a mirror made by banlib mirror"
    out = []
    for f in files:
        if not isinstance(f, dict):
            raise FetchError(file=base, what=f"a 'files' entry is not an object ({f!r})", fix=fix)
        key = f.get("key") or f.get("filename")
        check_name(key, base, fix, what="file key")
        if any(s in key for s in SUBJECTS) and not any(s in key for s in subjects):
            continue
        algo, _, digest = str(f.get("checksum") or ":").partition(":")
        md5 = digest.lower() if algo == "md5" and re.fullmatch(r"[0-9a-fA-F]{32}", digest) else None
        if md5 is None and not allow_missing_checksums:
            raise FetchError(file=base, what=f"the record gives no md5 checksum for {key} ({f.get('checksum')!r}), so "
                                             f"its download could not be checked",
                             fix="use a record with checksums, or pass --allow-missing-checksums to fetch it unchecked "
                                 "(recorded in fetch.json)")
        links = f.get("links") if isinstance(f.get("links"), dict) else {}
        link = links.get("self") or links.get("download")
        if not link:
            raise FetchError(f"{base}: the record gives no link for {key}")
        if not isinstance(link, str):
            raise FetchError(file=base, what=f"the link of {key} is not a URL ({link!r})", fix=fix)
        full = check_link(urljoin(base_url, link), base, allow_local=local, fix=fix)
        out.append({"key": key, "url": full, "md5": md5, "size": f.get("size")})
    return out


def _regular_member(name: str, is_file: bool, is_dir: bool, archive: Path) -> None:
    if not (is_file or is_dir):
        raise FetchError(file=archive, what=f"archive member {name!r} is a link or a special file (device, fifo), "
                                            f"not a plain file", fix="use another copy of the archive")


def check_archive(archive: Path, root: Path, source: str) -> int:
    """Every member of a zip or tar ``archive`` must be a plain file or folder whose name stays inside ``root``
    (where it is extracted) and out of the dataset's machinery: checked before anything is extracted. Returns
    the number of members.

    Raises
    ------
    FetchError, banlib.paths.UnsafeName
        naming the archive (and ``source``, where it came from) and the member.
    """
    fix = f"the archive from {source} is not safe to extract; use another copy"
    names = 0
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                kind = stat.S_IFMT(info.external_attr >> 16)          # 0 when the zip records no file type
                inside(root, info.filename.rstrip("/") or ".", archive, fix, what="archive member")
                if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
                    _regular_member(info.filename, False, False, archive)
                names += 1
        return names
    try:
        with tarfile.open(archive) as tf:
            for member in tf:
                inside(root, member.name.rstrip("/") or ".", archive, fix, what="archive member")
                _regular_member(member.name, member.isreg(), member.isdir(), archive)
                names += 1
    except tarfile.TarError as err:
        raise FetchError(file=archive, what=f"not a zip or tar archive that can be read ({err})", fix=fix) from None
    return names


def _verify_members(work: Path, archive: str) -> dict[str, str]:
    """Check the files an extracted ``MD5SUMS`` list names (each name kept inside the list's folder, and a plain
    file there); returns {path: md5} checked."""
    checked = {}
    fix = f"the archive {archive} does not hold what its checksum list says; delete {work} and fetch again"
    for lst in sorted(p for p in work.rglob("*") if p.name.lower() in CHECKSUM_LISTS and ".git" not in p.parts):
        for lineno, line in enumerate(lst.read_text(errors="replace").splitlines(), start=1):
            if not line.strip():
                continue
            digest, _, name = line.strip().partition(" ")
            member = inside(lst.parent, name.strip().lstrip("*"), f"{lst}, line {lineno}", fix, what="listed file",
                            within=work)
            if not member.exists():
                raise FetchError(file=lst, what=f"line {lineno} lists {name.strip()!r}, which the archive does not hold",
                                 fix=fix)
            if not stat.S_ISREG(os.stat(member).st_mode):
                raise FetchError(file=member, what=f"listed in {lst} but not a plain file", fix=fix)
            got = file_digest(member, "md5")
            if got != digest.lower():
                raise FetchError(f"{member}: md5 {got} differs from {digest} listed in {lst}; the dataset "
                                 f"{work} is kept for inspection. Delete it and fetch again.")
            checked[str(member.relative_to(work))] = got
    return checked


def _members_unchanged(work: Path, members: dict) -> None:
    """Read again the extracted members whose content is here and compare with the md5 recorded when they were
    extracted; a member changed since is an error."""
    for rel, md5 in members.items():
        path = inside(work, rel, work / PROVENANCE_FILE, "delete the dataset and fetch again", what="recorded file")
        if path.exists() and file_digest(path, "md5") != md5:
            raise FetchError(file=path, what=f"changed since it was fetched (md5 {file_digest(path, 'md5')}, fetched "
                                             f"with {md5})", fix=f"move {work} away and fetch again")


def _fetch_record_file(work: Path, f: dict, record_id: str, state: dict) -> str:
    """Bring one file of the record into ``work``; returns what was done. A file kept from before is read again
    and its md5 compared with the record's."""
    key = f["key"]
    target = inside(work, key, state.get("source_url", "the record"), "use the real record", what="file key")
    archive = key.endswith(ARCHIVE_SUFFIXES)
    done = state["files"].get(key, {})
    if archive and done.get("extracted"):
        _members_unchanged(work, done.get("members_md5") or {})
        return "kept (extracted before, members' md5 ok)"
    if target.is_symlink() and not target.exists():
        _get(work, target)                        # annexed, content dropped: get it from its registered URL
    if target.is_symlink():
        md5 = file_digest(target, "md5")          # read: a content written over in place keeps its key and size
        if f["md5"] and md5 != f["md5"]:
            raise FetchError(f"{target}: in the dataset with md5 {md5}, but the record gives {f['md5']}; "
                             f"the content changed or the record did. Move {work} away and fetch again.")
        state["files"][key] = {"md5": md5, "size": f["size"], "url": f["url"]}
        result = "kept (md5 read and checked)" if f["md5"] else "kept (the record gives no md5)"
    else:
        if target.is_dir():
            raise FetchError(file=target, what="a folder where the record's file goes",
                             fix=f"move {work} away and fetch again")
        if target.is_file():                      # downloaded, not saved: an interrupted run
            if f["md5"] and file_digest(target, "md5") == f["md5"]:
                result = "kept (downloaded before, md5 ok)"
            else:
                target.unlink()
        if not target.is_file():
            _download(work, target, f["url"])
            result = "downloaded, md5 ok" if f["md5"] else "downloaded (the record gives no md5: not checked)"
        md5 = file_digest(target, "md5")
        if f["md5"] and md5 != f["md5"]:
            target.unlink()
            raise FetchError(f"{f['url']}: md5 {md5} differs from the record's {f['md5']}; the download was "
                             f"deleted (nothing of it kept). Retry the fetch; if it happens again, the source is bad.")
        _save(work, target, f["url"], f"Zenodo {record_id}: {key} (md5 {md5})")
        state["files"][key] = {"md5": md5, "size": f["size"], "url": f["url"]}
    if archive:
        check_archive(target, target.parent, f["url"])
        _run(["datalad", "add-archive-content", "-d", work, "--existing", "overwrite", "--delete",
              target.relative_to(work)], cwd=work)
        state["files"][key]["extracted"] = True
        state["files"][key]["members_md5"] = _verify_members(work, key)
        result += ", extracted"
    return result


def fetch_derivatives(dest: str | Path, subjects=SUBJECTS, url: str | None = None,
                      allow_missing_checksums: bool = False) -> Path:
    """The preprocessed response matrices and stimulus-generation files of Zenodo record 8275363
    (doi 10.5281/zenodo.8275363) in their own DataLad dataset ``dest/ds003720-derivatives``.

    ``url``: the records-API URL (or a local path) of the record; its ``files`` list gives keys,
    links, sizes and md5 checksums (default: Zenodo's; for a dataset fetched before, the URL it was fetched
    from, and another one is an error). ``allow_missing_checksums``: fetch files the record gives no md5 for
    (unchecked; recorded in ``fetch.json``). Returns the dataset path.
    """
    dest = Path(os.path.abspath(dest))
    name = "ds003720-derivatives"
    url = same_source(*_fetched_before(dest, name), url) or ZENODO_API
    check_network(url, f"the file list of Zenodo record {ZENODO_RECORD} ({url}), then the response "
                  f"matrices of {', '.join(subjects)} (about 1.9 GB per subject) into {dest / name}")
    record = read_json(url)
    record_id = str(record.get("id") or record.get("recid") or ZENODO_RECORD)
    files = zenodo_files(record, subjects, base=url, allow_missing_checksums=allow_missing_checksums,
                         local_source=is_local(url))           # every key, link and checksum checked first
    if not files:
        raise FetchError(f"{url}: record {record_id} lists no files for {', '.join(subjects)}")
    with output_lock(dest / name, f"banlib fetch derivatives --dest {dest}"):
        same_source(*_fetched_before(dest, name), url)       # again, now that no other fetch can change it
        work, final = _start(dest, name)
        allow_mirror_address(work, url)
        state = fetch_record(work) or {}
        state.update({"what": "derivatives", "record": record_id, "source_url": url,
                      "doi": record.get("doi"), "banlib_version": __version__,
                      "local_source": is_local(url)})
        if allow_missing_checksums or state.get("allow_missing_checksums"):
            state["allow_missing_checksums"] = True
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


def check_sha256(sha256: str | None, option: str = "--sha256") -> str | None:
    """``sha256`` in lower case when it is 64 hex digits (or None); raises :class:`FetchError` naming
    ``option`` before anything is downloaded otherwise."""
    if sha256 is None:
        return None
    text = str(sha256).strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", text):
        raise FetchError(file=f"{option} {sha256}", what="a sha256 checksum is 64 hexadecimal digits",
                         fix="copy the archive's checksum in full (sha256sum ARCHIVE), or leave the option out")
    return text


def archive_name(url: str) -> str:
    """The file name of the archive ``url`` points to (the last part of its path), checked as a name from
    outside (:func:`banlib.paths.check_name`); ``genres.tar.gz`` when the URL's path has none."""
    name = Path(unquote(urlparse(url).path)).name or "genres.tar.gz"
    check_name(name, url, "give the URL of the archive file itself", what="archive name")
    return name


def fetch_gtzan(dest: str | Path, url: str | None = None, sha256: str | None = None) -> Path:
    """GTZAN into a DataLad dataset ``dest/gtzan``, in the archive's own layout (``genres/...`` for
    the original archive, ``Data/genres_original/...`` for the Kaggle zip; both are read).

    The archive is registered with ``datalad download-url``, its sha256 checked, its members checked
    (:func:`check_archive`: plain files whose names stay inside the dataset), then extracted with
    ``datalad add-archive-content`` (so that every file can be dropped and fetched again).

    Parameters
    ----------
    url : archive URL or local path; default the original ``genres.tar.gz``. For a dataset fetched before,
        the URL it was fetched from (another one is an error naming it).
    sha256 : expected sha256 of the archive (64 hex digits). Default: the original archive's when ``url`` is
        the default, else none: the checksum is then computed, recorded and shown, not enforced.
    """
    sha256 = check_sha256(sha256)
    dest = Path(os.path.abspath(dest))
    final = dest / "gtzan"
    url = same_source(*_fetched_before(dest, "gtzan"), url) or GTZAN_URL
    archive_name(url)
    if sha256 is None and url == GTZAN_URL:
        sha256 = GTZAN_SHA256
    with output_lock(final, f"banlib fetch gtzan --dest {dest}"):
        same_source(*_fetched_before(dest, "gtzan"), url)
        if _is_dataset(final):
            rec = fetch_record(final)
            if sha256 and rec.get("sha256") and rec["sha256"] != sha256:
                raise FetchError(f"{final}: holds an archive with sha256 {rec['sha256']}, not {sha256}; "
                                 f"move it away to fetch another")
            say(f"{final}: already there (from {rec.get('source_url', '?')}, sha256 {rec.get('sha256', '?')}); "
                f"nothing to do")
            return final
        return _fetch_gtzan(dest, url, sha256)


def _fetch_gtzan(dest: Path, url: str, sha256: str | None) -> Path:
    final = dest / "gtzan"
    name = archive_name(url)
    check_network(url, f"GTZAN ({url}, about 1.2 GB) into {final}")
    _require_7z()
    work, final = _start(dest, "gtzan")
    allow_mirror_address(work, url)
    state = fetch_record(work) or {}
    target = work / name
    if not state.get("extracted"):
        if target.is_symlink() and not target.exists():
            _get(work, target)
        if not (target.is_file() and (target.is_symlink() or state.get("downloaded") == url)):
            if target.is_file() and not target.is_symlink():
                target.unlink()
            _download(work, target, url)
            state.update({"downloaded": url, "source_url": url})
            write_record(work, state)
        digest = file_digest(target, "sha256")
        if sha256 and digest != sha256.lower():
            remove_tree(work)
            raise FetchError(f"{url}: sha256 {digest} differs from the expected {sha256}; nothing kept "
                             f"({work} removed). Use another mirror with --url (and --sha256 if you know its checksum).")
        check_archive(target, work, url)
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
