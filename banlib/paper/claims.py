"""Every claim of the paper, one record each: where it is, what it says, where our number is and the rule that
judges it; and, apart, the consistency checks (what the book's own design or arithmetic fixes, which cannot
fail as a finding). The scorecard (:mod:`banlib.paper.scorecard`) is a loop over :data:`CLAIMS` and
:data:`CHECKS`; the methods chapter lists both (:func:`claims_markdown`).

A claim's ``source`` names our number as ``<notebook>:<key>`` in the results files, with ``/`` to reach inside a
nested value (``04_confusion_bas:best_area/BAN``); the keys it and its rule read are declared in
:mod:`banlib.paper.contract`. A rule takes the value found there (None when the chapter did not run or the data
cannot give it) and the whole results, and returns a :class:`Judgement`: our value as shown, the criterion,
the verdict (:mod:`banlib.paper.verdicts`) and a note. ``about`` says what quantity a claim is about
(``("confusion", "reggae", "rock")``); the twin's generator reads it to say which claims it plants
(:func:`banlib.twin.planted.planted_claims`).
"""
from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass, field

from scipy import stats

from . import values as V
from .contract import ABSENT_WHEN, absence_reason
from .verdicts import (ALPHA, CONSISTENT, INCONCLUSIVE, INCONSISTENT, MARGINS, NOT_REPLICATED, NOT_TESTABLE,
                       READING_DEPENDENT, REPLICATED, all_greater, equivalence, mean_sd_equivalence, missing,
                       paired_direction, proportion_equivalence, spearman_exact, t_interval)

NOT_RUN = "chapter not run"
PAPER_SPLIT_NOTE = ("our number is the paper's reading (training and test pooled, roi_split=paper); the book's own "
                    "selection resamples the training runs only (3,600 / 1,200)")
NO_COORDINATES = "no voxel coordinates in the real derivatives"
NO_DISTRIBUTION = "no sampling distribution: one ROI per subject on each side"
UNTRAINED = "(untrained)"            # rows whose network name contains this are controls, not rivals
PAPER_TRIALS = V.TRIALS_PER_GENRE    # the paper's proportions: 6 test clips x 5 subjects per genre


def lookup(results: dict, source: str | None):
    """The value at ``<notebook>:<key>[/<subkey>...]`` in ``{notebook: values}``, or None."""
    if not source:
        return None
    notebook, _, path = source.partition(":")
    value = results.get(notebook, {})
    for part in path.split("/"):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def why_missing(results: dict, source: str) -> str:
    """Why ``source`` has no value: its chapter did not run, the contract's reason for these data, the reason
    recorded beside a null, or that it was not recorded."""
    notebook, _, path = source.partition(":")
    if notebook not in results:
        return NOT_RUN
    reason = absence_reason(results, source)
    if reason:
        return reason
    recorded = (results[notebook].get("_null_reasons") or {}).get(path.split("/")[0])
    if recorded:
        return recorded
    if notebook == "05_table2" and results[notebook].get("table2_testable") is False:
        return NO_COORDINATES
    return f"{source} not recorded"


@dataclass(frozen=True)
class Judgement:
    """What a rule says about one claim: our value and the criterion as shown, the verdict, a note and (for a
    claim judged under several readings of the paper) each reading's verdict."""

    ours: object
    criterion: object
    verdict: str
    note: str = ""
    readings: dict | None = None


def _untestable(results, source, ours=None) -> Judgement:
    return Judgement(ours, "", NOT_TESTABLE, why_missing(results, source))


# ------------------------------------------------------------------------------------ rules
@dataclass(frozen=True)
class Unjudged:
    """A claim the data or the paper cannot decide: our value (if any) is shown, the verdict is not testable."""

    reason: str
    reads: tuple = ()

    def __call__(self, claim, ours, results) -> Judgement:
        return Judgement(ours, "", NOT_TESTABLE, self.reason)


@dataclass(frozen=True)
class Proportion:
    """A proportion against the paper's, each over its own trials: TOST with the ``proportion`` margin on
    Newcombe's hybrid score interval of the difference. ``trials`` names a ``{genre: trials}`` result and
    ``genre`` the row (the true genre) the proportion is over; the paper's are :data:`PAPER_TRIALS`."""

    trials: str
    genre: str

    @property
    def reads(self) -> tuple:
        """The other key the rule reads: the trials per genre."""
        return (self.trials,)

    def __call__(self, claim, ours, results) -> Judgement:
        margin = MARGINS["proportion"].value
        criterion = f"TOST ±{margin:g} (Newcombe)"
        if missing(ours):
            return _untestable(results, claim.source)
        n = (lookup(results, self.trials) or {}).get(self.genre)
        if not n:
            return Judgement(round(ours, 3), criterion, INCONCLUSIVE, f"number of trials not recorded ({self.trials})")
        out = proportion_equivalence(ours, int(n), claim.paper, PAPER_TRIALS, margin)
        return Judgement(round(ours, 3), criterion, out.verdict, f"ours over {n} trials, the paper's over "
                         f"{PAPER_TRIALS}; {out.note}")


@dataclass(frozen=True)
class Table2Cell:
    """A Table II cell, mean ± sd over subjects on both sides: TOST with the ``table2_cell`` margin on Welch's
    interval of the difference."""

    roi: str
    model: str
    reads: tuple = ("05_table2:table2_n_subjects", "05_table2:table2_testable")

    def __call__(self, claim, summary, results) -> Judgement:
        margin = MARGINS["table2_cell"].value
        row = next((r for r in summary or [] if r.get("roi") == self.roi), None)
        mean = None if row is None else row.get(f"{self.model} mean")
        if missing(mean):
            return _untestable(results, claim.source)
        sd = row.get(f"{self.model} sd")
        n = lookup(results, "05_table2:table2_n_subjects") or 0
        pm, ps = V.PAPER_TABLE2[self.roi][self.model]
        out = mean_sd_equivalence(mean, sd, n, pm, ps, V.N_SUBJECTS, margin)
        return Judgement(f"{mean:.3f} ± {0.0 if missing(sd) else sd:.3f}", f"TOST ±{margin:g} (Welch)", out.verdict,
                         f"ours over {n} subject(s); {out.note}")


