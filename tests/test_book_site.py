"""The built HTML as a reader meets it: a download button on every chapter page (the executed notebook),
launch buttons when a repository URL is set, the landing page's build and citation boxes, and the
figures and results published at stable paths. The second build reuses the executed notebooks of the
``built_book`` fixture (``stage_site`` + ``build_html``, nothing re-executed)."""
import shutil
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

from banlib.book import runner as book
from banlib.figures.common import figure_citations
from banlib.publishing import Publishing

REPOSITORY = "https://github.com/example-owner/ban-book"
RUN = "https://github.com/example-owner/ban-book/actions/runs/42"


def _page(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _download_link(page: BeautifulSoup):
    return page.select_one(".dropdown-download-buttons a.btn-download-source-button")


@pytest.fixture(scope="module")
def site_with_repository(built_book, tmp_path_factory):
    """The same executed book built again with a repository URL set (Binder, Colab, repository buttons)."""
    out = tmp_path_factory.mktemp("published") / "build"
    for part in ("notebooks", "results", "figures"):
        shutil.copytree(built_book / part, out / part)
    pub = Publishing(repository_url=REPOSITORY, branch="main", run_url=RUN)
    book.build_html(out, publishing=pub)
    return out, pub


@pytest.mark.e2e
def test_every_chapter_page_offers_its_executed_notebook(built_book):
    html = built_book / "_build" / "html"
    for nb in book.notebooks():
        page_path = html / "notebooks" / f"{nb.stem}.html"
        link = _download_link(_page(page_path))
        assert link is not None, f"{page_path.name}: no download button"
        assert link["href"].endswith(f"_sources/notebooks/{nb.stem}.ipynb") and ".ipynb" in link.get_text()
        target = (page_path.parent / link["href"]).resolve()
        executed = nbformat.read(target, as_version=4)
        assert any(c.get("outputs") for c in executed.cells if c.cell_type == "code"), f"{target}: no outputs"
    for name in ("intro", "methods", "rerun"):                    # the text chapters offer their source
        assert _download_link(_page(html / f"{name}.html")) is not None, name
    if not Publishing.from_env().repository_url:                  # make test: no repository URL by default
        chapter = _page(html / "notebooks" / f"{book.notebooks()[0].stem}.html")
        assert chapter.select_one(".dropdown-launch-buttons") is None
        assert chapter.select_one(".btn-source-repository-button") is None


@pytest.mark.e2e
def test_landing_page_has_the_build_and_citation_boxes_and_files_are_published(built_book):
    html = built_book / "_build" / "html"
    intro = _page(html / "intro.html")
    text = intro.get_text(" ")
    assert intro.select_one("#about-this-build") is not None and intro.select_one("#cite-this-book") is not None
    assert "synthetic twin (profile quick, seed 0)" in text
    # the BibTeX block is syntax-highlighted: read its text without separators between the highlighter's spans
    assert "@misc{ban_replication_book," in intro.select_one("#cite-this-book").get_text("") and "cffconvert" in text
    index = figure_citations(built_book / "figures", Publishing())
    assert index
    for row in index:
        assert (html / row["png"]).is_file() and (html / row["svg"]).is_file(), row["figure"]
    assert (html / "results" / "07_scorecard.json").is_file() and (html / "results" / "index.json").is_file()


@pytest.mark.e2e
def test_launch_and_repository_buttons_when_a_repository_is_set(site_with_repository):
    out, pub = site_with_repository
    html = out / "_build" / "html"
    for nb in book.notebooks():
        page = _page(html / "notebooks" / f"{nb.stem}.html")
        links = {a.get_text(strip=True): a["href"] for a in page.select(".dropdown-launch-buttons a")}
        assert links.get("Binder") == f"https://mybinder.org/v2/gh/example-owner/ban-book/main?urlpath=lab/tree/notebooks/{nb.name}"
        assert links.get("Colab") == f"https://colab.research.google.com/github/example-owner/ban-book/blob/main/notebooks/{nb.name}"
        assert (REPO_ROOT / "notebooks" / nb.name).is_file()      # the launch path is the notebook source
        assert page.select_one(".btn-source-repository-button")["href"] == REPOSITORY
        assert _download_link(page) is not None
    intro = _page(html / "intro.html").get_text(" ")
    assert RUN in intro and REPOSITORY in intro
    assert "https://example-owner.github.io/ban-book/" in intro                 # the citation's URL
    cite = figure_citations(out / "figures", pub)[0]
    assert cite["png"].startswith("https://example-owner.github.io/ban-book/figures/")
    assert (html / cite["png"].removeprefix(pub.site_url)).is_file()            # the permalink's file exists


REPO_ROOT = Path(__file__).resolve().parent.parent
