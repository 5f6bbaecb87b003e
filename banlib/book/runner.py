"""``banlib book``: execute every notebook with papermill, collect results, build the HTML.

    banlib book --data-source twin --profile quick --seed 0 --out build

writes ``build/notebooks/<nb>.ipynb`` (executed), ``build/results/<nb>.json`` (key numbers),
``build/figures/`` and the HTML under ``build/_build/html``. ``build/`` is a DataLad dataset and
each notebook run a ``datalad run`` commit in it (:mod:`banlib.record`). Notebook sources are never
written to. A failing notebook stops the run, naming the notebook and the cell; its
partly executed copy is kept for inspection.
"""
from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from .. import tools
from ..errors import BanlibError, UsageError
from ..paths import check_out, made_by, output_lock, stamp
from ..provenance import REPO
from .results import mark_complete

NOTEBOOK_DIR = REPO / "notebooks"


class NotebookFailed(BanlibError, RuntimeError):
    """A notebook (or the HTML build) failed; the message names it, its cell and where the evidence is kept."""
    pass


def notebooks(only: str | None = None) -> list[Path]:
    """The chapters' notebook sources in order (``only``: one of them, by stem or prefix)."""
    found = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
    if only:
        chosen = [p for p in found if p.stem == only or p.name == only or p.stem.startswith(only)]
        if not chosen:
            raise UsageError(file=f"--only {only}", what="no such notebook",
                             fix=f"choose one of {', '.join(p.stem for p in found)}")
        return chosen
    return found


def notebook_parameters(data_source: str, profile: str, seed: int, data_dir: str | Path,
                        grid_widths: str = "quick") -> dict:
    """The values papermill injects into every notebook's ``parameters`` cell (data_dir absolute).

    ``grid_widths`` (``quick`` or ``full``, :func:`banlib.config.grid_widths`): the widths the recurrence
    grid of chapter 03 is trained at."""
    from ..config import GRID_WIDTH_CHOICES

    if grid_widths not in GRID_WIDTH_CHOICES:
        raise ValueError(f"grid_widths must be one of {list(GRID_WIDTH_CHOICES)}, got {grid_widths!r}")
    return {"data_source": data_source, "profile": profile, "seed": seed,
            "data_dir": str(Path(data_dir).absolute()), "grid_widths": grid_widths}


def ensure_data(data_source: str, data_dir: Path, profile: str, seed: int) -> None:
    """Make sure the data exist (on the twin: generate it) before any notebook runs."""
    from ..twin import open_or_make

    open_or_make(data_source, data_dir, profile, seed)


