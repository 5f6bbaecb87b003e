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
PAPER_SPLIT_NOTE = ("our number is the paper's reading (training and test pooled, roi_split=paper); the book's own "
                    "selection resamples the training runs only (3,600 / 1,200)")
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


def spread_by_network(rows, value: str) -> dict[str, tuple[float, float, int]]:
    """``{network: (mean, sd, n)}`` of ``value`` over a results table's rows (one per network, seed and subject)."""
    import statistics

    groups: dict[str, list[float]] = {}
    for r in rows or []:
        v = r.get(value)
        if not missing(v):
            groups.setdefault(r["network"], []).append(float(v))
    return {k: (statistics.fmean(v), statistics.stdev(v) if len(v) > 1 else 0.0, len(v)) for k, v in groups.items()}


@dataclass(frozen=True)
class HighestWithMargin:
    """``network`` leads every other network on ``value`` by more than the spread: the larger of the two
    networks' sd over seeds and subjects (rows of a results table such as ``bas_table``)."""

    value: str = "bas"
    network: str = "BAN"
    controls: tuple = ("(untrained)",)     # rows whose network name contains these are controls, not rivals

    def __call__(self, claim, rows, results) -> Judgement:
        stats = {k: v for k, v in spread_by_network(rows, self.value).items()
                 if not any(c in k for c in self.controls)}
        if self.network not in stats or len(stats) < 2:
            why = NOT_RUN if rows is None else f"no {self.value} values (no behavioural data)"
            return Judgement(None, "", NOT_TESTABLE, why)
        mean, sd, _ = stats[self.network]
        rival = max((k for k in stats if k != self.network), key=lambda k: stats[k][0])
        r_mean, r_sd, _ = stats[rival]
        margin = max(sd, r_sd)
        lead = mean - r_mean
        shown = "; ".join(f"{k}: {m:.3f} ± {s:.3f}" for k, (m, s, _) in stats.items())
        if lead > margin:
            return Judgement(round(mean, 3), f"lead > {margin:.3f}", REPLICATED, shown)
        why = "lead within the spread over seeds and subjects" if lead > 0 else f"{rival} scores higher"
        return Judgement(round(mean, 3), f"lead > {margin:.3f}", NOT_REPLICATED, f"{why}; {shown}")


def total_passes(structure: str) -> int:
    """Layers of a recurrence-grid structure ``"b/p/t"``: the sum of the passes."""
    return sum(int(x) for x in structure.split("/"))


@dataclass(frozen=True)
class BestInGrid:
    """The paper's structure is the best with the fewest layers: ranked by mean held-out accuracy, structures
    within the spread (the larger sd over seeds) of the best count as tied, and a tie goes to fewer layers.
    Deciding needs the paper's structure and at least one structure with fewer and one with more layers."""

    sd_key: str = "03_train_ban:recurrence_grid_sd"
    ceiling_key: str = "03_train_ban:recurrence_grid_at_ceiling"

    def __call__(self, claim, grid, results) -> Judgement:
        if not grid:
            return Judgement(None, "", NOT_TESTABLE, NOT_RUN)
        sds = lookup(results, self.sd_key) or {}
        layers = {k: total_passes(k) for k in grid}
        mine = layers.get(claim.paper)
        if mine is None or not any(v < mine for v in layers.values()) or not any(v > mine for v in layers.values()):
            return Judgement(", ".join(grid), "", NOT_TESTABLE,
                             f"the grid has {len(grid)} structure(s); deciding needs {claim.paper} and structures with "
                             f"fewer and with more layers")
        best = max(grid, key=grid.get)
        tied = [k for k in grid if grid[best] - grid[k] <= max(sds.get(best, 0.0), sds.get(k, 0.0))]
        winner = min(tied, key=lambda k: (layers[k], -grid[k]))
        note = "grid at ceiling" if lookup(results, self.ceiling_key) else ""
        note = "; ".join(x for x in (note, f"tied with the best: {', '.join(tied)}") if x)
        return Judgement(winner, "ties within the sd over seeds", REPLICATED if winner == claim.paper else NOT_REPLICATED,
                         note)


