"""Where the book is published, read from one place: the environment (set by the Makefile or CI).

    BANLIB_REPOSITORY_URL     https://github.com/OWNER/REPO   (empty: no repository or launch buttons)
    BANLIB_REPOSITORY_BRANCH  main                            (the branch launch buttons open)
    BANLIB_PAGES_URL          https://owner.github.io/REPO/   (where this book's HTML is served; empty:
                                                                the default GitHub Pages URL of the repository)
    BANLIB_RUN_URL            the CI run that built this book (named on the landing page)
    BANLIB_ANNOUNCEMENT       a one-line banner shown on every page (HTML allowed)

``make book REPOSITORY_URL=... PAGES_URL=...`` sets the first three. All are empty by default: the
book then has download buttons but no repository, Binder or Colab buttons, and figure citations
name files inside the build instead of URLs (a URL nobody configured would be invented).
"""
from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from urllib.parse import urlparse

from .errors import BanlibError

ENV_VARS = {"repository_url": "BANLIB_REPOSITORY_URL", "branch": "BANLIB_REPOSITORY_BRANCH",
            "pages_url": "BANLIB_PAGES_URL", "run_url": "BANLIB_RUN_URL",
            "announcement": "BANLIB_ANNOUNCEMENT"}
DEFAULT_BRANCH = "main"
BINDER_URL = "https://mybinder.org"
COLAB_URL = "https://colab.research.google.com"
# Folder of the staged site whose content Sphinx copies to the HTML root unchanged (html_extra_path):
# figures/ and results/ are served at stable URLs beside the pages.
EXTRA_DIR = "_extra"


class PublishingError(BanlibError, ValueError):
    """A publishing setting is malformed; the message names the variable and an example."""


def _https_url(value: str, var: str) -> str:
    value = value.strip()
    if not value:
        return ""
    parsed = urlparse(value)
    if parsed.scheme != "https" or not parsed.netloc:
        raise PublishingError(f"{var}={value!r} is not an https:// URL; set it to e.g. "
                              f"https://github.com/OWNER/REPO, or leave it empty")
    return value


@dataclass(frozen=True)
class Publishing:
    """Publishing settings of one build.

    Parameters
    ----------
    repository_url : str
        The source repository (``https://github.com/OWNER/REPO``); empty for none.
    branch : str
        Branch the launch buttons open.
    pages_url : str
        Where this book's HTML is served; empty: :attr:`site_url` derives GitHub's default.
    run_url : str
        The CI run that built this book; empty for a local build.
    announcement : str
        A banner line for every page; empty for none.
    """

    repository_url: str = ""
    branch: str = DEFAULT_BRANCH
    pages_url: str = ""
    run_url: str = ""
    announcement: str = ""

    @classmethod
    def from_env(cls, environ: dict | None = None) -> "Publishing":
        """The settings from ``environ`` (default: this process's environment); URLs checked."""
        env = os.environ if environ is None else environ
        get = {k: env.get(v, "").strip() for k, v in ENV_VARS.items()}
        repo = _https_url(get["repository_url"], ENV_VARS["repository_url"]).rstrip("/")
        repo = repo[:-4] if repo.endswith(".git") else repo
        return cls(repository_url=repo, branch=get["branch"] or DEFAULT_BRANCH,
                   pages_url=_https_url(get["pages_url"], ENV_VARS["pages_url"]),
                   run_url=_https_url(get["run_url"], ENV_VARS["run_url"]), announcement=get["announcement"])

    @property
    def on_github(self) -> bool:
        """Whether the repository is on github.com (Colab launches and the default Pages URL need it)."""
        return urlparse(self.repository_url).netloc.lower() == "github.com"

    @property
    def site_url(self) -> str:
        """Base URL of the published HTML, ending in ``/``; empty when nothing is configured.

        :attr:`pages_url` when set, else GitHub Pages' default address of a github.com repository
        (``https://owner.github.io/REPO/``); a custom domain has to be given as ``BANLIB_PAGES_URL``.
        """
        if self.pages_url:
            return self.pages_url.rstrip("/") + "/"
        if not self.on_github:
            return ""
        parts = urlparse(self.repository_url).path.strip("/").split("/")
        if len(parts) < 2:
            return ""
        owner, repo = parts[0].lower(), parts[1]
        if repo.lower() == f"{owner}.github.io":
            return f"https://{owner}.github.io/"
        return f"https://{owner}.github.io/{repo}/"

    def permalink(self, relpath: str) -> str | None:
        """URL of a file published at ``relpath`` under the site root (e.g. ``figures/fig4.png``);
        ``None`` when no site URL is configured."""
        return self.site_url + relpath.lstrip("/") if self.site_url else None

    def book_config(self, base: dict) -> dict:
        """Jupyter Book ``_config.yml`` content: ``base`` with the repository, launch-button, banner and
        extra-files settings of this build filled in (``base`` itself is left unchanged).

        Every page keeps sphinx-book-theme's download button (on by default; on a chapter page it offers
        the executed ``.ipynb``); with a repository URL the pages get a repository button, and the notebook pages Binder
        (any git host) and Colab (github.com only) launch buttons that open the notebook sources.
        """
        cfg = copy.deepcopy(base)
        html = cfg.setdefault("html", {})
        launch = cfg.setdefault("launch_buttons", {})
        launch["binderhub_url"] = launch["colab_url"] = ""
        if self.repository_url:
            # notebooks/<nb>.ipynb in the site is notebooks/<nb>.ipynb in the repository: the book's
            # root in the repository is the repository root for launch links
            cfg["repository"] = {"url": self.repository_url, "branch": self.branch, "path_to_book": ""}
            html["use_repository_button"] = True
            launch["notebook_interface"] = "jupyterlab"
            launch["binderhub_url"] = BINDER_URL
            if self.on_github:
                launch["colab_url"] = COLAB_URL
        else:
            cfg.pop("repository", None)
            html["use_repository_button"] = False
        html["use_edit_page_button"] = False      # chapters are staged from book/ and build/: no 1:1 source path
        if self.site_url:
            html["baseurl"] = self.site_url
        if self.announcement:
            html["announcement"] = self.announcement
        sphinx_cfg = cfg.setdefault("sphinx", {}).setdefault("config", {})
        sphinx_cfg["html_extra_path"] = [EXTRA_DIR]
        return cfg