@dataclass(frozen=True)
class RoiSize:
    """One subject's ROI size (the paper's pooled reading) against the paper's: shown with its ratio and the
    training-only size beside it; inconclusive, as neither side has a sampling distribution (the family is judged
    over subjects by :class:`RoiSizes`)."""

    subject: str

    @property
    def reads(self) -> tuple:
        """The other key the rule reads: the training-only size, shown beside."""
        return (f"02_roi_selection:roi_size_{self.subject}",)

    def __call__(self, claim, ours, results) -> Judgement:
        if missing(ours):
            return _untestable(results, claim.source)
        ratio = ours / claim.paper
        inside = abs(math.log(ratio)) <= MARGINS["roi_size"].value if ratio > 0 else False
        training = lookup(results, f"02_roi_selection:roi_size_{self.subject}")
        note = (f"ratio {ratio:.2f} ({'inside' if inside else 'outside'} ±20 %); training-only ROI "
                f"{training if training is not None else 'not recorded'}; {NO_DISTRIBUTION}; judged over the five "
                f"subjects in V-B2.roi_sizes")
        return Judgement(ours, "see V-B2.roi_sizes", INCONCLUSIVE, note)


@dataclass(frozen=True)
class RoiSizes:
    """The ROI sizes over subjects: the mean over subjects of log(ours / paper) (the paper's pooled reading),
    TOST with the ``roi_size`` margin (± 20 %) on Student's interval over subjects."""

    subjects: tuple = tuple(V.PAPER_ROI_SIZES)

    @property
    def reads(self) -> tuple:
        """The keys the rule reads: every subject's size on the paper's reading."""
        return tuple(f"02_roi_selection:roi_size_paper_{s}" for s in self.subjects)

    def __call__(self, claim, ours, results) -> Judgement:
        margin = MARGINS["roi_size"].value
        sizes = {s: lookup(results, f"02_roi_selection:roi_size_paper_{s}") for s in self.subjects}
        logs = [math.log(v / V.PAPER_ROI_SIZES[s]) for s, v in sizes.items() if not missing(v) and v > 0]
        if not logs:
            return _untestable(results, f"02_roi_selection:roi_size_paper_{self.subjects[0]}")
        shown = f"mean ratio {math.exp(statistics.fmean(logs)):.2f} over {len(logs)} subject(s)"
        ci90, ci95 = t_interval(logs, 1 - 2 * ALPHA), t_interval(logs, 1 - ALPHA)
        if ci90 is None:
            return Judgement(shown, "TOST ±20 % (t over subjects)", INCONCLUSIVE,
                             "an interval over subjects needs two or more with different ratios")
        out = equivalence(ci90, ci95, margin)
        note = (f"90 % CI of the ratio [{math.exp(ci90[1]):.2f}, {math.exp(ci90[2]):.2f}], 95 % CI "
                f"[{math.exp(ci95[1]):.2f}, {math.exp(ci95[2]):.2f}] over subjects; "
                + {REPLICATED: "equivalent within ±20 %", NOT_REPLICATED: "not equivalent, significantly different",
                   INCONCLUSIVE: "neither equivalent within ±20 % nor significantly different"}[out.verdict])
        if out.verdict == REPLICATED and (ci95[1] > 0 or ci95[2] < 0):
            note += "; trivially different"
        return Judgement(shown, "TOST ±20 % (t over subjects)", out.verdict, f"{note}; {PAPER_SPLIT_NOTE}")


@dataclass(frozen=True)
class Consistency:
    """Every pair of subjects' confusion matrices correlates positively (Spearman, p < .05): replicated when every
    pair does; not replicated when a pair correlates significantly negatively; else inconclusive (a pair that is
    not significant is not evidence of inconsistency)."""

    reads: tuple = ("04_confusion_bas:brain_decoding_at_ceiling",)

    def __call__(self, claim, pairs, results) -> Judgement:
        if not pairs:
            return _untestable(results, claim.source)
        usable = [p for p in pairs if not missing(p.get("p")) and not missing(p.get("rho"))]
        sig = [p for p in usable if p["p"] < ALPHA and p["rho"] > 0]
        against = [p for p in usable if p["p"] < ALPHA and p["rho"] < 0]
        ceiling = lookup(results, "04_confusion_bas:brain_decoding_at_ceiling")
        note = f"{len(sig)} of {len(pairs)} pairs positive at p < .05; largest p {max(p['p'] for p in usable):.3g}" \
            if usable else "no pair has a defined rho"
        if ceiling:
            note += "; decoding at ceiling: agreement of diagonals, not of errors"
        if against:
            return Judgement(f"{len(sig)} of {len(pairs)}", "every pair p < .05", NOT_REPLICATED,
                             note + f"; {len(against)} pair(s) significantly negative")
        verdict = REPLICATED if usable and len(sig) == len(pairs) else INCONCLUSIVE
        return Judgement(f"{len(sig)} of {len(pairs)}", "every pair p < .05", verdict, note)


def _pairs(rows, value: str, network: str, key=("seed", "subject")) -> dict:
    """``{(seed, subject): value}`` of one network's rows (finite values only)."""
    out = {}
    for r in rows or []:
        if r.get("network") == network and not missing(r.get(value)):
            out[tuple(r.get(k) for k in key)] = float(r[value])
    return out


def _direction(a: dict, b: dict):
    shared = sorted(set(a) & set(b), key=str)
    return paired_direction([a[k] - b[k] for k in shared])


