"""The landing page's "About this build" box and the published results index, when the results files are there,
missing, invalid or incomplete."""
import json

from banlib.book.compare import Build
from banlib.book.landing import build_box, results_index, scorecard_line


def _result(folder, notebook, complete=True, text=None):
    path = folder / "results" / f"{notebook}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if text is not None else json.dumps(
        {"notebook": notebook, "data": "data: synthetic twin (profile quick, seed 0) - not the paper's data",
         "git_commit": "abcdef1234", "banlib_version": "0.1.0", "values": {"n": 1}, "complete": complete}))


def test_a_build_without_results_files_says_its_chapters_were_not_run(tmp_path):
    (tmp_path / "build").mkdir()
    assert "were not run through `banlib book`" in build_box(tmp_path / "build")
    index = json.loads(results_index(tmp_path / "build"))
    assert index["results"] == [] and "no results" in index["problems"][0]["problem"]


def test_invalid_or_incomplete_results_are_named_never_called_not_run(tmp_path):
    build = tmp_path / "build"
    _result(build, "01_data")
    _result(build, "03_train_ban", complete=False)
    _result(build, "04_confusion_bas", text='{"notebook": "04_confusion_bas", "values": {"r": NaN}}')
    _result(build, "05_table2", text='{"notebook": "05_table2", "values": {"r": 1e999}, "complete": true}')
    box = build_box(build)
    assert "were not run" not in box
    assert "Chapters run**: 1 (01_data)" in box
    assert "- `03_train_ban.json`: incomplete: its notebook did not run to its end" in box
    assert "- `04_confusion_bas.json`: not strict JSON: NaN is not a number in strict JSON" in box
    assert "- `05_table2.json`: not strict JSON: the number 1e999 is out of range" in box
    index = json.loads(results_index(build))
    assert [r["file"] for r in index["results"]] == ["01_data.json"]
    assert [p["file"] for p in index["problems"]] == ["03_train_ban.json", "04_confusion_bas.json", "05_table2.json"]


def test_a_build_whose_results_are_all_unusable_says_so(tmp_path):
    build = tmp_path / "build"
    _result(build, "01_data", complete=False)
    box = build_box(build)
    assert "were not run" not in box and "none of them could be used" in box and "`01_data.json`: incomplete" in box


def test_the_landing_page_shows_the_commit_note(tmp_path):
    results = tmp_path / "build" / "results"
    results.mkdir(parents=True)
    (results / "01_data.json").write_text(json.dumps({
        "notebook": "01_data", "data": "data: twin", "git_commit": "unknown", "values": {"n": 1}, "complete": True,
        "git_commit_note": "This run cannot name the code's commit: /opt/banlib is not a git checkout."}))
    box = build_box(tmp_path / "build")
    assert "**Commit note**: This run cannot name the code's commit: /opt/banlib is not a git checkout." in box


def test_the_landing_page_says_what_the_scorecard_counts():
    twin = Build("x", {"07_scorecard": {"values": {"scorecard_agrees_twin": 2, "scorecard_inconclusive_twin": 3,
                                                   "scorecard_not_testable": 5, "scorecard_tallied": 10,
                                                   "scorecard_planted": 56, "scorecard": []}}})
    line = scorecard_line(twin)
    assert line.startswith("10 claims counted (2 agrees (twin), 3 inconclusive (twin), 5 not testable)")
    assert "56 claims are planted" in line and "only on real data" in line
    real = Build("x", {"07_scorecard": {"values": {"scorecard_replicated": 1, "scorecard_not_replicated": 2,
                                                   "scorecard_tallied": 3, "scorecard_planted": 0}}})
    assert scorecard_line(real) == "3 claims counted (1 replicated, 2 not replicated)"
    assert scorecard_line(Build("x", {"01_data": {"values": {}}})) is None
