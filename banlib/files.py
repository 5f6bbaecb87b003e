"""Writing a file so that an interruption leaves the former file, or none, never half of one: the content goes
to a temporary name beside it, renamed onto the file once complete. Reading the files banlib writes strictly:
results files (:func:`read_results`: strict JSON, no NaN, no infinity, no number out of range such as
``1e999``, no key twice, and a completion marker) and ``.npy`` arrays (:func:`load_array`: an empty or damaged
file is named)."""
from __future__ import annotations

import errno
import hashlib
import json
import math
import os
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .errors import BanlibError

#: Results files this process is writing now (resolved paths, as strings): a notebook's own results file is
#: incomplete while it runs, and a reader in the same process (the scorecard reading the build's results) leaves
#: that one out instead of refusing it (:func:`results_in_progress`).
_WRITING: set[str] = set()


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


# ----------------------------------------------------------------------------- strict reading
class StrictJSONError(BanlibError):
    """A JSON file that is not strict JSON (NaN, infinity, a number out of range, a key twice, not UTF-8)."""


class ResultsError(StrictJSONError):
    """A results file that cannot be used: not strict JSON, not a results file, or incomplete."""


class IncompleteResults(ResultsError):
    """A results file whose notebook did not finish (no ``"complete": true``)."""


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number in strict JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text} is out of range (it would be read as infinity)")
    return value


def _unique(pairs: list) -> dict:
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"the key {key!r} appears twice in one object")
        seen[key] = value
    return seen


def loads_strict(text: str, where: str) -> object:
    """Parse strict JSON: ``NaN``, ``Infinity``, a number out of the float range (``1e999``) and a key repeated
    in one object are errors, where Python's ``json`` reads them leniently (the last key wins).

    Raises
    ------
    StrictJSONError
        naming ``where`` (the file or URL), the line and what is wrong.
    """
    try:
        return json.loads(text, parse_constant=_no_constant, parse_float=_finite, object_pairs_hook=_unique)
    except json.JSONDecodeError as err:
        raise StrictJSONError(file=where, what=f"not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})",
                              fix="write it again with the program that made it") from None
    except ValueError as err:
        raise StrictJSONError(file=where, what=f"not strict JSON: {err}",
                              fix="write it again with the program that made it") from None


def read_json_strict(path: str | os.PathLike) -> object:
    """A JSON file read with :func:`loads_strict` (UTF-8; a file that is not names its byte offset)."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise StrictJSONError(file=path, what=f"not UTF-8 (byte {err.start})",
                              fix="write it again with the program that made it") from None
    return loads_strict(text, str(path))


def results_in_progress(path: str | os.PathLike, writing: bool = True) -> None:
    """Mark ``path`` as the results file this process is writing now (``writing=False``: no longer)."""
    key = str(Path(path).resolve())
    (_WRITING.add if writing else _WRITING.discard)(key)


def is_in_progress(path: str | os.PathLike) -> bool:
    """Whether this process is writing the results file ``path`` now (:func:`results_in_progress`)."""
    return str(Path(path).resolve()) in _WRITING


def check_results(data: object, where: str, require_complete: bool = True) -> dict:
    """``data`` (a parsed results file) when it is a results file: an object with a ``notebook`` name and a
    ``values`` object, and (``require_complete``) the completion marker ``"complete": true`` that the notebook
    runner adds once the notebook ran to its end.

    Raises
    ------
    ResultsError
        naming ``where`` when it is not a results file; :class:`IncompleteResults` when it is incomplete.
    """
    if not isinstance(data, dict) or not isinstance(data.get("values"), dict):
        raise ResultsError(file=where, what="not a banlib results file (no 'values' object)",
                           fix="give the results/ folder of a book build (banlib book --out DIR)")
    if require_complete and data.get("complete") is not True:
        notebook = data.get("notebook") or Path(str(where)).stem
        raise IncompleteResults(file=where, what="incomplete: its notebook did not run to its end (no completion "
                                                 "marker \"complete\": true)",
                                fix=f"run that chapter again (banlib book --only {notebook} --out BUILD)")
    return data


def read_results(path: str | os.PathLike, require_complete: bool = True) -> dict:
    """One results file (``<build>/results/<notebook>.json``), read strictly (:func:`read_json_strict`) and
    checked (:func:`check_results`). The one reader of results files: the scorecard, the landing page,
    ``banlib compare`` and the site all read through it."""
    return check_results(read_json_strict(path), str(path), require_complete)


def load_array(path: str | os.PathLike, what: str, fix: str, mmap_mode: str | None = None,
               error: type[BanlibError] = BanlibError):
    """``np.load(path, allow_pickle=False)`` with every way a file can fail named: empty (zero bytes), cut short,
    not an ``.npy``/``.npz`` file, or pickled.

    Parameters
    ----------
    path : the file
    what : what the file is, for the message (``"response matrix"``)
    fix : how to get a good copy, for the message
    mmap_mode : passed to :func:`numpy.load`
    error : the :class:`~banlib.errors.BanlibError` subclass to raise (a reader's own, e.g. ``DataError``)

    Raises
    ------
    BanlibError
        (``error``) naming the file, what is wrong and ``fix``.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as err:
        raise error(file=path, what=f"the {what} cannot be opened ({err.strerror})", fix=fix) from None
    if size == 0:
        raise error(file=path, what=f"the {what} is empty (0 bytes)", fix=fix)
    try:
        return np.load(path, mmap_mode=mmap_mode, allow_pickle=False)
    except (ValueError, EOFError, OSError) as err:
        raise error(file=path, what=f"the {what} is not a plain .npy/.npz array that can be read ({err})", fix=fix) from None
