import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from banlib.book import record

PARAMS = {"data_source": "twin", "profile": "quick", "seed": 3}


def _notebook(path: Path, body: str) -> Path:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = new_code_cell('data_source = "twin"\nprofile = "quick"\nseed = 0\ndata_dir = "data"\n'
                           'results_path = None\nfigures_dir = None')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, new_code_cell(body)]
    nbformat.write(nb, path)
    return path


WRITE = ("import json, pathlib\n"
         "out = pathlib.Path(results_path)\n"
         "out.parent.mkdir(parents=True, exist_ok=True)\n"
         "out.write_text(json.dumps({'value': seed * 7}))")
READ = ("import json, pathlib\n"
        "first = json.loads((pathlib.Path(results_path).parent / '01_first.json').read_text())\n"
        "pathlib.Path(results_path).write_text(json.dumps({'double': first['value'] * 2}))")


def test_command_is_relative_to_the_output_and_escapes_braces(tmp_path):
    out = tmp_path / "build"
    cmd = record.command(tmp_path / "notebooks" / "03_x.ipynb", out,
                         dict(PARAMS, data_dir=str(tmp_path / "my {data}")))
    assert cmd.startswith("banlib notebook ../notebooks/03_x.ipynb --data-source twin --profile quick --seed 3")
    assert "'../my {{data}}'" in cmd and cmd.endswith("--out .")
    with_grid = record.command(tmp_path / "03_x.ipynb", out, dict(PARAMS, data_dir=str(tmp_path), grid_widths="full"))
    assert "--seed 3 --grid-widths full --data-dir" in with_grid


def test_inputs_are_what_earlier_notebooks_wrote():
    nbs = [Path(f"0{i}_n.ipynb") for i in (1, 2, 3)]
    assert record.inputs(nbs[0], nbs) == []
    assert record.inputs(nbs[2], nbs) == ["results/01_*", "results/02_*", "checkpoints/*"]
    assert "notebooks/02_n.ipynb" in record.outputs(nbs[1]) and "results/02_*" in record.outputs(nbs[1])


def test_runs_are_recorded_and_rerun_reproduces_them(tmp_path):
    first = _notebook(tmp_path / "01_first.ipynb", WRITE)
    second = _notebook(tmp_path / "02_second.ipynb", READ)
    out = record.ensure_dataset(tmp_path / "build")
    assert record.is_dataset(out) and "_build/" in (out / ".gitignore").read_text()
    params = dict(PARAMS, data_dir=str(tmp_path / "data"))
    for nb in (first, second):
        record.record_run(nb, out, params, [first, second])
    runs = record.runs(out)
    assert [r["message"] for r in runs] == ["01_first: twin, profile quick, seed 3",
                                            "02_second: twin, profile quick, seed 3"]
    assert "banlib notebook ../01_first.ipynb" in runs[0]["cmd"] and runs[0]["exit"] == 0
    assert runs[1]["inputs"] == ["results/01_*"]                 # no checkpoints/* yet: nothing matched
    assert json.loads((out / "results" / "02_second.json").read_text()) == {"double": 42}

    # a result changed by hand is put back by re-running the recorded command
    (out / "results" / "01_first.json").write_text('{"value": 0}')
    record.git(out, "commit", "-qam", "changed by hand")
    record.rerun(out, runs[0]["commit"])
    assert json.loads((out / "results" / "01_first.json").read_text()) == {"value": 21}
    assert len(record.runs(out)) == 3


def test_a_failing_notebook_is_reported_and_leaves_no_commit(tmp_path):
    broken = _notebook(tmp_path / "01_broken.ipynb", "raise ValueError('boom')")
    out = record.ensure_dataset(tmp_path / "build")
    with pytest.raises(record.RecordError, match="01_broken.ipynb failed"):
        record.record_run(broken, out, dict(PARAMS, data_dir=str(tmp_path)), [broken])
    assert record.runs(out) == []


def test_an_existing_output_folder_is_adopted_with_its_files(tmp_path):
    out = tmp_path / "build"
    (out / "results").mkdir(parents=True)
    (out / "results" / "01_old.json").write_text("{}")
    (out / "_build").mkdir()
    (out / "_build" / "page.html").write_text("<html></html>")
    record.ensure_dataset(out)
    tracked = record.git(out, "ls-files").split()
    assert "results/01_old.json" in tracked and not any(t.startswith("_build/") for t in tracked)
