import json
import os
import sys
import time
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


BOOKS_STATE = REPO / "build" / "test-books"
BOOK_FIXTURES = {"quick": "built_book", "real": "real_book", "located": "located_book"}


def _rank(item) -> int:
    """Order of the session: the tests that need no book first, then those of each book in the order the
    books are built."""
    names = item.fixturenames
    for rank, step in ((3, "located"), (2, "real"), (1, "quick")):
        if BOOK_FIXTURES[step] in names:
            return rank
    return 0


def _uses_input(item, step: str) -> bool:
    """Whether a test touches the data a real-route book reads: the fetched mirror (``mirror_data``; the
    located copy's tests only read it) or the located copy after ``banlib coordinates`` (``located``)."""
    names = item.fixturenames
    if step == "real":
        return "mirror_data" in names and "located_data" not in names
    return "located" in names


def pytest_collection_modifyitems(session, config, items):
    """The tests that read a book run last; the books are built meanwhile, in a process of their own started
    with the session (:func:`_books`), while the other tests run beside them."""
    items.sort(key=_rank)      # stable: the collected order within each rank


def pytest_collection_finish(session):
    """After every plugin's selection: the last test that touches each real-route book's input (the book may
    start once it has run)."""
    last = {}
    for item in session.items:
        for step in ("real", "located"):
            if _rank(item) == 0 and _uses_input(item, step):
                last[step] = item.nodeid
    session.config.stash[LAST_USERS] = last


LAST_USERS = pytest.StashKey[dict]()
BOOKS = pytest.StashKey["Books"]()


AUTOGROUP = Path("/proc/self/autogroup")


