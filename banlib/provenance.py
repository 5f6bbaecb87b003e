"""Where a number came from: data source, banlib version, git commit.

The commit is asked of git first. When git refuses the checkout (run as another user than its owner, git
answers "detected dubious ownership" unless ``safe.directory`` allows it) or is not installed, the commit is
read from the repository's files directly (``.git/HEAD``, the ref it names, loose or in ``packed-refs``; a
worktree's ``.git`` file and ``commondir`` are followed): the commit is then right, but whether the checkout
has uncommitted changes cannot be told, and the commit is marked ``+unchecked``. :func:`commit_note` says so in
a sentence for the page; a run that cannot name its commit at all says that instead of a silent ``unknown``.
"""
from __future__ import annotations

import functools
import re
import subprocess
from pathlib import Path

from . import __version__

REPO = Path(__file__).resolve().parent.parent
UNCHECKED = "+unchecked"
_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


def git_dir(repo: str | Path) -> Path | None:
    """The git directory of ``repo``: ``repo/.git``, or the folder a worktree's ``.git`` file points to."""
    dot = Path(repo) / ".git"
    if dot.is_dir():
        return dot
    if dot.is_file():
        text = dot.read_text(errors="replace").strip()
        if text.startswith("gitdir:"):
            target = Path(text[len("gitdir:"):].strip())
            target = target if target.is_absolute() else (Path(repo) / target)
            return target if target.is_dir() else None
    return None


def read_head(repo: str | Path) -> str | None:
    """The commit (full hex) ``repo``'s HEAD points to, read from the files of its git directory without
    running git; None when it cannot be read."""
    gd = git_dir(repo)
    if gd is None:
        return None
    try:
        common = gd
        if (gd / "commondir").is_file():
            common = (gd / (gd / "commondir").read_text().strip()).resolve()
        head = (gd / "HEAD").read_text().strip()
        if _SHA.match(head):
            return head
        if not head.startswith("ref:"):
            return None
        ref = head[len("ref:"):].strip()
        for folder in (gd, common):
            loose = folder / ref
            if loose.is_file():
                sha = loose.read_text().strip()
                return sha if _SHA.match(sha) else None
        packed = common / "packed-refs"
        if packed.is_file():
            for line in packed.read_text().splitlines():
                parts = line.split()
                if len(parts) == 2 and parts[1] == ref and _SHA.match(parts[0]):
                    return parts[0]
    except OSError:
        return None
    return None


def _ask_git(repo: Path) -> tuple[str | None, str]:
    """``(short commit with +dirty, "")`` from git, or ``(None, why git did not answer)``."""
    try:
        proc = subprocess.run(["git", "rev-parse", "--short=10", "HEAD"], cwd=repo, capture_output=True, text=True)
    except OSError as err:
        return None, f"git cannot be run ({err.strerror})"
    if proc.returncode != 0:
        first = next((ln.strip() for ln in proc.stderr.splitlines() if ln.strip()), f"exit {proc.returncode}")
        return None, f"git refused to read it ({first.removeprefix('fatal: ')})"
    sha = proc.stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo,
                           capture_output=True, text=True)
    if dirty.returncode != 0:
        return sha + UNCHECKED, "git status failed, so uncommitted changes could not be checked"
    return sha + ("+dirty" if dirty.stdout.strip() else ""), ""


@functools.lru_cache(maxsize=8)
def _commit(repo: Path) -> tuple[str, str]:
    commit, why = _ask_git(repo)
    if commit is not None:
        return commit, (f"The code's commit {commit} was named by git, but {why}." if why else "")
    sha = read_head(repo)
    if sha is not None:
        return (sha[:10] + UNCHECKED,
                f"The code's commit {sha[:10]} was read from {repo}/.git directly: {why}, so whether the checkout had "
                f"uncommitted changes could not be checked.")
    return "unknown", (f"This run cannot name the code's commit: {repo} is not a git checkout that could be read "
                       f"({why}).")


def git_commit(repo: str | Path = REPO) -> str:
    """Commit of the banlib checkout: ``<10 hex>``, ``+dirty`` when it has uncommitted changes, ``+unchecked`` when
    git refused the checkout and the commit was read from ``.git`` directly (:func:`read_head`), ``unknown`` when
    neither works (:func:`commit_note` says why)."""
    return _commit(Path(repo))[0]


def commit_note(repo: str | Path = REPO) -> str:
    """A sentence saying why :func:`git_commit` is ``+unchecked`` or ``unknown``; empty when git named it."""
    return _commit(Path(repo))[1]


def stamp(source_label: str) -> str:
    """One line for figure footers and result files."""
    return f"{source_label} | banlib {__version__} @ {git_commit()}"
