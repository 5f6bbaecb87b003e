"""The contract between the chapters and the claims: every results key a claim or a consistency check reads,
declared once with its type, unit and shape, and the conditions under which it may be absent.

The chapters' recording helper (:meth:`banlib.book.results.Results.record`) validates a declared key's value
against its declaration when it is written, so a chapter that changes what it writes fails where it writes it;
:func:`audit` checks a build's results against the claims that read them: a key a claim reads that is absent
without a declared reason (a ``null_reasons`` entry beside it, or a condition of :data:`ABSENT_WHEN` that holds
for the build) is a broken contract.

A declaration's ``name`` may hold placeholders (``roi_size_{sub}``), each matching one word
(letters, digits, spaces, ``.`` and ``-``; never ``_``, which separates the parts of a key).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# Why a declared key may be absent from a build: condition -> the reason written beside the claim
ABSENT_WHEN = {
    "no_coordinates": "no voxel coordinates in the data (no Destrieux labels)",
    "no_behaviour": "no listeners' genre choices in the data (ds003720 has none)",
    "one_seed": "one training seed: no spread over seeds",
}

KINDS = ("number", "count", "flag", "name", "map", "records", "list", "matrix")


class ContractError(ValueError):
    """A value recorded under a declared key does not have the declared type or shape."""


@dataclass(frozen=True)
class Key:
    """One declared results key.

    Attributes
    ----------
    notebook : str
        The chapter that writes it (``04_confusion_bas``).
    name : str
        The key, with ``{placeholders}`` for parts that vary (``roi_size_{sub}``).
    kind : str
        One of :data:`KINDS`: ``number`` (int or float), ``count`` (int >= 0), ``flag`` (bool), ``name`` (str),
        ``map`` (dict), ``records`` (list of dicts, each with ``fields``), ``list``, ``matrix`` (list of lists).
    unit : str
        Unit of the numbers (``Pearson r``, ``share of clips``, ``voxels``, ...).
    shape : str
        What it holds, in words (``{genre: share}``, ``rows: network, seed, subject``).
    fields : tuple of str
        ``records`` only: the fields every row has.
    values : str
        ``map`` only: the kind of every value (``number``, ``count``, ``flag``, ``name``, ``map``, ``list``, or
        ``any``).
    absent : tuple of str
        Conditions of :data:`ABSENT_WHEN` under which the chapter does not write it.
    """

    notebook: str
    name: str
    kind: str
    unit: str
    shape: str
    fields: tuple = ()
    values: str = "any"
    absent: tuple = ()

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"{self.notebook}:{self.name}: kind {self.kind!r} is not one of {KINDS}")
        unknown = set(self.absent) - set(ABSENT_WHEN)
        if unknown:
            raise ValueError(f"{self.notebook}:{self.name}: unknown absence conditions {sorted(unknown)}")

    @property
    def pattern(self) -> re.Pattern:
        """The key's name as a regular expression (each placeholder a word without ``_``)."""
        parts = re.split(r"\{[a-z_]+\}", self.name)
        return re.compile("^" + r"[A-Za-z0-9. \-]+".join(re.escape(p) for p in parts) + "$")

    def matches(self, notebook: str, key: str) -> bool:
        """Whether ``notebook:key`` is this declaration."""
        return notebook == self.notebook and bool(self.pattern.match(key))

    def problems(self, value) -> list[str]:
        """What is wrong with ``value`` for this declaration (empty when it conforms). None always conforms
        (a null is kept with its reason by the results file)."""
        if value is None:
            return []
        out = _kind_problems(value, self.kind)
        if out:
            return out
        if self.kind == "records":
            for i, row in enumerate(value):
                lost = [f for f in self.fields if f not in row]
                if lost:
                    return [f"row {i} lacks {', '.join(lost)}"]
        if self.kind == "map" and self.values != "any":
            for k, v in value.items():
                bad = [] if v is None else _kind_problems(v, self.values)
                if bad:
                    return [f"[{k}]: {bad[0]}"]
        return []


def _kind_problems(value, kind: str) -> list[str]:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    ok = {"number": number, "count": number and isinstance(value, int) and value >= 0,
          "flag": isinstance(value, bool), "name": isinstance(value, str), "map": isinstance(value, dict),
          "records": isinstance(value, list) and all(isinstance(r, dict) for r in value),
          "list": isinstance(value, list),
          "matrix": isinstance(value, list) and all(isinstance(r, list) for r in value),
          "any": True}[kind]
    return [] if ok else [f"expected {kind}, got {type(value).__name__}"]


