"""Each notebook run recorded with ``datalad run``, so ``datalad rerun`` repeats it.

The runner's output folder (``build/``) is a DataLad dataset. A notebook run is one commit in it,
``[DATALAD RUNCMD] <notebook> ...``, whose record holds the command (``banlib notebook ...`` with
the data source, profile, seed and paths), the inputs (what earlier notebooks wrote and this one
reads: results, ROI masks, checkpoints) and the outputs (its executed notebook, results, figures).
The notebook source and the data live outside this dataset: the command names them by path, and
the results JSON records the code commit and the data version beside every number.

Text (executed notebooks, JSON, SVG) goes to git; binaries (PNG, checkpoints, masks) to git-annex,
added unlocked so that a later run can overwrite them in place.
"""
from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
from pathlib import Path

from .. import tools
from ..errors import BanlibError

# Never committed: the staged book source and the HTML (rebuilt from the recorded outputs).
# Nor the scratch folder: resume state of an interrupted training (optimiser moments), deleted when it completes,
# and the responses and predictions later chapters read again (keyed by weights and spectrograms; Pipeline).
IGNORED = ("_build/", "site/", "*.tmp", ".ipynb_checkpoints/", "__pycache__/", ".scratch/")


class RecordError(BanlibError, RuntimeError):
    """A notebook run could not be recorded with ``datalad run``."""
    pass


@contextlib.contextmanager
def _this_environment():
    """DataLad starts git-annex and the recorded ``banlib`` from PATH: put ours first meanwhile."""
    old = dict(os.environ)
    os.environ.update(tools.environment())
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(old)


def git(out: str | Path, *args: str) -> str:
    """``git -C out args`` (with git-annex reachable); its stdout."""
    return subprocess.run(["git", "-C", str(out), *args], capture_output=True, text=True, check=True,
                          env=tools.environment()).stdout


def is_dataset(out: str | Path) -> bool:
    """Whether ``out`` is a DataLad dataset."""
    return (Path(out) / ".datalad" / "config").is_file()


def ensure_dataset(out: str | Path) -> Path:
    """Make ``out`` a DataLad dataset (once); anything already in it is saved as the starting state."""
    import datalad.api as dl

    out = Path(out).absolute()
    if is_dataset(out):
        return out
    out.mkdir(parents=True, exist_ok=True)
    with _this_environment():
        dl.create(path=str(out), force=True, cfg_proc=["text2git"], result_renderer="disabled")
        git(out, "config", "annex.addunlocked", "true")
        (out / ".gitignore").write_text("# banlib book: rebuilt from the recorded outputs\n"
                                        + "\n".join(IGNORED) + "\n")
        dl.save(dataset=str(out), message="banlib book: outputs present before runs were recorded",
                result_renderer="disabled")
    return out


def notebook_number(nb: str | Path) -> str:
    """``03`` for ``03_train_ban.ipynb``."""
    return Path(nb).name[:2]


def outputs(nb: Path) -> list[str]:
    """What a notebook run may write, relative to the output dataset (globs allowed)."""
    return [f"notebooks/{nb.name}", f"results/{notebook_number(nb)}_*", "figures/*", "checkpoints/*"]


def inputs(nb: Path, chapters: list[Path], out: Path | None = None) -> list[str]:
    """What the chapters before ``nb`` wrote that it may read (results, ROI masks, checkpoints).
    With ``out``, only the patterns that match something there (DataLad refuses empty inputs)."""
    got = [f"results/{notebook_number(e)}_*" for e in chapters if notebook_number(e) < notebook_number(nb)]
    got += ["checkpoints/*"] if got else []
    return [g for g in got if out is None or any(Path(out).glob(g))]


def command(nb: Path, out: Path, parameters: dict) -> str:
    """The shell command recorded for one notebook run, with paths relative to ``out``."""
    rel = lambda p: os.path.relpath(Path(p).absolute(), out)   # noqa: E731
    words = ["banlib", "notebook", rel(nb), "--data-source", parameters["data_source"],
             "--profile", parameters["profile"], "--seed", str(parameters["seed"])]
    if "grid_widths" in parameters:
        words += ["--grid-widths", parameters["grid_widths"]]
    words += ["--data-dir", rel(parameters["data_dir"]), "--out", "."]
    # datalad run formats the command with str.format: literal braces must be doubled
    return " ".join(shlex.quote(w) for w in words).replace("{", "{{").replace("}", "}}")


def record_run(nb: Path, out: Path, parameters: dict, chapters: list[Path]) -> str:
    """Run one notebook through ``datalad run`` in ``out``; return the commit it made. ``chapters``:
    every notebook of the book; what those before ``nb`` wrote is recorded as its inputs.

    Raises :class:`RecordError` when the command fails (its own message is printed above)."""
    import datalad.api as dl
    from datalad.support.exceptions import IncompleteResultsError

    out = Path(out).absolute()
    message = (f"{nb.stem}: {parameters['data_source']}, profile {parameters['profile']}, "
               f"seed {parameters['seed']}")
    with _this_environment():
        try:
            # a Dataset object, not a path: inputs and outputs are then relative to its root
            # on_failure="stop": a failed command ends the run before DataLad saves anything
            results = dl.run(command(nb, out, parameters), dataset=dl.Dataset(str(out)), message=message,
                             inputs=inputs(nb, chapters, out), outputs=outputs(nb), explicit=True,
                             on_failure="stop", result_renderer="disabled", return_type="list")
        except IncompleteResultsError as err:
            results = err.failed
    failed = [r for r in results if r.get("status") in ("error", "impossible")]
    if failed:
        why = "; ".join(f"{r.get('action')}: {_text(r.get('message')) or r.get('path')}" for r in failed)
        raise RecordError(f"datalad run of {nb.name} failed ({why}); the partial outputs are left in {out} "
                          f"(datalad status -d {out} lists them)")
    return git(out, "rev-parse", "HEAD").strip()


def _text(message) -> str:
    """DataLad result messages are strings or ``(format, *args)`` tuples."""
    if isinstance(message, (tuple, list)) and message:
        try:
            return str(message[0]) % tuple(message[1:])
        except (TypeError, ValueError):
            return " ".join(map(str, message))
    return str(message or "")


def runs(out: str | Path) -> list[dict]:
    """The notebook runs recorded in ``out``, oldest first: commit, message and the run record."""
    import json

    log = git(Path(out), "log", "--reverse", "--format=%H%x00%B%x01")
    found = []
    for entry in log.split("\x01"):
        if "\x00" not in entry:
            continue
        sha, body = entry.strip().split("\x00", 1)
        if "[DATALAD RUNCMD]" not in body:
            continue
        head, _, rest = body.partition("=== Do not change lines below ===")
        record = json.loads(rest.partition("^^^ Do not change lines above ^^^")[0])
        found.append({"commit": sha, "message": head.replace("[DATALAD RUNCMD]", "").strip(), **record})
    return found


def rerun(out: str | Path, commit: str) -> list[dict]:
    """``datalad rerun <commit>`` in ``out``: run the recorded command again, save what changed."""
    import datalad.api as dl

    with _this_environment():
        return dl.rerun(revision=commit, dataset=dl.Dataset(str(Path(out).absolute())),
                        result_renderer="disabled", return_type="list")
