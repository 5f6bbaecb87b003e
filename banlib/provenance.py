"""Where a number came from: data source, banlib version, git commit."""
from __future__ import annotations

import functools
import subprocess
from pathlib import Path

from . import __version__

REPO = Path(__file__).resolve().parent.parent


@functools.lru_cache(maxsize=1)
def git_commit() -> str:
    """Commit of the banlib checkout (``+dirty`` when it has uncommitted changes)."""
    try:
        sha = subprocess.run(["git", "rev-parse", "--short=10", "HEAD"], cwd=REPO, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True).stdout.strip()
        return sha + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def stamp(source_label: str) -> str:
    """One line for figure footers and result files."""
    return f"{source_label} | banlib {__version__} @ {git_commit()}"
