"""How a number of ours is judged against the paper's: the verdicts, the margins and the tests.

Verdicts (the scorecard's tally counts the first five; *planted* rows are outside it)

* ``replicated``: for a value the paper reports, ours is *equivalent* to it: the two one-sided tests
  (TOST, alpha = .05) both reject, i.e. the 90 % interval of the difference lies inside ``± margin``
  (:data:`MARGINS`, one margin per claim family). Equivalent and also significantly different (the 95 %
  interval excludes 0) is still ``replicated``: the note says "trivially different". For a direction the
  paper states (A > B), the one-sided test at alpha = .05 finds it, for every comparison the claim makes.
* ``not replicated``: not equivalent and significantly different (the 95 % interval of the difference
  excludes 0); for a direction, the opposite direction is significant (one-sided, alpha = .05) in at least
  one comparison; for a literal statement (4 of 4 genres), the statement is false on our numbers.
* ``inconclusive``: neither: a difference neither shown small nor shown present, or a quantity with no
  sampling distribution in the book (the reason is written beside it). Absence of a detected difference is
  never ``replicated``.
* ``reading-dependent``: where the paper's text is lost and the book lists several readings, the verdict
  differs between readings; each reading's verdict is shown.
* ``not testable``: we have no value (chapter not run, or data that cannot give it), with the reason.
* ``planted (calibration)``: on the synthetic twin, a claim whose answer the twin's generator plants
  (:func:`banlib.twin.planted.planted_claims`): agreement there is calibration, never replication.

On the twin the remaining rows say that they are twin results: ``agrees (twin)`` / ``disagrees (twin)`` instead of
replicated / not replicated, ``inconclusive (twin)``, ``reading-dependent (twin)`` (:func:`shown`): "replicated" and
"not replicated" appear only on real data.

Consistency checks (design counts, the book's own arithmetic) are not verdicts: ``consistent`` or
``inconsistent``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

REPLICATED, NOT_REPLICATED, INCONCLUSIVE = "replicated", "not replicated", "inconclusive"
READING_DEPENDENT, NOT_TESTABLE, PLANTED = "reading-dependent", "not testable", "planted (calibration)"
VERDICTS = (REPLICATED, NOT_REPLICATED, INCONCLUSIVE, READING_DEPENDENT, NOT_TESTABLE, PLANTED)
TALLIED = (REPLICATED, NOT_REPLICATED, INCONCLUSIVE, READING_DEPENDENT, NOT_TESTABLE)
AGREES_TWIN, DISAGREES_TWIN = "agrees (twin)", "disagrees (twin)"
INCONCLUSIVE_TWIN, READING_DEPENDENT_TWIN = "inconclusive (twin)", "reading-dependent (twin)"
TWIN_WORDS = {REPLICATED: AGREES_TWIN, NOT_REPLICATED: DISAGREES_TWIN, INCONCLUSIVE: INCONCLUSIVE_TWIN,
              READING_DEPENDENT: READING_DEPENDENT_TWIN}
CONSISTENT, INCONSISTENT = "consistent", "inconsistent"

ALPHA = 0.05                 # every test: TOST at .05 (90 % interval), a difference at .05 (95 % interval)
TRIVIAL = "trivially different: equivalent within the margin, yet the 95 % interval excludes 0"


@dataclass(frozen=True)
class Margin:
    """An equivalence margin for one family of claims: ``value`` in ``unit``, and why that size."""

    value: float
    unit: str
    why: str


#: One equivalence margin per claim family (printed in the methods chapter, :func:`margins_markdown`).
MARGINS = {
    "proportion": Margin(0.15, "absolute difference of two proportions",
                         "4.5 of the 30 test clips per genre (6 clips x 5 subjects): a smaller difference does not "
                         "change which genres are decoded well or confused"),
    "table2_cell": Margin(0.04, "Pearson r (difference of two means over subjects)",
                          "below the smallest gap between the genre and the MFCC model in any label of the paper's "
                          "Table II (.049), so an equivalent cell cannot reverse the paper's order of models"),
    "roi_size": Margin(math.log(1.2), "log of the ratio ours / paper (± 20 %)",
                       "the paper's five sizes differ by a factor of 3.4; 20 % keeps a subject's size apart from "
                       "the next one's"),
}


def missing(value) -> bool:
    """No value, or a number that is not finite."""
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def shown(verdict: str, twin: bool, planted: bool = False) -> str:
    """The verdict as the scorecard prints it: on the twin, planted rows read ``planted (calibration)`` and the
    others carry ``(twin)`` (replicated / not replicated read ``agrees (twin)`` / ``disagrees (twin)``; not
    testable stays as it is); on real data unchanged."""
    if not twin:
        return verdict
    if planted:
        return PLANTED
    return TWIN_WORDS.get(verdict, verdict)


# ------------------------------------------------------------------------------------ intervals
def wilson_interval(x: float, n: int, level: float) -> tuple[float, float]:
    """Wilson's score interval of a proportion ``x / n`` at confidence ``level``; behaves at 0 and at n (never
    zero width for n >= 1)."""
    if n <= 0:
        raise ValueError("a proportion needs n >= 1")
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_difference(x1: float, n1: int, x2: float, n2: int, level: float) -> tuple[float, float, float]:
    """Newcombe's hybrid score interval (his method 10) of ``p1 - p2``, two independent proportions ``x1 / n1`` and
    ``x2 / n2``, at confidence ``level``: ``(difference, low, high)``. Built from the two Wilson intervals, so it
    has width at p = 0 and p = 1, where the classical interval collapses."""
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1, level)
    l2, u2 = wilson_interval(x2, n2, level)
    d = p1 - p2
    return d, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def welch_difference(m1: float, s1: float, n1: int, m2: float, s2: float, n2: int,
                     level: float) -> tuple[float, float, float] | None:
    """Welch's interval of ``m1 - m2`` for two means with sds ``s1``, ``s2`` over ``n1``, ``n2`` units, at
    confidence ``level``: ``(difference, low, high)``; None when an interval does not exist (fewer than two units
    on a side, or no spread on either side)."""
    if n1 < 2 or n2 < 2:
        return None
    a, b = s1 * s1 / n1, s2 * s2 / n2
    if a + b == 0:
        return None
    df = (a + b) ** 2 / ((a * a / (n1 - 1) if a else 0.0) + (b * b / (n2 - 1) if b else 0.0))
    half = stats.t.ppf(0.5 + level / 2, df) * math.sqrt(a + b)
    d = m1 - m2
    return d, d - half, d + half


def t_interval(values, level: float) -> tuple[float, float, float] | None:
    """Student's interval of the mean of ``values`` (1-d) at confidence ``level``: ``(mean, low, high)``; None
    with fewer than two values or none spread."""
    x = np.asarray(values, float)
    x = x[np.isfinite(x)]
    if len(x) < 2 or float(np.std(x)) == 0:
        return None
    m, se = float(x.mean()), float(x.std(ddof=1)) / math.sqrt(len(x))
    half = stats.t.ppf(0.5 + level / 2, len(x) - 1) * se
    return m, m - half, m + half


# ------------------------------------------------------------------------------------ rules
@dataclass(frozen=True)
class Outcome:
    """A rule's answer: the verdict, the interval(s) it rests on, and a note."""

    verdict: str
    note: str = ""


