"""Command line: ``banlib book | notebook | check-site | compare | twin | fetch | mirror | coordinates``.

Every command checks all its arguments before any work (:func:`check_arguments`: seeds, names, checksums,
output folders, data that must be there), so that a mistake fails in well under a second, before anything is
written. Every known condition (:class:`banlib.errors.BanlibError`, and an operating-system error naming a file)
ends as one line on stderr, exit status 2::

    error: <file>: <what> — <fix>

``banlib --debug ...`` (or ``BANLIB_DEBUG=1``) shows the traceback instead. Ctrl-C prints what was kept and
whether the same command goes on from there, exit status 130.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

from .config import DEFAULT_SEED, GRID_WIDTH_CHOICES, SEED_MAX, SUBJECTS, check_seed
from .errors import BanlibError, UsageError, error_line

GRID_HELP = ("widths of chapter 03's recurrence grid: quick (default, in every profile) or full "
             "(the profile's network widths; days on CPU at --profile full)")
#: Set by ``banlib book`` for the ``banlib notebook`` commands it runs: an interrupted child says nothing, the book
#: says what was kept (one message, not one per process).
QUIET_INTERRUPT = "BANLIB_QUIET_INTERRUPT"


class _Parser(argparse.ArgumentParser):
    """argparse with its errors as one ``error:`` line (a :class:`UsageError`), not a usage block."""

    def error(self, message):
        raise UsageError(f"{self.prog}: {message} — see {self.prog} --help")


def seed_argument(text: str) -> int:
    """``--seed``: a whole number from 0 to 2^32 - 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from 0 to {SEED_MAX}") from None
    try:
        return check_seed(value)
    except UsageError:
        raise argparse.ArgumentTypeError(f"{text} is out of range: a seed is a whole number from 0 to "
                                         f"{SEED_MAX} (2^32 - 1)") from None