def _mean_sd(values) -> str:
    v = list(values)
    if not v:
        return "none"
    return f"{statistics.fmean(v):.3f} ± {statistics.stdev(v) if len(v) > 1 else 0.0:.3f}"


def _combine(per_reading: dict) -> tuple[str, str]:
    """One verdict from each reading's: theirs when they agree, ``reading-dependent`` when not."""
    verdicts = {r: o.verdict for r, o in per_reading.items()}
    if len(set(verdicts.values())) == 1:
        return next(iter(verdicts.values())), "the same verdict under every reading"
    return READING_DEPENDENT, "; ".join(f"{r}: {v}" for r, v in verdicts.items())


@dataclass(frozen=True)
class Highest:
    """``network`` beats every rival on a value of a results table with one row per network, seed and subject
    (``bas_table``): paired differences over (seed, subject), one-sided t-test over the pairs for each rival
    (:func:`banlib.paper.verdicts.all_greater`). Untrained networks are controls, shown beside, not rivals.
    ``readings``: ``{reading: column}``, the claim judged under each (a reading whose column holds no value is
    left out, and said so); verdicts that differ make the row reading-dependent."""

    readings: tuple = (("", "bas"),)
    network: str = "BAN"

    def __call__(self, claim, rows, results) -> Judgement:
        if rows is None:
            return _untestable(results, claim.source)
        per_reading, lost, shown = {}, [], ""
        for reading, column in self.readings:
            nets = sorted({r["network"] for r in rows if not missing(r.get(column))})
            rivals = [n for n in nets if n != self.network and UNTRAINED not in n]
            if self.network not in nets or not rivals:
                lost.append(reading or column)
                continue
            mine = _pairs(rows, column, self.network)
            per_reading[reading or column] = all_greater({n: _direction(mine, _pairs(rows, column, n)) for n in rivals},
                                                         self.network)
            if not shown:
                shown = _mean_sd(mine.values())
        if not per_reading:
            why = ABSENT_WHEN["no_behaviour"] if lookup(results, "04_confusion_bas:behaviour_subjects") == 0 \
                else "no values for BAN and a trained rival"
            return Judgement(None, "", NOT_TESTABLE, f"{why} ({', '.join(lost)})")
        verdict, agreement = _combine(per_reading)
        notes = [f"[{r}] {o.verdict}: {o.note}" if len(self.readings) > 1 else o.note for r, o in per_reading.items()]
        if lost:
            notes.append(f"not computable on these data: {', '.join(lost)}")
        controls = sorted({r["network"] for r in rows if UNTRAINED in r["network"]})
        if controls:
            notes.append("controls: " + ", ".join(f"{c} {_mean_sd(_pairs(rows, self.readings[0][1], c).values())}"
                                                  for c in controls))
        if len(per_reading) > 1:
            notes.insert(0, agreement)
        criterion = "one-sided paired t, every rival, p < .05"
        return Judgement(shown, criterion, verdict, "; ".join(notes),
                         {r: o.verdict for r, o in per_reading.items()} if len(self.readings) > 1 else None)


#: The readings of Eqs. 4 and 6 the methods chapter lists (``bas_table`` columns).
BAS_READINGS = (("with the structural factor", "bas"), ("without it", "bas_without_structure"),
                ("cortical term over matched area-region pairs", "bas_matched"),
                ("cortical term as one pooled r", "bas_pooled"))


@dataclass(frozen=True)
class TrainedBeatsUntrained:
    """The trained ``network`` predicts the genre ROI better than its untrained control (same architecture,
    the initial weights): the T2/T3 cortical score paired by subject at the first training seed (the control's),
    one-sided t-test."""

    network: str = "BAN"
    reads: tuple = ("04_confusion_bas:untrained_bas_table",)

    def __call__(self, claim, rows, results) -> Judgement:
        controls = lookup(results, "04_confusion_bas:untrained_bas_table")
        if rows is None or controls is None:
            return _untestable(results, claim.source if rows is None else self.reads[0])
        seed = min((r["seed"] for r in controls), default=None)
        mine = {k[1]: v for k, v in _pairs(rows, "cortical", self.network).items() if k[0] == seed}
        theirs = {k[1]: v for k, v in _pairs(controls, "cortical", f"{self.network} {UNTRAINED}").items()
                  if k[0] == seed}
        if not mine or not theirs:
            return Judgement(None, "", NOT_TESTABLE, f"no cortical scores of {self.network} and its control at seed {seed}")
        out = all_greater({f"{self.network} {UNTRAINED}": _direction(mine, theirs)}, self.network)
        return Judgement(f"{_mean_sd(mine.values())} vs {_mean_sd(theirs.values())}", "one-sided paired t, p < .05",
                         out.verdict, out.note)


