"""One executed chapter: its data, results file, shared pipeline and figure folder, set up in one call.

    ch = Chapter.open("02_roi_selection", data_source, profile, seed, data_dir, results_path, figures_dir)
    ch.record("roi_size_sub-001", 468)        # results JSON (+ glue for the page)
    ch.show(fig, "fig_roi_sizes")             # provenance footer, PNG + SVG, shown on the page
    ch.table(frame)                           # a table captioned with the provenance line

Every notebook starts with this call, so each page names its data source first.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Chapter:
    """A notebook's handles. Build it with :meth:`open`.

    Attributes
    ----------
    name : str
        The notebook's stem (``02_roi_selection``).
    source : DataSource
    results : Results
        Its results file (``<build>/results/<name>.json``).
    pipe : Pipeline
        Shared, cached steps of the book run (designs, ROIs, networks).
    figures_dir : Path or None
        Where figures are saved as PNG and SVG.
    """

    name: str
    source: object
    results: object
    pipe: object
    figures_dir: Path | None

    @classmethod
    def open(cls, name: str, data_source: str, profile: str, seed: int, data_dir, results_path=None,
             figures_dir=None, grid_widths: str = "quick", show_label: bool = True) -> "Chapter":
        """Open (on the twin: generate when missing) the data, start the results file and the pipeline
        (``grid_widths``: the recurrence grid's widths, :func:`banlib.config.grid_widths`)."""
        from ..analyses.pipeline import Pipeline, work_dir
        from ..twin import open_or_make
        from .results import Results

        warnings.filterwarnings("ignore", category=UserWarning, module="nilearn")
        source = open_or_make(data_source, data_dir, profile, seed)
        results = Results(results_path, source, name, dict(data_source=data_source, profile=profile, seed=seed))
        pipe = Pipeline(source, profile, seed, work_dir(results_path), grid_widths=grid_widths)
        chapter = cls(name, source, results, pipe, Path(figures_dir) if figures_dir else None)
        if show_label:
            chapter.say(f"**{source.label}**")
        return chapter

    @property
    def twin(self) -> bool:
        """Whether the data are the synthetic twin (planted truth available)."""
        return self.source.kind == "twin"

    def record(self, key: str, value, fmt: str | None = None, reason: str | None = None):
        """Write one result (see :meth:`banlib.book.results.Results.record`)."""
        scalar = isinstance(value, (int, float, str, bool)) or value is None
        return self.results.record(key, value, glue=scalar, fmt=fmt, reason=reason)

    def record_all(self, values: dict, reasons: dict | None = None) -> dict:
        """Write every ``key: value`` of ``values``; ``reasons`` gives why a value is missing or partly NaN."""
        reasons = reasons or {}
        for key, value in values.items():
            self.record(key, value, reason=reasons.get(key))
        return values

    def recovery(self, check: str, *args):
        """Twin only: run the pipeline-recovery check ``check`` on ``args`` (:data:`banlib.analyses.recovery.CHECKS`),
        record its result as ``recovery_<check>`` and print its verdict; on other data, say that nothing was
        planted to recover. Returns the recorded result, or None."""
        if not self.twin:
            self.cannot(f"pipeline recovery ({check})", "Only the twin has a planted truth to compare with.")
            return None
        from ..analyses.recovery import run_check, sentence

        out = self.record(f"recovery_{check}", run_check(check, *args, source=self.source),
                          reason="undefined where a compared quantity is constant (no errors, or an empty set)")
        self.say(sentence(out))
        return out

    def show(self, fig, name: str | None):
        """Add the provenance footer, save ``<figures_dir>/<name>.png`` and ``.svg``, and show the figure."""
        import matplotlib.pyplot as plt

        from ..figures.common import finish

        finish(fig, self.source, name, self.figures_dir)
        plt.show()

    def save(self, fig, name: str):
        """Like :meth:`show`, but only save (a figure kept as a file, not drawn on the page)."""
        import matplotlib.pyplot as plt

        from ..figures.common import finish

        finish(fig, self.source, name, self.figures_dir)
        plt.close(fig)

    def table(self, frame, digits: int | None = 3):
        """Show a table (DataFrame or Styler) captioned with the provenance line; floats rounded to ``digits``."""
        from IPython.display import display

        from ..figures.common import stamped_table

        if digits is not None and hasattr(frame, "round"):
            frame = frame.round(digits)
        display(stamped_table(frame, self.source))

    def say(self, text: str) -> None:
        """Show Markdown on the page."""
        from IPython.display import Markdown, display

        display(Markdown(text))

    def cannot(self, what: str, why: str) -> None:
        """Say on the page that ``what`` cannot be computed on these data, and ``why``."""
        self.say(f"**Not computed on these data: {what}.** {why}")
