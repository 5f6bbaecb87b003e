"""Every numeric claim of the paper, one record each: where it is, what it says, where our number is
and the rule that judges it. The scorecard (:mod:`banlib.paper.scorecard`) is a loop over
:data:`CLAIMS`; the methods chapter lists the same table (:func:`claims_markdown`).

A claim's ``source`` names our number as ``<notebook>:<key>`` in the results files, with ``/`` to
reach inside a nested value (``04_confusion_bas:best_area/BAN``). A rule takes the value found there
(None when the chapter did not run or the data cannot give it) and the whole results, and returns
our value as shown, the tolerance as shown, the verdict and a note.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import values as V
from .verdicts import (NOT_REPLICATED, NOT_TESTABLE, REPLICATED, missing, proportion_tolerance, verdict_mean_sd,
                       verdict_value)

NOT_RUN = "chapter not run"
NO_COORDINATES = "no voxel coordinates in the real derivatives"


def lookup(results: dict, source: str):
    """The value at ``<notebook>:<key>[/<subkey>...]`` in ``{notebook: values}``, or None."""
    notebook, _, path = source.partition(":")
    value = results.get(notebook, {})
    for part in path.split("/"):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


@dataclass(frozen=True)
class Judgement:
    """What a rule says about one claim: our value and tolerance as shown, the verdict, a note."""

    ours: object
    tolerance: object
    verdict: str
    note: str = ""


# ------------------------------------------------------------------------------------ rules
@dataclass(frozen=True)
class Within:
    """``|ours - paper| <= tolerance`` (absolute), or ``relative`` times the paper's value."""

    tolerance: float = 0.0
    relative: bool = False

    def __call__(self, claim, ours, results) -> Judgement:
        tol = self.tolerance * claim.paper if self.relative else self.tolerance
        shown = round(tol) if self.relative else tol
        return Judgement(ours, shown, verdict_value(ours, claim.paper, tol), NOT_RUN if ours is None else "")


@dataclass(frozen=True)
class Proportion:
    """A proportion over ``n`` trials: within two binomial standard errors (at least 0.1)."""

    n: int = V.TRIALS_PER_GENRE

    def __call__(self, claim, ours, results) -> Judgement:
        tol = proportion_tolerance(claim.paper, self.n)
        return Judgement(ours, round(tol, 3), verdict_value(ours, claim.paper, tol), NOT_RUN if ours is None else "")


@dataclass(frozen=True)
class Significant:
    """The largest p over the pairs tested is below ``alpha``; ``ceiling_key`` flags a degenerate test."""

    alpha: float = 0.05
    ceiling_key: str = ""

    def __call__(self, claim, ours, results) -> Judgement:
        if missing(ours):
            return Judgement(ours, "", NOT_TESTABLE, NOT_RUN if ours is None else "rho undefined")
        ceiling = lookup(results, self.ceiling_key) if self.ceiling_key else False
        note = "decoding at ceiling: agreement of diagonals, not of errors" if ceiling else ""
        return Judgement(ours, "", REPLICATED if ours < self.alpha else NOT_REPLICATED, note)


@dataclass(frozen=True)
class Equals:
    """Our value (a name) equals the paper's."""

    def __call__(self, claim, ours, results) -> Judgement:
        if ours is None:
            return Judgement(None, "", NOT_TESTABLE, NOT_RUN)
        return Judgement(ours, "", REPLICATED if ours == claim.paper else NOT_REPLICATED)


@dataclass(frozen=True)
class HighestBAS:
    """BAN's BAS is at least every other network's (values ``bas_<network>`` of the chapter)."""

    def __call__(self, claim, ours, results) -> Judgement:
        chapter = results.get(claim.source.partition(":")[0], {})
        bas = {k[len("bas_"):]: v for k, v in chapter.items()
               if k.startswith("bas_") and k != "bas_table" and isinstance(v, (int, float))}
        if not bas:
            why = "no behavioural data" if "bas_table" in chapter else NOT_RUN
            return Judgement(None, "", NOT_TESTABLE, why)
        verdict = REPLICATED if bas.get("BAN", -1) >= max(bas.values()) else NOT_REPLICATED
        return Judgement(round(bas.get("BAN", float("nan")), 3), "", verdict,
                         "; ".join(f"{k}: {x:.3f}" for k, x in bas.items()))


