"""Writing a file so that an interruption leaves the former file, or none, never half of one: the content goes
to a temporary name beside it, renamed onto the file once complete."""
from __future__ import annotations

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
