"""``banlib compare BUILD_A BUILD_B``: every result of two book builds side by side.

    banlib compare build build-real --out compare.csv
    banlib compare build-seed0 build-seed1 --tolerance 1e-6 --fail-on-diff

A build is what ``banlib book --out`` wrote (its ``results/<notebook>.json``), the ``results`` folder
itself, a published HTML folder (it carries ``results/``), or the URL of a published book (its
``results/index.json`` lists the files): a replication report can diff its own real-data build against
the published twin build with ``banlib compare https://OWNER.github.io/REPO/ build-real``.
Leaves of each notebook's ``values`` are matched by key path
(``07_scorecard:scorecard[<id or claim>].ours``); every numeric leaf is listed with ``B - A``,
non-numeric leaves only when they differ, and the scorecard verdicts that changed (rows keyed on
``id`` when present, else ``claim``). The header names both builds' data labels,
commits and parameters: numbers from different data sources differ because the data do.
"""
from __future__ import annotations

import csv
import html
import io
import json
import math
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BanlibError
from ..files import ResultsError, StrictJSONError, check_results, loads_strict, write_text

SCORECARD = ("07_scorecard", "scorecard")
SAME, WITHIN, CHANGED, ONLY_A, ONLY_B = "same", "within tolerance", "changed", "only in A", "only in B"
FAILING = (CHANGED, ONLY_A, ONLY_B)


class CompareError(BanlibError, ValueError):
    """A build cannot be read or compared; the message names the folder, file or URL and the fix."""


def results_dir(path: str | Path) -> Path:
    """The folder holding ``<notebook>.json`` results under ``path`` (a build, its ``results/`` or a
    published HTML folder)."""
    path = Path(path)
    if not path.is_dir():
        raise CompareError(f"{path}: no such folder; give a book build (`banlib book --out DIR`), "
                           f"its results/ folder, or a downloaded HTML build")
    for candidate in (path / "results", path):
        if any(candidate.glob("[0-9][0-9]_*.json")):
            return candidate
    raise CompareError(f"{path}: no results/<notebook>.json here; run `banlib book --out {path}` first, "
                       f"or point at the folder that has results/")


@dataclass
class Build:
    """The results files of one build: ``{notebook: the whole JSON}`` read from :attr:`path`."""

    path: Path | str          # a results folder, or the URL of a published book
    results: dict = field(default_factory=dict)
    #: results files that could not be used, ``{file: why}`` (read with ``strict=False`` only: invalid or
    #: incomplete files are errors otherwise)
    problems: dict = field(default_factory=dict)

    def _meta(self, key) -> list[str]:
        return sorted({str(r.get(key)) for r in self.results.values() if r.get(key) is not None})

    @property
    def data_labels(self) -> list[str]:
        """Distinct data labels over the build's notebooks (``data: ...`` lines)."""
        return self._meta("data")

    @property
    def data_sources(self) -> list[str]:
        """Distinct data source kinds (``twin``, ``openneuro``)."""
        return self._meta("data_source")

    @property
    def commits(self) -> list[str]:
        """Distinct banlib commits the notebooks ran at."""
        return self._meta("git_commit")

    @property
    def versions(self) -> list[str]:
        """Distinct banlib versions the notebooks ran with."""
        return self._meta("banlib_version")

    @property
    def parameters(self) -> list[str]:
        """Distinct run parameters (profile, seed, ...), each as sorted JSON."""
        return sorted({json.dumps(r.get("parameters", {}), sort_keys=True) for r in self.results.values()})


RESULT_NAME = re.compile(r"^[0-9]{2}_[A-Za-z0-9_.-]+\.json$")


def _parse(text: str, where: str, stem: str, build: Build, strict: bool = True) -> None:
    """One results file into ``build``, read by the one strict reader (:func:`banlib.files.check_results`: strict
    JSON, a results file, complete). With ``strict=False`` a file that fails is listed in ``build.problems``
    instead of raising."""
    try:
        data = check_results(loads_strict(text, where), where)
    except ResultsError as err:
        if strict:
            raise CompareError(str(err)) from None
        build.problems[where] = err.what or str(err)
        return
    except StrictJSONError as err:
        if strict:
            raise CompareError(f"{err}; re-run that notebook") from None
        build.problems[where] = err.what or str(err)
        return
    build.results[data.get("notebook") or stem] = data


def _get(url: str, timeout: float) -> str:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.read().decode("utf-8")
    except (urllib.error.URLError, OSError, UnicodeDecodeError) as err:
        raise CompareError(f"{url}: cannot download it ({err}); check the address, or download the build's "
                           f"results/ folder by hand and give that folder") from None