@dataclass(frozen=True)
class Aligned:
    """Held-out accuracy and the T2/T3 cortical score rise together across the trained networks and the
    recurrence grid's structures (one point each: accuracy mean over seeds, cortical score mean over seeds and
    subjects): Spearman's rho, one-sided exact permutation test (t approximation above 8 points)."""

    reads: tuple = ("03_train_ban:accuracy_per_seed", "03_train_ban:recurrence_grid_per_seed",
                    "04_confusion_bas:grid_cortical")

    def __call__(self, claim, rows, results) -> Judgement:
        acc_rows = lookup(results, "03_train_ban:accuracy_per_seed")
        grid_acc = lookup(results, "03_train_ban:recurrence_grid_per_seed") or {}
        grid_cort = lookup(results, "04_confusion_bas:grid_cortical") or []
        if rows is None or acc_rows is None:
            return _untestable(results, claim.source if rows is None else self.reads[0])
        points = {}
        for net in sorted({r["network"] for r in rows if UNTRAINED not in r["network"]}):
            acc = [r["held-out accuracy"] for r in acc_rows if r["network"] == net and not missing(r["held-out accuracy"])]
            cort = [r["cortical"] for r in rows if r["network"] == net and not missing(r.get("cortical"))]
            if acc and cort:
                points[net] = (statistics.fmean(acc), statistics.fmean(cort))
        for structure in sorted({r["structure"] for r in grid_cort}):
            acc = [v for v in (grid_acc.get(structure) or {}).values() if not missing(v)]
            cort = [r["cortical"] for r in grid_cort if r["structure"] == structure and not missing(r.get("cortical"))]
            if acc and cort:
                points[f"grid {structure}"] = (statistics.fmean(acc), statistics.fmean(cort))
        shown = "; ".join(f"{k}: {a:.3f}, {c:.3f}" for k, (a, c) in points.items())
        if len(points) < 3:
            return Judgement(f"{len(points)} points", "Spearman rho > 0, one-sided p < .05", INCONCLUSIVE,
                             f"a rank correlation needs three points or more ({shown or 'none'})")
        rho, p_greater, p_less = spearman_exact([a for a, _ in points.values()], [c for _, c in points.values()])
        verdict = REPLICATED if p_greater < ALPHA else NOT_REPLICATED if p_less < ALPHA else INCONCLUSIVE
        return Judgement(f"rho {rho:+.2f} over {len(points)}", "Spearman rho > 0, one-sided p < .05", verdict,
                         f"p(>) {p_greater:.3g}, p(<) {p_less:.3g}; (accuracy, cortical) {shown}")


@dataclass(frozen=True)
class BestArea:
    """``area`` of ``network`` predicts the genre ROI better than each other area: per subject (first training
    seed), paired one-sided t-test of the median r for every other area."""

    network: str = "BAN"
    area: str = "T2T3"
    reads: tuple = ("04_confusion_bas:cortical_per_area_subjects",)

    def __call__(self, claim, best, results) -> Judgement:
        rows = lookup(results, self.reads[0])
        if rows is None:
            return _untestable(results, claim.source if best is None else self.reads[0], best)
        by_area = {}
        for r in rows:
            if r["network"] == self.network and not missing(r.get("median_r")):
                by_area.setdefault(r["area"], {})[r["subject"]] = float(r["median_r"])
        if self.area not in by_area or len(by_area) < 2:
            return Judgement(best, "", NOT_TESTABLE, f"no per-subject scores of {self.network}'s areas")
        out = all_greater({a: _direction(by_area[self.area], s) for a, s in by_area.items() if a != self.area},
                          self.area)
        return Judgement(best, f"{self.area} above every other area, one-sided paired t over subjects", out.verdict,
                         out.note)


def total_passes(structure: str) -> int:
    """Layers of a recurrence-grid structure ``"b/p/t"``: the sum of the passes."""
    return sum(int(x) for x in structure.split("/"))


@dataclass(frozen=True)
class BestInGrid:
    """The paper's structure performs best with the fewest layers: paired one-sided t-tests of its score against
    each other structure's (over training seeds for held-out accuracy; over seeds and subjects for the T2/T3
    cortical score). Replicated when every structure with fewer layers scores significantly lower and none scores
    significantly higher; not replicated when one scores significantly higher; else inconclusive. Deciding needs
    the paper's structure and structures with fewer and with more layers. "According to our scores" is judged
    under both readings; verdicts that differ make the row reading-dependent."""

    reads: tuple = ("03_train_ban:recurrence_grid_per_seed", "03_train_ban:recurrence_grid_at_ceiling",
                    "04_confusion_bas:grid_cortical", "04_confusion_bas:bas_table")

    @staticmethod
    def _judge(paper: str, per: dict) -> Judgement | None:
        layers = {k: total_passes(k) for k in per}
        mine = layers.get(paper)
        if mine is None or not any(v < mine for v in layers.values()) or not any(v > mine for v in layers.values()):
            return None
        dirs = {k: _direction(per[paper], s) for k, s in per.items() if k != paper}
        better = [k for k, d in dirs.items() if d is not None and d.less]
        smaller_beaten = all(d is not None and d.greater for k, d in dirs.items() if layers[k] < mine)
        notes = "; ".join(d.text(paper, k) if d else f"{k}: no interval" for k, d in dirs.items())
        return Judgement(None, "", NOT_REPLICATED if better else REPLICATED if smaller_beaten else INCONCLUSIVE, notes)

    def __call__(self, claim, grid, results) -> Judgement:
        per_seed = lookup(results, self.reads[0])
        if not grid or per_seed is None:
            return _untestable(results, claim.source if not grid else self.reads[0])
        readings = {"held-out accuracy": {k: dict(v) for k, v in per_seed.items()}}
        cort = lookup(results, "04_confusion_bas:grid_cortical") or []
        by_structure = {}
        for r in cort:
            if not missing(r.get("cortical")):
                by_structure.setdefault(r["structure"], {})[(r["seed"], r["subject"])] = float(r["cortical"])
        if by_structure and claim.paper not in by_structure:             # the paper's structure is the main BAN
            by_structure[claim.paper] = _pairs(lookup(results, "04_confusion_bas:bas_table"), "cortical", "BAN")
        if by_structure:
            readings["T2/T3 cortical score"] = by_structure
        judged = {r: self._judge(claim.paper, per) for r, per in readings.items()}
        judged = {r: j for r, j in judged.items() if j is not None}
        if not judged:
            return Judgement(", ".join(per_seed), "", NOT_TESTABLE,
                             f"the grid has {len(per_seed)} structure(s); deciding needs {claim.paper} and structures "
                             f"with fewer and with more layers")
        verdict, agreement = _combine(judged)
        notes = [agreement] + [f"[{r}] {j.verdict}: {j.note}" for r, j in judged.items()]
        if lookup(results, "03_train_ban:recurrence_grid_at_ceiling"):
            notes.insert(0, "grid at ceiling")
        best = max(grid, key=grid.get)
        return Judgement(f"best mean accuracy: {best}", "fewer layers significantly worse, none significantly better",
                         verdict, "; ".join(notes), {r: j.verdict for r, j in judged.items()})


