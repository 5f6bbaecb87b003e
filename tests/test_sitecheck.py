import base64
import os

import pytest

from banlib.book import sitecheck

# a 1x1 PNG
PIXEL = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==")


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium + chromium-driver; CI sets BANLIB_REQUIRE_BROWSER=1 so a missing browser fails there."""
    try:
        return sitecheck.find_browser()
    except sitecheck.BrowserMissing as err:
        if os.environ.get("BANLIB_REQUIRE_BROWSER"):
            pytest.fail(f"{err} (BANLIB_REQUIRE_BROWSER is set)")
        pytest.skip(f"{err}; see the README, 'Browser test'")


def _site(root, pages):
    for name, body in pages.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"<!doctype html><html><head><title>{name}</title></head><body>{body}</body></html>")
    (root / "img").mkdir(exist_ok=True)
    (root / "img" / "ok.png").write_bytes(PIXEL)
    return root


def test_a_sound_site_has_no_problems_and_gets_screenshots(browser, tmp_path):
    site = _site(tmp_path / "html", {
        "index.html": '<h1 id="top">Home</h1><img src="img/ok.png"><a href="sub/page.html#part">on</a>'
                      '<a href="https://example.org/">outside links are not followed</a>',
        "sub/page.html": '<h2 id="part">Part</h2><a href="../index.html#top">back</a>'
                         '<img loading="lazy" style="margin-top:5000px" src="../img/ok.png">',
    })
    report = sitecheck.check_site(site, tmp_path / "shots")
    assert report.problems == []
    assert report.pages == ["index.html", "sub/page.html"]
    assert sorted(p.name for p in report.screenshots) == ["index.png", "sub__page.png"]
    assert all(p.stat().st_size > 1000 for p in report.screenshots)


def test_missing_images_files_and_anchors_are_each_reported(browser, tmp_path):
    site = _site(tmp_path / "html", {
        "index.html": '<img src="img/gone.png"><a href="nowhere.html">dead</a>'
                      '<a href="other.html#no-such-id">bad anchor</a><link rel="stylesheet" href="_static/x.css">',
        "other.html": '<p id="here">other</p>',
    })
    problems = sitecheck.check_site(site).problems
    assert "image does not show: index.html: img/gone.png" in problems
    assert "broken link: index.html -> nowhere.html (no such file)" in problems
    assert "broken link: index.html -> other.html#no-such-id (no element with that id)" in problems
    assert any(p.startswith("request failed: 404 /_static/x.css") for p in problems)


def test_no_index_says_build_first(tmp_path):
    with pytest.raises(FileNotFoundError, match="build the book first"):
        sitecheck.check_site(tmp_path)


@pytest.mark.e2e
def test_the_built_book_as_a_reader_sees_it(browser, built_book):
    """Every page of the rendered book loads, every image shows, no internal link is broken;
    a screenshot of each page is kept in build/test-book/_build/screenshots."""
    html = built_book / "_build" / "html"
    report = sitecheck.check_site(html, built_book / "_build" / "screenshots")
    assert report.problems == [], "\n".join(report.problems)
    chapters = {"index.html", "intro.html", "methods.html", "rerun.html"} | {
        f"notebooks/{p.name}" for p in (html / "notebooks").glob("*.html")}
    assert chapters <= set(report.pages)
    assert len(report.screenshots) == len(report.pages)
