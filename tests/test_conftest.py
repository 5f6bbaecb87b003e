"""The test session's own scheduling (tests/conftest.py): lowering the priority while the book runs in the
background must not outlive the session."""
import subprocess
import sys
from pathlib import Path

import pytest

from banlib.files import write_text
from conftest import AUTOGROUP, REPO

PROBE = """
import os, sys
sys.path.insert(0, "tests")
import conftest
group = conftest.AUTOGROUP
restore = conftest._lower_priority()
print(group.read_text().split()[-1], os.getpriority(os.PRIO_PROCESS, 0))
restore()
print(group.read_text().split()[-1])
"""


def test_the_session_group_gets_its_priority_back():
    if not AUTOGROUP.exists():
        pytest.skip(f"{AUTOGROUP} not found: no Linux autogroups here, so nothing is lowered beyond this process")
    # setsid: a session (and so a scheduler group) of its own, not the one this test runs in
    out = subprocess.run(["setsid", sys.executable, "-c", PROBE], cwd=REPO, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["19", "19", "0"]


def _books(tmp_path, monkeypatch):
    """tests/background_books.py with its books' folders under ``tmp_path``."""
    import background_books as bg

    monkeypatch.setattr(bg, "OUT", {step: tmp_path / "build" / f"book-{step}" for step in bg.OUT})
    return bg


def _run_books(bg, tmp_path, banlib_script: str) -> Path:
    """Runs the quick and the real-route book with ``banlib_script`` (sh) standing in for ``banlib``, the
    real-route data offered as fetched; returns the books' state folder."""
    fake = tmp_path / "banlib"
    fake.write_text(banlib_script)
    fake.chmod(0o755)
    state = tmp_path / "state"
    state.mkdir(exist_ok=True)
    write_text(bg.ready_path(state, "real"), '{"data_dir": "/fetched"}')
    bg.main(str(fake), state, "/twin", ["quick", "real"])
    return state


def _quick_book_outputs(bg) -> list[str]:
    """Makes the folders the real-route book reuses from the quick book; returns them, relative to it."""
    reused = ["checkpoints", *(f".scratch/{c}" for c in bg.REUSED_SCRATCH)]
    for cached in reused:
        (bg.OUT["quick"] / cached).mkdir(parents=True)
    return reused


def test_background_books_run_in_order_and_a_failed_book_stops_the_ones_that_read_it(tmp_path, monkeypatch):
    bg = _books(tmp_path, monkeypatch)
    script = '#!/bin/sh\necho "threads=$OMP_NUM_THREADS $@" >> "$(dirname "$0")/calls"\ncase "$*" in *openneuro*) exit 0;; *) exit 3;; esac\n'
    state = _run_books(bg, tmp_path, script)
    assert [bg.exit_path(state, s).read_text() for s in ("quick", "real")] == ["3", "1"]
    calls = (tmp_path / "calls").read_text().splitlines()
    assert len(calls) == 1 and "--data-source twin" in calls[0] and "--data-dir /twin" in calls[0]
    assert calls[0].startswith("threads=1 ")          # one thread outside training, whatever the session has
    assert "quick, failed" in bg.log_path("real").read_text()
    # with the quick book built, the real-route book reads what the session released, in a fresh folder
    _quick_book_outputs(bg)
    (bg.OUT["real"] / "stale").mkdir(parents=True)
    _run_books(bg, tmp_path, script.replace("exit 3", "exit 0"))
    assert [bg.exit_path(state, s).read_text() for s in ("quick", "real")] == ["0", "0"]
    assert "--data-source openneuro" in (tmp_path / "calls").read_text().splitlines()[-1]
    assert "--data-dir /fetched" in (tmp_path / "calls").read_text().splitlines()[-1]
    assert sorted(p.name for p in bg.OUT["real"].iterdir()) == [".banlib", ".scratch", "checkpoints"]   # + banlib's stamp


def test_no_books_means_a_clear_failure_and_nothing_else():
    from conftest import Books

    books = Books(None, ())
    books.offer("real", "/fetched")
    books.release("real")
    books.check_done()
    with pytest.raises(pytest.fail.Exception, match="built_book requested by a test the session did not collect"):
        books.wait("quick")


def test_the_threads_come_back_once_after_the_books():
    from conftest import Books

    calls = []
    proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    books = Books(proc, ("quick",), when_done=lambda: calls.append(1))
    books.check_done()
    assert calls == []                      # still running
    proc.communicate(b"")
    books.check_done()
    books.check_done()
    assert calls == [1]


def test_the_real_route_book_starts_once_the_quick_book_has_what_it_reuses(tmp_path, monkeypatch):
    """The real-route book reads the quick book's networks, responses and predictions, all there after chapter
    04: it starts then, beside the quick book's last chapters, not after the whole book."""
    bg = _books(tmp_path, monkeypatch)
    _quick_book_outputs(bg)
    # the quick book logs its chapter 04 as the runner does, then ends only once the real-route book has started
    state = _run_books(bg, tmp_path, '#!/bin/sh\nd="$(dirname "$0")"\ncase "$*" in\n'
                       '  *openneuro*) touch "$d/real-started"; exit 0;;\n'
                       '  *) printf "  03_train_ban: 2 s\\n"; sleep 1; printf "  04_confusion_bas: 1 s\\n"; i=0\n'
                       '     while [ ! -e "$d/real-started" ] && [ $i -lt 150 ]; do sleep 0.1; i=$((i+1)); done\n'
                       '     [ -e "$d/real-started" ] || exit 5;;\nesac\n')
    assert [bg.exit_path(state, s).read_text() for s in ("quick", "real")] == ["0", "0"]
    assert bg.chapter_done("quick", "04_confusion_bas") and not bg.chapter_done("quick", "05_table2")
    assert not bg.chapter_done("quick", "04_confusion")                   # a whole chapter name, not a prefix


def test_the_real_route_book_copies_only_finished_files_of_the_quick_book(tmp_path, monkeypatch):
    """The quick book may still be writing when the real-route book starts: a file in the making may be renamed
    away mid-copy, so it is never copied (only whole files are)."""
    bg = _books(tmp_path, monkeypatch)
    quick = bg.OUT["quick"]
    reused = _quick_book_outputs(bg)
    for cached in reused:
        (quick / cached / "done.npz").write_bytes(b"1")
    (quick / "checkpoints" / "ban_seed1.pt.tmp").write_bytes(b"half")
    (quick / ".scratch" / bg.REUSED_SCRATCH[0] / "next.partial.npz").write_bytes(b"half")
    bg._prepare("real")
    copied = sorted(p.relative_to(bg.OUT["real"]).as_posix() for p in bg.OUT["real"].rglob("*") if p.is_file())
    assert copied == sorted([*(f"{c}/done.npz" for c in reused), ".banlib/made.json"])       # + banlib's stamp