@dataclass(frozen=True)
class AtLeastOne:
    """An existence claim (a clip of which the paper shows one): replicated when we find at least one; none is
    inconclusive (one network's few clips cannot show that no such clip exists)."""

    def __call__(self, claim, ours, results) -> Judgement:
        if missing(ours):
            return _untestable(results, claim.source)
        if ours >= 1:
            return Judgement(ours, ">= 1", REPLICATED)
        return Judgement(ours, ">= 1", INCONCLUSIVE, "none among our test clips; an existence claim is not refuted by "
                         "its absence in one network's clips")


@dataclass(frozen=True)
class EverySubject:
    """A significance claim in every participant (a ``{subject: bool}`` result): replicated when every subject's
    test is significant; otherwise inconclusive (a subject without significance is not evidence of no effect)."""

    def __call__(self, claim, flags, results) -> Judgement:
        if not flags:
            return _untestable(results, claim.source)
        n = sum(bool(v) for v in flags.values())
        if n == len(flags):
            return Judgement(f"{n} of {len(flags)}", "all", REPLICATED, "" if len(flags) >= V.N_SUBJECTS else
                             f"only {len(flags)} subject(s) have voxel labels")
        return Judgement(f"{n} of {len(flags)}", "all", INCONCLUSIVE,
                         "not significant in " + ", ".join(s for s, v in flags.items() if not v)
                         + "; non-significance is not evidence of no effect")


@dataclass(frozen=True)
class MoreDistinct:
    """Each label of ``higher`` is more distinct than each label of ``lower`` (the paper's "compared to ... or
    ..."): per subject (``exclude``: the subjects the paper excepts), paired one-sided t-test for each of the
    pairs; replicated when every pair is significant, not replicated when one is significantly reversed."""

    higher: tuple
    lower: tuple
    exclude: tuple = V.DISTINCT_EXCEPTED
    reads: tuple = ("05_table2:genre_distinctness_per_subject",)

    def __call__(self, claim, pooled, results) -> Judgement:
        per_subject = lookup(results, self.reads[0])
        if not per_subject:
            return _untestable(results, self.reads[0], pooled)
        used = {s: v for s, v in per_subject.items() if s not in self.exclude}
        dirs = {}
        for h in self.higher:
            for lo in self.lower:
                a = {s: v[h] for s, v in used.items() if not missing(v.get(h))}
                b = {s: v[lo] for s, v in used.items() if not missing(v.get(lo))}
                dirs[f"{h} > {lo}"] = _direction(a, b)
        out = all_greater(dirs, "")
        shown = ", ".join(f"{k} {v:.3g}" for k, v in (pooled or {}).items())
        note = f"subjects {', '.join(used)} (the paper excepts {', '.join(self.exclude)}); {out.note}"
        return Judgement(shown or None, "every pair, one-sided paired t over subjects", out.verdict, note)


def _table2_rows(results) -> dict:
    rows = lookup(results, "05_table2:table2_per_subject") or []
    out = {}
    for r in rows:
        out.setdefault(r["roi"], []).append(r)
    return out


@dataclass(frozen=True)
class ModelOrder:
    """In one Table II label, every pair of models in the paper's order (by its means): per subject, paired
    one-sided t-test of the two models' r. With ``pair``, that pair in every label."""

    roi: str | None = None
    pair: tuple | None = None
    reads: tuple = ("05_table2:table2_per_subject", "05_table2:table2_testable")

    def __call__(self, claim, summary, results) -> Judgement:
        rows = _table2_rows(results)
        rois = [self.roi] if self.roi else list(V.TABLE2_ROIS)
        if not all(r in rows for r in rois):
            return _untestable(results, self.reads[0])
        dirs = {}
        for roi in rois:
            paper = V.PAPER_TABLE2[roi]
            models = sorted(V.TABLE2_MODELS, key=lambda m: -paper[m][0])
            pairs = [self.pair] if self.pair else [(a, b) for i, a in enumerate(models) for b in models[i + 1:]]
            for a, b in pairs:
                if self.pair and not paper[a][0] > paper[b][0]:
                    continue
                x = {r["subject"]: r[a] for r in rows[roi] if not missing(r.get(a))}
                y = {r["subject"]: r[b] for r in rows[roi] if not missing(r.get(b))}
                dirs[f"{roi} {a} > {b}"] = _direction(x, y)
        out = all_greater(dirs, "")
        ours = None
        if self.roi:
            means = {m: statistics.fmean([r[m] for r in rows[self.roi] if not missing(r.get(m))] or [math.nan])
                     for m in V.TABLE2_MODELS}
            ours = " > ".join(sorted(means, key=lambda m: -means[m]))
        else:
            ours = f"{sum(d is not None and d.greater for d in dirs.values())} of {len(dirs)} significant"
        return Judgement(ours, "every pair in the paper's order, one-sided paired t", out.verdict, out.note)


@dataclass(frozen=True)
class TopGenres:
    """The paper's sentence read literally: the label's ``top`` strongest genres are exactly the paper's
    (``genres``: all of them among the top ``len(genres)``); fewer is not replicated."""

    label: str
    genres: tuple
    reads: tuple = ("05_table2:table2_testable",)

    def __call__(self, claim, tops, results) -> Judgement:
        if not tops or self.label not in tops:
            return _untestable(results, claim.source)
        mine = list(tops[self.label])[: len(self.genres)]
        hits = len(set(mine) & set(self.genres))
        shown = f"{hits} of {len(self.genres)} ({', '.join(mine)})"
        criterion = f"{len(self.genres)} of {len(self.genres)}" if len(self.genres) > 1 else "the top genre"
        return Judgement(shown, criterion, REPLICATED if hits == len(self.genres) else NOT_REPLICATED,
                         "read literally; ranks have no sampling distribution in the book")


