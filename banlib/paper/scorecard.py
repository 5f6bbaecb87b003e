"""The replication scorecard: every claim of :data:`banlib.paper.claims.CLAIMS` judged against the
chapters' results files (``<build>/results/<notebook>.json``), never against typed numbers.
A claim whose value is missing (a chapter not run, or data that cannot answer it) is
``not testable``, with the reason.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..files import is_in_progress, read_results
from .claims import CLAIMS
from .verdicts import VERDICTS


def load_results(results_dir: str | Path) -> dict[str, dict]:
    """``{notebook: values}`` for every results JSON in ``results_dir``, plus ``_data`` (its data label)
    and ``_commit`` (its code commit).

    Each file is read by the one strict reader (:func:`banlib.files.read_results`): NaN, infinity, ``1e999`` or a
    key twice is an error naming the file, and so is a file whose notebook did not run to its end (no completion
    marker), never skipped. The one file left out is the results file this process is writing now (the
    scorecard's own, while its notebook runs: :func:`banlib.files.is_in_progress`)."""
    out = {}
    for path in sorted(Path(results_dir).glob("[0-9][0-9]_*.json")):
        if is_in_progress(path):
            continue
        d = read_results(path)
        out[d["notebook"]] = d["values"] | {"_data": d.get("data"), "_commit": d.get("git_commit")}
    return out


def build(results: dict[str, dict], claims=CLAIMS) -> pd.DataFrame:
    """One row per claim: ``id claim section paper ours tolerance verdict source note``."""
    return pd.DataFrame([c.judge(results) for c in claims])


def tally(card: pd.DataFrame) -> dict[str, int]:
    """How many claims got each verdict."""
    return {v: int((card.verdict == v).sum()) for v in VERDICTS}


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