def _keys() -> tuple[Key, ...]:
    k = []
    # 01_data: the design, read from the events files
    for name in ("n_clips", "n_training_clips", "n_test_clips", "n_subjects", "n_genres", "n_runs", "clips_per_genre",
                 "clips_per_run", "test_clips_per_run", "test_repeats"):
        k.append(Key("01_data", name, "count", "", "scalar"))
    # 02_roi_selection
    k += [Key("02_roi_selection", "roi_size_{sub}", "count", "voxels", "scalar: ROI selected on the training runs"),
          Key("02_roi_selection", "roi_size_paper_{sub}", "count", "voxels",
              "scalar: ROI selected on training and test pooled (the paper's reading)"),
          Key("02_roi_selection", "selection_volumes_paper", "map", "volumes", "{train, test}: per resampling",
              values="count")]
    # 03_train_ban
    k += [Key("03_train_ban", "val_accuracy_mean_{network}", "number", "share of held-out tracks", "scalar, mean over seeds"),
          Key("03_train_ban", "accuracy_per_seed", "records", "share of tracks", "rows: network, seed",
              fields=("network", "seed", "held-out accuracy")),
          Key("03_train_ban", "recurrence_grid", "map", "share of held-out tracks", "{structure b/p/t: mean over seeds}",
              values="number"),
          Key("03_train_ban", "recurrence_grid_per_seed", "map", "share of held-out tracks",
              "{structure b/p/t: {seed: accuracy}}", values="map"),
          Key("03_train_ban", "recurrence_grid_sd", "map", "share of held-out tracks", "{structure: sd over seeds}",
              values="number", absent=("one_seed",)),
          Key("03_train_ban", "recurrence_grid_at_ceiling", "flag", "", "scalar")]
    # 04_confusion_bas
    k += [Key("04_confusion_bas", "brain_accuracy_per_genre_mean", "map", "share of test clips",
              "{genre: mean over subjects}", values="number"),
          Key("04_confusion_bas", "brain_trials_per_genre", "map", "test clips", "{genre: clips over all subjects}",
              values="count"),
          Key("04_confusion_bas", "brain_confusion_{a}_as_{b}", "number", "share of genre a's test clips",
              "scalar, mean over subjects"),
          Key("04_confusion_bas", "brain_consistency_pairs", "records", "Spearman rho, p", "rows: a, b (subjects)",
              fields=("a", "b", "rho", "p")),
          Key("04_confusion_bas", "brain_consistency_max_p", "number", "p", "scalar"),
          Key("04_confusion_bas", "brain_decoding_at_ceiling", "flag", "", "scalar"),
          Key("04_confusion_bas", "behaviour_subjects", "count", "listeners", "scalar"),
          Key("04_confusion_bas", "listener_accuracy_per_genre", "map", "share of choices", "{genre: pooled share}",
              values="number", absent=("no_behaviour",)),
          Key("04_confusion_bas", "listener_confusion_{a}_as_{b}", "number", "share of genre a's choices", "scalar",
              absent=("no_behaviour",)),
          Key("04_confusion_bas", "listener_trials_per_genre", "map", "choices", "{genre: trials pooled over listeners}",
              values="count", absent=("no_behaviour",)),
          Key("04_confusion_bas", "bas_table", "records", "Pearson r; macro F1",
              "rows: network, seed, subject (behavioural and BAS null without listeners' choices)",
              fields=("network", "seed", "subject", "cortical", "behavioural", "bas", "bas_without_structure",
                      "bas_matched", "bas_pooled")),
          Key("04_confusion_bas", "untrained_bas_table", "records", "Pearson r; macro F1",
              "rows: untrained network, seed, subject", fields=("network", "seed", "subject", "cortical")),
          Key("04_confusion_bas", "best_area", "map", "", "{network: area with the highest mean median r}",
              values="name"),
          Key("04_confusion_bas", "cortical_per_area_subjects", "records", "Pearson r (median over ROI voxels)",
              "rows: network, subject, area (first training seed)", fields=("network", "subject", "area", "median_r")),
          Key("04_confusion_bas", "grid_cortical", "records", "Pearson r (median over ROI voxels)",
              "rows: structure, seed, subject: the T2/T3 cortical score of each recurrence-grid network",
              fields=("structure", "seed", "subject", "cortical")),
          Key("04_confusion_bas", "ban_fmri_accuracy", "number", "share of test clips",
              "scalar: BAN's own predicted genres on the 60 test clips (first seed)"),
          Key("04_confusion_bas", "ban_decoding", "map", "share of test clips",
              "{accuracy, n_clips, chance, p_binomial, C, seed}: genre decoded from BAN's T2/T3 activity")]
    # 05_table2
    absent = ("no_coordinates",)
    k += [Key("05_table2", "table2_testable", "flag", "", "scalar"),
          Key("05_table2", "table2_n_subjects", "count", "subjects", "scalar", absent=absent),
          Key("05_table2", "table2_summary", "records", "Pearson r", "rows: roi; <model> mean, <model> sd",
              fields=("roi",), absent=absent),
          Key("05_table2", "table2_per_subject", "records", "Pearson r (mean over the label's ROI voxels)",
              "rows: subject, roi; one column per model", fields=("subject", "roi", "genre", "MFCC", "BAN"),
              absent=absent),
          Key("05_table2", "bilateral_stg_significant", "map", "", "{subject: flag}", values="flag", absent=absent),
          Key("05_table2", "genre_distinctness", "map", "sd across genres of ridge weights", "{label: pooled value}",
              values="number", absent=absent),
          Key("05_table2", "genre_distinctness_per_subject", "map", "sd across genres of ridge weights",
              "{subject: {label: value}}", values="map", absent=absent),
          Key("05_table2", "genre_top4_per_label", "map", "", "{label: [4 genres, strongest first]}", values="list",
              absent=absent),
          Key("05_table2", "genre_pca_n_components", "count", "components", "scalar"),
          Key("05_table2", "genre_pca_explained", "list", "share of variance", "one per component")]
    # 06_interpretability
    k += [Key("06_interpretability", "fig8_misclassified_blues_as_jazz", "count", "test clips", "scalar"),
          Key("06_interpretability", "intensity_rho", "map", "Spearman rho", "{method: mean over clips}",
              values="number"),
          Key("06_interpretability", "low_half_share", "map", "share of attribution", "{method: mean over clips}",
              values="number"),
          Key("06_interpretability", "reading_per_clip", "records", "Spearman rho; share of attribution",
              "rows: clip, method", fields=("clip", "method", "intensity_rho", "low_half_share"))]
    return tuple(k)


