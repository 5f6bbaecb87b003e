"""The scorecard's tables (verdicts coloured) and its tally."""
from __future__ import annotations

import html

from ..paper.verdicts import (AGREES_TWIN, CONSISTENT, DISAGREES_TWIN, INCONCLUSIVE, INCONCLUSIVE_TWIN, INCONSISTENT,
                              NOT_REPLICATED, NOT_TESTABLE, PLANTED, READING_DEPENDENT, READING_DEPENDENT_TWIN,
                              REPLICATED)

FILL = {REPLICATED: "#d9f2d9", NOT_REPLICATED: "#f8d7d7", INCONCLUSIVE: "#fff3cd", READING_DEPENDENT: "#fde2c4",
        NOT_TESTABLE: "#eeeeee", PLANTED: "#dde7f6", AGREES_TWIN: "#e9f5e9", DISAGREES_TWIN: "#fbe9e9",
        INCONCLUSIVE_TWIN: "#fff8e1", READING_DEPENDENT_TWIN: "#fdeedc", CONSISTENT: "#d9f2d9", INCONSISTENT: "#f8d7d7"}
BAR = {REPLICATED: "#5cb85c", NOT_REPLICATED: "#d9534f", INCONCLUSIVE: "#e0b020", READING_DEPENDENT: "#e8893a",
       NOT_TESTABLE: "#999999", PLANTED: "#6f8fc7", AGREES_TWIN: "#8fcf8f", DISAGREES_TWIN: "#e48c8a",
       INCONCLUSIVE_TWIN: "#ecc95a", READING_DEPENDENT_TWIN: "#eea66c"}
COLOURS = {k: f"background-color: {v}" for k, v in FILL.items()}
SHOWN = ["id", "section", "claim", "paper", "ours", "criterion", "verdict", "note", "source"]


def styled(card, columns=SHOWN, verdict: str = "verdict"):
    """A scorecard table as a Styler for the HTML page: the ``verdict`` column coloured, no index, text cells
    HTML-escaped (notes hold ``p(<)``; the book's table caption sets its own cell format, so the text is escaped
    here) (``columns`` shown, in order)."""
    shown = card[[c for c in columns if c in card]].astype({c: str for c in ("paper", "ours", "criterion")
                                                              if c in card})
    shown = shown.assign(**{c: shown[c].map(lambda v: html.escape(v) if isinstance(v, str) else v)
                            for c in shown if c != verdict})
    return shown.style.map(lambda v: COLOURS.get(v, ""), subset=[verdict]).hide(axis="index")


CHECK_COLUMNS = ["id", "section", "check", "paper", "ours", "criterion", "result", "note", "source"]


def checks_styled(checks):
    """The consistency checks as a Styler (the ``result`` column coloured)."""
    return styled(checks, CHECK_COLUMNS, verdict="result")


def tally(counts: dict):
    """Horizontal bars: claims per verdict (``counts``: ``{verdict: n}``, in the order shown)."""
    import matplotlib.pyplot as plt
    import pandas as pd

    fig, ax = plt.subplots(figsize=(5.5, 0.45 * len(counts) + 0.8))
    series = pd.Series(counts)
    series.plot.barh(ax=ax, color=[BAR.get(k, "#999999") for k in series.index])
    ax.set_xlabel("claims")
    ax.invert_yaxis()
    return fig