def _hide_injected(path: Path) -> None:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.setdefault("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            tags.append("remove-cell")
    nbformat.write(nb, path)


def kernel_log(out: Path, nb: Path) -> Path:
    """Where the kernel's own messages go while ``nb`` runs into ``out`` (``.scratch/kernels/<notebook>.log``):
    not the terminal, so that an interrupted run prints one message, not the kernel's traceback beside it. The
    cells' output is in the executed notebook as always."""
    return out / ".scratch" / "kernels" / f"{nb.stem}.log"


def _kernel_manager(log: Path):
    """An ``AsyncKernelManager`` whose kernel writes its own stderr to ``log``."""
    from jupyter_client import AsyncKernelManager

    class LoggedKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            log.parent.mkdir(parents=True, exist_ok=True)
            with open(log, "ab") as fh:                  # the kernel keeps its own copy of the descriptor
                kw["stderr"] = fh
                return await super()._async_launch_kernel(kernel_cmd, **kw)

    return LoggedKernelManager


def execute(nb: Path, out: Path, parameters: dict) -> Path:
    """Execute one notebook with papermill into ``out/notebooks/``; results and figures go under ``out``.

    The kernel's own messages go to :func:`kernel_log`. When the notebook ran to its end, its results file gets
    the completion marker (:func:`banlib.book.results.mark_complete`); a failed or interrupted one keeps
    ``"complete": false``."""
    import papermill as pm

    dst = out / "notebooks" / nb.name
    dst.parent.mkdir(parents=True, exist_ok=True)
    params = dict(parameters, results_path=str(out / "results" / f"{nb.stem}.json"),
                  figures_dir=str(out / "figures"))
    log = kernel_log(out, nb)
    log.unlink(missing_ok=True)
    try:
        pm.execute_notebook(str(nb), str(dst), parameters=params, kernel_name="python3",
                            cwd=str(dst.parent), progress_bar=False, log_output=False,
                            kernel_manager_class=_kernel_manager(log))
    except pm.PapermillExecutionError as err:
        if err.ename == "KeyboardInterrupt":          # Ctrl-C reached the kernel too: one message, from the command
            raise KeyboardInterrupt from None
        raise NotebookFailed(f"notebook {nb.name} failed in cell {err.cell_index} "
                             f"(execution count {err.exec_count}): {err.ename}: {err.evalue}\n"
                             f"the executed notebook with the error is kept at {dst} (the kernel's own log: "
                             f"{log})") from None
    _hide_injected(dst)
    mark_complete(params["results_path"])
    return dst


def stage_site(out: Path, publishing=None) -> Path:
    """Assemble the Jupyter Book source in ``<out>/site``: config, toc, chapters, executed notebooks.

    The staged ``_config.yml`` is the repository's with the publishing settings of
    :class:`~banlib.publishing.Publishing` (default: read from the environment) filled in:
    repository, Binder and Colab buttons when a repository URL is set. ``figures/`` and ``results/``
    of the build are published beside the pages (``<site>/figures/<name>.png``, ``.svg``,
    ``<site>/results/<chapter>.json``), and the staged ``intro.md`` ends with the "About this build"
    box and the "Cite this book" box (from ``CITATION.cff``). The committed sources are not changed.
    """
    import yaml

    from .cite import cite_box
    from .landing import build_box, results_index, summary
    from ..publishing import EXTRA_DIR, Publishing

    pub = publishing if publishing is not None else Publishing.from_env()
    site = out / "site"
    if site.exists():
        shutil.rmtree(site)
    site.mkdir(parents=True)
    config = yaml.safe_load((REPO / "_config.yml").read_text())
    (site / "_config.yml").write_text(yaml.safe_dump(pub.book_config(config), sort_keys=False))
    for item in (REPO / "book").iterdir():
        if item.is_file():
            shutil.copy(item, site / item.name)
    # generated pages: the paper's claims, from the same table the scorecard loops over
    from ..paper.claims import claims_markdown

    (site / "claims_table.md").write_text(claims_markdown())
    shutil.copytree(out / "notebooks", site / "notebooks")
    extra = site / EXTRA_DIR
    extra.mkdir()
    if (out / "figures").exists():
        shutil.copytree(out / "figures", extra / "figures")
    if (out / "results").exists():
        shutil.copytree(out / "results", extra / "results", ignore=shutil.ignore_patterns("*.tmp"))
        (extra / "results" / "index.json").write_text(results_index(out))
    intro = site / "intro.md"
    if intro.exists():
        from .compare import CompareError, read_build

        try:
            commits = summary(read_build(out, strict=False))["commits"]
        except CompareError:
            commits = []
        intro.write_text(intro.read_text().rstrip("\n") + "\n" + build_box(out, pub)
                         + cite_box(publishing=pub, commits=commits))
    return site


def build_html(out: Path, strict: bool = True, publishing=None) -> Path:
    """Stage the book source (:func:`stage_site`, with ``publishing`` or the environment's settings) and build
    the HTML (warnings are errors when ``strict``); returns the index page."""
    site = stage_site(out, publishing)
    cmd = [tools.program("jupyter-book"), "build", str(site), "--path-output", str(out)]
    if strict:
        cmd += ["-W", "-n", "--keep-going"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
        raise NotebookFailed(f"jupyter-book build failed (warnings are errors):\n{tail}")
    return out / "_build" / "html" / "index.html"


def run(data_source: str = "twin", profile: str = "quick", seed: int = 0, only: str | None = None,
        out: str | Path = "build", data_dir: str | Path = "data", build: bool = True,
        record: bool = True, grid_widths: str = "quick") -> Path | None:
    """Execute the notebooks in order (each one a ``datalad run`` record in ``out`` unless
    ``record=False``), then build the HTML. ``grid_widths``: see :func:`notebook_parameters`.

    Every argument is checked first (:func:`check_book_arguments`); the output folder is then locked for the
    run (:func:`banlib.paths.output_lock`: a second run into it fails at once, naming this one) and stamped as
    banlib's. Returns the HTML index page (None with ``build=False``)."""
    from . import record as rec

    out = Path(out).absolute()
    data_dir = Path(data_dir).absolute()
    check_book_arguments(data_source, profile, seed, only, out, data_dir, grid_widths)
    chapters = notebooks()
    todo = notebooks(only)
    with output_lock(out, f"banlib book --out {out}"):
        check_out(out, "book", reuse=True)               # again, now that no other run can write it
        ensure_data(data_source, data_dir, profile, seed)
        params = notebook_parameters(data_source, profile, seed, data_dir, grid_widths)
        out.mkdir(parents=True, exist_ok=True)
        if made_by(out) is None:
            stamp(out, "book")
        if record:
            rec.ensure_dataset(out)
        _run_notebooks(todo, out, params, chapters, record)
        if not build:
            return None
        index = build_html(out)
    print(f"book built: {index}")
    return index


def check_book_arguments(data_source: str, profile: str, seed: int, only: str | None, out: Path,
                         data_dir: Path, grid_widths: str = "quick") -> None:
    """Every argument of a book run checked before any work (in well under a second): the seed's range, the
    ``--only`` name, the output folder (a new or empty folder, or one banlib book made; never a file or a
    foreign folder) and, for the real data, that ds003720 is in ``data_dir``.

    Raises
    ------
    UsageError, banlib.paths.NotOurs, DataError
        naming the argument or the path and the fix.
    """
    from ..config import GRID_WIDTH_CHOICES, PROFILES, check_seed

    check_seed(seed)
    if data_source not in ("twin", "openneuro"):
        raise UsageError(file=f"--data-source {data_source}", what="unknown data source", fix="choose twin or openneuro")
    if profile not in PROFILES:
        raise UsageError(file=f"--profile {profile}", what="unknown profile", fix=f"choose one of {', '.join(PROFILES)}")
    if grid_widths not in GRID_WIDTH_CHOICES:
        raise UsageError(file=f"--grid-widths {grid_widths}", what="unknown grid widths",
                         fix=f"choose one of {', '.join(GRID_WIDTH_CHOICES)}")
    notebooks(only)
    check_out(out, "book", reuse=True)
    check_data_dir(data_source, data_dir, profile, seed)


def check_data_dir(data_source: str, data_dir: Path, profile: str = "quick", seed: int = 0) -> None:
    """``data_dir`` must be a folder (or not yet exist, for the twin, which is generated there, in a folder that is
    absent, empty or a twin); for the real data it must hold ds003720 (``banlib fetch openneuro``)."""
    from ..data.dataset import DataError

    from ..data.dataset import twin_dir

    if data_dir.exists() and not data_dir.is_dir():
        raise UsageError(file=data_dir, what="--data-dir is a file, not a folder", fix="give the data folder")
    if data_source == "twin":
        check_out(twin_dir(data_dir, profile, seed), "twin", option="the twin folder", reuse=True)
    if data_source == "openneuro" and not (data_dir / "ds003720" / "dataset_description.json").exists():
        raise DataError(file=data_dir / "ds003720", what="ds003720 is not here",
                        fix=f"get it with banlib fetch openneuro --dest {data_dir} (and fetch derivatives, gtzan)")


def _run_notebooks(todo: list[Path], out: Path, params: dict, chapters: list[Path], record: bool) -> None:
    from tqdm.auto import tqdm

    from . import record as rec

    bar = tqdm(todo, desc="notebooks", unit="nb")
    for nb in bar:
        bar.set_postfix_str(nb.stem)
        t0 = time.time()
        if record:
            try:
                rec.record_run(nb, out, params, chapters)
            except rec.RecordError as err:
                raise NotebookFailed(str(err)) from None
        else:
            execute(nb, out, params)
        tqdm.write(f"  {nb.stem}: {time.time() - t0:.0f} s")


REQUIRED_PARAMETERS = ("data_source", "profile", "seed", "data_dir")
MAX_CELL_LINES = 10          # a code cell is one step: a call and its figure or table


def code_lines(source: str) -> list[str]:
    """The lines of a code cell that are code (not blank, not only a comment)."""
    return [ln for ln in source.splitlines() if ln.strip() and not ln.strip().startswith("#")]


def check_source(path: str | Path) -> list[str]:
    """Problems of a notebook *source*: outputs left in, a code cell longer than :data:`MAX_CELL_LINES`, or not
    exactly one ``parameters`` cell defining :data:`REQUIRED_PARAMETERS`. Empty list = fine."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count")):
            problems.append(f"{Path(path).name}: cell {i} has outputs; strip them before committing")
        if cell.cell_type == "code" and len(code_lines(cell.source)) > MAX_CELL_LINES:
            problems.append(f"{Path(path).name}: cell {i} has {len(code_lines(cell.source))} code lines (at most "
                            f"{MAX_CELL_LINES}): move the computation into banlib")
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    if len(params) != 1:
        problems.append(f"{Path(path).name}: {len(params)} cells tagged 'parameters', need exactly 1")
    else:
        missing = [p for p in REQUIRED_PARAMETERS if f"{p} =" not in params[0].source]
        if missing:
            problems.append(f"{Path(path).name}: parameters cell does not set {missing}")
    return problems
