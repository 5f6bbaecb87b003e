import subprocess
import sys
from pathlib import Path

import pytest

from banlib.book.cite import CITATION_FILE, CitationError, cite_box, citation_formats, references
from banlib.publishing import Publishing

CFF = """cff-version: 1.2.0
message: Please cite this software.
title: "A tiny book"
version: 2.3.4
date-released: "2026-03-01"
doi: 10.5281/zenodo.1234
authors:
  - family-names: Doe
    given-names: Jane
  - name: "The Tiny Team"
references:
  - type: article
    title: "The original paper"
    authors:
      - family-names: Roe
        given-names: Rick
    identifiers:
      - type: other
        value: "arXiv:1234.5678"
"""


@pytest.fixture
def cff(tmp_path):
    path = tmp_path / "CITATION.cff"
    path.write_text(CFF)
    return path


def test_bibtex_and_apa_come_from_the_file(cff):
    forms = citation_formats(cff)
    bib, apa = forms["bibtex"], forms["apa"]
    assert bib.startswith("@misc{ban_replication_book,")
    assert "Doe, Jane" in bib and "The Tiny Team" in bib and "{A tiny book}" in bib
    assert "year = {2026}" in bib and "doi = {10.5281/zenodo.1234}" in bib
    assert "Doe J." in apa and "(2026)" in apa and "A tiny book" in apa and "(version 2.3.4)" in apa
    assert forms["message"] == "Please cite this software."
    assert forms["converter"].startswith("cffconvert ")


def test_the_repository_citation_file_converts():
    forms = citation_formats(CITATION_FILE)
    assert "BAN replication book" in forms["bibtex"] and "BAN replication book" in forms["apa"]
    assert any("arXiv:2502.15503" in r for r in references(CITATION_FILE))


def test_publishing_urls_fill_in_a_missing_url(cff):
    pub = Publishing(repository_url="https://github.com/owner/tiny")
    assert "https://owner.github.io/tiny/" in citation_formats(cff, pub)["apa"]
    assert "owner.github.io" not in citation_formats(cff)["apa"]
    own = cff.read_text() + 'url: "https://example.org/book"\n'
    cff.write_text(own)
    assert "https://example.org/book" in citation_formats(cff, pub)["bibtex"]       # the file's own URL wins


def test_invalid_or_missing_files_are_named(tmp_path):
    with pytest.raises(CitationError, match="no such file"):
        citation_formats(tmp_path / "nope.cff")
    bad = tmp_path / "CITATION.cff"
    bad.write_text("cff-version: 1.2.0\nmessage: hi\ntitle: t\n")            # no authors
    with pytest.raises(CitationError, match=r"CITATION\.cff: not valid CFF 1\.2\.0.*authors"):
        citation_formats(bad)
    bad.write_text("cff-version: 9.9.9\n")
    with pytest.raises(CitationError, match=r"CITATION\.cff: cannot read it"):
        citation_formats(bad)


def test_box_has_both_citations_the_commit_and_the_references(cff):
    box = cite_box(cff, commits=["abc1234567"])
    assert "## Cite this book" in box and "```bibtex" in box and "@misc{ban_replication_book," in box
    assert "**APA**" in box and r"> Doe J., The Tiny Team \(2026\). A tiny book \(version 2.3.4\)." in box
    assert "`abc1234567`" in box
    assert "*The original paper* (arXiv:1234.5678)" in box
    assert "Generated from `CITATION.cff` by cffconvert" in box
    assert cite_box(cff) == cite_box(cff)                                     # same input, same bytes


def test_box_renders_in_a_strict_book_build(cff, tmp_path):
    """The generated MyST is valid: a strict Jupyter Book build of a page carrying it has no warning."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "_config.yml").write_text('title: t\nexecute:\n  execute_notebooks: "off"\n'
                                      "parse:\n  myst_enable_extensions: [colon_fence]\n")
    (site / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    (site / "intro.md").write_text("# Intro\n" + cite_box(cff, commits=["abc1234567"]))
    proc = subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", str(site), "--path-output",
                           str(tmp_path / "out"), "-W", "-n", "--keep-going"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    page = (tmp_path / "out" / "_build" / "html" / "intro.html").read_text()
    assert "Cite this book" in page and "ban_replication_book" in page and "(version 2.3.4)" in page
