import csv
import json

import pytest

from banlib.book.compare import CompareError, compare, read_build
from banlib.cli import main

TWIN = "data: synthetic twin (profile quick, seed 0) - not the paper's data"
REAL = "data: OpenNeuro ds003720 v1.0.1 @ 0123456789"


def _write(folder, notebook, values, data=TWIN, kind="twin", commit="aaaa111111"):
    path = folder / "results" / f"{notebook}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"notebook": notebook, "data": data, "data_source": kind, "source_info": {},
                                "banlib_version": "0.1.0", "git_commit": commit,
                                "parameters": {"profile": "quick", "seed": 0}, "values": values,
                                "complete": True}))
    return folder


def _card(*rows):
    return {"scorecard": [dict(r) for r in rows]}


@pytest.fixture
def two_builds(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    _write(a, "01_data", {"n_clips": 540, "acc": [0.5, 0.25], "name": "x", "gone": 1.0})
    _write(b, "01_data", {"n_clips": 540, "acc": [0.5, 0.30], "name": "y", "new": 7}, commit="bbbb222222")
    _write(a, "07_scorecard", _card({"id": "c1", "claim": "ROI size", "ours": 468, "verdict": "replicated"},
                                    {"claim": "rock accuracy", "ours": 0.4, "verdict": "replicated"},
                                    {"id": "c3", "claim": "only A", "verdict": "not testable"}))
    _write(b, "07_scorecard", _card({"id": "c1", "claim": "ROI size (renamed)", "ours": 470, "verdict": "replicated"},
                                    {"claim": "rock accuracy", "ours": 0.1, "verdict": "not replicated"}),
           commit="bbbb222222")
    return a, b


def _rows(result):
    return {r["key"]: r for r in result.rows}


def test_unchanged_values_are_same_with_zero_difference(two_builds):
    a, _ = two_builds
    result = compare(read_build(a), read_build(a))
    assert result.rows and all(r["status"] == "same" for r in result.rows)
    assert _rows(result)["01_data:n_clips"]["difference"] == 0
    assert "01_data:name" not in _rows(result)          # equal non-numeric leaves are not listed
    assert result.verdicts == [] and result.failing() == []


def test_changed_values_keys_in_one_build_and_verdicts(two_builds):
    a, b = two_builds
    rows = _rows(compare(read_build(a), read_build(b)))
    assert rows["01_data:acc[1]"]["difference"] == pytest.approx(0.05) and rows["01_data:acc[1]"]["status"] == "changed"
    assert rows["01_data:acc[0]"]["status"] == "same"
    assert rows["01_data:name"] == {"key": "01_data:name", "a": "x", "b": "y", "difference": None, "status": "changed"}
    assert rows["01_data:gone"]["status"] == "only in A" and rows["01_data:gone"]["b"] is None
    assert rows["01_data:new"]["status"] == "only in B" and rows["01_data:new"]["b"] == 7
    # scorecard rows are matched by id when they have one (the claim text changed), else by claim
    assert rows["07_scorecard:scorecard[c1].ours"]["difference"] == 2
    assert rows["07_scorecard:scorecard[rock accuracy].ours"]["difference"] == pytest.approx(-0.3)


def test_verdicts_that_changed_or_exist_in_one_build(two_builds):
    a, b = two_builds
    verdicts = {v["key"]: v for v in compare(read_build(a), read_build(b)).verdicts}
    assert set(verdicts) == {"rock accuracy", "c3"}                 # c1 kept its verdict
    assert (verdicts["rock accuracy"]["a"], verdicts["rock accuracy"]["b"]) == ("replicated", "not replicated")
    assert verdicts["c3"]["status"] == "only in A" and verdicts["c3"]["b"] is None


def test_tolerance_separates_small_from_large_differences(two_builds):
    a, b = two_builds
    rows = _rows(compare(read_build(a), read_build(b), tolerance=0.1))
    assert rows["01_data:acc[1]"]["status"] == "within tolerance"
    assert rows["07_scorecard:scorecard[c1].ours"]["status"] == "changed"          # |2| > 0.1
    with pytest.raises(CompareError, match="tolerance"):
        compare(read_build(a), read_build(b), tolerance=-1)


def test_different_data_sources_are_named_and_noted(tmp_path):
    a = _write(tmp_path / "twin", "01_data", {"n": 1})
    b = _write(tmp_path / "real", "01_data", {"n": 2}, data=REAL, kind="openneuro")
    result = compare(read_build(a), read_build(b))
    header = {what: (x, y) for what, x, y in result.header()}
    assert header["data"] == (TWIN, REAL)
    assert header["commit"] == ("aaaa111111", "aaaa111111")
    assert any("different data sources (twin vs openneuro)" in n for n in result.notes())
    text = result.text()
    assert TWIN in text and REAL in text and "not a regression" in text


def test_cli_prints_writes_and_exits_by_tolerance(two_builds, tmp_path, capsys):
    a, b = two_builds
    out_csv, out_md, out_html = tmp_path / "c.csv", tmp_path / "c.md", tmp_path / "c.html"
    assert main(["compare", str(a), str(b), "--out", str(out_csv), "--out", str(out_md), "--out", str(out_html)]) == 0
    printed = capsys.readouterr().out
    assert "01_data:acc[1]" in printed and "rock accuracy: replicated -> not replicated" in printed
    assert "only A: not testable -> (absent)" in printed
    rows = list(csv.DictReader(out_csv.open()))
    assert {r["kind"] for r in rows} == {"build", "value", "verdict"}
    acc = next(r for r in rows if r["key"] == "01_data:acc[1]")
    assert float(acc["difference"]) == pytest.approx(0.05) and acc["status"] == "changed"
    new = next(r for r in rows if r["key"] == "01_data:new")
    assert new["a"] == "" and new["b"] == "7"                       # the absent side is an empty cell
    assert "| 01_data:acc[1] |" in out_md.read_text() and "Scorecard verdicts that changed" in out_md.read_text()
    assert "<td>01_data:acc[1]</td>" in out_html.read_text()
    assert main(["compare", str(a), str(b), "--fail-on-diff"]) == 1
    assert main(["compare", str(a), str(a), "--fail-on-diff"]) == 0


def test_fail_on_diff_passes_within_tolerance(tmp_path):
    a = _write(tmp_path / "a", "01_data", {"r": 0.300})
    b = _write(tmp_path / "b", "01_data", {"r": 0.301})
    assert main(["compare", str(a), str(b), "--fail-on-diff", "--tolerance", "0.01"]) == 0
    assert main(["compare", str(a), str(b), "--fail-on-diff", "--tolerance", "0.0001"]) == 1


def test_a_build_can_be_given_as_its_results_or_html_folder(two_builds, tmp_path):
    a, _ = two_builds
    html = tmp_path / "html"
    (html / "results").mkdir(parents=True)
    for f in (a / "results").iterdir():
        (html / "results" / f.name).write_text(f.read_text())
    assert set(read_build(a / "results").results) == set(read_build(html).results) == {"01_data", "07_scorecard"}


def test_bad_inputs_are_named(tmp_path, capsys):
    with pytest.raises(CompareError, match="no such folder"):
        read_build(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CompareError, match="no results"):
        read_build(tmp_path / "empty")
    bad = tmp_path / "bad" / "results"
    bad.mkdir(parents=True)
    (bad / "01_data.json").write_text('{"notebook": "01_data", "values": {"r": NaN}}')
    with pytest.raises(CompareError, match=r"01_data\.json.*NaN"):
        read_build(tmp_path / "bad")
    assert main(["compare", str(tmp_path / "missing"), str(tmp_path / "empty")]) == 2
    assert "no such folder" in capsys.readouterr().err


@pytest.fixture
def served(tmp_path):
    """A folder served over HTTP on the loopback interface only, stopped after the test."""
    import functools
    import http.server
    import threading

    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_a_published_book_is_read_from_its_results_index(two_builds, served, capsys):
    from banlib.book.landing import results_index

    a, b = two_builds
    root, url = served
    (root / "book" / "results").mkdir(parents=True)
    for f in (a / "results").iterdir():
        (root / "book" / "results" / f.name).write_text(f.read_text())
    (root / "book" / "results" / "index.json").write_text(results_index(a))
    published = read_build(url + "book/")
    assert published.path == url + "book/" and set(published.results) == {"01_data", "07_scorecard"}
    assert main(["compare", url + "book", str(b)]) == 0
    assert f"A: {url}book/" in capsys.readouterr().out
    with pytest.raises(CompareError, match="cannot download"):
        read_build(url + "nothing-here/")
    (root / "evil" / "results").mkdir(parents=True)
    (root / "evil" / "results" / "index.json").write_text('{"results": [{"file": "../../secret.json"}]}')
    with pytest.raises(CompareError, match="not a results file name"):
        read_build(url + "evil/")