def read_published(url: str, timeout: float = 30.0) -> Build:
    """The results of a book published at ``url``: ``<url>/results/index.json`` and the files it lists."""
    base = url.rstrip("/") + "/"
    if base.endswith("/results/"):
        base = base[: -len("results/")]
    text = _get(base + "results/index.json", timeout)
    try:
        index = loads_strict(text, base + "results/index.json")
        names = [entry["file"] for entry in index["results"]]
    except (StrictJSONError, KeyError, TypeError):
        raise CompareError(f"{base}results/index.json: not a results index (written by banlib book)") from None
    build = Build(base)
    for name in names:
        if not isinstance(name, str) or not RESULT_NAME.match(name):
            raise CompareError(f"{base}results/index.json lists {name!r}, not a results file name")
        _parse(_get(base + "results/" + name, timeout), base + "results/" + name, name[:-5], build)
    if not build.results:
        problems = index.get("problems") if isinstance(index, dict) else None
        raise CompareError(f"{base}results/index.json lists no results files"
                           + (f" (the build's own note: {problems})" if problems else ""))
    return build


def read_build(path: str | Path, strict: bool = True) -> Build:
    """Read every ``<notebook>.json`` of a build with the one strict reader (:func:`banlib.files.read_results`:
    NaN, infinity, ``1e999`` or a key twice is an error, and so is a file without the completion marker);
    ``path`` may be a folder or the http(s) URL of a published book. ``strict=False`` (the landing page) lists
    the files that fail in ``Build.problems`` instead of raising."""
    if isinstance(path, str) and path.startswith(("http://", "https://")):
        return read_published(path)
    folder = results_dir(path)
    build = Build(folder)
    for file in sorted(folder.glob("[0-9][0-9]_*.json")):
        try:
            text = file.read_bytes().decode("utf-8")
        except UnicodeDecodeError as err:
            if strict:
                raise CompareError(f"{file}: not UTF-8 (byte {err.start}); re-run that notebook") from None
            build.problems[str(file)] = f"not UTF-8 (byte {err.start})"
            continue
        _parse(text, str(file), file.stem, build, strict)
    return build


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _row_key(row: dict, index: int) -> str:
    if isinstance(row, dict):
        for key in ("id", "claim"):
            if row.get(key) not in (None, ""):
                return str(row[key])
    return str(index)