def parser() -> argparse.ArgumentParser:
    """The ``banlib`` argument parser."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the traceback of an error instead of one line")
    p = _Parser(prog="banlib", description="BAN replication book tools", parents=[common])
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=_Parser)

    b = sub.add_parser("book", parents=[common], help="execute the notebooks with papermill and build the HTML")
    b.add_argument("--data-source", choices=["twin", "openneuro"], default="twin")
    b.add_argument("--profile", choices=["quick", "full"], default="quick")
    b.add_argument("--seed", type=seed_argument, default=DEFAULT_SEED)
    b.add_argument("--only", help="run one notebook (stem, e.g. 02_roi_selection)")
    b.add_argument("--out", default="build", help="the build folder: new, empty, or one banlib book made (it goes "
                                                  "on there); never a file or another folder")
    b.add_argument("--data-dir", default="data")
    b.add_argument("--no-html", action="store_true", help="execute only, do not build the HTML")
    b.add_argument("--no-record", action="store_true",
                   help="do not record the runs with datalad run (the output folder stays a plain folder)")
    b.add_argument("--grid-widths", choices=list(GRID_WIDTH_CHOICES), default="quick", help=GRID_HELP)

    n = sub.add_parser("notebook", parents=[common],
                       help="execute one notebook into an output folder (the command that `banlib book` records "
                            "with datalad run)")
    n.add_argument("path", help="the notebook source, e.g. notebooks/03_train_ban.ipynb")
    n.add_argument("--data-source", choices=["twin", "openneuro"], default="twin")
    n.add_argument("--profile", choices=["quick", "full"], default="quick")
    n.add_argument("--seed", type=seed_argument, default=DEFAULT_SEED)
    n.add_argument("--data-dir", default="data")
    n.add_argument("--out", default="build")
    n.add_argument("--grid-widths", choices=list(GRID_WIDTH_CHOICES), default="quick", help=GRID_HELP)

    c = sub.add_parser("check-site", parents=[common],
                       help="open the built HTML in headless Chromium: pages, images, links")
    c.add_argument("html", nargs="?", default="build/_build/html")
    c.add_argument("--screenshots", help="default: <html>/../screenshots")

    k = sub.add_parser("compare", parents=[common], help="every result of two builds side by side, with the "
                                                         "differences and the scorecard verdicts that changed")
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

    t = sub.add_parser("twin", parents=[common], help="generate the synthetic twin dataset")
    t.add_argument("--out", help="default: data/twin/<profile>-seed<seed>; new, empty, or a twin banlib made")
    t.add_argument("--profile", choices=["quick", "full"], default="quick")
    t.add_argument("--seed", type=seed_argument, default=DEFAULT_SEED)
    t.add_argument("--force", action="store_true", help="generate again over a twin banlib made (only such a folder)")

    f = sub.add_parser("fetch", parents=[common], help="fetch real data with DataLad (needs the internet, or a mirror)")
    f.add_argument("what", choices=["openneuro", "derivatives", "gtzan"])
    f.add_argument("--dest", default="data", help="data folder (the datasets go in ds003720, "
                                                  "ds003720-derivatives, gtzan under it)")
    f.add_argument("--subjects", nargs="*", default=list(SUBJECTS))
    f.add_argument("--raw", action="store_true", help="openneuro: also get the raw BOLD runs (46.5 GB)")
    f.add_argument("--url", help="the source: openneuro: git URL or path of ds003720; derivatives: records-API "
                                 "URL (or path) of the Zenodo record; gtzan: archive URL or path. For a dataset "
                                 "fetched before: the URL it was fetched from (the default then)")
    f.add_argument("--sha256", help="gtzan: expected sha256 of the archive, 64 hex digits (default: the original "
                                    "archive's when --url is not given; with --url and no --sha256 it is computed, "
                                    "recorded and shown, not enforced)")
    f.add_argument("--allow-missing-checksums", action="store_true",
                   help="derivatives: fetch files the record gives no md5 for, unchecked (recorded in fetch.json)")

    m = sub.add_parser("mirror", parents=[common],
                       help="write an offline mirror of the real delivery, generated from the twin")
    m.add_argument("--out", required=True, help="folder to write (served with python -m http.server --bind "
                                                "127.0.0.1); new, empty, or with --force a mirror banlib made")
    m.add_argument("--profile", choices=["quick", "full"], default="quick")
    m.add_argument("--seed", type=seed_argument, default=DEFAULT_SEED)
    m.add_argument("--data-dir", default="data", help="where the twin is (made there if missing)")
    m.add_argument("--force", action="store_true", help="replace a mirror banlib made (only such a folder)")

    v = sub.add_parser("coordinates", parents=[common],
                       help="recover the voxel coordinates of the derivative matrices from the raw BOLD runs and "
                            "the T1w (writes sub-00N_voxels.tsv beside them)")
    v.add_argument("--data-dir", default="data")
    v.add_argument("--data-source", choices=["openneuro", "twin"], default="openneuro")
    v.add_argument("--profile", choices=["quick", "full"], default="quick", help="twin only")
    v.add_argument("--seed", type=seed_argument, default=DEFAULT_SEED, help="twin only")
    v.add_argument("--subjects", nargs="*", help="default: every subject with derivative matrices")
    v.add_argument("--runs", type=int, default=12, help="training runs used (1-12; default all 12)")
    v.add_argument("--cache", help="default: <data-dir>/coordinates-cache")
    v.add_argument("--no-fetch", action="store_true", help="do not datalad get missing raw files; fail instead")
    v.add_argument("--yes", action="store_true", help="do not ask before downloading")
    return p


def main(argv=None) -> int:
    """Parse ``argv`` and run one ``banlib`` subcommand; returns the exit status (2 for a known condition,
    printed as one ``error:`` line; 130 after Ctrl-C)."""
    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    debug = "--debug" in argv or os.environ.get("BANLIB_DEBUG") == "1"
    args = None
    try:
        try:
            args = parser().parse_args(argv)
        except SystemExit as done:              # --help: argparse printed it and exits 0
            return int(done.code or 0)
        check_arguments(args)
        return COMMANDS[args.cmd](args)
    except KeyboardInterrupt:
        if debug:
            raise
        if os.environ.get(QUIET_INTERRUPT) != "1":
            print(interrupted(args), file=sys.stderr, flush=True)
        return 130
    except BanlibError as err:
        if debug:
            raise
        print(error_line(err), file=sys.stderr, flush=True)
        return 2
    except OSError as err:
        if debug or err.filename is None:
            raise
        print(error_line(BanlibError(file=err.filename, what=err.strerror or type(err).__name__,
                                     fix="check the path and its permissions (--debug shows where it happened)")),
              file=sys.stderr, flush=True)
        return 2


# ------------------------------------------------------------------------------------------- arguments
def check_arguments(args) -> None:
    """Every argument of the command checked before any work; raises a :class:`BanlibError` naming the first
    that cannot be used and the fix. Nothing is written."""
    from . import paths

    if getattr(args, "seed", None) is not None:
        check_seed(args.seed)
    if args.cmd == "book":
        from .book.runner import check_book_arguments

        check_book_arguments(args.data_source, args.profile, args.seed, args.only, Path(args.out).absolute(),
                             Path(args.data_dir).absolute(), args.grid_widths)
    elif args.cmd == "notebook":
        nb = Path(args.path)
        if not nb.is_file():
            raise UsageError(file=nb.absolute(), what="no such notebook", fix="give the path of a notebook source, "
                                                                                "e.g. notebooks/03_train_ban.ipynb")
        paths.check_out(Path(args.out).absolute(), "book", reuse=True)
    elif args.cmd == "twin":
        from .data.dataset import twin_dir

        # a file or a foreign folder; a twin of another seed or format is found by make_twin, before it writes
        paths.check_out(args.out or twin_dir("data", args.profile, args.seed), "twin", reuse=True)
    elif args.cmd == "mirror":
        from .data.dataset import twin_dir

        paths.check_out(Path(args.out).absolute(), "mirror", force=args.force)
        paths.check_out(twin_dir(args.data_dir, args.profile, args.seed), "twin", option="the twin folder",
                        reuse=True)
    elif args.cmd == "fetch":
        _check_fetch(args)
    elif args.cmd == "compare":
        if not math.isfinite(args.tolerance) or args.tolerance < 0:
            raise UsageError(file=f"--tolerance {args.tolerance}", what="a tolerance is a finite number >= 0",
                             fix="give one, e.g. --tolerance 1e-6")
        for out in args.out:
            if Path(out).suffix.lower() not in (".csv", ".md", ".html"):
                raise UsageError(file=f"--out {out}", what="the comparison is written as .csv, .md or .html",
                                 fix="give a file name with one of those extensions")
            paths.check_writable(Path(out).absolute().parent, "--out's folder")
    elif args.cmd == "coordinates":
        if not 1 <= args.runs <= 12:
            raise UsageError(file=f"--runs {args.runs}", what="ds003720 has 12 training runs per subject",
                             fix="give a number from 1 to 12")
        unknown = [s for s in args.subjects or [] if s not in SUBJECTS]
        if unknown:
            raise UsageError(file=f"--subjects {' '.join(unknown)}", what="no such subject in ds003720",
                             fix=f"choose from {', '.join(SUBJECTS)}")
        if args.cache:
            paths.check_writable(Path(args.cache), "--cache")


def _check_fetch(args) -> None:
    from . import paths
    from .data import fetch

    if args.sha256 and args.what != "gtzan":
        raise UsageError(file=f"--sha256 {args.sha256}", what="--sha256 is for `fetch gtzan` only",
                         fix="leave it out: the derivatives' md5 come from the record, ds003720's content from git")
    if args.allow_missing_checksums and args.what != "derivatives":
        raise UsageError(file="--allow-missing-checksums", what="is for `fetch derivatives` only",
                         fix="leave it out")
    if args.raw and args.what != "openneuro":
        raise UsageError(file="--raw", what="is for `fetch openneuro` only", fix="leave it out")
    fetch.check_sha256(args.sha256)
    unknown = [s for s in args.subjects if s not in SUBJECTS]
    if unknown:
        raise UsageError(file=f"--subjects {' '.join(unknown)}", what="no such subject in ds003720",
                         fix=f"choose from {', '.join(SUBJECTS)}")
    paths.check_writable(Path(args.dest).absolute(), "--dest")
    if args.url and fetch.is_local(args.url) and not fetch.local_path(args.url).exists():
        raise UsageError(file=f"--url {args.url}", what="a local source that does not exist",
                         fix="give the path of the mirror's file or dataset, or an http(s) URL")


# ------------------------------------------------------------------------------------------- interruption
def interrupted(args) -> str:
    """What an interrupted command kept, and whether running it again goes on from there (one message)."""
    cmd = getattr(args, "cmd", None)
    if cmd == "book":
        out = Path(args.out).absolute()
        return (f"interrupted. Kept in {out}: the results, figures and checkpoints of the chapters that finished, "
                f"and the saved training state of a network cut off mid-training; the chapter that was running is "
                f"marked incomplete in its results file. Run the same command again to go on: the chapters run "
                f"again, reusing the trained networks (training goes on from its last saved epoch) and the cached "
                f"responses; a twin cut off while it was being generated is generated again from the start.")
    if cmd == "notebook":
        nb = Path(args.path)
        return (f"interrupted. The partly executed notebook is in {Path(args.out).absolute() / 'notebooks' / nb.name} "
                f"and its results file is marked incomplete. Run the same command again: the notebook runs from "
                f"its start (trained networks and cached responses are reused).")
    if cmd == "twin":
        from .data.dataset import twin_dir

        out = Path(args.out or twin_dir("data", args.profile, args.seed)).absolute()
        return (f"interrupted. Nothing of the twin is kept: {out}.partial is removed by the next run. Run the same "
                f"command again: it generates the twin from the start.")
    if cmd == "mirror":
        out = Path(args.out).absolute()
        return (f"interrupted. The twin is kept if it was complete; {out}.partial is removed by the next run. Run "
                f"the same command again: it writes the mirror from the start.")
    if cmd == "fetch":
        name = {"openneuro": "ds003720", "derivatives": "ds003720-derivatives", "gtzan": "gtzan"}[args.what]
        work = Path(args.dest).absolute() / f"{name}.partial"
        if args.what == "openneuro":
            return (f"interrupted. A clone is not resumed: the next run removes {work} and clones again (metadata "
                    f"only, a few MB); raw files already fetched with --raw stay in the dataset. Run the same "
                    f"command again.")
        return (f"interrupted. Kept in {work} (or in the finished dataset): every file fetched to its end. Run the "
                f"same command again to resume: each kept file is read again and checked against its checksum, "
                f"and a file cut off mid-download is downloaded again from its start (resume is per file).")
    if cmd == "coordinates":
        cache = Path(args.cache or Path(args.data_dir) / "coordinates-cache").absolute()
        return (f"interrupted. Kept in {cache}: every step that finished. Run the same command again to go on "
                f"from there.")
    return "interrupted. Nothing is left half-written; run the same command again."


# ------------------------------------------------------------------------------------------- commands
def _book(args) -> int:
    from .book.runner import run

    os.environ[QUIET_INTERRUPT] = "1"          # the notebook commands it runs leave the message to it
    try:
        run(args.data_source, args.profile, args.seed, args.only, args.out, args.data_dir,
            build=not args.no_html, record=not args.no_record, grid_widths=args.grid_widths)
    finally:
        os.environ.pop(QUIET_INTERRUPT, None)
    return 0


def _notebook(args) -> int:
    from .book.runner import execute, notebook_parameters
    from .paths import check_out, stamp

    out = Path(args.out).absolute()
    params = notebook_parameters(args.data_source, args.profile, args.seed, args.data_dir, args.grid_widths)
    if check_out(out, "book", reuse=True) == "new":
        stamp(out, "book")
    execute(Path(args.path), out, params)
    return 0


def _twin(args) -> int:
    from .data.dataset import twin_dir
    from .twin import make_twin

    make_twin(args.out or twin_dir("data", args.profile, args.seed), args.profile, args.seed, force=args.force)
    return 0


def _mirror(args) -> int:
    from .twin.mirror import write_mirror

    write_mirror(args.out, args.profile, args.seed, args.data_dir, force=args.force)
    return 0


def _fetch(args) -> int:
    from .data import fetch

    if args.what == "openneuro":
        fetch.fetch_openneuro(args.dest, args.subjects, raw=args.raw, url=args.url)
    elif args.what == "derivatives":
        fetch.fetch_derivatives(args.dest, args.subjects, url=args.url,
                                allow_missing_checksums=args.allow_missing_checksums)
    else:
        fetch.fetch_gtzan(args.dest, args.url, args.sha256)
    return 0


def _compare(args) -> int:
    from .book.compare import compare, read_build

    result = compare(read_build(args.build_a), read_build(args.build_b), args.tolerance)
    for path in args.out:
        print(f"written: {result.write(path)}", file=sys.stderr)
    sys.stdout.write(result.text())
    failing = result.failing()
    if args.fail_on_diff and failing:
        print(f"{len(failing)} difference(s) beyond tolerance {args.tolerance:g}", file=sys.stderr)
        return 1
    return 0


def _coordinates(args) -> int:
    try:
        return _recover(args)
    except ImportError as err:                 # antspyx and the other registration packages are optional
        raise BanlibError(file=err.name or "a package", what=f"cannot be imported ({err}), and voxel coordinates need it",
                          fix="install the pinned environment (make env, requirements/lock.txt)") from None


def _recover(args) -> int:
    from .data import coordinates as co
    from .data.dataset import DataError, open_source

    source = open_source(args.data_source, args.data_dir, args.profile, args.seed)
    subjects = args.subjects or [s for s in source.subjects() if source.response_path(s, "Training").exists()
                                 or source.response_path(s, "Training").is_symlink()]
    if not subjects:
        raise DataError(f"{source.derivatives_root}: no derivative matrices; fetch them first "
                        f"(banlib fetch derivatives --dest {args.data_dir})")
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
    return 0


def _check_site(args) -> int:
    from .book.sitecheck import check_site

    html = Path(args.html)
    try:
        report = check_site(html, args.screenshots or html.parent / "screenshots")
    except FileNotFoundError as err:
        raise BanlibError(str(err)) from None
    print(f"{len(report.pages)} pages opened, {len(report.screenshots)} screenshots")
    for problem in report.problems:
        print(f"  {problem}")
    return 1 if report.problems else 0


COMMANDS = {"book": _book, "notebook": _notebook, "check-site": _check_site, "compare": _compare, "twin": _twin,
            "fetch": _fetch, "mirror": _mirror, "coordinates": _coordinates}


if __name__ == "__main__":
    sys.exit(main())
