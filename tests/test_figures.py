import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from banlib.dataset import DataSource  # noqa: E402
from banlib.figures import figure_index, finish  # noqa: E402


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
