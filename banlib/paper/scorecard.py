"""The replication scorecard: every claim of :data:`banlib.paper.claims.CLAIMS` judged against the
chapters' results files (``<build>/results/<notebook>.json``), never against typed numbers, and the
consistency checks of :data:`~banlib.paper.claims.CHECKS` in a table of their own, outside the tally.
A claim whose value is missing (a chapter not run, or data that cannot answer it) is ``not testable``,
with the reason.

On the synthetic twin, the claims whose answer the twin's generator plants (the set recorded in the twin's
``twin.json`` and carried into every results file's ``source_info``, :func:`banlib.twin.planted.planted_claims`)
read ``planted (calibration)`` and are left out of the tally; the others say they are twin results (``agrees
(twin)`` / ``disagrees (twin)`` rather than replicated / not replicated, ``inconclusive (twin)``, ...;
:func:`banlib.paper.verdicts.shown`).
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..files import is_in_progress, read_results
from .claims import CHECKS, CLAIMS
from .verdicts import (AGREES_TWIN, DISAGREES_TWIN, INCONCLUSIVE, INCONCLUSIVE_TWIN, NOT_REPLICATED, NOT_TESTABLE,
                       PLANTED, READING_DEPENDENT, READING_DEPENDENT_TWIN, REPLICATED, shown)

NO_PLANTED_SET = ("twin results without the twin's planted set (made before it was recorded): regenerate the "
                  "twin's results to judge this claim")


def _meta(d: dict) -> dict:
    """What a results file says beside its values, kept under ``_`` keys: data label, code commit, data source,
    the twin's planted claims (from ``source_info``) and the reasons for null values."""
    return {"_data": d.get("data"), "_commit": d.get("git_commit"), "_source": d.get("data_source"),
            "_planted": (d.get("source_info") or {}).get("planted_claims"), "_null_reasons": d.get("null_reasons") or {}}


def load_results(results_dir: str | Path) -> dict[str, dict]:
    """``{notebook: values}`` for every results JSON in ``results_dir``, plus ``_data`` (its data label),
    ``_commit`` (its code commit) and the other entries of :func:`_meta`.

    Each file is read by the one strict reader (:func:`banlib.files.read_results`): NaN, infinity, ``1e999`` or a
    key twice is an error naming the file, and so is a file whose notebook did not run to its end (no completion
    marker), never skipped. The one file left out is the results file this process is writing now (the
    scorecard's own, while its notebook runs: :func:`banlib.files.is_in_progress`)."""
    out = {}
    for path in sorted(Path(results_dir).glob("[0-9][0-9]_*.json")):
        if is_in_progress(path):
            continue
        d = read_results(path)
        out[d["notebook"]] = d["values"] | _meta(d)
    return out


def is_twin(results: dict[str, dict]) -> bool:
    """Whether any chapter's results come from the synthetic twin."""
    return any(v.get("_source") == "twin" for v in results.values())


def planted_set(results: dict[str, dict]) -> dict[str, str] | None:
    """``{claim id: the twin constant that plants it}`` recorded with twin results (the union over chapters);
    None when the results are the twin's but none records the set; ``{}`` on other data."""
    if not is_twin(results):
        return {}
    found = [v["_planted"] for v in results.values() if v.get("_source") == "twin" and v.get("_planted") is not None]
    if not found:
        return None
    return {k: why for p in found for k, why in p.items()}


def twin_note(note: str) -> str:
    """A rule's note in the twin's words: the verdicts it names (``not replicated``, ``replicated``) as ``disagrees
    (twin)`` and ``agrees (twin)``."""
    note = re.sub(r"\bnot replicated\b", DISAGREES_TWIN, note)
    return re.sub(r"(?<!not )\breplicated\b", AGREES_TWIN, note)


def build(results: dict[str, dict], claims=CLAIMS) -> pd.DataFrame:
    """One row per claim: ``id claim section paper ours criterion verdict source note readings outcome planted``.

    ``outcome`` is the rule's verdict; ``verdict`` is what the page shows: on the twin, ``planted (calibration)``
    for a planted claim (the rule's outcome kept in the note as calibration) and the twin's words for the rest."""
    twin, planted = is_twin(results), planted_set(results)
    rows = []
    for c in claims:
        row = c.judge(results)
        row["outcome"], row["planted"] = row["verdict"], (planted or {}).get(c.id, "")
        if twin and planted is None:
            row["verdict"], row["note"] = NOT_TESTABLE, "; ".join(x for x in (NO_PLANTED_SET, row["note"]) if x)
        elif twin:
            row["verdict"] = shown(row["outcome"], True, bool(row["planted"]))
            row["note"] = twin_note(row["note"])
            if row["planted"]:
                row["note"] = "; ".join(x for x in (f"planted by the twin: {row['planted']}; calibration outcome: "
                                                    f"{shown(row['outcome'], True)}", row["note"]) if x)
            if row["readings"]:
                row["readings"] = {k: shown(v, True) for k, v in row["readings"].items()}
        rows.append(row)
    return pd.DataFrame(rows)


def checks(results: dict[str, dict], items=CHECKS) -> pd.DataFrame:
    """The consistency checks, one row each: ``id check section paper ours criterion result source note``;
    ``result`` is consistent, inconsistent or not testable."""
    rows = []
    for c in items:
        row = c.judge(results)
        rows.append({"id": row["id"], "check": row["claim"], "section": row["section"], "paper": row["paper"],
                     "ours": row["ours"], "criterion": row["criterion"], "result": row["verdict"],
                     "source": row["source"], "note": row["note"]})
    return pd.DataFrame(rows)


