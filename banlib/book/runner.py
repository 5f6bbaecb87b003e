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
from ..provenance import REPO

NOTEBOOK_DIR = REPO / "notebooks"


class NotebookFailed(RuntimeError):
    pass


def notebooks(only: str | None = None) -> list[Path]:
    found = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
    if only:
        chosen = [p for p in found if p.stem == only or p.name == only or p.stem.startswith(only)]
        if not chosen:
            raise SystemExit(f"--only {only!r}: no such notebook; choose from {[p.stem for p in found]}")
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


def execute(nb: Path, out: Path, parameters: dict) -> Path:
    import papermill as pm

    dst = out / "notebooks" / nb.name
    dst.parent.mkdir(parents=True, exist_ok=True)
    params = dict(parameters, results_path=str(out / "results" / f"{nb.stem}.json"),
                  figures_dir=str(out / "figures"))
    try:
        pm.execute_notebook(str(nb), str(dst), parameters=params, kernel_name="python3",
                            cwd=str(dst.parent), progress_bar=False, log_output=False)
    except pm.PapermillExecutionError as err:
        raise NotebookFailed(f"notebook {nb.name} failed in cell {err.cell_index} "
                             f"(execution count {err.exec_count}): {err.ename}: {err.evalue}\n"
                             f"the executed notebook with the error is kept at {dst}") from None
    _hide_injected(dst)
    return dst


def stage_site(out: Path) -> Path:
    """Assemble the Jupyter Book source: config, toc, chapters, executed notebooks."""
    site = out / "site"
    if site.exists():
        shutil.rmtree(site)
    site.mkdir(parents=True)
    shutil.copy(REPO / "_config.yml", site / "_config.yml")
    for item in (REPO / "book").iterdir():
        if item.is_file():
            shutil.copy(item, site / item.name)
    shutil.copytree(out / "notebooks", site / "notebooks")
    if (out / "figures").exists():
        shutil.copytree(out / "figures", site / "figures")
    return site


def build_html(out: Path, strict: bool = True) -> Path:
    site = stage_site(out)
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
    ``record=False``), then build the HTML. ``grid_widths``: see :func:`notebook_parameters`."""
    from tqdm.auto import tqdm

    from . import record as rec

    out = Path(out).absolute()
    data_dir = Path(data_dir).absolute()
    ensure_data(data_source, data_dir, profile, seed)
    params = notebook_parameters(data_source, profile, seed, data_dir, grid_widths)
    if record:
        rec.ensure_dataset(out)
    chapters = notebooks()
    todo = notebooks(only)
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
    if not build:
        return None
    index = build_html(out)
    print(f"book built: {index}")
    return index


REQUIRED_PARAMETERS = ("data_source", "profile", "seed", "data_dir")


def check_source(path: str | Path) -> list[str]:
    """Problems of a notebook *source*: outputs left in, or not exactly one ``parameters``
    cell defining :data:`REQUIRED_PARAMETERS`. Empty list = fine."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count")):
            problems.append(f"{Path(path).name}: cell {i} has outputs; strip them before committing")
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    if len(params) != 1:
        problems.append(f"{Path(path).name}: {len(params)} cells tagged 'parameters', need exactly 1")
    else:
        missing = [p for p in REQUIRED_PARAMETERS if f"{p} =" not in params[0].source]
        if missing:
            problems.append(f"{Path(path).name}: parameters cell does not set {missing}")
    return problems
