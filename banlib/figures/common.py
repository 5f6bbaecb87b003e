"""Figures a reader can cite: a provenance footer on every figure, saved as PNG and SVG."""
from __future__ import annotations

from pathlib import Path

from ..provenance import stamp


def finish(fig, source, name: str | None = None, out_dir: str | Path | None = None):
    """Add the data/version footer; save ``<out_dir>/<name>.png`` and ``.svg`` when given.

    The files are byte-identical when the same figure is drawn again (no date in the SVG, element
    ids salted with the name), so a re-run that changes nothing shows no change.
    """
    import matplotlib.pyplot as plt

    fig.text(0.5, 0.005, stamp(source.label), ha="center", va="bottom", fontsize=7, color="0.35")
    if name and out_dir:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        with plt.rc_context({"svg.hashsalt": name}):
            fig.savefig(out / f"{name}.png", dpi=150, bbox_inches="tight")
            fig.savefig(out / f"{name}.svg", bbox_inches="tight", metadata={"Date": None})
        _index(out, name, source)
    return fig


def _index(out: Path, name: str, source) -> None:
    """Keep ``<out>/index.json``: every saved figure with its files and provenance line."""
    import json

    path = out / "index.json"
    index = json.loads(path.read_text()) if path.exists() else {}
    index[name] = {"files": [f"{name}.png", f"{name}.svg"], "provenance": stamp(source.label)}
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)


def figure_index(out_dir) -> list[dict]:
    """The figures of a book run, from ``index.json``, sorted by name."""
    import json

    path = Path(out_dir) / "index.json"
    index = json.loads(path.read_text()) if path.exists() else {}
    return [{"figure": k, **v} for k, v in sorted(index.items())]


def figure_index_table(out_dir):
    """The figure index as a table (``figure``, ``files``, ``provenance``), or None without a figures folder."""
    import pandas as pd

    if not out_dir:
        return None
    index = pd.DataFrame(figure_index(out_dir))
    if index.empty:
        return None
    index["files"] = index.files.map(", ".join)
    return index


def stamped_table(frame, source):
    """A table for the book: ``frame`` (DataFrame or Styler; round it first) with the provenance line
    (data source, banlib version, git commit) as its caption, so a copied table keeps where it came from."""
    import numpy as np

    style = frame if hasattr(frame, "set_caption") else frame.style
    return (style.format(lambda v: f"{v:g}" if isinstance(v, (float, np.floating)) else v, na_rep="–")
            .set_caption(stamp(source.label))
            .set_table_styles([{"selector": "caption",
                                "props": "caption-side: bottom; font-size: 0.75em; color: #595959;"}],
                              overwrite=False))


def heatmap(ax, matrix, labels, title: str, fmt: str = ".2f", cmap: str = "viridis", vmax=None):
    """A (10, 10) matrix as an annotated heat map on ``ax`` with ``labels`` on both axes."""
    import seaborn as sns

    sns.heatmap(matrix, ax=ax, xticklabels=labels, yticklabels=labels, annot=len(labels) <= 10, fmt=fmt,
                cmap=cmap, vmin=0, vmax=vmax, cbar=True, square=True, annot_kws={"fontsize": 6})
    ax.set_title(title)
    return ax


