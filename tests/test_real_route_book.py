"""The whole book on the real-data route: data fetched from the offline mirror of the real delivery (no voxel
coordinates, no listeners' choices, responses stored voxels x TRs), every chapter executed. Nothing that
needs what the real data lack may be written as a number."""
import json
import shutil

import nbformat
import pytest

from banlib.book import runner as book

from conftest import banlib_cli

pytestmark = pytest.mark.e2e


def _strict(path):
    def refuse(token):
        raise ValueError(f"{path}: {token} in a results file")
    return json.loads(path.read_text(), parse_constant=refuse)


@pytest.fixture(scope="session")
def real_book(mirror_data, _books):
    """The book on the fetched mirror, built in the background after the quick book
    (``tests/background_books.py``). The networks trained by the twin book, and their responses to the
    stimuli, are reused: the mirror's GTZAN and design are the twin's, byte for byte, so training on them
    again would give the same weights (the checkpoints record a fingerprint of their training data and are
    retrained when it differs; the responses are keyed by the weights and the stimuli's spectrograms)."""
    _books.release("real")
    return _books.wait("real")


def test_every_chapter_runs_on_the_real_route(real_book):
    for nb in book.notebooks():
        res = _strict(real_book / "results" / f"{nb.stem}.json")
        assert res["data_source"] == "openneuro" and "OpenNeuro ds003720" in res["data"]
        for key, value in res["values"].items():
            if value is None:
                assert res["null_reasons"].get(key), f"{nb.stem}:{key} is null without a reason"


def test_nothing_is_written_that_the_real_data_cannot_give(real_book):
    v = {nb.stem: _strict(real_book / "results" / f"{nb.stem}.json")["values"] for nb in book.notebooks()}
    assert not [k for k in v["02_roi_selection"] if k.startswith(("roi_auditory_fraction_", "label_counts_"))]
    assert not [k for k in v["04_confusion_bas"] if k.startswith(("bas_BAN", "behavioural_", "human_accuracy",
                                                                   "listener_", "stage_region"))]
    assert v["04_confusion_bas"]["behaviour_subjects"] == 0
    assert v["05_table2"]["table2_testable"] is False
    assert not [k for k in v["05_table2"] if k.startswith(("table2_summary", "table2_comparison", "genre_top4",
                                                            "bilateral_stg", "genre_distinctness", "twin_"))]
    card = {row["id"]: row for row in v["07_scorecard"]["scorecard"]}
    assert card["V-F.table2.L.HG.genre"]["verdict"] == "not testable"
    assert "no voxel coordinates" in card["V-F.table2.L.HG.genre"]["note"]
    assert card["IV.bas_highest"]["verdict"] == "not testable"
    assert not [k for values in v.values() for k in values if k.startswith(("recovery_", "pipeline_recovery_"))]   # nothing was planted


def test_every_claim_key_is_written_or_absent_for_a_declared_reason_on_the_real_route(real_book):
    from test_scorecard import audit_book

    from banlib.paper.verdicts import AGREES_TWIN, DISAGREES_TWIN, PLANTED

    card = audit_book(real_book)
    assert not card.verdict.isin([PLANTED, AGREES_TWIN, DISAGREES_TWIN]).any()      # no planted rows on real data


def test_each_chapter_says_what_it_cannot_compute(real_book):
    said = {}
    for nb in book.notebooks():
        executed = nbformat.read(real_book / "notebooks" / nb.name, as_version=4)
        text = "".join(str(o.get("data", {}).get("text/markdown", "")) for c in executed.cells
                       if c.cell_type == "code" for o in c.outputs)
        said[nb.stem] = text
    for stem in ("01_data", "02_roi_selection", "04_confusion_bas", "05_table2"):
        assert "Not computed on these data" in said[stem], stem
    assert "no behavioural data" in said["04_confusion_bas"] and "voxel coordinates" in said["05_table2"]


@pytest.fixture(scope="session")
def located_data(mirror_data, quick_twin, tmp_path_factory):
    """The fetched mirror with sub-001's raw runs and T1w present (as after ``banlib coordinates`` fetched
    them: the twin's raw subject, of which the mirror's sub-001 matrices are the preprocessing), in a copy
    whose files link to the fetched ones, so that the other tests keep data without coordinates."""
    import os

    data = tmp_path_factory.mktemp("located") / "data"
    shutil.copytree(mirror_data, data, symlinks=True, copy_function=lambda s, d: os.symlink(os.path.abspath(s), d))
    for folder in ("func", "anat"):
        for raw in (quick_twin.bids_root / "sub-001" / folder).glob("*.nii"):
            target = data / "ds003720" / "sub-001" / folder / raw.name
            target.unlink()
            shutil.copyfile(raw, target)
    return data


@pytest.fixture(scope="session")
def located(located_data, _books):
    """``banlib coordinates`` run on the located copy (the console script, from its parent folder): the
    finished process. It needs no network, so it runs while the book is built in the background."""
    run = banlib_cli("coordinates", "--data-dir", str(located_data), "--subjects", "sub-001", "--no-fetch",
                     cwd=located_data.parent)
    if run.returncode == 0:
        _books.offer("located", located_data)
    return run


@pytest.fixture(scope="session")
def located_book(located, located_data, real_book, _books):
    """Chapter 05 again, on the located copy, in a copy of the real-route book (built in the background after
    it)."""
    assert located.returncode == 0, "banlib coordinates failed (see test_coordinates_recovered_from_the_fetched_raw_runs)"
    _books.release("located")
    return _books.wait("located")


def test_coordinates_recovered_from_the_fetched_raw_runs(located, located_data):
    assert located.returncode == 0, located.stdout + located.stderr
    tables = list(located_data.rglob("sub-001_voxels.tsv"))
    assert len(tables) == 1 and _strict(tables[0].with_suffix(".json"))["match"]


def test_table2_from_coordinates_recovered_on_the_real_route(located_book):
    out = located_book
    v = _strict(out / "results" / "05_table2.json")["values"]
    assert v["table2_testable"] is True and v["table2_subjects"] == ["sub-001"] and v["table2_n_subjects"] == 1
    assert v["table2_summary"] and "bilateral_stg_significant" in v
