"""The books the tests read, built in one background process (started by ``conftest.py``).

    python tests/background_books.py BANLIB STATE_DIR DATA_DIR STEP...

``STEP`` is ``quick`` (the whole book on the quick twin, ``build/test-book``), ``real`` (the book on the
fetched mirror of the real delivery, ``build/test-book-real``, reusing the quick book's networks and
responses) or ``located`` (chapter 05 again on the mirror with coordinates recovered,
``build/test-book-located``). A step after ``quick`` starts once the test session has written
``STATE_DIR/<step>.ready`` (JSON: the data folder it reads) and the step before it has succeeded, or has
finished the chapter after which it holds what this step reads (:data:`START_AFTER`). Each step logs to
``build/<book>.log`` and writes its exit code to ``STATE_DIR/<step>.exit``; a step whose input step failed
writes 1 without running.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path

from banlib.files import write_text
from banlib.paths import stamp

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / "build"
STEPS = ("quick", "real", "located")        # the order the books are built in; each reads the one before it
OUT = {"quick": BUILD / "test-book", "real": BUILD / "test-book-real", "located": BUILD / "test-book-located"}
BEFORE = dict(zip(STEPS[1:], STEPS))
# A book may start before the one it reads is done, once that one has written what it reads: the real-route
# book reuses the quick book's checkpoints (chapter 03), responses (04) and predictions (03), so it runs beside
# the quick book's last chapters and HTML build; chapter 05 on located data copies the whole real-route book.
START_AFTER = {"real": "04_confusion_bas"}

REUSED_SCRATCH = ("responses", "predictions")     # what the real-route book takes from the quick book's .scratch
NOT_RECORDED = ["--no-html", "--no-record"]
# One thread outside training (which pins its own, banlib.config.TRAIN_THREADS): the tests take the other core,
# and a two-thread parallel region of a small operation then waits for it. With the other core busy, the
# log-mel of 40 tracks took 4.4 s at 2 threads against 0.4 s at 1, an untrained BAN's forward pass 1.7 s
# against 0.3 s. Not every output is the same bits: the log-mel and a cross-validated ridge fit are, but the
# trained BAN's PB and T2/T3 responses differ by up to 3e-6 (README, "make test").
ONE_THREAD = dict.fromkeys(("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                            "ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS"), "1")


def steps_for(needed) -> tuple[str, ...]:
    """The steps to run for the books ``needed``: each of them and every book it reads."""
    return STEPS[:max(STEPS.index(s) for s in needed) + 1] if needed else ()


def log_path(step: str) -> Path:
    return OUT[step].with_name(OUT[step].name + ".log")


def exit_path(state: Path, step: str) -> Path:
    return state / f"{step}.exit"


def ready_path(state: Path, step: str) -> Path:
    return state / f"{step}.ready"


def _prepare(step: str) -> None:
    """A fresh output folder for a real-route book (the quick book's folder is kept: ``banlib book`` reuses
    what a previous session finished there)."""
    out = OUT[step]
    if step != "quick" and out.exists():
        shutil.rmtree(out)
    if step == "real":
        # the mirror's GTZAN and design are the twin's byte for byte: the quick book's networks (their
        # checkpoints record the training data's fingerprint), their responses to the stimuli and their
        # predictions on the held-out tracks and test clips (both keyed by the weights and the spectrograms)
        # are reused instead of being computed again
        # the quick book may still be writing: its files in the making (banlib.files.replacing's *.partial*,
        # the checkpoints' *.tmp) are left out, as they may be renamed away while the copy runs
        out.mkdir(parents=True)
        stamp(out, "book")                 # a book folder banlib made: `banlib book --out` goes on in it
        in_the_making = shutil.ignore_patterns("*.partial*", "*.tmp")
        shutil.copytree(OUT["quick"] / "checkpoints", out / "checkpoints", ignore=in_the_making)
        for cached in REUSED_SCRATCH:
            shutil.copytree(OUT["quick"] / ".scratch" / cached, out / ".scratch" / cached, ignore=in_the_making)
    elif step == "located":
        shutil.copytree(OUT["real"], out, ignore=shutil.ignore_patterns("notebooks", "_build", ".git*", ".datalad"))


def _arguments(step: str, data: str) -> list[str]:
    common = ["book", "--profile", "quick", "--seed", "0", "--out", str(OUT[step]), "--data-dir", data]
    if step == "quick":
        return [*common, "--data-source", "twin"]
    if step == "real":
        return [*common, "--data-source", "openneuro", *NOT_RECORDED]
    return [*common, "--data-source", "openneuro", "--only", "05_table2", *NOT_RECORDED]


def chapter_done(step: str, chapter: str) -> bool:
    """Whether the book ``step`` has finished ``chapter``: ``banlib book`` writes ``  <chapter>: <n> s`` to its
    log after each notebook (:func:`banlib.book.runner.run`). Another wording only costs time: the book that
    waits for it then starts when the whole book before it is done."""
    log = log_path(step)
    text = log.read_text(errors="replace") if log.exists() else ""
    return re.search(rf"(^|[\r\n]) *{re.escape(chapter)}: \d+ s *([\r\n]|$)", text) is not None


def _may_start(step: str, state: Path, codes: dict, running: dict) -> bool | None:
    """True: start ``step`` now; False: its input step failed, so it is not run; None: not yet."""
    if step == "quick":
        return True
    if not ready_path(state, step).exists():
        return None
    before = BEFORE[step]
    if before in codes:
        return codes[before] == 0
    if before in running and step in START_AFTER and chapter_done(before, START_AFTER[step]):
        return True
    return None


def _start(banlib: str, step: str, data: str):
    """The ``banlib book`` process of ``step`` with its log file, or None when preparing its folder failed
    (the error is in the log)."""
    log_path(step).parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path(step), "w")
    try:
        _prepare(step)
        log.flush()
        return subprocess.Popen([banlib, *_arguments(step, data)], cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env={**os.environ, **ONE_THREAD}), log
    except Exception:              # noqa: BLE001 -- reported in the step's log, read by the tests
        traceback.print_exc(file=log)
        log.close()
        return None


def main(banlib: str, state: Path, data: str, steps: list[str]) -> None:
    state.mkdir(parents=True, exist_ok=True)
    codes, running, pending = {}, {}, list(steps)

    def finish(step, code):
        codes[step] = code
        write_text(exit_path(state, step), str(code))

    while pending or running:
        for step, (proc, log) in list(running.items()):
            if proc.poll() is not None:
                log.close()
                del running[step]
                finish(step, proc.returncode)
        if pending:
            step = pending[0]
            go = _may_start(step, state, codes, running)
            if go is False:
                log_path(step).parent.mkdir(parents=True, exist_ok=True)
                log_path(step).write_text(f"not run: the step it reads from, {BEFORE[step]}, failed\n")
                finish(pending.pop(0), 1)
                continue
            if go:
                pending.pop(0)
                folder = data if step == "quick" else json.loads(ready_path(state, step).read_text())["data_dir"]
                started = _start(banlib, step, folder)
                if started is None:
                    finish(step, 1)
                else:
                    running[step] = started
                continue
        time.sleep(1)


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4:])