def equivalence(ci90: tuple[float, float, float] | None, ci95: tuple[float, float, float] | None,
                margin: float) -> Outcome:
    """The three outcomes for a difference ``ours - paper`` with its 90 % and 95 % intervals ``(d, low, high)``:
    equivalent (TOST at .05: the 90 % interval inside ``± margin``) -> replicated, noted "trivially different"
    when the 95 % interval also excludes 0; else significantly different (the 95 % interval excludes 0) -> not
    replicated; else inconclusive. No interval -> inconclusive."""
    if ci90 is None or ci95 is None:
        return Outcome(INCONCLUSIVE, "no interval of the difference (see the reason)")
    d, lo90, hi90 = ci90
    _, lo95, hi95 = ci95
    different = lo95 > 0 or hi95 < 0
    shown_ = f"difference {d:+.3g}, 90 % CI [{lo90:+.3g}, {hi90:+.3g}], 95 % CI [{lo95:+.3g}, {hi95:+.3g}]"
    if -margin < lo90 and hi90 < margin:
        return Outcome(REPLICATED, f"{shown_}; equivalent within ±{margin:.3g}" + (f"; {TRIVIAL}" if different else ""))
    if different:
        return Outcome(NOT_REPLICATED, f"{shown_}; not equivalent within ±{margin:.3g}, significantly different")
    return Outcome(INCONCLUSIVE, f"{shown_}; neither equivalent within ±{margin:.3g} nor significantly different")


def proportion_equivalence(ours: float, n_ours: int, paper: float, n_paper: int, margin: float) -> Outcome:
    """:func:`equivalence` for two proportions, each over its own number of trials (Newcombe's interval)."""
    if n_ours < 1 or n_paper < 1:
        return Outcome(INCONCLUSIVE, "no trials on one side")
    x1, x2 = ours * n_ours, paper * n_paper
    return equivalence(newcombe_difference(x1, n_ours, x2, n_paper, 1 - 2 * ALPHA),
                       newcombe_difference(x1, n_ours, x2, n_paper, 1 - ALPHA), margin)


