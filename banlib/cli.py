"""Command line: ``banlib book | notebook | check-site | compare | twin | fetch | mirror | coordinates``."""
from __future__ import annotations

import argparse
import sys

from .config import DEFAULT_SEED, GRID_WIDTH_CHOICES, SUBJECTS

GRID_HELP = ("widths of chapter 03's recurrence grid: quick (default, in every profile) or full "
             "(the profile's network widths; days on CPU at --profile full)")


def main(argv=None) -> int:
    """Parse ``argv`` and run one ``banlib`` subcommand; returns the exit status."""
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

    k = sub.add_parser("compare", help="every result of two builds side by side, with the differences and the "
                                       "scorecard verdicts that changed")
    k.add_argument("build_a", metavar="BUILD_A",
                   help="a book build (banlib book --out), its results/, its HTML folder, or a published book's URL")
    k.add_argument("build_b", metavar="BUILD_B")
    k.add_argument("--out", action="append", default=[], metavar="FILE",
                   help="also write the comparison to FILE: .csv, .md or .html (repeatable)")
    k.add_argument("--tolerance", type=float, default=0.0,
                   help="absolute; numeric differences up to it count as within tolerance (default 0)")
    k.add_argument("--fail-on-diff", action="store_true",
                   help="exit 1 when a value differs beyond the tolerance, a key or notebook is in only one "
                        "build, or a scorecard verdict changed")

    t = sub.add_parser("twin", help="generate the synthetic twin dataset")
    t.add_argument("--out", help="default: data/twin/<profile>-seed<seed>")
    t.add_argument("--profile", choices=["quick", "full"], default="quick")
    t.add_argument("--seed", type=int, default=DEFAULT_SEED)

    f = sub.add_parser("fetch", help="fetch real data with DataLad (needs the internet, or a mirror)")
    f.add_argument("what", choices=["openneuro", "derivatives", "gtzan"])
    f.add_argument("--dest", default="data", help="data folder (the datasets go in ds003720, "
                                                  "ds003720-derivatives, gtzan under it)")
    f.add_argument("--subjects", nargs="*", default=list(SUBJECTS))
    f.add_argument("--raw", action="store_true", help="openneuro: also get the raw BOLD runs (46.5 GB)")
    f.add_argument("--url", help="the source: openneuro: git URL or path of ds003720; derivatives: records-API "
                                 "URL (or path) of the Zenodo record; gtzan: archive URL or path")
    f.add_argument("--sha256", help="gtzan: expected sha256 of the archive (default: the original archive's "
                                    "when --url is not given; with --url and no --sha256 it is computed, "
                                    "recorded and shown, not enforced)")

    m = sub.add_parser("mirror", help="write an offline mirror of the real delivery, generated from the twin")
    m.add_argument("--out", required=True, help="folder to write (served with python -m http.server)")
    m.add_argument("--profile", choices=["quick", "full"], default="quick")
    m.add_argument("--seed", type=int, default=DEFAULT_SEED)
    m.add_argument("--data-dir", default="data", help="where the twin is (made there if missing)")

    v = sub.add_parser("coordinates", help="recover the voxel coordinates of the derivative matrices from the raw "
                                           "BOLD runs and the T1w (writes sub-00N_voxels.tsv beside them)")
    v.add_argument("--data-dir", default="data")
    v.add_argument("--data-source", choices=["openneuro", "twin"], default="openneuro")
    v.add_argument("--profile", choices=["quick", "full"], default="quick", help="twin only")
    v.add_argument("--seed", type=int, default=DEFAULT_SEED, help="twin only")
    v.add_argument("--subjects", nargs="*", help="default: every subject with derivative matrices")
    v.add_argument("--runs", type=int, default=12, help="training runs used (1-12; default all 12)")
    v.add_argument("--cache", help="default: <data-dir>/coordinates-cache")
    v.add_argument("--no-fetch", action="store_true", help="do not datalad get missing raw files; fail instead")
    v.add_argument("--yes", action="store_true", help="do not ask before downloading")

    args = p.parse_args(argv)
    if args.cmd == "coordinates":
        return _coordinates(args)
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
    if args.cmd == "compare":
        return _compare(args)
    if args.cmd == "twin":
        from .data.dataset import twin_dir
        from .twin import make_twin

        make_twin(args.out or twin_dir("data", args.profile, args.seed), args.profile, args.seed)
        return 0
    if args.cmd == "mirror":
        from .twin.mirror import write_mirror

        write_mirror(args.out, args.profile, args.seed, args.data_dir)
        return 0
    from .data import fetch

    if args.sha256 and args.what != "gtzan":
        p.error("--sha256 is for `fetch gtzan` only (the derivatives' md5 come from the record)")
    try:
        if args.what == "openneuro":
            fetch.fetch_openneuro(args.dest, args.subjects, raw=args.raw, url=args.url)
        elif args.what == "derivatives":
            fetch.fetch_derivatives(args.dest, args.subjects, url=args.url)
        else:
            fetch.fetch_gtzan(args.dest, args.url, args.sha256)
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


def _compare(args) -> int:
    from .book.compare import CompareError, compare, read_build

    try:
        result = compare(read_build(args.build_a), read_build(args.build_b), args.tolerance)
        for path in args.out:
            print(f"written: {result.write(path)}", file=sys.stderr)
    except CompareError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    sys.stdout.write(result.text())
    failing = result.failing()
    if args.fail_on_diff and failing:
        print(f"{len(failing)} difference(s) beyond tolerance {args.tolerance:g}", file=sys.stderr)
        return 1
    return 0


def _coordinates(args) -> int:
    from pathlib import Path

    from .data import coordinates as co
    from .data.dataset import DataError, open_source

    try:
        source = open_source(args.data_source, args.data_dir, args.profile, args.seed)
        subjects = args.subjects or [s for s in source.subjects() if source.response_path(s, "Training").exists()
                                     or source.response_path(s, "Training").is_symlink()]
        if not subjects:
            raise DataError(f"{source.derivatives_root}: no derivative matrices; fetch them first "
                            f"(banlib fetch derivatives --dest {args.data_dir})")
        if not 1 <= args.runs <= 12:
            raise DataError(f"--runs must be between 1 and 12, not {args.runs}")
        plan = co.plan(source, subjects, args.runs)
        minutes = co.MINUTES_PER_SUBJECT * len(subjects) * args.runs / 12
        print(f"coordinates for {', '.join(subjects)}: {args.runs} training runs + T1w per subject; "
              f"download {plan['to_download_gb']} GB ({plan['already_here_gb']} GB already here); "
              f"disk for the cache about {co.CACHE_GB_PER_SUBJECT * len(subjects) * args.runs / 12:.1f} GB; "
              f"about {minutes:.0f} min on 2 cores after the download", flush=True)
        if plan["to_download_gb"] > 0 and not args.no_fetch and not args.yes and sys.stdin.isatty():
            if input("go on? [y/N] ").strip().lower() not in ("y", "yes"):
                return 1
        settings = co.RecoverySettings(n_runs=args.runs)
        cache = Path(args.cache or Path(args.data_dir) / "coordinates-cache")
        for sub in subjects:
            if not args.no_fetch:
                co.fetch_raw(source, sub, args.runs)
            table = co.recover_subject(source, sub, cache, settings=settings)
            share = float(table.unambiguous.mean())
            print(f"{sub}: {len(table)} columns, {share:.1%} matched unambiguously; written "
                  f"{source.derivatives_root / f'{sub}_voxels.tsv'}")
    except (DataError, ImportError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
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