@dataclass(frozen=True)
class AtLeast:
    """Our count or value is at least ``minimum``."""

    minimum: float = 1

    def __call__(self, claim, ours, results) -> Judgement:
        if missing(ours):
            return Judgement(None, "", NOT_TESTABLE, NOT_RUN if ours is None else "")
        return Judgement(ours, f">= {self.minimum:g}", REPLICATED if ours >= self.minimum else NOT_REPLICATED)


@dataclass(frozen=True)
class AllTrue:
    """Every subject's flag is true (a ``{subject: bool}`` result)."""

    def __call__(self, claim, flags, results) -> Judgement:
        if not flags:
            testable = lookup(results, "05_table2:table2_testable")
            return Judgement(None, "", NOT_TESTABLE, NO_COORDINATES if testable is False else NOT_RUN)
        n = sum(bool(v) for v in flags.values())
        return Judgement(f"{n} of {len(flags)}", "all", REPLICATED if n == len(flags) else NOT_REPLICATED)


@dataclass(frozen=True)
class GreaterGroup:
    """The mean of a result over ``higher`` labels exceeds its mean over ``lower`` labels (a ``{label: value}``
    result)."""

    higher: tuple
    lower: tuple

    def __call__(self, claim, values, results) -> Judgement:
        if not values or any(missing(values.get(k)) for k in self.higher + self.lower):
            testable = lookup(results, "05_table2:table2_testable")
            return Judgement(None, "", NOT_TESTABLE, NO_COORDINATES if testable is False else NOT_RUN)
        hi = sum(values[k] for k in self.higher) / len(self.higher)
        lo = sum(values[k] for k in self.lower) / len(self.lower)
        return Judgement(f"{'/'.join(self.higher)} {hi:.3f} vs {'/'.join(self.lower)} {lo:.3f}", "",
                         REPLICATED if hi > lo else NOT_REPLICATED)


@dataclass(frozen=True)
class ModelOrder:
    """In one Table II label (or, with ``roi=None``, counting labels), the models' order of mean r is the
    paper's (``pair``: only whether the first model beats the second)."""

    roi: str | None = None
    pair: tuple | None = None

    def __call__(self, claim, summary, results) -> Judgement:
        rows = {r.get("roi"): r for r in summary or []}
        rois = [self.roi] if self.roi else list(V.TABLE2_ROIS)
        if any(missing((rows.get(r) or {}).get(f"{m} mean")) for r in rois for m in V.TABLE2_MODELS):
            testable = lookup(results, "05_table2:table2_testable")
            return Judgement(None, "", NOT_TESTABLE, NO_COORDINATES if testable is False else NOT_RUN)
        if self.pair:
            a, b = self.pair
            n = sum(rows[r][f"{a} mean"] > rows[r][f"{b} mean"] for r in rois)
            want = sum(V.PAPER_TABLE2[r][a][0] > V.PAPER_TABLE2[r][b][0] for r in rois)
            return Judgement(f"{n} of {len(rois)}", f"{want} of {len(rois)}", REPLICATED if n >= want else NOT_REPLICATED)
        ours = " > ".join(sorted(V.TABLE2_MODELS, key=lambda m: -rows[self.roi][f"{m} mean"]))
        return Judgement(ours, "same order", REPLICATED if ours == claim.paper else NOT_REPLICATED)


