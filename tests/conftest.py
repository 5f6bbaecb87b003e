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


@pytest.fixture(scope="session")
def built_book(quick_twin, data_dir):
    """The whole book on the quick twin: every notebook through papermill, each run recorded with
    ``datalad run``, then the strict HTML build. Returns the output folder (a DataLad dataset)."""
    from banlib.book import runner as book

    out = REPO / "build" / "test-book"
    book.run("twin", "quick", 0, out=out, data_dir=data_dir)
    return out
