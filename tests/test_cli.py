from banlib.cli import main


def test_notebook_command_names_a_missing_notebook(tmp_path, capsys):
    assert main(["notebook", str(tmp_path / "09_gone.ipynb"), "--out", str(tmp_path / "out")]) == 2
    assert "09_gone.ipynb: no such notebook" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_check_site_without_a_build_says_how_to_make_one(tmp_path, capsys):
    assert main(["check-site", str(tmp_path / "html")]) == 2
    assert "build the book first" in capsys.readouterr().err


def test_grid_widths_reach_the_notebook_parameters(tmp_path, monkeypatch):
    import pytest

    import banlib.book.runner as runner

    assert runner.notebook_parameters("twin", "full", 0, tmp_path)["grid_widths"] == "quick"
    assert runner.notebook_parameters("twin", "full", 0, tmp_path, "full")["grid_widths"] == "full"
    seen = {}
    nb = tmp_path / "03_x.ipynb"
    nb.write_text("{}")
    monkeypatch.setattr(runner, "execute", lambda nb, out, params: seen.update(params))
    assert main(["notebook", str(nb), "--out", str(tmp_path / "out"), "--grid-widths", "full"]) == 0
    assert seen["grid_widths"] == "full"
    assert main(["book", "--grid-widths", "huge"]) == 2


# ------------------------------------------------------------------------------------------- known conditions
import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parent.parent


def _setup(tmp: Path) -> None:
    """A working folder with what the conditions below point at: a file, a foreign folder, a twin of another seed,
    a hostile record and an empty data folder."""
    (tmp / "file.txt").write_text("a file of the user's")
    (tmp / "foreign").mkdir()
    (tmp / "foreign" / "README.md").write_text("the user's real data")
    twin = tmp / "twin-seed0" / "derivative" / "twin_truth"
    twin.mkdir(parents=True)
    (twin / "twin.json").write_text(json.dumps({"banlib_version": "0.1.0", "format": 6, "profile": "quick", "seed": 0}))
    (tmp / "mirror").mkdir()
    (tmp / "mirror" / "8275363.json").write_text(json.dumps({"id": 8275363, "files": [
        {"key": "../../outside.npy", "checksum": "md5:" + "0" * 32, "size": 1, "links": {"self": "x.npy"}}]}))
    (tmp / "empty").mkdir()


KNOWN = [  # (argv with {t} for the working folder, what the error line must say)
    ("book --seed -1 --out {t}/build --data-dir {t}/data", "--seed: -1 is out of range"),
    ("book --seed 4294967296 --out {t}/build --data-dir {t}/data", "--seed: 4294967296 is out of range"),
    ("twin --seed 9223372036854775808 --out {t}/twin", "out of range"),
    ("book --only 02_roi_selektion --out {t}/build --data-dir {t}/data", "--only 02_roi_selektion: no such notebook"),
    ("book --grid-widths huge --out {t}/build --data-dir {t}/data", "argument --grid-widths: invalid choice"),
    ("book --out {t}/file.txt --data-dir {t}/data", "file.txt: is a file, not a folder"),
    ("book --out {t}/foreign --data-dir {t}/data", "foreign: is a folder that banlib did not make"),
    ("book --data-source openneuro --out {t}/build --data-dir {t}/empty", "ds003720: ds003720 is not here"),
    ("book --data-dir {t}/file.txt --out {t}/build", "--data-dir is a file"),
    ("twin --out {t}/foreign", "foreign: is a folder that banlib did not make"),
    ("twin --out {t}/foreign --force", "foreign: is a folder that banlib did not make"),
    ("twin --out {t}/file.txt", "file.txt: is a file, not a folder"),
    ("twin --out {t}/twin-seed0 --seed 1", "holds the twin of profile quick, seed 0, not of profile quick, seed 1"),
    ("mirror --out {t}/foreign --data-dir {t}/data", "foreign: is a folder that banlib did not make"),
    ("mirror --out {t}/file.txt --data-dir {t}/data", "file.txt: is a file, not a folder"),
    ("fetch gtzan --sha256 abc123 --dest {t}/data", "--sha256 abc123: a sha256 checksum is 64 hexadecimal digits"),
    ("fetch derivatives --sha256 " + "a" * 64 + " --dest {t}/data", "--sha256 is for `fetch gtzan` only"),
    ("fetch openneuro --subjects sub-009 --dest {t}/data", "--subjects sub-009: no such subject"),
    ("fetch derivatives --dest {t}/file.txt", "file.txt: is a file, not a folder"),
    ("fetch derivatives --url {t}/nowhere.json --dest {t}/data", "a local source that does not exist"),
    ("fetch derivatives --url {t}/mirror/8275363.json --dest {t}/data", "file key '../../outside.npy' climbs out"),
    ("compare {t}/nowhere {t}/empty", "nowhere: no such folder"),
    ("compare {t}/empty {t}/empty --tolerance nan", "--tolerance nan: a tolerance is a finite number"),
    ("compare {t}/empty {t}/empty --out {t}/diff.xlsx", "the comparison is written as .csv, .md or .html"),
    ("notebook {t}/09_gone.ipynb --out {t}/build", "09_gone.ipynb: no such notebook"),
    ("coordinates --runs 13 --data-dir {t}/data", "--runs 13: ds003720 has 12 training runs"),
    ("check-site {t}/empty", "no index.html; build the book first"),
]


