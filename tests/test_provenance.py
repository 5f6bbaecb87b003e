"""The code's commit when git refuses the checkout: simulated with a ``git`` on PATH that answers as git does for
a repository another user owns (exit 128, "detected dubious ownership"), never by changing file owners."""
import os
import subprocess
from pathlib import Path

import pytest

from banlib import provenance

REFUSING_GIT = """#!/bin/sh
echo "fatal: detected dubious ownership in repository at '$PWD'" >&2
echo "To add an exception for this directory, call:" >&2
exit 128
"""


def _clear():
    for f in (getattr(provenance, "_commit", None), provenance.git_commit):
        if hasattr(f, "cache_clear"):
            f.cache_clear()


@pytest.fixture
def refusing_git(tmp_path, monkeypatch):
    """git on PATH refuses every repository, as for a checkout owned by another user; yields the commit the real
    git gives for the banlib checkout."""
    real = subprocess.run(["git", "-C", str(provenance.REPO), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    fake = tmp_path / "fakebin"
    fake.mkdir()
    (fake / "git").write_text(REFUSING_GIT)
    (fake / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    _clear()
    yield real
    _clear()


def _git(repo, *args) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True,
                          env=dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
                                   GIT_COMMITTER_EMAIL="t@t")).stdout.strip()


@pytest.fixture
def repo(tmp_path):
    r = tmp_path / "repo"
    r.mkdir()
    _git(r, "init", "-q", "-b", "main")
    (r / "a.txt").write_text("a")
    _git(r, "add", "a.txt")
    _git(r, "commit", "-qm", "one")
    return r


def test_the_checkouts_commit_is_read_from_git_when_git_refuses_it(refusing_git):
    assert provenance.git_commit() == refusing_git[:10] + "+unchecked"
    assert "dubious ownership" in provenance.commit_note() and "could not be checked" in provenance.commit_note()


def test_head_is_read_loose_packed_detached_and_from_a_worktree(repo, tmp_path):
    head = _git(repo, "rev-parse", "HEAD")
    assert provenance.read_head(repo) == head                          # refs/heads/main, loose
    _git(repo, "pack-refs", "--all")
    assert not (repo / ".git" / "refs" / "heads" / "main").exists()
    assert provenance.read_head(repo) == head                          # from packed-refs
    wt = tmp_path / "wt"
    _git(repo, "worktree", "add", "-q", "-b", "other", str(wt))
    assert (wt / ".git").is_file() and provenance.read_head(wt) == head
    _git(repo, "checkout", "-q", "--detach")
    assert provenance.read_head(repo) == head                          # HEAD holds the commit itself
    assert provenance.read_head(tmp_path) is None


def test_a_run_that_cannot_name_its_commit_says_why(repo, refusing_git, tmp_path):
    head = provenance.read_head(repo)
    assert provenance.git_commit(repo) == head[:10] + "+unchecked"
    plain = tmp_path / "installed"
    plain.mkdir()
    assert provenance.git_commit(plain) == "unknown"
    assert "cannot name the code's commit" in provenance.commit_note(plain)