def tallied(twin: bool) -> tuple[str, ...]:
    """The verdicts the tally counts, in the words of the data: replicated ... on real data, agrees (twin) ...
    on the twin."""
    if twin:
        return AGREES_TWIN, DISAGREES_TWIN, INCONCLUSIVE_TWIN, READING_DEPENDENT_TWIN, NOT_TESTABLE
    return REPLICATED, NOT_REPLICATED, INCONCLUSIVE, READING_DEPENDENT, NOT_TESTABLE


def tally(card: pd.DataFrame, twin: bool = False) -> dict[str, int]:
    """How many claims got each verdict, over the claims the twin does not plant (planted rows are not counted;
    :func:`n_planted` counts them)."""
    counted = card[card.verdict != PLANTED]
    return {v: int((counted.verdict == v).sum()) for v in tallied(twin)}


def n_planted(card: pd.DataFrame) -> int:
    """How many rows read ``planted (calibration)``."""
    return int((card.verdict == PLANTED).sum())


def tally_sentence(card: pd.DataFrame, twin: bool) -> str:
    """The tally in words, saying what it counts."""
    counts = tally(card, twin)
    shown_ = ", ".join(f"**{n}** {v}" for v, n in counts.items())
    total = sum(counts.values())
    if not twin:
        return f"{shown_}, of {total} claims."
    return (f"On the twin, over the {total} claims it does not plant: {shown_}. The other **{n_planted(card)}** "
            f"claims are planted by the twin's generator (rows marked *planted (calibration)*): agreement there is "
            f"calibration, and they are not counted. The counted rows say they are twin results: *replicated* and *not "
            f"replicated* appear only on real data.")


def tally_shown(card: pd.DataFrame, twin: bool) -> dict[str, int]:
    """The tally as the page's figure shows it: on the twin with the planted rows as one more bar."""
    return tally(card, twin) | ({PLANTED: n_planted(card)} if twin else {})


def planted_table(card: pd.DataFrame) -> pd.DataFrame | None:
    """The planted rows and the twin constant behind each (None when there are none)."""
    rows = card[card.verdict == PLANTED]
    if rows.empty:
        return None
    return rows[["id", "claim", "planted", "outcome"]].rename(
        columns={"planted": "planted by", "outcome": "calibration outcome"}).assign(
        **{"calibration outcome": lambda f: f["calibration outcome"].map(lambda v: shown(v, True))}).set_index("id")


def provenance_sentence(results: dict[str, dict], twin: bool) -> str:
    """Which data and code commits the scorecard's values come from (and, on the twin, what that means)."""
    sources = sorted({v["_data"] for v in results.values() if v.get("_data")})
    commits = sorted({v["_commit"] for v in results.values() if v.get("_commit")})
    text = (f"Values from: {'; '.join(sources) or 'no chapter results found'}; banlib commit(s) "
            f"{', '.join(commits) or '?'}.")
    if twin:
        text += ("\n\n**These values come from the synthetic twin.** Its verdicts test the pipeline (does each analysis "
                 "run, and does it recover what was planted?), not the paper's findings. Re-run the book on the real "
                 "data for verdicts about the paper.")
    return text


def scorecard_values(card: pd.DataFrame, check_table: pd.DataFrame, twin: bool) -> dict:
    """The scorecard's results: the tally (``scorecard_<verdict>``), the planted count, every row, the checks."""
    out = {f"scorecard_{v.replace(' ', '_').replace('(', '').replace(')', '')}": n for v, n in tally(card, twin).items()}
    out["scorecard_planted"] = n_planted(card)
    out["scorecard_tallied"] = int(len(card) - n_planted(card))
    out["scorecard"] = card.to_dict(orient="records")
    out["consistency_checks"] = check_table.to_dict(orient="records")
    out["consistency_checks_consistent"] = int((check_table.result == "consistent").sum())
    out["consistency_checks_inconsistent"] = int((check_table.result == "inconsistent").sum())
    return out


RECOVERY_ORDER = ("roi", "network", "decoding", "table2", "cue")


def recovery_table(results: dict[str, dict]) -> pd.DataFrame | None:
    """The pipeline-recovery checks the chapters recorded (``recovery_<check>``, twin only), one row each:
    ``check chapter criterion result verdict``; None when no chapter recorded one (data without planted truth)."""
    rows = []
    for notebook, values in sorted(results.items()):
        for key, v in values.items():
            if key.startswith("recovery_"):
                rows.append({"check": key.removeprefix("recovery_"), "chapter": notebook,
                             "criterion": v["criterion"], "result": v["summary"], "verdict": v["verdict"]})
    if not rows:
        return None
    order = {c: i for i, c in enumerate(RECOVERY_ORDER)}
    return pd.DataFrame(rows).sort_values("check", key=lambda c: c.map(order).fillna(len(order))).set_index("check")


def recovery_values(table: pd.DataFrame | None) -> dict:
    """``pipeline_recovery_verdicts`` ({check: verdict}) and how many checks were recovered, for the results file."""
    if table is None:
        return {}
    return {"pipeline_recovery_verdicts": table.verdict.to_dict(),
            "pipeline_recovery_recovered": int((table.verdict == "recovered").sum()),
            "pipeline_recovery_checks": len(table)}