def _tree(root: Path) -> dict:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*")}


@pytest.mark.parametrize("argv, says", KNOWN, ids=[a.split(" {t}")[0] + " " + s[:24] for a, s in KNOWN])
def test_a_known_condition_is_one_error_line_exit_2_before_anything_is_written(tmp_path, capsys, argv, says):
    _setup(tmp_path)
    before = _tree(tmp_path)
    code = main(argv.format(t=tmp_path).split())
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and says in lines[0], err
    assert "Traceback" not in err
    assert _tree(tmp_path) == before                    # nothing written, nothing deleted, no twin, no dataset
    assert not (tmp_path.parent / "outside.npy").exists()


def test_the_installed_command_prints_one_line_and_debug_shows_the_traceback(tmp_path):
    _setup(tmp_path)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    args = [sys.executable, "-m", "banlib", "twin", "--out", str(tmp_path / "foreign")]
    run = subprocess.run(args, capture_output=True, text=True, env=env, cwd=tmp_path)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.count("\n") == 1 and run.stderr.startswith(f"error: {tmp_path / 'foreign'}: ")
    debug = subprocess.run([*args[:3], "--debug", *args[3:]], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert debug.returncode != 0 and "Traceback" in debug.stderr and "NotOurs" in debug.stderr
    assert (tmp_path / "foreign" / "README.md").read_text() == "the user's real data"


def test_an_os_error_naming_a_file_is_one_line(tmp_path, capsys, monkeypatch):
    import banlib.cli as cli

    def refused(args):
        raise PermissionError(13, "Permission denied", str(tmp_path / "build" / "results"))

    monkeypatch.setitem(cli.COMMANDS, "notebook", refused)
    nb = tmp_path / "01_x.ipynb"
    nb.write_text("{}")
    assert main(["notebook", str(nb), "--out", str(tmp_path / "build")]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {tmp_path / 'build' / 'results'}: Permission denied — check the path and its permissions " \
                  f"(--debug shows where it happened)\n"


SLEEPER = ("import pathlib, time\n"
           "pathlib.Path(results_path).parent.mkdir(parents=True, exist_ok=True)\n"
           "pathlib.Path(results_path).with_name('started').write_text('1')\n"
           "time.sleep(120)")


def test_ctrl_c_prints_one_message_saying_what_was_kept_and_that_the_command_goes_on(tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    params = new_code_cell('data_source = "twin"\nprofile = "quick"\nseed = 0\ndata_dir = "data"\n'
                           'results_path = None\nfigures_dir = None\ngrid_widths = "quick"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, new_code_cell(SLEEPER)]
    nbformat.write(nb, tmp_path / "01_sleep.ipynb")
    out = tmp_path / "build"
    # a terminal's Ctrl-C reaches the whole foreground process group: the command in a group of its own, then SIGINT
    proc = subprocess.Popen([sys.executable, "-m", "banlib", "notebook", str(tmp_path / "01_sleep.ipynb"),
                             "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=str(REPO)), start_new_session=True)
    try:
        started = out / "results" / "started"
        for _ in range(600):
            if started.exists() or proc.poll() is not None:
                break
            subprocess.run(["sleep", "0.1"])
        assert started.exists(), proc.stderr.read() if proc.poll() is not None else "the notebook did not start"
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and err.count("interrupted.") == 1, err
    assert f"partly executed notebook is in {out / 'notebooks' / '01_sleep.ipynb'}" in err
    assert "Run the same command again" in err


HOLDER = ("import pathlib, sys, time\n"
          "from banlib.paths import output_lock, stamp\n"
          "out = pathlib.Path(sys.argv[1])\n"
          "with output_lock(out, f'banlib twin --out {out}'):\n"
          "    work = out.with_name(out.name + '.partial')\n"
          "    stamp(work, 'twin')\n"
          "    (work / 'half-written.npy').write_text('the first run is writing this')\n"
          "    print('held', flush=True)\n"
          "    time.sleep(120)\n")


def test_a_second_run_into_the_same_folder_fails_at_once_and_leaves_the_first_ones_work(tmp_path, capsys):
    out = tmp_path / "data" / "twin" / "quick-seed0"
    first = subprocess.Popen([sys.executable, "-c", HOLDER, str(out)], stdout=subprocess.PIPE, text=True,
                             env=dict(os.environ, PYTHONPATH=str(REPO)))
    try:
        assert first.stdout.readline().strip() == "held"
        assert main(["twin", "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: {out}: another banlib run is writing it: process {first.pid} "
                              f"(banlib twin --out {out})") and err.count("\n") == 1, err
        assert f"kill {first.pid}" in err
        # a book that would read the twin being generated fails at once too, before it writes anything
        assert main(["book", "--out", str(tmp_path / "build"), "--data-dir", str(tmp_path / "data"), "--no-html"]) == 2
        assert f"process {first.pid}" in capsys.readouterr().err and not (tmp_path / "build").exists()
        assert (out.parent / "quick-seed0.partial" / "half-written.npy").read_text() == "the first run is writing this"
        assert first.poll() is None
    finally:
        first.kill()
        first.wait()
