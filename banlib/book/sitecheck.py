"""The built HTML book as a reader sees it: every page opened in headless Chromium.

    report = check_site("build/_build/html", screenshots="build/_build/screenshots")
    report.problems      # [] when every page loads, every image shows and every internal link lands

The site is served on a loopback port (as a reader's browser would fetch it, not as files), so a
missing stylesheet, script or image shows up as a failed request. Needs Debian's ``chromium`` and
``chromium-driver`` (``/usr/bin/chromium``, ``/usr/bin/chromedriver``); :func:`find_browser` says
what is missing.
"""
from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BanlibError

# Chromium on a closed network: without these it keeps trying to reach Google's hosts.
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-quic", "--hide-scrollbars")
WINDOW = (1280, 1024)            # px; a screenshot is this wide and at most SCREENSHOT_MAX_HEIGHT tall
SCREENSHOT_MAX_HEIGHT = 6000
INSTALL_HINT = "install them with: sudo apt-get install chromium chromium-driver"

# Run in the page: make lazy images load now, wait for every image, then report the broken ones.
_IMAGES_JS = """
const done = arguments[arguments.length - 1];
const imgs = Array.from(document.images);
imgs.forEach(i => { i.loading = 'eager'; });
Promise.all(imgs.map(i => i.complete ? null : new Promise(r => { i.onload = r; i.onerror = r; })))
  .then(() => done(imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src'))));
"""
_LINKS_JS = "return Array.from(document.querySelectorAll('a[href]')).map(a => a.href);"
_IDS_JS = ("return Array.from(document.querySelectorAll('[id]')).map(e => e.id)"
           ".concat(Array.from(document.querySelectorAll('a[name]')).map(e => e.name));")


class BrowserMissing(BanlibError, RuntimeError):
    """Chromium or its driver is not installed."""
    pass


def find_browser() -> tuple[str, str]:
    """Paths of ``chromium`` and ``chromedriver``; :class:`BrowserMissing` names what is not found."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    missing = [name for name, path in (("chromium", browser), ("chromedriver", driver)) if not path]
    if missing:
        raise BrowserMissing(f"headless Chromium needs {' and '.join(missing)} on PATH; {INSTALL_HINT}")
    return browser, driver


@dataclass
class SiteReport:
    """What the site check found: pages opened, screenshots taken, problems."""
    pages: list[str] = field(default_factory=list)              # site-relative paths opened
    screenshots: list[Path] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)    # "404 /_static/x.css (from page)"
    broken_images: list[str] = field(default_factory=list)      # "page: src"
    broken_links: list[str] = field(default_factory=list)       # "page -> target (why)"
    load_errors: list[str] = field(default_factory=list)        # "page: why"

    @property
    def problems(self) -> list[str]:
        """Every problem found, one line each."""
        return ([f"page did not load: {p}" for p in self.load_errors]
                + [f"request failed: {r}" for r in self.failed_requests]
                + [f"image does not show: {i}" for i in self.broken_images]
                + [f"broken link: {link}" for link in self.broken_links])


class _Server:
    """A quiet static server on 127.0.0.1 that remembers every request it could not answer."""

    def __init__(self, root: Path):
        failures = self.failures = []
        current = self.current = {"page": ""}

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def send_error(self, code, message=None, explain=None):
                if self.path != "/favicon.ico":       # browsers ask for it unprompted
                    failures.append(f"{code} {self.path} (from {current['page']})")
                super().send_error(code, message, explain)

        self.httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def _driver(browser: str, driver_path: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_AVOID_STATS", "true")   # selenium must not phone home
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={WINDOW[0]},{WINDOW[1]}")
    return webdriver.Chrome(service=Service(executable_path=driver_path), options=options)


def _screenshot_name(page: str) -> str:
    return page.removesuffix(".html").replace("/", "__") + ".png"


def _split(url: str, base: str) -> tuple[str, str] | None:
    """(site-relative path, fragment) of a same-site URL, None for an outside link."""
    if not url.startswith(base):
        return None
    parsed = urllib.parse.urlsplit(url[len(base) - 1:])
    path = urllib.parse.unquote(parsed.path).lstrip("/") or "index.html"
    if path.endswith("/"):
        path += "index.html"
    return path, urllib.parse.unquote(parsed.fragment)


def check_site(html_dir: str | Path, screenshots: str | Path | None = None, timeout_s: float = 30) -> SiteReport:
    """Open every ``*.html`` under ``html_dir`` in headless Chromium; return what a reader would hit.

    Checks: the page loads (a document with a body), no request the pages make fails, every ``<img>``
    has pixels, and every link inside the site lands on a file that exists and, for ``#fragment``
    links into a page, on an element with that id. A screenshot of each page goes to ``screenshots``.
    """
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait
    from tqdm.auto import tqdm

    html_dir = Path(html_dir)
    if not (html_dir / "index.html").exists():
        raise FileNotFoundError(f"{html_dir}: no index.html; build the book first (make book)")
    browser, driver_path = find_browser()
    pages = sorted(p.relative_to(html_dir).as_posix() for p in html_dir.rglob("*.html")
                   if not p.relative_to(html_dir).parts[0].startswith("_"))
    shots = Path(screenshots) if screenshots else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
    report, ids, links = SiteReport(), {}, {}
    with _Server(html_dir) as server:
        driver = _driver(browser, driver_path)
        driver.set_page_load_timeout(timeout_s)
        driver.set_script_timeout(timeout_s)
        try:
            for page in tqdm(pages, desc="pages", unit="page", leave=False):
                server.current["page"] = page
                try:
                    # get() can return while the previous document is still current: mark that one,
                    # then wait for an unmarked document that reports itself complete
                    driver.execute_script("window.__previousPage = true;")
                    driver.get(server.base + page)
                    WebDriverWait(driver, timeout_s).until(lambda d: d.execute_script(
                        "return !window.__previousPage && document.readyState === 'complete' && !!document.body"))
                except TimeoutException:
                    report.load_errors.append(f"{page}: not complete after {timeout_s:g} s")
                    continue
                except Exception as err:      # a page that crashes the renderer, say
                    report.load_errors.append(f"{page}: {type(err).__name__}: {str(err).splitlines()[0]}")
                    continue
                report.pages.append(page)
                report.broken_images += [f"{page}: {src}" for src in driver.execute_async_script(_IMAGES_JS)]
                ids[page] = set(driver.execute_script(_IDS_JS))
                links[page] = driver.execute_script(_LINKS_JS)
                if shots:
                    height = min(SCREENSHOT_MAX_HEIGHT, driver.execute_script(
                        "return document.documentElement.scrollHeight"))
                    driver.set_window_size(WINDOW[0], max(WINDOW[1], height))
                    path = shots / _screenshot_name(page)
                    driver.save_screenshot(str(path))
                    report.screenshots.append(path)
                    driver.set_window_size(*WINDOW)
        finally:
            driver.quit()
        report.failed_requests = list(server.failures)
    for page, hrefs in links.items():
        for href in sorted(set(hrefs)):
            target = _split(href, server.base)
            if target is None:
                continue
            path, fragment = target
            if not (html_dir / path).is_file():
                report.broken_links.append(f"{page} -> {path} (no such file)")
            elif fragment and path in ids and fragment not in ids[path]:
                report.broken_links.append(f"{page} -> {path}#{fragment} (no element with that id)")
    return report
