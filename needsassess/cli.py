"""The command line: ``python -m needsassess COMMAND``.

Each command parses its arguments, calls one library function, prints a
short plain report and returns the exit code:

0  every workbook was read;
1  some workbook could not be read (the outputs are still written);
2  usage error, or nothing could be written.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path
from typing import Any, Callable, NoReturn, Sequence

from . import __version__
from .problems import NeedsassessError

EXIT_OK, EXIT_SOME_FAILED, EXIT_FAILED = 0, 1, 2

#: File statuses (the reader's ``files`` table) that count as "not read".
FAILED_STATUSES = {"failed"}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return EXIT_FAILED
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("needsassess: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader of our output went away (`| head`): nothing more can be said, and saying it must not fail
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except Exception as exc:  # the one place a failure becomes a message
        if args.debug:
            traceback.print_exc()
        elif isinstance(exc, NeedsassessError):
            print(f"needsassess: {exc}", file=sys.stderr)
        else:
            print(f"needsassess: unexpected {type(exc).__name__}: {exc}\n"
                  "Run again with --debug to see where it happened.", file=sys.stderr)
        return EXIT_FAILED


def run() -> NoReturn:
    """The program: :func:`main`, then exit without the interpreter's teardown.

    Everything is written and closed by then; the teardown would free the
    tables object by object (about a quarter of a second for a large State)
    for nothing.
    """
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe (see main)
        code = code or EXIT_FAILED
    os._exit(code)


# ---------------------------------------------------------------- commands
def _extract(args: argparse.Namespace) -> int:
    from .read import read_folder

    assessment = read_folder(args.folder, recursive=args.recursive, template=args.template, cache=args.cache,
                             progress=_progress(args))
    written = assessment.to_csv(args.out)
    _print_files(assessment)
    print(f"Tables written to {args.out}: {', '.join(Path(p).name for p in written)}")
    return _exit_code(assessment)


def _inspect(args: argparse.Namespace) -> int:
    from .read import read_workbook

    assessment = read_workbook(args.file, template=args.template)
    tabs = assessment.tabs
    print(f"{args.file}")
    if tabs.empty:
        print("  no tabs could be read")
    else:
        cols = [c for c in ("sheet", "role", "area", "hue", "colour", "hidden", "read") if c in tabs]
        print(_indent(tabs[cols].fillna("").to_string(index=False)))
    print("\nRows found:")
    for name, table in assessment.tables.items():
        if name != "problems":
            print(f"  {name:<11} {len(table):>5}")
    leas = assessment.leas
    if not leas.empty:
        row = leas.iloc[0]
        print(f"\nLEA: {row['lea_name']} (State ID {row['lea_id'] or '?'}, NCES {row['nces_id'] or '?'}), "
              f"school year {row['school_year'] or '?'}")
    _print_problems(assessment.problems, limit=None)
    return _exit_code(assessment)


def _score(args: argparse.Namespace) -> int:
    from .read import read_folder
    from .scoring import score

    assessment = read_folder(args.folder, recursive=args.recursive, template=args.template, cache=args.cache,
                             progress=_progress(args))
    scores = score(assessment, taxonomy=args.taxonomy, settings=args.settings)
    written = assessment.to_csv(args.out) + scores.to_csv(args.out)
    _print_files(assessment)
    _print_top_topics(scores.topics)
    print(f"Tables written to {args.out}: {', '.join(Path(p).name for p in written)}")
    return _exit_code(assessment)


def _summarize(args: argparse.Namespace) -> int:
    from .read import read_folder
    from .template import load_template

    # read before importing the summary's modules: the reader processes start sooner, and pandas
    # loads while they read (see read._pooled)
    template = load_template(args.template)
    scoring: dict[str, Any] = {"taxonomy": args.taxonomy, "settings": args.settings}

    def prepare() -> None:  # while the files are read: load the scorer's inputs and the writer
        from . import write_leas, write_overview, write_package  # noqa: F401  (imported for later)
        from .figures import load_layout
        from .scoring import compile_taxonomy, load_settings

        scoring.update(taxonomy=compile_taxonomy(args.taxonomy), settings=load_settings(args.settings))
        load_layout()

    assessment = read_folder(args.folder, recursive=args.recursive, template=template, cache=args.cache,
                             progress=_progress(args), while_reading=prepare)
    from .summary import Summary

    # scored aside: the sheets needing no scores are drawn meanwhile (see write_sheets.draw)
    summary = Summary.scored(assessment, **scoring, source=Path(args.folder), template=template, aside=True)
    out = Path(args.output) if args.output else Path("statewide-summary.xlsx")
    written = summary.to_excel(out)
    if args.tables:
        summary.to_csv(args.tables)
    _print_files(summary.assessment)
    _print_top_topics(summary.topics)
    print(f"Summary written to {written}")
    if args.tables:
        print(f"Tables written to {args.tables}")
    return _exit_code(summary.assessment)


def _generate(args: argparse.Namespace) -> int:
    from .generate import generate_corpus, write_blank_tool

    out = Path(args.out)
    if args.blank:
        path = write_blank_tool(out / "LEA-Needs-Assessment-Tool-blank.xlsx")
        print(f"Blank tool written to {path}")
    truths = generate_corpus(out, args.n, seed=args.seed, mess=args.mess)
    print(f"{len(truths)} sample LEA workbooks written to {out}")
    return EXIT_OK


# ---------------------------------------------------------------- report helpers
def _progress(args: argparse.Namespace) -> Callable[..., Any] | None:
    """A tqdm wrapper on stderr, or None when asked for quiet or when stderr is not a terminal.

    (tqdm would draw nothing there, so it is not even imported: it costs
    start-up time on every scripted run.)
    """
    if args.quiet or not _is_terminal(sys.stderr):
        return None
    from functools import partial

    from tqdm import tqdm

    # no monitor thread (it only tunes the refresh of stalled bars): a process running another thread does
    # not fork, and the summary scores in a forked child once the files are read (see needsassess.aside)
    tqdm.monitor_interval = 0
    return partial(tqdm, desc="Reading workbooks", unit="file", file=sys.stderr, leave=False, disable=None)


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


def _exit_code(assessment: Any) -> int:
    files = assessment.files
    if files.empty:
        print("No workbooks were found.", file=sys.stderr)
        return EXIT_SOME_FAILED
    return EXIT_SOME_FAILED if files["status"].isin(FAILED_STATUSES).any() else EXIT_OK


def _print_files(assessment: Any) -> None:
    files = assessment.files
    counts = files["status"].value_counts() if not files.empty else {}
    found = len(files)
    read = sum(counts.get(s, 0) for s in ("read", "partial"))
    parts = [f"{found} files found", f"{read} read"]
    parts += [f"{counts[s]} {s}" for s in ("duplicate", "blank", "skipped", "failed") if counts.get(s, 0)]
    cached = f"; {assessment.cached} unchanged since an earlier run, taken from the cache" if assessment.cached else ""
    print("Files: " + ", ".join(parts) + cached)
    print(f"LEAs: {len(assessment.leas)}")
    _print_problems(assessment.problems, limit=5)


def _print_problems(problems: Any, *, limit: int | None) -> None:
    if problems.empty:
        print("Problems: none")
        return
    errors = int((problems["severity"] == "error").sum())
    print(f"Problems: {errors} errors, {len(problems) - errors} warnings")
    shown = problems if limit is None else problems.head(limit)
    for p in shown.itertuples(index=False):
        where = ", ".join(x for x in (p.file, p.sheet and f"'{p.sheet}'", p.cell) if x)
        print(f"  {p.severity:<7} {p.code:<22} {where}: {p.message}")
    if limit is not None and len(problems) > limit:
        print(f"  ... and {len(problems) - limit} more (see problems.csv or the Data problems sheet)")


def _print_top_topics(topics: Any, n: int = 5) -> None:
    if topics.empty:
        print("Top topics: none (no needs were found)")
        return
    from .taxonomy import ALL_AREAS

    print("Top topics:")
    for t in topics.head(n).itertuples(index=False):
        label = getattr(t, "label", "") or t.topic
        area = "all areas" if t.area == ALL_AREAS else t.area
        print(f"  {int(t.rank):>2}. {label} ({area}): {int(t.n_leas)} LEAs")


def _indent(text: str, pad: str = "  ") -> str:
    return "\n".join(pad + line for line in text.splitlines())


# ---------------------------------------------------------------- parser
def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    common.add_argument("--template", metavar="FILE", default=None,
                        help="a template description (TOML) for a State's variant of the tool")
    common.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    folder = argparse.ArgumentParser(add_help=False)
    folder.add_argument("folder", metavar="DIR", help="folder of LEA workbooks")
    folder.add_argument("--no-recursive", dest="recursive", action="store_false",
                        help="read only the folder itself, not its subfolders")
    folder.add_argument("--no-cache", dest="cache", action="store_false", default=None,
                        help="read every workbook, even those unchanged since an earlier run")

    scoring = argparse.ArgumentParser(add_help=False)
    scoring.add_argument("--taxonomy", metavar="FILE", default=None, help="a T/TA topic taxonomy (TOML)")
    scoring.add_argument("--settings", metavar="FILE", default=None,
                         help="scoring weights and thresholds (TOML) overriding the defaults")

    parser = argparse.ArgumentParser(
        prog="needsassess",
        description="Read Title IV, Part A LEA Needs Assessment Tool workbooks and plan T/TA.",
        epilog="Exit codes: 0 all workbooks read; 1 some could not be read; 2 usage error or nothing written.",
    )
    parser.add_argument("--version", action="version", version=f"needsassess {__version__}")
    parser.set_defaults(debug=False, run=None)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    p = sub.add_parser("summarize", parents=[common, folder, scoring],
                       help="read, score, plan and write the statewide summary workbook",
                       description="Read every workbook in DIR, rank capacity gaps, plan T/TA and write "
                                   "the statewide summary workbook.")
    p.add_argument("-o", "--output", metavar="FILE", help="summary workbook (default: statewide-summary.xlsx)")
    p.add_argument("--tables", metavar="OUTDIR", help="also write every table as CSV into OUTDIR")
    p.set_defaults(run=_summarize)

    p = sub.add_parser("extract", parents=[common, folder],
                       help="write the reader's six tables as CSV",
                       description="Read every workbook in DIR and write leas.csv, responses.csv, "
                                   "ratings.csv, needs.csv, indicators.csv and problems.csv.")
    p.add_argument("--out", metavar="OUTDIR", required=True, help="folder for the CSV files")
    p.set_defaults(run=_extract)

    p = sub.add_parser("score", parents=[common, folder, scoring],
                       help="write the reader's tables plus topic ranking, T/TA plan and checks as CSV",
                       description="Read, rank capacity gaps and plan T/TA; write every table as CSV.")
    p.add_argument("--out", metavar="OUTDIR", required=True, help="folder for the CSV files")
    p.set_defaults(run=_score)

    p = sub.add_parser("inspect", parents=[common],
                       help="show what the reader finds in one workbook",
                       description="Show the tabs of one workbook, the role the reader gave each, "
                                   "how many rows it found and every problem.")
    p.add_argument("file", metavar="FILE", help="one workbook")
    p.set_defaults(run=_inspect)

    p = sub.add_parser("generate", parents=[common],
                       help="write sample LEA workbooks (and the blank replica) for trying the tool",
                       description="Write realistic sample LEA workbooks generated from a seed.")
    p.add_argument("out", metavar="OUTDIR", help="folder for the workbooks")
    p.add_argument("-n", type=int, default=25, help="how many LEA workbooks (default 25)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--mess", choices=["samples", "ordinary", "random"], default="samples",
                   help="which kinds of variation the workbooks show (default samples)")
    p.add_argument("--blank", action="store_true", help="also write the blank replica of the tool")
    p.set_defaults(run=_generate)
    return parser
