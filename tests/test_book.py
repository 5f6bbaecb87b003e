import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from banlib import __version__
from banlib.book import runner as book
from banlib.book import record

REPO = Path(__file__).resolve().parent.parent


def _nb(path, cells):
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = cells
    nbformat.write(nb, path)
    return path


def _params():
    c = new_code_cell('data_source = "twin"\nprofile = "quick"\nseed = 0\ndata_dir = "data"')
    c.metadata["tags"] = ["parameters"]
    return c


@pytest.mark.parametrize("nb", book.notebooks(), ids=lambda p: p.stem)
def test_notebook_sources_are_clean(nb):
    assert book.check_source(nb) == []


def test_notebooks_are_thin():
    """Every chapter together stays under 350 code lines; each cell at most MAX_CELL_LINES (check_source)."""
    total = sum(len(book.code_lines(c.source)) for nb in book.notebooks()
                for c in nbformat.read(nb, as_version=4).cells if c.cell_type == "code")
    assert total < 350, total


def test_source_check_catches_long_cells(tmp_path):
    long = _nb(tmp_path / "long.ipynb", [_params(), new_code_cell("\n".join(f"x{i} = {i}" for i in range(11)))])
    assert any("11 code lines" in p for p in book.check_source(long))
    ok = _nb(tmp_path / "ok.ipynb", [_params(), new_code_cell("# a comment\n" + "\n".join(f"x{i} = {i}" for i in range(10)))])
    assert book.check_source(ok) == []


def test_source_check_catches_outputs_and_missing_parameters(tmp_path):
    with_outputs = new_code_cell("1 + 1")
    with_outputs.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)]
    bad = _nb(tmp_path / "bad.ipynb", [_params(), with_outputs])
    assert any("has outputs" in p for p in book.check_source(bad))
    none = _nb(tmp_path / "none.ipynb", [new_code_cell("x = 1")])
    assert any("0 cells tagged 'parameters'" in p for p in book.check_source(none))
    partial = new_code_cell('profile = "quick"')
    partial.metadata["tags"] = ["parameters"]
    assert any("does not set" in p for p in book.check_source(_nb(tmp_path / "p.ipynb", [partial])))


def test_failing_notebook_is_named_with_its_cell(tmp_path):
    src = _nb(tmp_path / "99_broken.ipynb", [_params(), new_code_cell("x = 1"), new_code_cell("raise ValueError('boom')")])
    with pytest.raises(book.NotebookFailed, match=r"99_broken\.ipynb failed in cell \d+.*ValueError: boom"):
        book.execute(src, tmp_path / "out", {"data_source": "twin", "profile": "quick", "seed": 0, "data_dir": "x"})
    assert (tmp_path / "out" / "notebooks" / "99_broken.ipynb").exists()      # error notebook kept
    assert "raise ValueError" in src.read_text() and '"outputs": []' in src.read_text()  # source untouched


WRITE_RESULTS = ("import json, pathlib\n"
                 "path = pathlib.Path(results_path)\n"
                 "path.parent.mkdir(parents=True, exist_ok=True)\n"
                 "path.write_text(json.dumps({'notebook': path.stem, 'values': {'x': 1}, 'complete': False}))")


def test_a_results_file_is_marked_complete_only_when_its_notebook_ran_to_the_end(tmp_path):
    import json

    params = {"data_source": "twin", "profile": "quick", "seed": 0, "data_dir": "x"}
    done = _nb(tmp_path / "98_done.ipynb", [_params(), new_code_cell(WRITE_RESULTS)])
    book.execute(done, tmp_path / "out", params)
    assert json.loads((tmp_path / "out" / "results" / "98_done.json").read_text())["complete"] is True
    cut = _nb(tmp_path / "97_cut.ipynb", [_params(), new_code_cell(WRITE_RESULTS), new_code_cell("raise ValueError")])
    with pytest.raises(book.NotebookFailed, match=r"(?s)97_cut\.ipynb failed .*the kernel's own log: .*97_cut\.log"):
        book.execute(cut, tmp_path / "out", params)
    assert json.loads((tmp_path / "out" / "results" / "97_cut.json").read_text())["complete"] is False