@dataclass(frozen=True)
class Unjudged:
    """A claim the data or the paper cannot decide: our value (if any) is shown, the verdict is not testable."""

    reason: str

    def __call__(self, claim, ours, results) -> Judgement:
        return Judgement(ours, "", NOT_TESTABLE, self.reason)


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
    c += [Claim(f"V-A.{key}", "V-A", text, paper, f"01_data:{key}") for key, text, paper in (
        ("n_runs", "fMRI runs per subject", V.N_RUNS), ("clips_per_genre", "clips per genre", V.CLIPS_PER_GENRE),
        ("clips_per_run", "clips per run", V.CLIPS_PER_RUN),
        ("test_clips_per_run", "distinct clips per test run", V.TEST_CLIPS_PER_RUN),
        ("test_repeats", "presentations of each test clip in its run", V.TEST_REPEATS))]
    c += [Claim("T-I.train_volumes", "Table I", "volumes fitted per resampling (train samples)", V.TABLE1_TRAIN_VOLUMES,
                "02_roi_selection:selection_volumes_paper/train", note=PAPER_SPLIT_NOTE),
          Claim("T-I.test_volumes", "Table I", "volumes scored per resampling (test samples)", V.TABLE1_TEST_VOLUMES,
                "02_roi_selection:selection_volumes_paper/test", note=PAPER_SPLIT_NOTE),
          Claim("T-I.demographics", "Table I", "participants' sex, age and years of music experience",
                "; ".join(f"{s}: {x}, {a}, {m}" for s, (x, a, m) in V.DEMOGRAPHICS.items()), "01_data:participants",
                Unjudged("ds003720 ships no participants file with sex, age or music experience"))]
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
                "04_confusion_bas:bas_table", HighestWithMargin("bas")),
          Claim("IV.behaviour_highest", "IV-B", "BAN's predictions are more similar to listeners' choices than the "
                "baselines'", "highest", "04_confusion_bas:bas_table", HighestWithMargin("behavioural")),
          Claim("IV-A.best_area", "IV-A", "T2/T3 is BAN's area that best predicts the genre ROI", "T2T3",
                "04_confusion_bas:best_area/BAN", Equals()),
          Claim("V-D.recurrence", "V-D", "passes 2/2/4 score best in the recurrence grid", "2/2/4",
                "03_train_ban:recurrence_grid", BestInGrid())]
    c += [Claim("V-C.ban_accuracy", "V-C, I", "BAN classifies GTZAN genres well", "strong (no number in the text)",
                "03_train_ban:val_accuracy_mean_BAN", Unjudged("the paper gives no accuracy to compare with"))]
    c += [Claim(f"V-E.listeners.{g}", "V-E, Fig. 4", f"listeners' accuracy, {g} (Fig. 4's value read as choices)", p,
                f"04_confusion_bas:listener_accuracy_per_genre/{g}", Proportion()) for g, p in V.PAPER_DECODING.items()]
    c += [Claim(f"V-E.listeners.{a}_as_{b}", "V-E, Fig. 4", f"listeners chose {b} for {a} (Fig. 4's value read as choices)",
                p, f"04_confusion_bas:listener_confusion_{a}_as_{b}", Proportion()) for (a, b), p in V.PAPER_CONFUSIONS.items()]
    c += [Claim("V-E.fig8_blues_as_jazz", "V-E, Fig. 8", "BAN takes a blues clip for jazz", ">= 1 clip",
                "06_interpretability:fig8_misclassified_blues_as_jazz", AtLeast(1)),
          Claim("V-F.bilateral_stg", "V-F", "BAN-model predictions significant in bilateral STG in every participant (FDR)",
                "all 5", "05_table2:bilateral_stg_significant", AllTrue()),
          Claim("V-F.distinct_hs_lstg", "V-F", "genres more distinct in HS and lateral STG than in HG and PT",
                "HS, LSTG > HG, PT", "05_table2:genre_distinctness", GreaterGroup(V.DISTINCT_LABELS, V.LESS_DISTINCT_LABELS)),
          Claim("V-F.pca_components", "V-F", "genre maps from 10 principal components", V.GENRE_MAP_COMPONENTS,
                "05_table2:genre_pca_n_components")]
    c += [Claim(f"V-F.order.{roi}", "Table II", f"order of the three models' r in {roi}",
                " > ".join(sorted(V.TABLE2_MODELS, key=lambda m: -V.PAPER_TABLE2[roi][m][0])), "05_table2:table2_summary",
                ModelOrder(roi)) for roi in V.TABLE2_ROIS]
    c += [Claim("V-F.ban_over_mfcc", "Table II", "BAN predicts better than MFCC in every label", "8 of 8",
                "05_table2:table2_summary", ModelOrder(pair=("BAN", "MFCC")))]
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
