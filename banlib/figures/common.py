"""Figures a reader can cite: a provenance footer on every figure, saved as PNG and SVG."""
from __future__ import annotations

import math
from pathlib import Path

from .. import __version__
from ..files import StrictJSONError, read_json_strict, write_text
from ..provenance import git_commit, stamp


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
    """Keep ``<out>/index.json``: every saved figure with its files and provenance (the footer line,
    and its parts: data label, data source and version, banlib version, commit)."""
    import json

    path = out / "index.json"
    index = _read_index(out)
    info = {k: v for k, v in sorted((source.info or {}).items())
            if isinstance(v, (str, int, float)) and not isinstance(v, bool)
            and not (isinstance(v, float) and not math.isfinite(v))}          # strict JSON: no NaN, no infinity
    index[name] = {"files": [f"{name}.png", f"{name}.svg"], "provenance": stamp(source.label),
                   "data": source.label, "data_source": source.kind, "source_info": info,
                   "banlib_version": __version__, "git_commit": git_commit()}
    write_text(path, json.dumps(index, indent=2, sort_keys=True, allow_nan=False) + "\n", ".tmp")


def _read_index(out_dir) -> dict:
    """``<out_dir>/index.json`` read strictly (:func:`banlib.files.read_json_strict`: no NaN, no infinity, no key
    twice); {} when there is none yet."""
    path = Path(out_dir) / "index.json"
    if not path.exists():
        return {}
    index = read_json_strict(path)
    if not isinstance(index, dict):
        raise StrictJSONError(file=path, what="not a figure index (a JSON object)",
                              fix="delete it; the chapters write it again when they save their figures")
    return index


def figure_index(out_dir) -> list[dict]:
    """The figures of a book run, from ``index.json``, sorted by name: ``figure``, ``files``, ``provenance``."""
    return [{"figure": k, "files": v["files"], "provenance": v["provenance"]} for k, v in sorted(_read_index(out_dir).items())]


def figure_citations(out_dir, publishing=None) -> list[dict]:
    """One citation line per figure of a book run (``<out_dir>/index.json``), for the figure index.

    Parameters
    ----------
    out_dir : path
        The run's figures folder (``figures_dir`` in the notebooks, ``<build>/figures``).
    publishing : banlib.publishing.Publishing, optional
        Where the book is served (default: from the environment, as the book build reads it). The
        PNG and SVG are published at ``<site>/figures/<name>.png`` and ``.svg``; with no site URL
        configured the citation names the files inside the build instead of inventing a URL.

    Returns
    -------
    list of dict
        Sorted by figure name: ``figure``, ``citation`` (the one line to paste: figure name, book
        version and commit, data source and version, PNG and SVG links), ``png`` and ``svg``.
    """
    from ..publishing import Publishing

    pub = publishing if publishing is not None else Publishing.from_env()
    rows = []
    for name, entry in sorted(_read_index(out_dir).items()):
        label, version, commit = _provenance_parts(entry)
        png, svg = (pub.permalink(f"figures/{f}") or f"figures/{f}" for f in (f"{name}.png", f"{name}.svg"))
        where = "" if pub.site_url else " (in the build; no site URL configured)"
        rows.append({"figure": name, "png": png, "svg": svg,
                     "citation": f"Figure {name}, BAN replication book (banlib {version} @ {commit}); "
                                 f"{label}; PNG {png}, SVG {svg}{where}"})
    return rows


def _provenance_parts(entry: dict) -> tuple[str, str, str]:
    """(data label, banlib version, commit) of an index entry; older entries only have the footer line
    ``<label> | banlib <version> @ <commit>``."""
    if "data" in entry:
        return entry["data"], entry.get("banlib_version", "?"), entry.get("git_commit", "?")
    provenance = entry.get("provenance", "")
    if " | banlib " not in provenance:
        return provenance or "?", "?", "?"
    label, _, rest = provenance.rpartition(" | banlib ")
    version, _, commit = rest.partition(" @ ")
    return label, version or "?", commit or "?"


def figure_index_table(out_dir):
    """The figure index as a table (``figure``, ``files``, ``citation``: the one line to cite it by), or None
    without a figures folder."""
    import pandas as pd

    if not out_dir:
        return None
    index = pd.DataFrame(figure_index(out_dir))
    if index.empty:
        return None
    cites = {c["figure"]: c["citation"] for c in figure_citations(out_dir)}
    index["files"] = index.files.map(", ".join)
    index["citation"] = index.figure.map(cites)
    return index[["figure", "files", "citation"]]


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