def mean_sd_equivalence(mean: float, sd: float, n: int, paper_mean: float, paper_sd: float, paper_n: int,
                        margin: float) -> Outcome:
    """:func:`equivalence` for two means ± sd over subjects (Welch's interval of the difference)."""
    sd = 0.0 if missing(sd) else sd
    ci90 = welch_difference(mean, sd, n, paper_mean, paper_sd, paper_n, 1 - 2 * ALPHA)
    if ci90 is None:
        why = (f"n = {n}: an sd over subjects needs two or more" if n < 2 else "no spread on either side")
        return Outcome(INCONCLUSIVE, f"no interval of the difference ({why})")
    return equivalence(ci90, welch_difference(mean, sd, n, paper_mean, paper_sd, paper_n, 1 - ALPHA), margin)


@dataclass(frozen=True)
class Direction:
    """A one-sided comparison of paired differences ``a - b``: their mean, sd and number, the one-sided p of
    ``a > b`` and of ``a < b`` (t-test over the pairs), and which (if either) is significant at alpha."""

    mean: float
    sd: float
    n: int
    p_greater: float
    p_less: float

    @property
    def greater(self) -> bool:
        """``a > b`` at alpha (one-sided)."""
        return self.p_greater < ALPHA

    @property
    def less(self) -> bool:
        """``a < b`` at alpha (one-sided)."""
        return self.p_less < ALPHA

    def text(self, a: str = "a", b: str = "b") -> str:
        """``a − b: mean ± sd over n pairs, one-sided p`` (``b`` alone when ``a`` is empty)."""
        return (f"{f'{a} − {b}' if a else b}: {self.mean:+.3g} ± {self.sd:.3g} over {self.n} pairs, "
                f"p(>) {self.p_greater:.3g}, p(<) {self.p_less:.3g}")


def paired_direction(differences) -> Direction | None:
    """:class:`Direction` of paired differences (1-d array); None with fewer than two finite differences or
    differences without spread (no interval)."""
    x = np.asarray(differences, float)
    x = x[np.isfinite(x)]
    if len(x) < 2 or float(np.std(x)) == 0:
        return None
    sd = float(x.std(ddof=1))
    t = float(x.mean()) / (sd / math.sqrt(len(x)))
    return Direction(float(x.mean()), sd, len(x), float(stats.t.sf(t, len(x) - 1)), float(stats.t.cdf(t, len(x) - 1)))


def all_greater(directions: dict[str, Direction | None], name: str = "a") -> Outcome:
    """The claim "``name`` > b for every b" from one :class:`Direction` per b: replicated when every comparison is
    significant in the claimed direction (an intersection-union test: no correction needed); not replicated when
    any is significant the other way; else inconclusive (a comparison without an interval counts as undecided)."""
    if not directions:
        return Outcome(NOT_TESTABLE, "nothing to compare")
    notes = [d.text(name, k) if d else f"{k}: no interval (fewer than two pairs, or no spread)"
             for k, d in directions.items()]
    if any(d is not None and d.less for d in directions.values()):
        lost = [k for k, d in directions.items() if d is not None and d.less]
        return Outcome(NOT_REPLICATED, f"significantly lower than {', '.join(lost)}; " + "; ".join(notes))
    if all(d is not None and d.greater for d in directions.values()):
        return Outcome(REPLICATED, "; ".join(notes))
    return Outcome(INCONCLUSIVE, "not significant in every comparison; " + "; ".join(notes))


def spearman_exact(x, y) -> tuple[float, float, float]:
    """Spearman's rho of ``x`` and ``y`` (1-d, same length) and its one-sided p-values ``(rho, p_greater,
    p_less)``: exact over all permutations up to 8 points, else by scipy's t approximation."""
    import itertools

    x, y = np.asarray(x, float), np.asarray(y, float)
    rx, ry = stats.rankdata(x), stats.rankdata(y)
    rho = float(np.corrcoef(rx, ry)[0, 1])
    if len(x) <= 8:
        perms = np.array([np.corrcoef(rx, ry[list(p)])[0, 1] for p in itertools.permutations(range(len(x)))])
        eps = 1e-12
        return rho, float((perms >= rho - eps).mean()), float((perms <= rho + eps).mean())
    return (rho, float(stats.spearmanr(x, y, alternative="greater").pvalue),
            float(stats.spearmanr(x, y, alternative="less").pvalue))


def margins_markdown() -> str:
    """The margins as a Markdown table (family, margin, unit, why), for the methods chapter."""
    lines = ["| family | margin | unit | why this size |", "|---|---|---|---|"]
    for name, m in MARGINS.items():
        value = "± 20 %" if name == "roi_size" else f"± {m.value:g}"
        lines.append(f"| {name} | {value} | {m.unit} | {m.why} |")
    return "\n".join(lines) + "\n"
