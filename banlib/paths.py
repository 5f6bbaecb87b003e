"""Names from outside kept inside their folder, the folders banlib owns, and one run per output folder.

**Containment.** Every name that comes from outside banlib (a record's file key, a link, an archive member, a
line of a checksum list) goes through :func:`inside` (or :func:`check_link` for a URL) before it is used: a
name that is absolute, climbs out with ``..``, runs through a link that leads out, or points into a dataset's
own machinery (``.git``, ``.datalad``, ``.banlib``) is refused with an :class:`UnsafeName` error naming the
name, the file it came from and the fix.

**Ownership.** A folder banlib makes at ``--out`` (a twin, a mirror, a book build, a fetched dataset's partial
folder) carries a stamp, ``.banlib/made.json``, written first. banlib deletes or replaces only a folder with its
stamp (:func:`check_out`); a non-empty folder without it, or a file, at ``--out`` is an error. Folders made
before the stamp existed are recognised by the file banlib always wrote in them (:func:`made_by`).

**One run per output folder.** :func:`output_lock` holds ``<out>.banlib-lock`` (an advisory lock on the file,
which names the holder's process id and command) while a command writes ``out``: a second run fails at once
naming that process; a lock left by a process that no longer runs is taken over, with a message.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import sys
import time
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from urllib.parse import urlparse

from .errors import BanlibError

#: A dataset's own machinery: a name from outside never leads into it.
RESERVED = (".git", ".datalad", ".banlib")
STAMP = Path(".banlib") / "made.json"
LOCK_SUFFIX = ".banlib-lock"


class UnsafeName(BanlibError):
    """A name or link from outside that would lead out of its folder (or into a dataset's machinery)."""


class NotOurs(BanlibError):
    """An output path that banlib did not make (or a file where a folder is needed): never deleted."""


class Locked(BanlibError):
    """Another banlib process is writing the same output folder."""


# ------------------------------------------------------------------------------------------- containment
def check_name(name: object, source: str | os.PathLike, fix: str, what: str = "name") -> PurePosixPath:
    """``name`` (read from ``source``) as a relative path that cannot leave the folder it is joined to: a
    non-empty string without NUL bytes or backslashes, not absolute, with no ``..`` part and no part in
    :data:`RESERVED`. A check of the name alone; :func:`inside` adds where it resolves.

    Raises
    ------
    UnsafeName
        naming ``name``, ``source`` and ``fix``.
    """
    def refuse(why: str):
        raise UnsafeName(file=source, what=f"{what} {name!r} {why}", fix=fix)

    if not isinstance(name, str) or not name.strip():
        refuse("is not a file name")
    if "\x00" in name or "\\" in name:
        refuse("holds a NUL byte or a backslash")
    pure = PurePosixPath(name)
    if pure.is_absolute() or name.startswith("~"):
        refuse("is an absolute path: it would be written or read outside the folder")
    if ".." in pure.parts:
        refuse("climbs out of its folder with '..'")
    if any(part in RESERVED for part in pure.parts):
        refuse(f"leads into {'/'.join(p for p in pure.parts if p in RESERVED)}, a dataset's own machinery")
    return pure


def inside(root: str | os.PathLike, name: object, source: str | os.PathLike, fix: str,
           what: str = "name", within: str | os.PathLike | None = None) -> Path:
    """``root / name`` for a ``name`` read from ``source``, once it is known to stay inside ``root``.

    Parameters
    ----------
    root : the folder ``name`` is relative to (a dataset, an archive's extraction folder, a GTZAN folder)
    name : the relative name as it came from outside (a record's file key, an archive member, a line of a
        checksum list)
    source : the file or URL the name came from, for the message
    fix : what the user can do, for the message
    what : what the name is (``"file key"``, ``"archive member"``), for the message
    within : the folder the path must resolve into, following links (default ``root``; a dataset's root for a
        name relative to one of its subfolders, since its annexed files link into ``.git/annex/objects``)

    Returns
    -------
    path : ``root / name`` (not resolved: a link inside ``root`` stays a link)

    Raises
    ------
    UnsafeName
        when ``name`` fails :func:`check_name`, or resolves (through links) outside ``within``.
    """
    pure = check_name(name, source, fix, what)
    root = Path(root)
    path = root.joinpath(*pure.parts)
    base = Path(within if within is not None else root).resolve()
    try:
        path.resolve().relative_to(base)
    except ValueError:
        raise UnsafeName(file=source, what=f"{what} {name!r} resolves to {path.resolve()}, outside {base} "
                                           f"(through a link)", fix=fix) from None
    return path


def check_link(url: object, source: str | os.PathLike, allow_local: bool, fix: str) -> str:
    """``url`` when it is an http(s) link (or, with ``allow_local``, a local path or ``file://`` URL).

    ``allow_local`` is for sources the user named as local (a ``--url`` that is a path): a record served from
    the web may not make banlib copy a local file into the dataset.

    Raises
    ------
    UnsafeName
        naming the link, the file it came from and ``fix``.
    """
    if not isinstance(url, str) or not url.strip():
        raise UnsafeName(file=source, what=f"link {url!r} is not a URL", fix=fix)
    parsed = urlparse(url)
    scheme = parsed.scheme.lower()
    if scheme in ("http", "https") and parsed.netloc:
        return url
    if allow_local and (scheme in ("", "file") or len(scheme) == 1):
        return url
    kind = ("a local file" if scheme in ("", "file") else "an http(s) link without a host" if scheme in ("http", "https")
            else f"a {scheme} link")
    raise UnsafeName(file=source, what=f"link {url!r} is {kind}, not http(s)"
                     + ("" if allow_local else " (local links are taken only from a source given as a local --url)"),
                     fix=fix)


# ------------------------------------------------------------------------------------------- ownership
def stamp(folder: str | os.PathLike, kind: str) -> Path:
    """Write banlib's stamp into ``folder`` (made if needed): ``.banlib/made.json`` saying which command made it.
    The content is the same every time (no time, no process id), so a dataset that commits it stays
    reproducible. Returns the stamp's path."""
    from . import __version__

    path = Path(folder) / STAMP
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"made_by": f"banlib {kind}", "banlib_version": __version__}, indent=2,
                               sort_keys=True) + "\n")
    return path


