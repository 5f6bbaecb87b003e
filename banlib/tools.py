"""The command-line programs installed beside this interpreter: datalad, git-annex, jupyter-book,
banlib. A virtual environment that is not activated has them in its ``bin`` but not on PATH."""
from __future__ import annotations

import os
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def environment(base: dict | None = None) -> dict:
    """``base`` (default: this process's environment) with :data:`BIN` first on PATH."""
    env = dict(os.environ if base is None else base)
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")
    return env


def program(name: str) -> str:
    """Path of ``name`` in :data:`BIN` when it is there, else the bare name (looked up on PATH)."""
    path = BIN / name
    return str(path) if path.exists() else name