@dataclass(frozen=True)
class BestInGrid:
    """The paper's structure has the highest held-out accuracy in the recurrence grid."""

    ceiling_key: str = "03_train_ban:recurrence_grid_at_ceiling"

    def __call__(self, claim, grid, results) -> Judgement:
        if not grid:
            return Judgement(None, "", NOT_TESTABLE, NOT_RUN)
        top = max(grid.values())
        verdict = REPLICATED if grid.get(claim.paper, -1) >= top else NOT_REPLICATED
        note = "grid at ceiling" if lookup(results, self.ceiling_key) else ""
        return Judgement(", ".join(k for k, x in grid.items() if x == top), "", verdict, note)


@dataclass(frozen=True)
class Table2Cell:
    """A Table II cell: our mean ± sd over subjects against the paper's (two standard errors)."""

    roi: str
    model: str

    def __call__(self, claim, summary, results) -> Judgement:
        row = next((r for r in summary or [] if r.get("roi") == self.roi), None)
        mean = None if row is None else row.get(f"{self.model} mean")
        if missing(mean):
            testable = lookup(results, "05_table2:table2_testable")
            return Judgement(None, "", NOT_TESTABLE, NO_COORDINATES if testable is False else NOT_RUN)
        sd = row.get(f"{self.model} sd")
        n = lookup(results, "05_table2:table2_n_subjects") or V.N_SUBJECTS
        pm, ps = V.PAPER_TABLE2[self.roi][self.model]
        verdict, tol = verdict_mean_sd(mean, sd, pm, ps, n=n)
        return Judgement(f"{mean:.3f} ± {0.0 if missing(sd) else sd:.3f}", round(tol, 3), verdict)


@dataclass(frozen=True)
class TopGenres:
    """At least ``need`` of the paper's genres are among the label's top genres (``top`` of them)."""

    label: str
    genres: tuple
    need: int
    top: int = 4

    def __call__(self, claim, tops, results) -> Judgement:
        if not tops:
            testable = lookup(results, "05_table2:table2_testable")
            return Judgement(None, "", NOT_TESTABLE, NO_COORDINATES if testable is False else NOT_RUN)
        mine = list(tops.get(self.label, []))[: self.top]
        hits = len(set(mine) & set(self.genres))
        shown = f"{hits} of {len(self.genres)}" if len(self.genres) > 1 else ", ".join(mine)
        tol = f"{self.need} of {len(self.genres)}" if len(self.genres) > 1 else f"top {self.top}"
        return Judgement(shown, tol, REPLICATED if hits >= self.need else NOT_REPLICATED)


@dataclass(frozen=True)
class IntensityAndLowFrequency:
    """An attribution method's maps correlate with intensity (rho > 0) and lie mostly in the low half."""

    method: str

    def __call__(self, claim, rho, results) -> Judgement:
        low = lookup(results, "06_interpretability:low_half_share")
        if not rho or not low or self.method not in rho:
            return Judgement(None, "", NOT_TESTABLE, NOT_RUN)
        r, share = rho[self.method], low[self.method]
        ok = r > 0 and share > 0.5
        return Judgement(f"rho {r:.2f}, share {share:.2f}", "", REPLICATED if ok else NOT_REPLICATED)


# ------------------------------------------------------------------------------------ the table
@dataclass(frozen=True)
class Claim:
    """One numeric claim of the paper.

    Attributes
    ----------
    id : str
        Stable identifier (``<section>.<quantity>``), used by tests and by ``banlib compare``.
    section : str
        Where the paper makes it.
    claim : str
        What it says, in a few words.
    paper : object
        The paper's value, as shown.
    source : str
        Our number: ``<notebook>:<key>[/<subkey>]`` in the results files.
    rule : callable
        ``rule(claim, ours, results) -> Judgement``.
    note : str
        A standing note (how the claim is read).
    """

    id: str
    section: str
    claim: str
    paper: object
    source: str
    rule: object = field(default_factory=Within)
    note: str = ""

    def judge(self, results: dict) -> dict:
        """This claim's scorecard row for ``{notebook: values}``."""
        j = self.rule(self, lookup(results, self.source), results)
        note = "; ".join(x for x in (j.note, self.note) if x)
        return {"id": self.id, "claim": self.claim, "section": self.section, "paper": self.paper, "ours": j.ours,
                "tolerance": j.tolerance, "verdict": j.verdict, "source": self.source, "note": note}


