"""Figures a reader can cite: a provenance footer on every figure, saved as PNG and SVG."""
from __future__ import annotations

from pathlib import Path

from .provenance import stamp


def finish(fig, source, name: str | None = None, out_dir: str | Path | None = None):
    """Add the data/version footer; save ``<out_dir>/<name>.png`` and ``.svg`` when given."""
    fig.text(0.5, 0.005, stamp(source.label), ha="center", va="bottom", fontsize=7, color="0.35")
    if name and out_dir:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        for ext in ("png", "svg"):
            fig.savefig(out / f"{name}.{ext}", dpi=150, bbox_inches="tight")
    return fig


def heatmap(ax, matrix, labels, title: str, fmt: str = ".2f", cmap: str = "viridis", vmax=None):
    import seaborn as sns

    sns.heatmap(matrix, ax=ax, xticklabels=labels, yticklabels=labels, annot=len(labels) <= 10, fmt=fmt,
                cmap=cmap, vmin=0, vmax=vmax, cbar=True, square=True, annot_kws={"fontsize": 6})
    ax.set_title(title)
    return ax