#: Every declared results key.
KEYS = _keys()


def declaration(notebook: str, key: str) -> Key | None:
    """The declaration of ``notebook:key``, or None when the key is not declared."""
    return next((d for d in KEYS if d.matches(notebook, key)), None)


def validate(notebook: str, key: str, value) -> None:
    """Raise :class:`ContractError` when ``value`` does not conform to the declaration of ``notebook:key``
    (an undeclared key passes)."""
    d = declaration(notebook, key)
    if d is None:
        return
    bad = d.problems(value)
    if bad:
        raise ContractError(f"{notebook}:{key} is declared as {d.kind} ({d.shape}, {d.unit or 'no unit'}) in "
                            f"banlib.paper.contract; {bad[0]}. Change the chapter or the declaration, not both silently")


def conditions(results: dict) -> set[str]:
    """The conditions of :data:`ABSENT_WHEN` that hold for a build's results (``{notebook: values}``)."""
    out = set()
    t2 = results.get("05_table2", {})
    if t2.get("table2_testable") is False:
        out.add("no_coordinates")
    if results.get("04_confusion_bas", {}).get("behaviour_subjects") == 0:
        out.add("no_behaviour")
    if results.get("03_train_ban", {}).get("recurrence_grid_seeds") == 1:
        out.add("one_seed")
    return out


def absence_reason(results: dict, source: str) -> str | None:
    """Why the key ``<notebook>:<key>[/...]`` is absent from ``results`` by the contract (a condition of the build
    under which the chapter does not write it), or None."""
    notebook, _, path = source.partition(":")
    d = declaration(notebook, path.split("/")[0])
    if d is None:
        return None
    held = [c for c in d.absent if c in conditions(results)]
    return ABSENT_WHEN[held[0]] if held else None


def audit(results: dict, sources) -> list[str]:
    """The broken contracts of a build: for each ``<notebook>:<key>[/<subkey>]`` in ``sources`` (what the claims
    read), a line when the key is not declared, when its chapter ran and the key is absent without a declared
    reason (a null is kept only with a ``null_reasons`` entry, ``results[notebook]["_null_reasons"]``), or when its
    value does not conform to the declaration. Chapters that did not run are not audited."""
    out = []
    for source in sorted(set(sources)):
        notebook, _, path = source.partition(":")
        key = path.split("/")[0]
        d = declaration(notebook, key)
        if d is None:
            out.append(f"{source}: read by a claim but not declared in banlib.paper.contract")
            continue
        if notebook not in results:
            continue
        values = results[notebook]
        reasons = values.get("_null_reasons") or {}
        if key not in values:
            if absence_reason(results, source) is None:
                out.append(f"{source}: absent from {notebook}'s results without a declared reason")
            continue
        if values[key] is None and not reasons.get(key):
            out.append(f"{source}: null without a reason in null_reasons")
        bad = d.problems(values[key])
        if bad:
            out.append(f"{source}: {bad[0]}")
    return out


def contract_markdown() -> str:
    """The declarations as a Markdown table, for the methods chapter."""
    lines = ["| key | kind | unit | shape | may be absent when |", "|---|---|---|---|---|"]
    for d in KEYS:
        when = "; ".join(ABSENT_WHEN[c] for c in d.absent)
        lines.append(f"| `{d.notebook}:{d.name}` | {d.kind} | {d.unit} | {d.shape} | {when} |")
    return "\n".join(lines) + "\n"
