"""The one base class of the conditions banlib knows how to name: a file that is missing, malformed or not
banlib's, an argument out of range, a download that does not match its checksum, a notebook that failed.

Every such condition is a :class:`BanlibError` (the module-specific classes, ``FetchError``, ``DataError``,
``EventsError``, ``NotebookFailed``, ``CompareError`` ..., derive from it), and the ``banlib`` command catches it
in one place and prints it as one line on stderr, exit status 2::

    error: <file>: <what> — <fix>

(``banlib --debug ...`` shows the traceback instead). An exception that is not a :class:`BanlibError` is a bug,
and keeps its traceback.
"""
from __future__ import annotations

import os


class BanlibError(Exception):
    """A known condition, with the file (or argument) it concerns, what is wrong and the fix.

    Raise it with one message (``"<file>: <what> — <fix>"``, as the older subclasses do) or with the parts
    ``file=``, ``what=``, ``fix=``, from which the message is composed in that form.
    """

    def __init__(self, message: str | None = None, *, file: str | os.PathLike | None = None,
                 what: str | None = None, fix: str | None = None):
        if message is None:
            message = (f"{file}: " if file is not None else "") + (what or "failed") + (f" — {fix}" if fix else "")
        super().__init__(message)
        self.file = None if file is None else str(file)
        self.what = what
        self.fix = fix


class UsageError(BanlibError):
    """An argument that cannot be used (out of range, malformed, naming something that is not there); raised
    before any work is done."""


def error_line(err: BaseException) -> str:
    """The one ``error: ...`` line the command prints for ``err``: its message with any line breaks joined, so
    that a message written over several lines stays one line; an indented line (a command to copy) is kept
    whole between backticks."""
    parts = []
    lines = [ln for ln in str(err).splitlines() if ln.strip()]
    for i, line in enumerate(lines):
        if line.startswith((" ", "\t")) and i:
            parts.append(f"`{line.strip()}`" + ("." if i + 1 < len(lines) else ""))
        else:
            parts.append(line.strip())
    return f"error: {' '.join(parts) or type(err).__name__}"
