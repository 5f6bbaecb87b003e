import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from banlib.data.dataset import DataSource
from banlib.figures.common import figure_index, finish


def test_finish_saves_png_svg_and_indexes_with_provenance(tmp_path):
    source = DataSource("twin", tmp_path, tmp_path, tmp_path, info={"profile": "quick", "seed": 3})
    for name in ("fig_b", "fig_a"):
        fig, ax = plt.subplots()
        ax.plot([0, 1])
        finish(fig, source, name, tmp_path / "figures")
        plt.close(fig)
    assert (tmp_path / "figures" / "fig_a.png").exists() and (tmp_path / "figures" / "fig_a.svg").exists()
    index = figure_index(tmp_path / "figures")
    assert [r["figure"] for r in index] == ["fig_a", "fig_b"]
    assert "synthetic twin (profile quick, seed 3)" in index[0]["provenance"] and "banlib" in index[0]["provenance"]


def test_redrawing_a_figure_gives_the_same_bytes(tmp_path):
    """A re-run that changes nothing must show no change (datalad rerun compares files)."""
    source = DataSource("twin", tmp_path, tmp_path, tmp_path, info={"profile": "quick", "seed": 3})
    saved = []
    for run in ("first", "second"):
        fig, ax = plt.subplots()
        ax.plot([0, 1, 3])
        ax.set_title("same figure")
        finish(fig, source, "fig_same", tmp_path / run)
        plt.close(fig)
        saved.append({ext: (tmp_path / run / f"fig_same.{ext}").read_bytes() for ext in ("png", "svg")})
    assert saved[0] == saved[1]
    assert b"<dc:date>" not in saved[0]["svg"]


def test_table_carries_the_provenance_line_and_keeps_the_rounding(tmp_path):
    import numpy as np
    import pandas as pd

    from banlib.figures.common import stamped_table

    source = DataSource("twin", tmp_path, tmp_path, tmp_path, info={"profile": "quick", "seed": 3})
    frame = pd.DataFrame({"r": [0.356, np.nan], "n": [468, 12], "label": ["A1", "T2T3"]})
    html = stamped_table(frame.round(3), source).to_html()
    assert "synthetic twin (profile quick, seed 3)" in html and "banlib" in html
    assert ">0.356<" in html and "0.356000" not in html and ">468<" in html and ">A1<" in html
    assert "–" in html                                            # missing values shown as a dash
    styled = stamped_table(frame.style.hide(axis="index"), source).to_html()   # a Styler keeps its own styling
    assert "synthetic twin" in styled


def test_figure_citations_give_name_version_commit_data_and_links(tmp_path):
    from banlib.figures.common import figure_citations
    from banlib.provenance import git_commit
    from banlib.publishing import Publishing

    source = DataSource("openneuro", tmp_path, tmp_path, tmp_path, info={"version": "1.0.1", "commit": "c0ffee1234abcd"})
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    finish(fig, source, "fig4_confusion_sub-001", tmp_path / "figures")
    plt.close(fig)
    pub = Publishing(pages_url="https://o.github.io/r/real/")
    (row,) = figure_citations(tmp_path / "figures", pub)
    assert row["png"] == "https://o.github.io/r/real/figures/fig4_confusion_sub-001.png"
    assert row["svg"] == "https://o.github.io/r/real/figures/fig4_confusion_sub-001.svg"
    line = row["citation"]
    assert line.startswith("Figure fig4_confusion_sub-001, BAN replication book (banlib ")
    assert f"@ {git_commit()})" in line and "OpenNeuro ds003720 v1.0.1 @ c0ffee1234" in line
    assert row["png"] in line and row["svg"] in line and "\n" not in line
    # no site URL configured: the files inside the build are named, no URL is made up
    (local,) = figure_citations(tmp_path / "figures", Publishing())
    assert local["png"] == "figures/fig4_confusion_sub-001.png" and "no site URL configured" in local["citation"]


def test_figure_citations_read_older_index_entries(tmp_path):
    import json

    from banlib.figures.common import figure_citations
    from banlib.publishing import Publishing

    old = {"files": ["fig_old.png", "fig_old.svg"],
           "provenance": "data: synthetic twin (profile quick, seed 0) | banlib 0.0.9 @ abc"}
    (tmp_path / "index.json").write_text(json.dumps({"fig_old": old}))
    (row,) = figure_citations(tmp_path, Publishing())
    assert "(banlib 0.0.9 @ abc); data: synthetic twin (profile quick, seed 0);" in row["citation"]


def test_scorecard_table_escapes_its_text_and_colours_every_verdict():
    import pandas as pd

    from banlib.figures import scorecard as figs
    from banlib.paper.verdicts import VERDICTS

    card = pd.DataFrame([{"id": "a", "verdict": v, "note": "p(<) 0.02 & more"} for v in VERDICTS])
    page = figs.styled(card).to_html()
    assert "p(&lt;) 0.02 &amp; more" in page and "p(<)" not in page
    assert all(v in figs.COLOURS for v in VERDICTS)
    fig = figs.tally({"agrees (twin)": 2, "planted (calibration)": 56})
    assert len(fig.axes[0].patches) == 2