def _claims() -> tuple[Claim, ...]:
    c = [Claim(f"V-A.{key}", "V-A", text, paper, f"01_data:{key}") for key, text, paper in (
        ("n_clips", "clips in the experiment", V.N_CLIPS), ("n_training_clips", "training clips", V.N_TRAINING_CLIPS),
        ("n_test_clips", "test clips", V.N_TEST_CLIPS), ("n_subjects", "subjects", V.N_SUBJECTS),
        ("n_genres", "genres", V.N_GENRES))]
    c += [Claim(f"V-B2.roi_size.{sub}", "V-B2", f"ROI size, {sub}", n, f"02_roi_selection:roi_size_{sub}",
                Within(0.2, relative=True)) for sub, n in V.PAPER_ROI_SIZES.items()]
    c += [Claim(f"V-E.decoding.{g}", "V-E", f"brain decoding accuracy, {g}", p,
                f"04_confusion_bas:brain_accuracy_per_genre_mean/{g}", Proportion()) for g, p in V.PAPER_DECODING.items()]
    c += [Claim(f"V-E.confusion.{a}_as_{b}", "V-E", f"{a} decoded as {b}", p, f"04_confusion_bas:brain_confusion_{a}_as_{b}",
                Proportion()) for (a, b), p in V.PAPER_CONFUSIONS.items()]
    c += [Claim("V-E.consistency", "V-E", "confusion matrices consistent across subjects (Spearman, every pair p < .05)",
                "p < .05", "04_confusion_bas:brain_consistency_max_p",
                Significant(0.05, "04_confusion_bas:brain_decoding_at_ceiling")),
          Claim("IV.bas_highest", "IV, VI", "BAN has the highest BAS of the compared networks", "highest",
                "04_confusion_bas:bas_BAN", HighestBAS()),
          Claim("IV-A.best_area", "IV-A", "T2/T3 is BAN's area that best predicts the genre ROI", "T2T3",
                "04_confusion_bas:best_area/BAN", Equals()),
          Claim("V-D.recurrence", "V-D", "passes 2/2/4 score best in the recurrence grid", "2/2/4",
                "03_train_ban:recurrence_grid", BestInGrid())]
    c += [Claim(f"V-F.table2.{roi}.{m}", "V-F, Table II", f"Table II {roi}, {m} model",
                f"{V.PAPER_TABLE2[roi][m][0]:.3f} ± {V.PAPER_TABLE2[roi][m][1]:.3f}", "05_table2:table2_summary",
                Table2Cell(roi, m)) for roi in V.TABLE2_ROIS for m in V.TABLE2_MODELS]
    c += [Claim("V-F.lstg_genres", "V-F", "pop, disco, country, hip-hop strongest in LSTG", "4 of 4",
                "05_table2:genre_top4_per_label", TopGenres("LSTG", V.LSTG_GENRES, need=3)),
          Claim("V-F.hs_blues", "V-F", "blues contributes most around HS", V.HS_GENRE,
                "05_table2:genre_top4_per_label", TopGenres("HS", (V.HS_GENRE,), need=1, top=2))]
    c += [Claim(f"V-E.maps.{m}", "V-E, Fig. 7", f"maps favour high intensity and low frequency ({m})",
                "rho > 0, low-half share > .5", "06_interpretability:intensity_rho", IntensityAndLowFrequency(m))
          for m in ("Grad-CAM", "LIME", "occlusion")]
    return tuple(c)


CLAIMS = _claims()


def claims_markdown() -> str:
    """The claims as a Markdown table (section, claim, paper's value, where our number is)."""
    lines = ["| id | section | claim | paper | our number |", "|---|---|---|---|---|"]
    for c in CLAIMS:
        lines.append(f"| `{c.id}` | {c.section} | {c.claim} | {c.paper} | `{c.source}` |")
    return "\n".join(lines) + "\n"