@dataclass(frozen=True)
class IntensityAndLowFrequency:
    """An attribution method's maps correlate with intensity (rho > 0) and lie mostly in the low half of the mel
    bands (share > .5): one-sided t-tests over the explained clips; replicated when both are significant, not
    replicated when either is significantly the other way."""

    method: str
    reads: tuple = ("06_interpretability:reading_per_clip",)

    def __call__(self, claim, rho, results) -> Judgement:
        rows = [r for r in lookup(results, self.reads[0]) or [] if r.get("method") == self.method]
        if not rows:
            return _untestable(results, self.reads[0])
        d_rho = paired_direction([r["intensity_rho"] for r in rows])
        d_low = paired_direction([r["low_half_share"] - 0.5 for r in rows])
        out = all_greater({"rho 0": d_rho, "share .5": d_low}, "")
        means = (statistics.fmean(r["intensity_rho"] for r in rows), statistics.fmean(r["low_half_share"] for r in rows))
        return Judgement(f"rho {means[0]:.2f}, share {means[1]:.2f} ({len(rows)} clips)", "both one-sided t, p < .05",
                         out.verdict, out.note)


@dataclass(frozen=True)
class AboveChance:
    """A decoder's accuracy on the test clips (``{accuracy, n_clips, chance}``) exceeds chance: one-sided exact
    binomial test; replicated when p < .05, else inconclusive. Judged again on BAN's own read-out (its predicted
    genres, what stood in for the decoder before); verdicts that differ make the row reading-dependent."""

    reads: tuple = ("04_confusion_bas:ban_fmri_accuracy",)

    @staticmethod
    def _judge(accuracy: float, n: int, chance: float) -> tuple[str, str]:
        k = int(round(accuracy * n))
        p = float(stats.binomtest(k, n, chance, alternative="greater").pvalue)
        return (REPLICATED if p < ALPHA else INCONCLUSIVE), f"{k} of {n}, p {p:.3g}"

    def __call__(self, claim, decoded, results) -> Judgement:
        if not decoded or missing(decoded.get("accuracy")):
            return _untestable(results, claim.source)
        n, chance = int(decoded["n_clips"]), float(decoded["chance"])
        judged = {"decoder on T2/T3 activity": self._judge(decoded["accuracy"], n, chance)}
        readout = lookup(results, self.reads[0])
        if not missing(readout):
            judged["BAN's own read-out"] = self._judge(readout, n, chance)
        verdicts = {r: v for r, (v, _) in judged.items()}
        verdict = next(iter(verdicts.values())) if len(set(verdicts.values())) == 1 else READING_DEPENDENT
        note = "; ".join(f"[{r}] {v}: {t}" for r, (v, t) in judged.items()) + "; the first training seed's BAN"
        return Judgement(f"{decoded['accuracy']:.2f} of {n} clips", f"above chance {chance:g}, binomial p < .05",
                         verdict, note, verdicts)


# ------------------------------------------------------------------------------------ consistency checks
@dataclass(frozen=True)
class Equal:
    """A count the design or the book's arithmetic fixes equals the paper's."""

    def __call__(self, claim, ours, results) -> Judgement:
        if missing(ours):
            return _untestable(results, claim.source)
        return Judgement(ours, "equal", CONSISTENT if ours == claim.paper else INCONSISTENT)


@dataclass(frozen=True)
class Components:
    """The genre maps keep the paper's number of components and none of them is degenerate (zero variance)."""

    reads: tuple = ("05_table2:genre_pca_explained",)

    def __call__(self, claim, n, results) -> Judgement:
        if missing(n):
            return _untestable(results, claim.source)
        explained = lookup(results, self.reads[0]) or []
        degenerate = [i + 1 for i, v in enumerate(explained) if not missing(v) and v < 1e-6]
        ok = n == claim.paper and not degenerate
        note = f"zero variance in PC{', PC'.join(map(str, degenerate))}" if degenerate else ""
        return Judgement(n, "equal, none degenerate", CONSISTENT if ok else INCONSISTENT, note)


# ------------------------------------------------------------------------------------ the table
@dataclass(frozen=True)
class Claim:
    """One claim of the paper (or, in :data:`CHECKS`, one consistency check).

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
    source : str or None
        Our number: ``<notebook>:<key>[/<subkey>]`` in the results files (None: no chapter can write it).
    rule : callable
        ``rule(claim, ours, results) -> Judgement``; its ``reads`` (a tuple of sources) are the other keys it reads.
    note : str
        A standing note (how the claim is read).
    about : tuple
        What quantity it is about (``("confusion", "reggae", "rock")``), for the twin's planted set.
    """

    id: str
    section: str
    claim: str
    paper: object
    source: str | None
    rule: object = field(default_factory=Equal)
    note: str = ""
    about: tuple = ()

    @property
    def reads(self) -> tuple:
        """Every results key the claim reads (its source and its rule's)."""
        return tuple(dict.fromkeys(([self.source] if self.source else []) + list(getattr(self.rule, "reads", ()))))

    def judge(self, results: dict) -> dict:
        """This claim's scorecard row for ``{notebook: values}``."""
        j = self.rule(self, lookup(results, self.source), results)
        note = "; ".join(x for x in (j.note, self.note) if x)
        return {"id": self.id, "claim": self.claim, "section": self.section, "paper": self.paper, "ours": j.ours,
                "criterion": j.criterion, "verdict": j.verdict, "source": self.source or "", "note": note,
                "readings": j.readings}