def _json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def made_by(folder: str | os.PathLike) -> str | None:
    """Which banlib command made ``folder`` (``"twin"``, ``"mirror"``, ``"book"``, ``"fetch"``), or None.

    Read from the stamp (:func:`stamp`); a folder from before the stamp is recognised by the file banlib always
    wrote in it: a twin's ``derivative/twin_truth/twin.json``, a mirror's ``index.json``, a book build's
    ``.gitignore`` header or results files, a fetched dataset's ``.banlib/fetch.json``."""
    folder = Path(folder)
    if not folder.is_dir() or folder.is_symlink():
        return None
    made = _json(folder / STAMP).get("made_by")
    if isinstance(made, str) and made.startswith("banlib "):
        return made.split(" ", 1)[1]
    if "banlib_version" in _json(folder / "derivative" / "twin_truth" / "twin.json"):
        return "twin"
    if str(_json(folder / "index.json").get("made_by", "")).startswith("banlib") and (folder / "zenodo").is_dir():
        return "mirror"
    gitignore = folder / ".gitignore"
    if gitignore.is_file() and gitignore.read_text(errors="replace").startswith("# banlib book"):
        return "book"
    if any("banlib_version" in _json(p) for p in sorted((folder / "results").glob("[0-9][0-9]_*.json"))[:1]):
        return "book"
    if (folder / ".banlib" / "fetch.json").is_file():
        return "fetch"
    return None


def check_writable(path: str | os.PathLike, option: str) -> None:
    """``path`` (named by ``option``) must be a folder or not exist yet, and the nearest existing folder at or
    above it writable: checked before any work. Raises :class:`NotOurs` naming the file or folder."""
    path = Path(path)
    if path.is_symlink() and not path.exists():
        raise NotOurs(file=path, what="is a broken link", fix=f"give {option} a folder")
    if path.exists() and not path.is_dir():
        raise NotOurs(file=path, what=f"is a file, not a folder; {option} names a folder",
                      fix=f"give {option} a folder, or move the file away yourself")
    probe = path
    while not probe.exists() and not probe.is_symlink() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise NotOurs(file=probe, what=f"is a file, so {option} {path} cannot be made under it",
                      fix=f"give {option} a path whose parents are folders")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise NotOurs(file=probe, what=f"is not writable by this user, so {option} {path} cannot be written",
                      fix=f"choose a {option} you can write to, or fix the folder's permissions")