def _jupyter_book(site, out):
    return subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", str(site), "--path-output",
                           str(out), "-W", "-n", "--keep-going"], capture_output=True, text=True)


def test_broken_cross_reference_fails_the_build(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "_config.yml").write_text('title: t\nexecute:\n  execute_notebooks: "off"\n')
    (site / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    (site / "intro.md").write_text("# Intro\n\nSee {ref}`no-such-label`.\n")
    proc = _jupyter_book(site, tmp_path / "out")
    assert proc.returncode != 0
    assert "no-such-label" in proc.stdout + proc.stderr


@pytest.mark.e2e
def test_whole_book_on_the_quick_twin(built_book):
    """Every notebook through papermill on the quick twin, then the strict HTML build."""
    out = built_book
    assert not (REPO / "twin").exists()                     # the shared twin was reused, not remade
    html = out / "_build" / "html"
    toc = (REPO / "book" / "_toc.yml").read_text()
    for stem in ["intro", "rerun", "methods"] + [p.stem for p in book.notebooks()]:
        if stem.startswith(("0", "1")):
            assert f"notebooks/{stem}" in toc
            page = html / "notebooks" / f"{stem}.html"
        else:
            page = html / f"{stem}.html"
        assert page.exists(), page
    for nb in book.notebooks():
        executed = nbformat.read(out / "notebooks" / nb.name, as_version=4)
        code = [c for c in executed.cells if c.cell_type == "code"]
        assert sum(bool(c.outputs) for c in code) >= 3, nb.stem
        assert (out / "results" / f"{nb.stem}.json").exists()
        page = (html / "notebooks" / f"{nb.stem}.html").read_text()
        assert "results_path =" not in page and "data_source = " not in page   # parameter cells hidden
        assert "synthetic twin" in page                                       # data source named
        assert "TqdmWarning" not in page and "it/s]" not in page               # stderr kept off the page
        assert f"banlib {__version__} @" in page                              # tables carry provenance
    assert (out / "figures" / "fig4_confusion_sub-001.png").exists()                # per-subject, stable name


@pytest.mark.e2e
def test_every_notebook_run_is_recorded_and_rerun_reproduces_the_scorecard(built_book):
    out = built_book
    runs = {r["message"].split(":")[0]: r for r in record.runs(out)}
    for nb in book.notebooks():
        assert nb.stem in runs, f"no datalad run record for {nb.stem}"
        assert runs[nb.stem]["cmd"].startswith(f"banlib notebook ../../notebooks/{nb.name} --data-source twin")
        assert f"notebooks/{nb.name}" in runs[nb.stem]["outputs"]
    assert "results/02_*" in runs["04_confusion_bas"]["inputs"]            # 04 reads 02's ROI masks
    assert record.git(out, "status", "--porcelain").strip() == ""          # nothing left unsaved

    # the last chapter re-run from its record: the same numbers and figures, byte for byte
    last = runs["07_scorecard"]["commit"]
    before = record.git(out, "rev-parse", "HEAD").strip()
    record.rerun(out, last)
    changed = record.git(out, "diff", "--name-only", before, "HEAD").split()
    assert set(changed) <= {"notebooks/07_scorecard.ipynb"}, changed     # only papermill's timings differ


def _names(tree):
    """Names a cell binds and names it reads (any scope; comprehension and function variables count as bound)."""
    import ast

    bound, read = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (bound if isinstance(node.ctx, (ast.Store, ast.Del)) else read).add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return bound, read


@pytest.mark.parametrize("nb", book.notebooks(), ids=lambda p: p.stem)
def test_notebook_cells_use_no_name_before_it_is_defined(nb):
    """A name read in a cell must be bound in that cell or an earlier one (a cell that uses ``pd`` before the cell
    importing pandas fails only when the notebook runs)."""
    import ast
    import builtins

    known = set(dir(builtins))
    for i, cell in enumerate(nbformat.read(nb, as_version=4).cells):
        if cell.cell_type != "code":
            continue
        bound, read = _names(ast.parse("\n".join(line for line in cell.source.splitlines()
                                                 if not line.lstrip().startswith(("%", "!")))))
        known |= bound
        assert not read - known, f"{nb.name} cell {i}: {sorted(read - known)} used before they are defined"