def _checks() -> tuple[Claim, ...]:
    c = [Claim(f"V-A.{key}", "V-A", text, paper, f"01_data:{key}", about=("design", key)) for key, text, paper in (
        ("n_clips", "clips in the experiment", V.N_CLIPS), ("n_training_clips", "training clips", V.N_TRAINING_CLIPS),
        ("n_test_clips", "test clips", V.N_TEST_CLIPS), ("n_subjects", "subjects", V.N_SUBJECTS),
        ("n_genres", "genres", V.N_GENRES), ("n_runs", "fMRI runs per subject", V.N_RUNS),
        ("clips_per_genre", "clips per genre", V.CLIPS_PER_GENRE), ("clips_per_run", "clips per run", V.CLIPS_PER_RUN),
        ("test_clips_per_run", "distinct clips per test run", V.TEST_CLIPS_PER_RUN),
        ("test_repeats", "presentations of each test clip in its run", V.TEST_REPEATS))]
    c += [Claim("T-I.train_volumes", "Table I", "volumes fitted per resampling (train samples)", V.TABLE1_TRAIN_VOLUMES,
                "02_roi_selection:selection_volumes_paper/train", note=PAPER_SPLIT_NOTE + "; the book's arithmetic",
                about=("arithmetic", "train_volumes")),
          Claim("T-I.test_volumes", "Table I", "volumes scored per resampling (test samples)", V.TABLE1_TEST_VOLUMES,
                "02_roi_selection:selection_volumes_paper/test", note=PAPER_SPLIT_NOTE + "; the book's arithmetic",
                about=("arithmetic", "test_volumes")),
          Claim("V-F.pca_components", "V-F", "genre maps from 10 principal components", V.GENRE_MAP_COMPONENTS,
                "05_table2:genre_pca_n_components", Components(), note="the book's own choice, set to the paper's",
                about=("choice", "pca_components"))]
    return tuple(c)