def leaves(value, path: tuple = ()):
    """``(path, leaf)`` for every non-container value; list items of dicts keyed by ``id``/``claim``."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, path + (str(k),))
    elif isinstance(value, list) and value:
        for i, v in enumerate(value):
            yield from leaves(v, path + (f"[{_row_key(v, i)}]",))
    else:
        yield path, value


def key_name(notebook: str, path: tuple) -> str:
    """The printed key of a leaf: ``<notebook>:a.b[row].c``."""
    text = ""
    for part in path:
        text += part if part.startswith("[") or not text else "." + part
    return f"{notebook}:{text}"


def _status(a, b, tolerance: float) -> tuple[object, str]:
    if _is_number(a) and _is_number(b):
        diff = b - a
        if diff == 0:
            return diff, SAME
        return diff, WITHIN if abs(diff) <= tolerance else CHANGED
    return None, SAME if a == b else CHANGED


@dataclass
class Comparison:
    """The result of :func:`compare`: value rows, verdict changes, and both builds."""

    a: Build
    b: Build
    tolerance: float
    rows: list[dict]
    verdicts: list[dict]

    def failing(self) -> list[dict]:
        """Rows and verdict changes that count as differences beyond the tolerance."""
        return [r for r in self.rows if r["status"] in FAILING] + self.verdicts

    def counts(self) -> dict[str, int]:
        """Rows per status, and the number of verdict changes."""
        out = {s: 0 for s in (SAME, WITHIN, CHANGED, ONLY_A, ONLY_B)}
        for r in self.rows:
            out[r["status"]] += 1
        out["verdicts changed"] = len(self.verdicts)
        return out

    def header(self) -> list[tuple[str, str, str]]:
        """``(what, A, B)`` lines naming the two builds."""
        join = "; ".join
        return [("path", str(self.a.path), str(self.b.path)),
                ("data", join(self.a.data_labels) or "?", join(self.b.data_labels) or "?"),
                ("banlib", join(self.a.versions) or "?", join(self.b.versions) or "?"),
                ("commit", join(self.a.commits) or "?", join(self.b.commits) or "?"),
                ("parameters", join(self.a.parameters) or "?", join(self.b.parameters) or "?"),
                ("notebooks", ", ".join(self.a.results) or "none", ", ".join(self.b.results) or "none")]

    def notes(self) -> list[str]:
        """Warnings for the reader: different data sources, notebooks in only one build."""
        notes = []
        if set(self.a.data_sources) != set(self.b.data_sources):
            notes.append(f"The builds ran on different data sources ({', '.join(self.a.data_sources) or '?'} vs "
                         f"{', '.join(self.b.data_sources) or '?'}): their numbers differ because the data do; "
                         f"a difference here is not a regression.")
        only = sorted(set(self.a.results) ^ set(self.b.results))
        if only:
            notes.append(f"Notebooks in only one build: {', '.join(only)}.")
        return notes

    # ------------------------------------------------------------------ output
    def text(self) -> str:
        """The report printed by ``banlib compare``."""
        out = io.StringIO()
        width = max(len(w) for w, _, _ in self.header())
        for what, a, b in self.header():
            out.write(f"{what:<{width}}  A: {a}\n{'':<{width}}  B: {b}\n")
        for note in self.notes():
            out.write(f"note: {note}\n")
        counts = self.counts()
        out.write("\n" + ", ".join(f"{n} {s}" for s, n in counts.items()) +
                  f" (tolerance {self.tolerance:g})\n")
        if self.verdicts:
            out.write("\nscorecard verdicts that changed:\n")
            for v in self.verdicts:
                out.write(f"  {v['claim']}: {_verdict(v, 'a')} -> {_verdict(v, 'b')}\n")
        if self.rows:
            cols = [("key", "key"), ("A", "a"), ("B", "b"), ("B - A", "difference"), ("status", "status")]
            cells = [[name for name, _ in cols]] + [[_cell(r, k) for _, k in cols] for r in self.rows]
            widths = [min(max(len(c[i]) for c in cells), 70 if i == 0 else 24) for i in range(len(cols))]
            out.write("\n")
            for line in cells:
                out.write("  ".join(_clip(c, w).ljust(w) for c, w in zip(line, widths)).rstrip() + "\n")
        return out.getvalue()

    def write(self, path: str | Path) -> Path:
        """Write the comparison as ``.csv`` (columns kind, key, a, b, difference, status; one row per
        provenance line, value and verdict change; an absent side is an empty cell), ``.md`` or ``.html``
        (a page)."""
        path = Path(path)
        writers = {".csv": self._csv, ".md": self._markdown, ".html": self._html}
        if path.suffix.lower() not in writers:
            raise CompareError(f"{path}: write .csv, .md or .html")
        write_text(path, writers[path.suffix.lower()](), ".tmp")
        return path

    def _table(self) -> list[dict]:
        rows = [{"kind": "value", **r} for r in self.rows]
        rows += [{"kind": "verdict", "key": f"{SCORECARD[0]}:verdict[{v['key']}]", "a": v["a"], "b": v["b"],
                  "difference": None, "status": v["status"]} for v in self.verdicts]
        return rows

    def _csv(self) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["kind", "key", "a", "b", "difference", "status"])
        for what, a, b in self.header():         # the two builds' provenance, as rows of kind "build"
            writer.writerow(["build", what, a, b, "", ""])
        for r in self._table():
            writer.writerow([r["kind"], r["key"], _csv_cell(r["a"]), _csv_cell(r["b"]),
                             _csv_cell(r["difference"]), r["status"]])
        return buf.getvalue()

    def _markdown(self) -> str:
        esc = _md_escape
        lines = ["# Comparison of two book builds", "", "| | A | B |", "|---|---|---|"]
        lines += [f"| {what} | {esc(a)} | {esc(b)} |" for what, a, b in self.header()]
        lines += [""] + [f"**Note.** {esc(n)}" + "\n" for n in self.notes()]
        lines += [", ".join(f"{n} {s}" for s, n in self.counts().items()) + f" (tolerance {self.tolerance:g}).", ""]
        if self.verdicts:
            lines += ["## Scorecard verdicts that changed", "", "| claim | A | B |", "|---|---|---|"]
            lines += [f"| {esc(v['claim'])} | {esc(_verdict(v, 'a'))} | {esc(_verdict(v, 'b'))} |"
                      for v in self.verdicts] + [""]
        lines += ["## Values", "", "| key | A | B | B - A | status |", "|---|---|---|---|---|"]
        lines += [f"| {esc(r['key'])} | {esc(_cell(r, 'a'))} | {esc(_cell(r, 'b'))} | "
                  f"{esc(_cell(r, 'difference'))} | {r['status']} |" for r in self.rows]
        return "\n".join(lines) + "\n"

    def _html(self) -> str:
        e = html.escape
        parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
                 "<title>Comparison of two book builds</title></head><body>",
                 "<h1>Comparison of two book builds</h1>", "<table><tr><th></th><th>A</th><th>B</th></tr>"]
        parts += [f"<tr><th>{e(w)}</th><td>{e(a)}</td><td>{e(b)}</td></tr>" for w, a, b in self.header()]
        parts += ["</table>"] + [f"<p><strong>Note.</strong> {e(n)}</p>" for n in self.notes()]
        parts.append(f"<p>{e(', '.join(f'{n} {s}' for s, n in self.counts().items()))} "
                     f"(tolerance {self.tolerance:g}).</p>")
        if self.verdicts:
            parts += ["<h2>Scorecard verdicts that changed</h2>", "<table><tr><th>claim</th><th>A</th><th>B</th></tr>"]
            parts += [f"<tr><td>{e(v['claim'])}</td><td>{e(_verdict(v, 'a'))}</td><td>{e(_verdict(v, 'b'))}</td></tr>"
                      for v in self.verdicts] + ["</table>"]
        parts += ["<h2>Values</h2>", "<table><tr><th>key</th><th>A</th><th>B</th><th>B - A</th><th>status</th></tr>"]
        parts += [f"<tr><td>{e(r['key'])}</td><td>{e(_cell(r, 'a'))}</td><td>{e(_cell(r, 'b'))}</td>"
                  f"<td>{e(_cell(r, 'difference'))}</td><td>{e(r['status'])}</td></tr>" for r in self.rows]
        parts += ["</table>", "</body></html>"]
        return "\n".join(parts) + "\n"


def _verdict(v: dict, side: str) -> str:
    return "(absent)" if v[side] is None else str(v[side])


def _cell(row: dict, column: str) -> str:
    """A row's cell as shown: a side that lacks the key shows as absent, not as null."""
    if (column == "a" and row["status"] == ONLY_B) or (column == "b" and row["status"] == ONLY_A):
        return "(absent)"
    return _show(row[column], column)


