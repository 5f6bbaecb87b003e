"""Command line: ``banlib book | notebook | check-site | twin | fetch``."""
from __future__ import annotations

import argparse
import sys

from .config import DEFAULT_SEED, GRID_WIDTH_CHOICES, SUBJECTS

GRID_HELP = ("widths of chapter 03's recurrence grid: quick (default, in every profile) or full "
             "(the profile's network widths; days on CPU at --profile full)")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="banlib", description="BAN replication book tools")
    sub = p.add_subparsers(dest="cmd", required=True)

    b = sub.add_parser("book", help="execute the notebooks with papermill and build the HTML")
    b.add_argument("--data-source", choices=["twin", "openneuro"], default="twin")
    b.add_argument("--profile", choices=["quick", "full"], default="quick")
    b.add_argument("--seed", type=int, default=DEFAULT_SEED)
    b.add_argument("--only", help="run one notebook (stem, e.g. 02_roi_selection)")
    b.add_argument("--out", default="build")
    b.add_argument("--data-dir", default="data")
    b.add_argument("--no-html", action="store_true", help="execute only, do not build the HTML")
    b.add_argument("--no-record", action="store_true",
                   help="do not record the runs with datalad run (the output folder stays a plain folder)")
    b.add_argument("--grid-widths", choices=list(GRID_WIDTH_CHOICES), default="quick", help=GRID_HELP)

    n = sub.add_parser("notebook", help="execute one notebook into an output folder (the command that "
                                        "`banlib book` records with datalad run)")
    n.add_argument("path", help="the notebook source, e.g. notebooks/03_train_ban.ipynb")
    n.add_argument("--data-source", choices=["twin", "openneuro"], default="twin")
    n.add_argument("--profile", choices=["quick", "full"], default="quick")
    n.add_argument("--seed", type=int, default=DEFAULT_SEED)
    n.add_argument("--data-dir", default="data")
    n.add_argument("--out", default="build")
    n.add_argument("--grid-widths", choices=list(GRID_WIDTH_CHOICES), default="quick", help=GRID_HELP)

    c = sub.add_parser("check-site", help="open the built HTML in headless Chromium: pages, images, links")
    c.add_argument("html", nargs="?", default="build/_build/html")
    c.add_argument("--screenshots", help="default: <html>/../screenshots")

    t = sub.add_parser("twin", help="generate the synthetic twin dataset")
    t.add_argument("--out", help="default: data/twin/<profile>-seed<seed>")
    t.add_argument("--profile", choices=["quick", "full"], default="quick")
    t.add_argument("--seed", type=int, default=DEFAULT_SEED)

    f = sub.add_parser("fetch", help="fetch real data with DataLad (needs the internet)")
    f.add_argument("what", choices=["openneuro", "derivatives", "gtzan"])
    f.add_argument("--dest", default="data")
    f.add_argument("--subjects", nargs="*", default=list(SUBJECTS))
    f.add_argument("--raw", action="store_true", help="openneuro: also get the raw BOLD runs (46.5 GB)")
    f.add_argument("--url", help="gtzan: archive URL (a mirror of genres.tar.gz)")

    args = p.parse_args(argv)
    if args.cmd == "book":
        from .book.runner import NotebookFailed, run

        try:
            run(args.data_source, args.profile, args.seed, args.only, args.out, args.data_dir,
                build=not args.no_html, record=not args.no_record, grid_widths=args.grid_widths)
        except NotebookFailed as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        return 0
    if args.cmd == "notebook":
        return _notebook(args)
    if args.cmd == "check-site":
        return _check_site(args)
    if args.cmd == "twin":
        from .data.dataset import twin_dir
        from .twin import make_twin

        make_twin(args.out or twin_dir("data", args.profile, args.seed), args.profile, args.seed)
        return 0
    from .data import fetch

    try:
        if args.what == "openneuro":
            fetch.fetch_openneuro(args.dest, args.subjects, raw=args.raw)
        elif args.what == "derivatives":
            fetch.fetch_derivatives(args.dest, args.subjects)
        else:
            fetch.fetch_gtzan(args.dest, args.url)
    except fetch.FetchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


def _notebook(args) -> int:
    from pathlib import Path

    from .book.runner import NotebookFailed, execute, notebook_parameters

    nb = Path(args.path)
    if not nb.is_file():
        print(f"error: {nb.absolute()}: no such notebook", file=sys.stderr)
        return 2
    params = notebook_parameters(args.data_source, args.profile, args.seed, args.data_dir, args.grid_widths)
    try:
        execute(nb, Path(args.out).absolute(), params)
    except NotebookFailed as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


def _check_site(args) -> int:
    from pathlib import Path

    from .book.sitecheck import BrowserMissing, check_site

    html = Path(args.html)
    try:
        report = check_site(html, args.screenshots or html.parent / "screenshots")
    except (BrowserMissing, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"{len(report.pages)} pages opened, {len(report.screenshots)} screenshots")
    for problem in report.problems:
        print(f"  {problem}")
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