def check_out(out: str | os.PathLike, kind: str, *, option: str = "--out", force: bool = False,
              reuse: bool = False) -> str:
    """Check an output path before any work; returns what the command may do with it.

    Parameters
    ----------
    out : the output folder
    kind : the command that writes it (``"twin"``, ``"mirror"``, ``"book"``)
    option : the option that named it, for messages
    force : the user asked to replace a folder banlib made (``--force``)
    reuse : the command goes on in a folder it made before (a book build) instead of replacing it

    Returns
    -------
    ``"new"`` (absent or an empty folder), ``"reuse"`` (a folder banlib's ``kind`` made, with ``reuse``) or
    ``"replace"`` (a folder banlib's ``kind`` made, with ``force``).

    Raises
    ------
    NotOurs
        for a file or link at ``out``, a non-empty folder banlib did not make (or made as another kind), a
        folder banlib made when neither ``reuse`` nor ``force`` is given, or a path that cannot be written.
    """
    out = Path(out)
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise NotOurs(file=out, what=f"is a {'link' if out.is_symlink() else 'file'}, not a folder; "
                                     f"{option} names the folder banlib writes",
                      fix=f"give {option} another path, or move the file away yourself")
    check_writable(out, option)
    if not out.exists() or not any(out.iterdir()):
        return "new"
    owner = made_by(out)
    if owner is None:
        raise NotOurs(file=out, what="is a folder that banlib did not make (no .banlib/made.json) and it is "
                                     "not empty; banlib never writes into or deletes such a folder",
                      fix=f"give {option} a new or empty folder")
    if owner != kind:
        raise NotOurs(file=out, what=f"was made by banlib {owner}, not by banlib {kind}",
                      fix=f"give {option} another folder")
    if reuse:
        return "reuse"
    if not force:
        raise NotOurs(file=out, what=f"exists (made by banlib {kind})",
                      fix="pass --force to replace it, or give another folder")
    return "replace"


def check_removable(folder: str | os.PathLike, kind: str, fix: str) -> None:
    """Before deleting ``folder`` (a partial folder left by an interrupted run): it must carry banlib's stamp of
    ``kind``. Raises :class:`NotOurs` naming it and ``fix`` otherwise."""
    folder = Path(folder)
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise NotOurs(file=folder, what="is a file or link where banlib keeps its partial folder", fix=fix)
    if folder.exists() and made_by(folder) != kind:
        raise NotOurs(file=folder, what=f"is in the place of banlib {kind}'s partial folder, but banlib did not "
                                        f"make it (no .banlib/made.json), so it is not deleted", fix=fix)


# ------------------------------------------------------------------------------------------- locks
def lock_path(out: str | os.PathLike) -> Path:
    """The lock file of output folder ``out``: ``<out>.banlib-lock`` beside it."""
    out = Path(os.path.abspath(out))
    return out.with_name(out.name + LOCK_SUFFIX)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _holder(text: str) -> dict:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


@contextmanager
def output_lock(out: str | os.PathLike, command: str):
    """Hold the lock of output folder ``out`` while the block runs (see the module docstring).

    Parameters
    ----------
    out : the output folder (it need not exist yet)
    command : what this process is doing, written into the lock for the message a second run prints

    Raises
    ------
    Locked
        at once when another process holds the lock, naming its process id and command.
    """
    path = lock_path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            holder = _holder(Path(path).read_text(errors="replace")) if path.exists() else {}
            os.close(fd)
            if err.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            pid = holder.get("pid", "?")
            raise Locked(file=Path(os.path.abspath(out)),
                         what=f"another banlib run is writing it: process {pid} "
                              f"({holder.get('command', 'command unknown')}), lock {path}",
                         fix=f"wait for it to finish, or stop it (kill {pid}) and run again") from None
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)                  # the holder removed the file as we opened it: lock the new one
    former = _holder(os.pread(fd, 65536, 0).decode(errors="replace"))
    if former.get("pid") and former.get("pid") != os.getpid():
        state = "no longer running" if not _alive(int(former["pid"])) else "no longer holding it"
        print(f"{path}: a lock left by process {former['pid']} ({former.get('command', '?')}), {state}, "
              f"was taken over", file=sys.stderr, flush=True)
    record = json.dumps({"pid": os.getpid(), "command": command, "host": socket.gethostname(),
                         "started": time.strftime("%Y-%m-%dT%H:%M:%S")}) + "\n"
    os.ftruncate(fd, 0)
    os.pwrite(fd, record.encode(), 0)
    try:
        yield path
    finally:
        try:
            os.unlink(path)
        finally:
            os.close(fd)