def _claims() -> tuple[Claim, ...]:
    c = [Claim("T-I.demographics", "Table I", "participants' sex, age and years of music experience",
               "; ".join(f"{s}: {x}, {a}, {m}" for s, (x, a, m) in V.DEMOGRAPHICS.items()), None,
               Unjudged("ds003720 ships no participants file with sex, age or music experience"), about=("demographics",))]
    c += [Claim(f"V-B2.roi_size.{sub}", "V-B2", f"ROI size, {sub}", n, f"02_roi_selection:roi_size_paper_{sub}",
                RoiSize(sub), about=("roi_size", sub)) for sub, n in V.PAPER_ROI_SIZES.items()]
    c += [Claim("V-B2.roi_sizes", "V-B2", "ROI sizes over the five subjects (ours / the paper's)",
                ", ".join(map(str, V.PAPER_ROI_SIZES.values())), None, RoiSizes(), about=("roi_sizes",))]
    c += [Claim(f"V-E.decoding.{g}", "V-E", f"brain decoding accuracy, {g}", p,
                f"04_confusion_bas:brain_accuracy_per_genre_mean/{g}",
                Proportion("04_confusion_bas:brain_trials_per_genre", g), about=("decoding", g, g))
          for g, p in V.PAPER_DECODING.items()]
    c += [Claim(f"V-E.confusion.{a}_as_{b}", "V-E", f"{a} decoded as {b}", p, f"04_confusion_bas:brain_confusion_{a}_as_{b}",
                Proportion("04_confusion_bas:brain_trials_per_genre", a), about=("decoding", a, b))
          for (a, b), p in V.PAPER_CONFUSIONS.items()]
    c += [Claim("V-E.consistency", "V-E", "confusion matrices consistent across subjects (Spearman, every pair p < .05)",
                "p < .05", "04_confusion_bas:brain_consistency_pairs", Consistency(), about=("consistency",)),
          Claim("V-E.ban_decoding", "V-E", "genre decodable from BAN's activity (the decoder of the brain decoding)",
                "above chance", "04_confusion_bas:ban_decoding", AboveChance(), about=("ban_decoding",)),
          Claim("IV.bas_highest", "IV, VI", "BAN has the highest BAS of the compared networks", "highest",
                "04_confusion_bas:bas_table", Highest(BAS_READINGS), about=("networks", "bas")),
          Claim("IV.behaviour_highest", "IV-B", "BAN's predictions are more similar to listeners' choices than the "
                "baselines'", "highest", "04_confusion_bas:bas_table", Highest((("", "behavioural"),)),
                about=("networks", "behavioural")),
          Claim("VI.cortical_highest", "VI", "the neuroanatomically aligned model offers improved predictions of "
                "cortical responses (BAN's cortical term above the baselines')", "highest",
                "04_confusion_bas:bas_table", Highest((("", "cortical"),)), about=("networks", "cortical")),
          Claim("IV.trained_beats_untrained", "II, IV", "task training improves the cortical prediction (BAN above "
                "its untrained control)", "trained > untrained", "04_confusion_bas:bas_table", TrainedBeatsUntrained(),
                about=("training",)),
          Claim("Abstract.accuracy_cortical_aligned", "Abstract", "classification ability and cortical similarity are "
                "well-aligned across networks and grid structures", "aligned", "04_confusion_bas:bas_table", Aligned(),
                about=("alignment",)),
          Claim("IV-A.best_area", "IV-A", "T2/T3 is BAN's area that best predicts the genre ROI", "T2T3",
                "04_confusion_bas:best_area/BAN", BestArea(), about=("best_area",)),
          Claim("V-D.recurrence", "V-D", "passes 2/2/4 perform best with the fewest layers in the recurrence grid",
                "2/2/4", "03_train_ban:recurrence_grid", BestInGrid(), about=("recurrence",))]
    c += [Claim("V-C.ban_accuracy", "V-C, I", "BAN classifies GTZAN genres well", "strong (no number in the text)",
                "03_train_ban:val_accuracy_mean_BAN", Unjudged("the paper gives no accuracy to compare with"),
                about=("ban_accuracy",))]
    c += [Claim(f"V-E.listeners.{g}", "V-E, Fig. 4", f"listeners' accuracy, {g} (Fig. 4's value read as choices)", p,
                f"04_confusion_bas:listener_accuracy_per_genre/{g}",
                Proportion("04_confusion_bas:listener_trials_per_genre", g), about=("listeners", g, g))
          for g, p in V.PAPER_DECODING.items()]
    c += [Claim(f"V-E.listeners.{a}_as_{b}", "V-E, Fig. 4", f"listeners chose {b} for {a} (Fig. 4's value read as choices)",
                p, f"04_confusion_bas:listener_confusion_{a}_as_{b}",
                Proportion("04_confusion_bas:listener_trials_per_genre", a), about=("listeners", a, b))
          for (a, b), p in V.PAPER_CONFUSIONS.items()]
    c += [Claim("V-E.fig8_blues_as_jazz", "V-E, Fig. 8", "BAN takes a blues clip for jazz", ">= 1 clip",
                "06_interpretability:fig8_misclassified_blues_as_jazz", AtLeastOne(), about=("network_error", "blues", "jazz")),
          Claim("V-F.bilateral_stg", "V-F", "BAN-model predictions significant in bilateral STG in every participant (FDR)",
                "all 5", "05_table2:bilateral_stg_significant", EverySubject(), about=("bilateral_stg",)),
          Claim("V-F.distinct_hs_lstg", "V-F", "genres more distinct in each of HS and lateral STG than in each of HG, "
                "PT and the lateral sulcus (sub-03 excepted)", "HS, LSTG > HG, PT, LS", "05_table2:genre_distinctness",
                MoreDistinct(V.DISTINCT_LABELS, V.LESS_DISTINCT_LABELS), about=("distinct", V.DISTINCT_LABELS,
                                                                                   V.LESS_DISTINCT_LABELS))]
    c += [Claim(f"V-F.order.{roi}", "Table II", f"order of the three models' r in {roi}",
                " > ".join(sorted(V.TABLE2_MODELS, key=lambda m: -V.PAPER_TABLE2[roi][m][0])), "05_table2:table2_summary",
                ModelOrder(roi), about=("table2_order", roi)) for roi in V.TABLE2_ROIS]
    c += [Claim("V-F.ban_over_mfcc", "Table II", "BAN predicts better than MFCC in every label", "8 of 8",
                "05_table2:table2_summary", ModelOrder(pair=("BAN", "MFCC")), about=("table2_order", *V.TABLE2_ROIS))]
    c += [Claim(f"V-F.table2.{roi}.{m}", "V-F, Table II", f"Table II {roi}, {m} model",
                f"{V.PAPER_TABLE2[roi][m][0]:.3f} ± {V.PAPER_TABLE2[roi][m][1]:.3f}", "05_table2:table2_summary",
                Table2Cell(roi, m), about=("table2", roi, m)) for roi in V.TABLE2_ROIS for m in V.TABLE2_MODELS]
    c += [Claim("V-F.lstg_genres", "V-F", "pop, disco, country and hip-hop are the strongest genres in LSTG", "4 of 4",
                "05_table2:genre_top4_per_label", TopGenres("LSTG", V.LSTG_GENRES), about=("top_genres", "LSTG", V.LSTG_GENRES)),
          Claim("V-F.hs_blues", "V-F", "blues is the top genre around HS", V.HS_GENRE,
                "05_table2:genre_top4_per_label", TopGenres("HS", (V.HS_GENRE,)), about=("top_genres", "HS", (V.HS_GENRE,)))]
    c += [Claim(f"V-E.maps.{m}", "V-E, Fig. 7", f"maps favour high intensity and low frequency ({m})",
                "rho > 0, low-half share > .5", "06_interpretability:intensity_rho", IntensityAndLowFrequency(m),
                about=("maps", "blues", m))
          for m in ("Grad-CAM", "LIME", "occlusion")]
    return tuple(c)


#: Every claim the scorecard judges (the tally counts these).
CLAIMS = _claims()
#: The consistency checks: what the book's design or arithmetic fixes; outside the tally.
CHECKS = _checks()


def claims_markdown() -> str:
    """The margins, the claims, the consistency checks and the results contract as Markdown (for the methods
    chapter): each claim's section, wording, the paper's value, where our number is and its rule."""
    from .contract import contract_markdown
    from .verdicts import margins_markdown

    def rule(c):
        doc = (type(c.rule).__doc__ or "").strip().split("\n\n")[0]
        doc = re.sub(r":\w+:`~?(?:[\w.]+\.)?([^`]+)`", r"`\1`", " ".join(doc.split())).replace("``", "`")
        return doc.replace("|", "/")

    def table(items):
        lines = ["| id | section | claim | paper | our number | rule |", "|---|---|---|---|---|---|"]
        for c in items:
            source = f"`{c.source}`" if c.source else (", ".join(f"`{r}`" for r in c.reads) or "(none)")
            lines.append(f"| `{c.id}` | {c.section} | {c.claim} | {c.paper} | {source} | {rule(c)} |")
        return "\n".join(lines) + "\n"
    return ("**Equivalence margins**, one per family of claims:\n\n" + margins_markdown()
            + "\n**The claims** (the tally counts these):\n\n" + table(CLAIMS)
            + "\n**Consistency checks** (outside the tally: the book's design, arithmetic or own choice fixes them):\n\n"
            + table(CHECKS)
            + "\n**The results contract**: every results key a claim or a check reads, as the chapters must write it "
              "(checked when it is recorded) and when it may be absent:\n\n" + contract_markdown())