def _lower_priority():
    """nice 19 for every thread of this process and, inherited, for every process it starts: the other tests
    take only the CPU the books leave idle. Training's OpenMP threads wait for each other at every layer; beside
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


def _one_thread():
    """One thread for everything the tests compute while the books are built: at the lowest priority, each
    parallel region of two threads stalls whenever the books take one of them. Measured beside the book:
    ``test_resume_after_interruption_gives_identical_weights`` took 49 s (1.7 s alone), ``banlib coordinates``
    236 s. So: one torch and one BLAS thread in this process, one training thread for the toy networks the
    tests train here (the book's networks keep :data:`banlib.config.TRAIN_THREADS`: they are trained in the
    books' own process), and one thread in the environment of the processes the tests start (``banlib
    coordinates`` and its ANTs registration). Returns a function that restores the former settings."""
    import torch
    from background_books import ONE_THREAD
    from threadpoolctl import threadpool_limits

    import banlib.models.train as train

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    blas = threadpool_limits(1)
    pinned, train.TRAIN_THREADS = train.TRAIN_THREADS, 1
    environ = {name: os.environ.get(name) for name in ONE_THREAD}
    os.environ.update(ONE_THREAD)

    def restore():
        blas.restore_original_limits()
        torch.set_num_threads(before)
        train.TRAIN_THREADS = pinned
        for name, value in environ.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return restore


def _cli_env() -> dict:
    """The environment of a ``banlib`` subprocess: the tools' (:func:`banlib.tools.environment`), with this
    checkout first on ``PYTHONPATH``."""
    from banlib import tools

    env = tools.environment()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


class Books:
    """The background process of ``tests/background_books.py``: the books the selected tests read, built one
    after another. A real-route book starts when the session has released its input (:meth:`release`) and the
    book before it is done; :meth:`wait` gives a book's folder or fails with the end of its log. With no
    steps (no selected test reads a book) there is no process and every method but :meth:`wait` does nothing.

    ``when_done``: called once (:meth:`give_back`), as soon as :meth:`check_done` finds the process ended."""

    def __init__(self, proc, steps, when_done=None):
        self.proc, self.steps, self.inputs, self.when_done = proc, tuple(steps), {}, when_done

    def check_done(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            self.give_back()

    def give_back(self) -> None:
        """Call ``when_done`` unless it has been called already."""
        if self.when_done is not None:
            self.when_done()
            self.when_done = None

    def offer(self, step: str, data_dir) -> None:
        """Note the data folder a real-route book reads; it is released after the last test that touches it."""
        if step in self.steps:
            self.inputs[step] = Path(data_dir)

    def release(self, step: str) -> None:
        """Let the book ``step`` start (once the book before it is done) on the data offered for it."""
        from background_books import ready_path

        from banlib.files import write_text

        if step in self.inputs and not ready_path(BOOKS_STATE, step).exists():
            write_text(ready_path(BOOKS_STATE, step), json.dumps({"data_dir": str(self.inputs[step])}))

    def wait(self, step: str) -> Path:
        from background_books import OUT, exit_path, log_path

        if step not in self.steps:
            pytest.fail(f"{BOOK_FIXTURES[step]} requested by a test the session did not collect as needing it "
                        "(use the fixture as an argument)")
        done = exit_path(BOOKS_STATE, step)
        while not done.exists() and self.proc.poll() is None:
            time.sleep(1)
        code = done.read_text() if done.exists() else f"the background process ended first, exit {self.proc.poll()}"
        if code != "0":
            log = log_path(step)
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-60:]) if log.exists() else "(no log)"
            pytest.fail(f"the {step} test book failed ({code}); the end of {log}:\n{tail}")
        return OUT[step]


@pytest.fixture(scope="session", autouse=True)
def _books(request, data_dir):
    """``tests/background_books.py`` in a background process (its own process group), started only when a
    selected test needs a book, with the books those tests need; stopped at the session's end if it is still
    running. The test process then lowers its own priority (``nice 19``, inherited by the processes it starts),
    so that the books run at full speed and the other tests fill the idle CPU."""
    import shutil
    import signal
    import subprocess

    from background_books import steps_for

    from banlib import tools

    needed = {step for item in request.session.items for step, f in BOOK_FIXTURES.items() if f in item.fixturenames}
    steps = steps_for(needed)       # each book reads the one before it (the real route reuses the quick book's)
    if not steps:
        yield Books(None, steps)
        return
    request.getfixturevalue("quick_twin")     # made here first: the book must not generate it a second time
    shutil.rmtree(BOOKS_STATE, ignore_errors=True)
    BOOKS_STATE.mkdir(parents=True)
    # its own process group (stopped with its kernels) but this session: with Linux's autogroups, nice orders
    # processes only within one session, and a new session would share the CPU half and half with the tests
    proc = subprocess.Popen([sys.executable, str(REPO / "tests" / "background_books.py"), tools.program("banlib"),
                             str(BOOKS_STATE), str(data_dir), *steps],
                            cwd=REPO, env=_cli_env(), stdin=subprocess.DEVNULL, process_group=0)
    restore = _lower_priority()
    # the threads come back as soon as the books are done: the tests after them have both cores to themselves
    request.config.stash[BOOKS] = books = Books(proc, steps, when_done=_one_thread())
    try:
        yield books
    finally:
        del request.config.stash[BOOKS]
        books.give_back()
        restore()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(120)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item, nextitem):
    """After the last test that touches a real-route book's input, the book may read it: no test writes to it
    any more. Once the books are done, this process gets its threads back."""
    books = item.config.stash.get(BOOKS, None)
    if books is not None:
        for step, nodeid in item.config.stash.get(LAST_USERS, {}).items():
            if nodeid == item.nodeid:
                books.release(step)
        books.check_done()


TIMELINE = REPO / "build" / "test-timeline.tsv"


def pytest_sessionstart(session):
    TIMELINE.parent.mkdir(parents=True, exist_ok=True)
    TIMELINE.write_text("nodeid\tphase\tstart\tstop\toutcome\tcpu_self\tcpu_children\n")


_CPU: dict = {}       # (nodeid, phase) -> CPU seconds (this process, its finished child processes)


def _cpu_seconds() -> tuple[float, float]:
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


class CpuTimer:
    """The CPU seconds of each phase of each test, for the timeline (a plugin of its own: this module has its
    own ``pytest_runtest_teardown``)."""

    @staticmethod
    def _measure(item, phase):
        before = _cpu_seconds()
        yield
        after = _cpu_seconds()
        _CPU[(item.nodeid, phase)] = (after[0] - before[0], after[1] - before[1])

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(self, item):
        yield from self._measure(item, "setup")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        yield from self._measure(item, "call")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self, item, nextitem):
        yield from self._measure(item, "teardown")


def pytest_configure(config):
    config.pluginmanager.register(CpuTimer(), "banlib-cpu-timer")


def pytest_runtest_logreport(report):
    """Each phase of each test with its wall-clock start and stop (Unix seconds) and the CPU seconds it took
    (this process's, and those of the child processes it started and waited for; the books' background
    process is counted only at the session's end) in ``build/test-timeline.tsv``: where the session's time
    went, beside the books' own logs."""
    own, children = _CPU.pop((report.nodeid, report.when), (float("nan"), float("nan")))
    with open(TIMELINE, "a") as f:
        f.write(f"{report.nodeid}\t{report.when}\t{report.start:.1f}\t{report.stop:.1f}\t{report.outcome}"
                f"\t{own:.1f}\t{children:.1f}\n")


@pytest.fixture(scope="session")
def built_book(_books):
    """The whole book on the quick twin: every notebook through papermill, each run recorded with
    ``datalad run``, then the strict HTML build. Returns the output folder (a DataLad dataset)."""
    return _books.wait("quick")


@pytest.fixture(scope="session")
def mirror(quick_twin, data_dir):
    """The offline mirror of the real delivery, made from the quick twin once (kept in data/)."""
    from banlib.twin.mirror import twin_fingerprint, write_mirror

    out = data_dir / "mirror" / "quick-seed0"
    index = out / "index.json"
    if not index.exists() or json.loads(index.read_text())["twin"].get("fingerprint") != twin_fingerprint(quick_twin):
        write_mirror(out, "quick", 0, data_dir, force=True)
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

    return subprocess.run([tools.program("banlib"), *map(str, args)], cwd=cwd, env=_cli_env(), capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def fetch_commands(base: str, dest, sha256: str) -> list[list[str]]:
    from banlib.twin.mirror import fetch_commands as commands

    return [c.split()[1:] for c in commands(base, str(dest), sha256)]


@pytest.fixture(scope="session")
def mirror_data(mirror, mirror_url, tmp_path_factory, _books):
    """A data folder filled by the three real ``banlib fetch`` commands against the served mirror,
    run as subprocesses of the console script from another working directory."""
    root = tmp_path_factory.mktemp("real")
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    data = root / "data"
    sha = json.loads((mirror / "index.json").read_text())["gtzan_sha256"]
    for args in fetch_commands(mirror_url, data, sha):
        run = banlib_cli(*args, cwd=elsewhere)
        assert run.returncode == 0, f"banlib {' '.join(args)} failed:\n{run.stdout}\n{run.stderr}"
    assert sorted(p.name for p in elsewhere.iterdir()) == []          # nothing written in the working directory
    _books.offer("real", data)
    return data
