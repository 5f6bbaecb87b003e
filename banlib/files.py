"""Writing a file so that an interruption leaves the former file, or none, never half of one: the content goes
to a temporary name beside it, renamed onto the file once complete."""
from __future__ import annotations

import errno
import hashlib
import os
from contextlib import contextmanager
from pathlib import Path

import numpy as np


def _extension(path: Path) -> str:
    return ".nii.gz" if path.name.endswith(".nii.gz") else path.suffix


@contextmanager
def replacing(path: str | Path, mark: str = ".partial", keep_extension: bool = False):
    """The temporary path to write ``path``'s new content to (its folder made if needed): renamed onto
    ``path`` when the block ends, removed when it raises. The temporary name is ``<name><mark>``, or with
    ``keep_extension`` ``<stem><mark><extension>``, for writers that choose the format by the extension
    (``np.savez`` adds ``.npz`` to any other name, nibabel reads ``.nii``/``.nii.gz``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ext = _extension(path)
    tmp = path.with_name(path.name[:len(path.name) - len(ext)] + mark + ext if keep_extension else path.name + mark)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path: str | Path, text: str, mark: str = ".partial") -> None:
    """``path.write_text(text)`` (UTF-8), atomically (:func:`replacing`)."""
    with replacing(path, mark) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes(path: str | Path, data: bytes) -> None:
    """``path.write_bytes(data)``, atomically (:func:`replacing`)."""
    with replacing(path) as tmp:
        tmp.write_bytes(data)


def save_npz(path: str | Path, **arrays: np.ndarray) -> None:
    """``np.savez(path, **arrays)`` (uncompressed), atomically (:func:`replacing`)."""
    with replacing(path, keep_extension=True) as tmp:
        np.savez(tmp, **arrays)


def save_npy(path: str | Path, array: np.ndarray) -> None:
    """One array as ``.npy`` (never pickled), atomically (:func:`replacing`)."""
    with replacing(path) as tmp, open(tmp, "wb") as f:
        np.lib.format.write_array(f, np.ascontiguousarray(array), allow_pickle=False)


def annex_key(path: str | Path) -> str | None:
    """The git-annex key a locked annexed file links to (``MD5E-s<bytes>--<md5>.<ext>``), whether or not its
    content is here; None for any other file."""
    path = Path(path)
    if not path.is_symlink():
        return None
    target = os.readlink(path).replace(os.sep, "/")
    key = target.rsplit("/", 1)[-1]
    return key if "annex/objects/" in target and "--" in key else None


def key_size(key: str) -> int | None:
    """Bytes of the content a git-annex key names (its ``s<bytes>`` field), or None when it has none."""
    fields = key.split("--", 1)[0].split("-")[1:]
    return next((int(f[1:]) for f in fields if f.startswith("s") and f[1:].isdigit()), None)


def annex_md5(path: str | Path) -> str | None:
    """The md5 (hex) of a locked git-annex file, taken from its MD5E/MD5 key (:func:`annex_key`) without reading
    the content; None for any other file or key backend, or when the object's size is not the key's (content
    written over behind git-annex's back: then it must be read). git-annex computed the key from the content
    when it stored the object, and keeps the object read-only."""
    key = annex_key(path)
    if key is None or not key.startswith(("MD5E-", "MD5-")):
        return None
    size = key_size(key)
    if size is not None and Path(path).exists() and Path(path).stat().st_size != size:
        return None
    return key.split("--", 1)[1].split(".", 1)[0]


def is_annex_pointer(path: str | Path) -> bool:
    """True for a git-annex pointer file: what an unlocked file (an adjusted branch, or a file system without
    symlinks) holds in place of content that is not here, one line ``/annex/objects/<key>``."""
    path = Path(path)
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > 1024:
            return False
        with open(path, "rb") as fh:
            return fh.read(15) == b"/annex/objects/"
    except OSError:
        return False


def content_md5(path: str | Path) -> str:
    """md5 (hex) of a file's content: from its git-annex key when it has one (:func:`annex_md5`), else read.
    The same content gives the same value whether the file is annexed, unlocked or a plain copy. Raises
    FileNotFoundError for an annexed file whose content is not here."""
    path = Path(path)
    if not path.exists() or is_annex_pointer(path):
        raise FileNotFoundError(errno.ENOENT, "no content here (an annexed file not fetched?)", str(path))
    from_key = annex_md5(path)
    if from_key is not None:
        return from_key
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "md5").hexdigest()
