"""The scorecard's table (verdicts coloured) and its tally."""
from __future__ import annotations

COLOURS = {"replicated": "background-color: #d9f2d9", "not replicated": "background-color: #f8d7d7",
           "not testable": "background-color: #eeeeee"}


def styled(card):
    """The scorecard as a Styler: verdict cells coloured, no index."""
    shown = card.astype({"paper": str, "ours": str, "tolerance": str})
    return shown.style.map(lambda v: COLOURS.get(v, ""), subset=["verdict"]).hide(axis="index")


def tally(counts: dict):
    """Horizontal bars: claims per verdict."""
    import matplotlib.pyplot as plt
    import pandas as pd

    fig, ax = plt.subplots(figsize=(5, 2.2))
    pd.Series(counts).plot.barh(ax=ax, color=["#5cb85c", "#d9534f", "#999999"])
    ax.set_xlabel("claims")
    ax.invert_yaxis()
    return fig
