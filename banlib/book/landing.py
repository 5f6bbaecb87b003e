"""The landing page's "About this build" box: what this build ran on, read from its results files.

Everything in the box comes from ``<build>/results/<notebook>.json`` (data label, data versions,
parameters, banlib version and commit) and from the publishing settings (CI run, repository):
nothing is typed by hand, so a real-data build published beside the twin book says on its first page
which data, which code and which run produced it.
"""
from __future__ import annotations

import json
from pathlib import Path

from .compare import Build, CompareError, read_build
from ..publishing import Publishing


VERSION_KEYS = ("version", "commit", "profile", "seed", "doi", "sha256")


def _scalars(info: dict) -> list[str]:
    """``key value`` for the scalar entries of a ``source_info`` dict that identify a version of the data
    (version, commit, profile, seed, doi, checksum); descriptions and nested entries are left out."""
    return [f"{k} {v}" for k, v in sorted(info.items())
            if isinstance(v, (str, int, float)) and not isinstance(v, bool) and any(w in k for w in VERSION_KEYS)]


def summary(build: Build) -> dict[str, list[str]]:
    """The facts the box shows, each a sorted list of distinct values over the build's notebooks."""
    infos = sorted({"; ".join(_scalars(r.get("source_info") or {})) for r in build.results.values()} - {""})
    params = sorted({", ".join(f"{k} {v}" for k, v in sorted((r.get("parameters") or {}).items()))
                     for r in build.results.values()} - {""})
    notes = sorted({str(r["git_commit_note"]) for r in build.results.values() if r.get("git_commit_note")})
    if any(str(c) == "unknown" for c in build.commits) and not notes:
        notes = ["This build could not name the code's commit (`unknown`): it did not record why."]
    return {"data": build.data_labels, "data_versions": infos, "parameters": params,
            "banlib": build.versions, "commits": build.commits, "chapters": list(build.results),
            "commit_notes": notes, "scorecard": scorecard_line(build)}


def _problems(build: Build | None) -> list[str]:
    """One Markdown list item per results file that could not be used, with the reason."""
    if build is None:
        return []
    return [f"- `{Path(f).name}`: {why}" for f, why in sorted(build.problems.items())]


def scorecard_line(build: Build) -> str | None:
    """What the build's scorecard counts, in words (None when chapter 07 did not run): on the twin, how many claims
    are planted (calibration) and left out of the tally."""
    card = (build.results.get("07_scorecard") or {}).get("values") or {}
    if "scorecard_tallied" not in card:
        return None
    counts = {k.removeprefix("scorecard_").replace("_", " "): v for k, v in card.items()
              if k.startswith("scorecard_") and k not in ("scorecard_tallied", "scorecard_planted")
              and isinstance(v, int)}
    tally = ", ".join(f"{n} {v.replace(' twin', ' (twin)')}" for v, n in counts.items())
    if card.get("scorecard_planted"):
        return (f"{card['scorecard_tallied']} claims counted ({tally}); {card['scorecard_planted']} claims are planted "
                f"by the twin's generator and read *planted (calibration)*, outside the tally. *Replicated* and *not "
                f"replicated* appear only on real data")
    return f"{card['scorecard_tallied']} claims counted ({tally})"


def build_box(out: str | Path, publishing: Publishing | None = None) -> str:
    """MyST Markdown of the "About this build" section for the build in ``out``."""
    pub = publishing or Publishing()
    lines = ["", "(about-this-build)=", "## About this build", "",
             ":::{admonition} What produced the pages of this build", ":class: note", ""]
    try:
        build = read_build(out, strict=False)
    except CompareError:
        build = None                               # no results/<chapter>.json at all
    facts = summary(build) if build is not None and build.results else None
    problems = _problems(build)
    if build is None:
        lines += ["No results files were found in this build (`results/<chapter>.json`): its chapters "
                  "were not run through `banlib book`.", ""]
    elif not facts:
        lines += ["This build has results files, but none of them could be used, so nothing on these pages can "
                  "be traced to a finished run:", "", *problems, ""]
    else:
        def item(name, values, code=False):
            shown = [f"`{v}`" if code else v for v in values]
            lines.append(f"- **{name}**: {'; '.join(shown) if shown else 'not recorded'}")

        item("Data", [d.removeprefix("data: ") for d in facts["data"]])
        item("Data versions", facts["data_versions"])
        item("Parameters", facts["parameters"])
        item("banlib", facts["banlib"])
        item("Commit", facts["commits"], code=True)
        item("Chapters run", [f"{len(facts['chapters'])} ({', '.join(facts['chapters'])})"])
        for note in facts["commit_notes"]:
            lines.append(f"- **Commit note**: {note}")
        if facts["scorecard"]:
            item("Scorecard", [facts["scorecard"] + " ({doc}`notebooks/07_scorecard`)"])
        lines.append("- **Numbers**: every value is in `results/<chapter>.json`, published beside these pages"
                     + (f" ([`results/07_scorecard.json`]({pub.permalink('results/07_scorecard.json')}))"
                        if pub.site_url and "07_scorecard" in facts["chapters"] else "")
                     + "; compare two builds with `banlib compare BUILD_A BUILD_B`.")
        if problems:
            lines += ["- **Results files that could not be used** (their chapters' numbers on these pages are not "
                      "from a finished run):", *(f"  {p}" for p in problems)]
    if pub.run_url:
        lines.append(f"- **Built by**: the CI run {pub.run_url}")
    if pub.repository_url:
        lines.append(f"- **Source**: {pub.repository_url} (branch `{pub.branch}`)")
    lines += ["", ":::", ""]
    return "\n".join(lines)


def results_index(out: str | Path) -> str:
    """JSON text listing the build's results files with their data label and commit (for ``results/``), and the
    files that could not be used with the reason (``problems``). An index that lists no file says why in
    ``problems``: it is never published empty without a word."""
    try:
        build = read_build(out, strict=False)
    except CompareError as err:
        return json.dumps({"results": [], "problems": [{"file": None, "problem": str(err)}]}, indent=2) + "\n"
    files = [{"notebook": nb, "file": f"{nb}.json", "data": r.get("data"), "git_commit": r.get("git_commit")}
             for nb, r in build.results.items()]
    problems = [{"file": Path(f).name, "problem": why} for f, why in sorted(build.problems.items())]
    return json.dumps({"results": files, "problems": problems}, indent=2, sort_keys=True) + "\n"
