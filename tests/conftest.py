import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_METADATA = REPO.parent / "shared" / "ds003720-metadata"
DATA_DIR = Path(os.environ.get("BANLIB_TEST_DATA", REPO / "data"))


@pytest.fixture(scope="session")
def data_dir():
    return DATA_DIR


@pytest.fixture(scope="session")
def quick_twin(data_dir):
    """The quick twin (seed 0), generated once and shared with `make book`."""
    from banlib.twin import open_or_make

    return open_or_make("twin", data_dir, "quick", 0)


@pytest.fixture(scope="session")
def real_metadata():
    if not (SHARED_METADATA / "sub-001").is_dir():
        pytest.skip(f"real ds003720 metadata not found at {SHARED_METADATA}")
    from banlib.data.dataset import DataSource

    return DataSource("openneuro", SHARED_METADATA, SHARED_METADATA / "derivative", SHARED_METADATA / "gtzan")


BOOK_OUT = REPO / "build" / "test-book"


def _needs_book(item) -> bool:
    return "built_book" in item.fixturenames


def pytest_collection_modifyitems(session, config, items):
    """The tests that need the built book run last; the book is built meanwhile, in a process of its own
    started with the session (:func:`_book_process`), while the other tests run beside it."""
    items[:] = [i for i in items if not _needs_book(i)] + [i for i in items if _needs_book(i)]


AUTOGROUP = Path("/proc/self/autogroup")


def _lower_priority():
    """nice 19 for every thread of this process and, inherited, for every process it starts: the other tests
    take only the CPU the book leaves idle. Training's OpenMP threads wait for each other at every layer; beside
    the other tests at the same priority, chapter 01 took 22 min instead of 3.5. On Linux a thread's priority is
    its own, so torch's and BLAS's worker threads made earlier are lowered one by one.

    Returns a function that gives this session's scheduler group its former priority back (the group is the
    shell's too, and outlives the test process)."""
    # Jupyter starts each kernel in a session of its own, and with Linux's autogroups the CPU is shared between
    # sessions first, then by nice within one: this session's group is lowered as well
    before = None
    if AUTOGROUP.exists():
        try:
            before = int(AUTOGROUP.read_text().split("nice")[-1])
            AUTOGROUP.write_text("19")
        except (OSError, ValueError):
            before = None
    tasks = Path("/proc/self/task")
    if tasks.is_dir():
        for task in tasks.iterdir():
            try:
                os.setpriority(os.PRIO_PROCESS, int(task.name), 19)
            except (ProcessLookupError, PermissionError):     # a thread that ended meanwhile
                pass
    else:
        os.nice(19)

    def restore():
        if before is not None:
            try:
                AUTOGROUP.write_text(str(before))               # a higher priority than 0 is not asked for
            except OSError:
                pass
    return restore


@pytest.fixture(scope="session", autouse=True)
def _book_process(request, data_dir):
    """``banlib book`` on the quick twin in a background process (its own process group, its output in
    ``build/test-book.log``), started only when a selected test needs the book; stopped at the session's
    end if it is still running. The test process then lowers its own priority (``nice 19``, inherited by
    the processes it starts), so that the book runs at full speed and the other tests fill the idle CPU."""
    import signal
    import subprocess

    from banlib import tools

    if not any(_needs_book(i) for i in request.session.items):
        yield None
        return
    request.getfixturevalue("quick_twin")     # made here first: the book must not generate it a second time
    BOOK_OUT.parent.mkdir(parents=True, exist_ok=True)
    env = tools.environment()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    log_path = BOOK_OUT.with_name(BOOK_OUT.name + ".log")
    with open(log_path, "w") as log:
        # its own process group (stopped with its kernels) but this session: with Linux's autogroups, nice orders
        # processes only within one session, and a new session would share the CPU half and half with the tests
        proc = subprocess.Popen([tools.program("banlib"), "book", "--data-source", "twin", "--profile", "quick",
                                 "--seed", "0", "--out", str(BOOK_OUT), "--data-dir", str(data_dir)],
                                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                process_group=0)
        proc.log_path = log_path
        restore = _lower_priority()
        try:
            yield proc
        finally:
            restore()
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(120)


@pytest.fixture(scope="session")
def built_book(_book_process):
    """The whole book on the quick twin: every notebook through papermill, each run recorded with
    ``datalad run``, then the strict HTML build. Returns the output folder (a DataLad dataset)."""
    if _book_process is None:
        pytest.fail("built_book requested by a test the session did not collect as needing it "
                    "(use the fixture as an argument)")
    code = _book_process.wait()
    if code != 0:
        tail = "\n".join(_book_process.log_path.read_text(errors="replace").splitlines()[-60:])
        pytest.fail(f"banlib book on the quick twin failed (exit {code}); the end of {_book_process.log_path}:\n{tail}")
    return BOOK_OUT


@pytest.fixture(scope="session")
def mirror(quick_twin, data_dir):
    """The offline mirror of the real delivery, made from the quick twin once (kept in data/)."""
    import json

    from banlib.twin.mirror import twin_fingerprint, write_mirror

    out = data_dir / "mirror" / "quick-seed0"
    index = out / "index.json"
    if not index.exists() or json.loads(index.read_text())["twin"].get("fingerprint") != twin_fingerprint(quick_twin):
        write_mirror(out, "quick", 0, data_dir)
    return out


@pytest.fixture(scope="session")
def mirror_url(mirror):
    """Base URL of the mirror served on 127.0.0.1 (an http.server thread on a free port)."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(mirror)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def banlib_cli(*args, cwd, timeout=1800):
    """Run the installed ``banlib`` console script (the one beside this interpreter) in ``cwd`` (the timeout is
    generous: beside the book in the background, these run at low priority)."""
    import subprocess

    from banlib import tools

    env = tools.environment()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return subprocess.run([tools.program("banlib"), *map(str, args)], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def fetch_commands(base: str, dest, sha256: str) -> list[list[str]]:
    from banlib.twin.mirror import fetch_commands as commands

    return [c.split()[1:] for c in commands(base, str(dest), sha256)]


@pytest.fixture(scope="session")
def mirror_data(mirror, mirror_url, tmp_path_factory):
    """A data folder filled by the three real ``banlib fetch`` commands against the served mirror,
    run as subprocesses of the console script from another working directory."""
    import json

    root = tmp_path_factory.mktemp("real")
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    data = root / "data"
    sha = json.loads((mirror / "index.json").read_text())["gtzan_sha256"]
    for args in fetch_commands(mirror_url, data, sha):
        run = banlib_cli(*args, cwd=elsewhere)
        assert run.returncode == 0, f"banlib {' '.join(args)} failed:\n{run.stdout}\n{run.stderr}"
    assert sorted(p.name for p in elsewhere.iterdir()) == []          # nothing written in the working directory
    return data
