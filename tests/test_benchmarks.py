"""The benchmarks are run on demand, not by `make test`; this keeps them importable: every name they take from
banlib (in their code and in the code strings their child processes run) must exist."""
import ast
import importlib
import importlib.util
import re
import subprocess
import sys

from conftest import REPO

RUN = REPO / "benchmarks" / "run.py"


def _banlib_imports(path):
    tree = ast.parse(path.read_text())
    found = [(n.module, a.name, n.lineno) for n in ast.walk(tree)
             if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("banlib") for a in n.names]
    for n in ast.walk(tree):                        # child-process code, written as strings
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            for module, names in re.findall(r"from (banlib[\w.]*) import ([\w, ]+)", n.value):
                found += [(module, name.strip(), n.lineno) for name in names.split(",") if name.strip()]
    return found


def _exists(module, name):
    """``from module import name`` works: an attribute, or a submodule."""
    mod = importlib.import_module(module)
    return hasattr(mod, name) or (hasattr(mod, "__path__") and importlib.util.find_spec(f"{module}.{name}") is not None)


def test_every_banlib_name_the_benchmarks_use_exists():
    imports = _banlib_imports(RUN)
    assert len(imports) > 20
    missing = [f"line {line}: from {m} import {name}" for m, name, line in imports if not _exists(m, name)]
    assert not missing, missing


def test_the_check_catches_a_renamed_function(tmp_path):
    bad = tmp_path / "run.py"
    bad.write_text("def f():\n    from banlib.encoding.delays import design_matrix\n")
    assert [(m, n) for m, n, _ in _banlib_imports(bad)] == [("banlib.encoding.delays", "design_matrix")]
    assert not _exists("banlib.encoding.delays", "design_matrix") and _exists("banlib.data", "coordinates")


def test_the_benchmark_runner_starts():
    out = subprocess.run([sys.executable, str(RUN), "--help"], capture_output=True, text=True, check=True)
    assert "full-analyses" in out.stdout
