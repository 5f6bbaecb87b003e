import json
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from banlib.book import runner
from banlib.publishing import EXTRA_DIR, Publishing, PublishingError

REPO = Path(__file__).resolve().parent.parent
BASE_CONFIG = yaml.safe_load((REPO / "_config.yml").read_text())


def test_settings_are_empty_by_default_and_read_from_the_environment():
    assert Publishing.from_env({}) == Publishing()
    pub = Publishing.from_env({"BANLIB_REPOSITORY_URL": " https://github.com/Owner/ban-book.git/ ",
                               "BANLIB_REPOSITORY_BRANCH": "dev"})
    assert pub.repository_url == "https://github.com/Owner/ban-book" and pub.branch == "dev"
    assert pub.site_url == "https://owner.github.io/ban-book/"
    assert pub.permalink("figures/fig4.png") == "https://owner.github.io/ban-book/figures/fig4.png"
    assert Publishing(repository_url="https://github.com/owner/owner.github.io").site_url == "https://owner.github.io/"
    assert Publishing(repository_url="https://gitlab.com/o/r").site_url == ""       # no guess off GitHub
    explicit = Publishing.from_env({"BANLIB_PAGES_URL": "https://books.example.org/ban/real"})
    assert explicit.site_url == "https://books.example.org/ban/real/" and explicit.repository_url == ""
    assert Publishing().permalink("figures/x.png") is None


def test_a_bad_url_names_the_variable():
    with pytest.raises(PublishingError, match="BANLIB_REPOSITORY_URL='git@github.com:o/r.git' is not an https"):
        Publishing.from_env({"BANLIB_REPOSITORY_URL": "git@github.com:o/r.git"})
    with pytest.raises(PublishingError, match="BANLIB_PAGES_URL"):
        Publishing.from_env({"BANLIB_PAGES_URL": "owner.github.io"})


def test_no_repository_means_no_repository_or_launch_buttons():
    cfg = Publishing().book_config(BASE_CONFIG)
    assert "repository" not in cfg
    assert cfg["html"]["use_repository_button"] is False
    assert cfg["launch_buttons"]["binderhub_url"] == "" and cfg["launch_buttons"]["colab_url"] == ""
    assert cfg["sphinx"]["config"]["html_extra_path"] == [EXTRA_DIR]
    assert cfg["sphinx"]["config"]["nb_output_stderr"] == "remove"            # the repository's settings kept
    assert "launch_buttons" not in BASE_CONFIG or BASE_CONFIG["launch_buttons"].get("binderhub_url", "") == ""


