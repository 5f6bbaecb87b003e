"""The "Cite this book" box of the introduction, generated at build time from ``CITATION.cff``.

The BibTeX and APA-style texts come from ``cffconvert`` (the CITATION.cff project's converter), never
from formatting written here: change ``CITATION.cff`` and the box follows. With a repository or site
URL configured (:mod:`banlib.publishing`), that URL is added to the citation when
``CITATION.cff`` names none.

cffconvert 2.0.0 declares ``jsonschema<4`` but uses only ``jsonschema.validate``, which jsonschema 4
keeps; it is installed with ``--no-deps`` (Makefile) so that the book's jsonschema 4 stays.
"""
from __future__ import annotations

from importlib import metadata
from pathlib import Path

from ..errors import BanlibError
from ..provenance import REPO
from ..publishing import Publishing

CITATION_FILE = REPO / "CITATION.cff"
BIBTEX_KEY = "ban_replication_book"


class CitationError(BanlibError, ValueError):
    """CITATION.cff is missing or invalid; the message names the file and the fix."""


def read_citation(path: str | Path = CITATION_FILE, publishing: Publishing | None = None):
    """The validated ``cffconvert.Citation`` of ``path``.

    Parameters
    ----------
    path : path
        A ``CITATION.cff`` file (CFF 1.0.x, 1.1.0 or 1.2.0).
    publishing : Publishing, optional
        When it has a repository or site URL and the file names none, ``repository-code`` and ``url``
        are filled in from it (in memory; the file is not written).

    Raises
    ------
    CitationError
        The file is missing, not YAML, of an unknown CFF version, or not valid against its schema;
        the message names the file and what to fix.
    """
    from cffconvert import Citation

    path = Path(path)
    if not path.is_file():
        raise CitationError(f"{path}: no such file; the book's citation comes from CITATION.cff at the "
                            f"repository root")
    try:
        citation = Citation(path.read_text(encoding="utf-8"), src=str(path))
    except Exception as err:  # cffconvert raises ValueError, ruamel raises its own YAML errors
        raise CitationError(f"{path}: cannot read it as CITATION.cff ({type(err).__name__}: {err}); "
                            f"check the YAML and its 'cff-version'") from None
    try:
        citation.validate()
    except Exception as err:  # jsonschema.ValidationError (1.2.0) or pykwalify's SchemaError (1.0/1.1)
        where = "/".join(str(p) for p in getattr(err, "absolute_path", [])) or "top level"
        raise CitationError(f"{path}: not valid CFF {citation.cffversion} at {where}: "
                            f"{getattr(err, 'message', err)}. Fix the file (schema: "
                            f"https://citation-file-format.github.io)") from None
    if publishing is not None:
        if publishing.repository_url:
            citation.cffobj.setdefault("repository-code", publishing.repository_url)
        if publishing.site_url:
            citation.cffobj.setdefault("url", publishing.site_url)
    return citation


def citation_formats(path: str | Path = CITATION_FILE, publishing: Publishing | None = None,
                     key: str = BIBTEX_KEY) -> dict[str, str]:
    """BibTeX and APA-style text of the book's citation, as cffconvert writes them.

    Returns
    -------
    dict
        ``{"bibtex", "apa", "message", "converter"}``: the two citations, the ``message`` of the
        file, and the converter's name and version.
    """
    citation = read_citation(path, publishing)
    return {"bibtex": citation.as_bibtex(reference=key).strip(),
            "apa": citation.as_apalike().strip(),
            "message": " ".join(str(citation.cffobj.get("message", "")).split()),
            "converter": f"cffconvert {metadata.version('cffconvert')}"}


def references(path: str | Path = CITATION_FILE) -> list[str]:
    """One line per entry of the file's ``references`` (title and identifier, as the file gives them)."""
    citation = read_citation(path)
    lines = []
    for ref in citation.cffobj.get("references", []) or []:
        ids = [f"{i.get('type')} {i.get('value')}".replace("other ", "") for i in ref.get("identifiers", []) or []]
        if ref.get("doi"):
            ids.insert(0, f"doi {ref['doi']}")
        lines.append(f"*{_escape(str(ref.get('title', '(untitled)')))}*" + (f" ({'; '.join(ids)})" if ids else ""))
    return lines


def _escape(text: str) -> str:
    """``text`` as literal Markdown: its punctuation that Markdown would read as markup backslash-escaped."""
    return "".join("\\" + c if c in "\\`*_{}[]<>()#+!|~" else c for c in " ".join(text.split()))


def cite_box(path: str | Path = CITATION_FILE, publishing: Publishing | None = None,
             commits: list[str] | None = None) -> str:
    """MyST Markdown of the "Cite this book" section: the file's message, BibTeX and APA from
    cffconvert, the commit(s) of this build, and the works the file lists under ``references``."""
    forms = citation_formats(path, publishing)
    name = Path(path).name
    commit_line = (f"This build: banlib commit {', '.join(f'`{c}`' for c in commits)}. Quote it with any figure "
                   f"or number (it is printed under every figure and table)." if commits else "")
    refs = references(path)
    lines = ["", "(cite-this-book)=", "## Cite this book", "",
             ":::{admonition} BibTeX and APA, from CITATION.cff", ":class: tip", "",
             forms["message"], ""]
    if commit_line:
        lines += [commit_line, ""]
    lines += ["**BibTeX**", "", "```bibtex", forms["bibtex"], "```", "",
              "**APA**", "", "> " + _escape(forms["apa"]), ""]
    if refs:
        lines += [f"Also cite the works that `{name}` lists:", ""] + [f"- {r}" for r in refs] + [""]
    lines += [f"Generated from `{name}` by {forms['converter']} when this book was built.", ":::", ""]
    return "\n".join(lines)