def _show(value, column: str = "a") -> str:
    if value is None:
        return "" if column == "difference" else "null"
    if column == "difference":
        return f"{value:+.4g}"
    if _is_number(value):
        return f"{value:.6g}" if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if _is_number(value) or isinstance(value, str):
        return repr(value) if isinstance(value, float) else str(value)
    return json.dumps(value)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _md_escape(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _verdict_rows(build: Build) -> dict[str, dict]:
    rows = build.results.get(SCORECARD[0], {}).get("values", {}).get(SCORECARD[1]) or []
    return {_row_key(r, i): r for i, r in enumerate(rows) if isinstance(r, dict)}


def compare(a: Build, b: Build, tolerance: float = 0.0) -> Comparison:
    """Match every leaf of the two builds' ``values`` by notebook and key path.

    Parameters
    ----------
    a, b : Build
        From :func:`read_build`.
    tolerance : float
        Absolute: numeric leaves with ``0 < |B - A| <= tolerance`` are ``within tolerance``, larger
        differences ``changed``.

    Returns
    -------
    Comparison
        ``rows``: one dict per numeric leaf (and per differing non-numeric leaf) with ``key``, ``a``,
        ``b``, ``difference`` (``B - A``, ``None`` unless both are numbers) and ``status``;
        ``verdicts``: the scorecard rows whose verdict changed or that only one build has.
    """
    if not (isinstance(tolerance, (int, float)) and math.isfinite(tolerance) and tolerance >= 0):
        raise CompareError(f"tolerance must be a finite number >= 0, not {tolerance!r}")
    rows = []
    for nb in list(a.results) + [n for n in b.results if n not in a.results]:
        left = dict(leaves(a.results.get(nb, {}).get("values", {})))
        right = dict(leaves(b.results.get(nb, {}).get("values", {})))
        left.pop((), None)
        right.pop((), None)      # an empty values object yields one empty-path leaf
        for path in list(left) + [p for p in right if p not in left]:
            key = key_name(nb, path)
            if path not in right:
                rows.append({"key": key, "a": left[path], "b": None, "difference": None, "status": ONLY_A})
                continue
            if path not in left:
                rows.append({"key": key, "a": None, "b": right[path], "difference": None, "status": ONLY_B})
                continue
            x, y = left[path], right[path]
            diff, status = _status(x, y, tolerance)
            if _is_number(x) or _is_number(y) or status != SAME:
                rows.append({"key": key, "a": x, "b": y, "difference": diff, "status": status})
    verdicts = []
    va, vb = _verdict_rows(a), _verdict_rows(b)
    for key in list(va) + [k for k in vb if k not in va]:
        ra, rb = va.get(key), vb.get(key)
        old = ra.get("verdict") if ra else None
        new = rb.get("verdict") if rb else None
        if ra is None or rb is None or old != new:
            verdicts.append({"key": key, "claim": (ra or rb).get("claim", key), "a": old, "b": new,
                             "status": ONLY_B if ra is None else ONLY_A if rb is None else "verdict changed"})
    return Comparison(a, b, float(tolerance), rows, verdicts)