def test_a_repository_turns_on_repository_binder_and_colab():
    pub = Publishing(repository_url="https://github.com/o/r", branch="main", announcement="hello")
    cfg = pub.book_config(BASE_CONFIG)
    assert cfg["repository"] == {"url": "https://github.com/o/r", "branch": "main", "path_to_book": ""}
    assert cfg["html"]["use_repository_button"] is True and cfg["html"]["baseurl"] == "https://o.github.io/r/"
    assert cfg["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert cfg["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert cfg["html"]["announcement"] == "hello"
    other = Publishing(repository_url="https://gitlab.com/o/r").book_config(BASE_CONFIG)
    assert other["launch_buttons"]["colab_url"] == "" and other["launch_buttons"]["binderhub_url"]


def _fake_build(out):
    (out / "notebooks").mkdir(parents=True)
    (out / "figures").mkdir()
    (out / "figures" / "fig_a.png").write_bytes(b"png")
    (out / "results").mkdir()
    (out / "results" / "01_data.json").write_text(json.dumps({
        "notebook": "01_data", "data": "data: OpenNeuro ds003720 v1.0.1 @ 0123456789", "data_source": "openneuro",
        "source_info": {"version": "1.0.1", "commit": "0123456789abcdef"}, "banlib_version": "0.1.0",
        "git_commit": "feedface00", "parameters": {"profile": "quick", "seed": 0}, "values": {"n": 1},
        "complete": True}))
    return out


def test_stage_site_fills_config_publishes_files_and_adds_the_boxes(tmp_path):
    out = _fake_build(tmp_path / "build")
    intro_before = (REPO / "book" / "intro.md").read_text()
    pub = Publishing(repository_url="https://github.com/o/r", run_url="https://github.com/o/r/actions/runs/1")
    site = runner.stage_site(out, pub)
    cfg = yaml.safe_load((site / "_config.yml").read_text())
    assert cfg["repository"]["url"] == "https://github.com/o/r" and cfg["launch_buttons"]["colab_url"]
    assert (site / EXTRA_DIR / "figures" / "fig_a.png").read_bytes() == b"png"
    assert (site / EXTRA_DIR / "results" / "01_data.json").exists()
    index = json.loads((site / EXTRA_DIR / "results" / "index.json").read_text())
    assert index["results"][0]["file"] == "01_data.json"
    intro = (site / "intro.md").read_text()
    assert intro.startswith(intro_before.rstrip("\n"))
    assert "## About this build" in intro and "OpenNeuro ds003720 v1.0.1" in intro
    assert "commit 0123456789abcdef" in intro and "`feedface00`" in intro
    assert "https://github.com/o/r/actions/runs/1" in intro
    assert "## Cite this book" in intro and "@misc{" in intro
    assert (REPO / "book" / "intro.md").read_text() == intro_before            # the committed source untouched
    assert runner.stage_site(out, pub) == site and (site / "intro.md").read_text() == intro   # same bytes again


def test_stage_site_reads_the_environment_by_default(tmp_path, monkeypatch):
    out = _fake_build(tmp_path / "build")
    monkeypatch.setenv("BANLIB_REPOSITORY_URL", "https://github.com/o/from-env")
    cfg = yaml.safe_load((runner.stage_site(out) / "_config.yml").read_text())
    assert cfg["repository"]["url"] == "https://github.com/o/from-env"
    monkeypatch.setenv("BANLIB_REPOSITORY_URL", "")
    assert "repository" not in yaml.safe_load((runner.stage_site(out) / "_config.yml").read_text())


def test_makefile_passes_the_settings_and_leaves_them_empty():
    make = (REPO / "Makefile").read_text()
    for var in ("REPOSITORY_URL", "REPOSITORY_BRANCH", "PAGES_URL"):
        assert re.search(rf"^export BANLIB_{var} := \$\({var}\)$", make, re.M), var
    assert re.search(r"^REPOSITORY_URL\s+\?= \$\(BANLIB_REPOSITORY_URL\)$", make, re.M)


# ----------------------------------------------------------------------------------- binder
def test_binder_spec_builds_the_pinned_environment():
    binder = REPO / "binder"
    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    runtime = (binder / "runtime.txt").read_text().strip()
    assert runtime == "python-3.11" and "3.11" in requires and "<3.12" in requires
    refs = [line.split(maxsplit=1) for line in (binder / "requirements.txt").read_text().splitlines()
            if line.startswith(("-r", "-c"))]
    assert {flag for flag, _ in refs} == {"-r", "-c"}
    for _, target in refs:                         # pip resolves nested files relative to the including file
        assert (binder / target).resolve().is_file(), target
    assert {(binder / t).resolve() for _, t in refs} == {REPO / "requirements" / "lock.txt",
                                                          REPO / "requirements" / "base.in"}


def test_binder_post_build_installs_what_the_makefile_installs_without_dependencies():
    post = (REPO / "binder" / "postBuild")
    assert post.stat().st_mode & 0o111, "postBuild must be executable"
    no_deps = re.search(r"pip install -q --no-deps -c requirements/lock.txt (.+)$", (REPO / "Makefile").read_text(), re.M)
    assert no_deps
    text = post.read_text()
    for name in no_deps.group(1).split():
        assert re.search(rf"--no-deps -c requirements/lock.txt .*\b{name}\b", text), name
    assert "pip install --no-cache-dir --no-deps -e ." in text
