"""``python -m autograder grade``: the instructor's command (argument parsing and printing only)."""
from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from ..spec import LESSONS

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """``"2G"``, ``"2GiB"``, ``"512M"``, ``"0"`` -> bytes (powers of 1024)."""
    match = _SIZE.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (try 2G or 512M; 0 for no limit)")
    number, unit = match.groups()
    return int(float(number) * 1024 ** "_kmgt".index(unit.lower() or "_"))


def course_root(start: Path | None = None) -> Path:
    """The course folder: ``start`` (default: the current folder) if it has solutions/, else this package's course."""
    here = (start or Path.cwd()).resolve()
    return here if (here / "solutions").is_dir() else Path(__file__).resolve().parents[2]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``grade`` to the course's command line."""
    parser = subparsers.add_parser(
        "grade", help="grade a class's submissions (nbgrader, in parallel, each notebook in a sandbox)",
        description="Grade submitted notebooks: each one runs in its own bubblewrap sandbox (no network, none of "
                    "your files, limits on memory, processes, CPU and disk), the test cells' observations are "
                    "judged here, and the grades go to nbgrader's gradebook, grades.csv, feedback pages and a "
                    "summary figure.",
        epilog="See docs/grading.md. Needs Linux and bubblewrap (apt-get install bubblewrap).")
    parser.add_argument("submissions", nargs="?", type=Path, default=Path("submitted"),
                        help="nbgrader's submitted/ folder (<student>/<assignment>/<notebook>.ipynb) or a flat "
                             "folder of <student>.ipynb files (then give --assignment); default: ./submitted")
    parser.add_argument("-a", "--assignment", metavar="NAME",
                        help="grade only this assignment (required for a flat folder): one of " + ", ".join(LESSONS))
    parser.add_argument("-s", "--student", action="append", dest="students", metavar="ID",
                        help="grade only this student (repeatable)")
    parser.add_argument("-o", "--out", type=Path, default=None,
                        help="where the gradebook, autograded notebooks and reports go (default: the course folder "
                             "itself, so that nbgrader export and formgrader see the grades)")
    parser.add_argument("--course", type=Path, default=None,
                        help="the course folder with solutions/ and nbgrader_config.py (default: this course)")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                        help="notebooks run at once, each in its own sandbox (default: number of cores, %(default)s here)")
    parser.add_argument("-t", "--timeout", type=int, default=None,
                        help="seconds one cell may run before it is stopped (default: the course's Execute.timeout, "
                             "else 60)")
    parser.add_argument("-m", "--memory-limit", type=parse_size, default="2G", dest="memory",
                        help="address space of each kernel process (RLIMIT_AS), e.g. 2G, 512M; 0: no limit (default: 2G)")
    parser.add_argument("--disk", type=parse_size, default="512M",
                        help="the sandbox's writable scratch space (a tmpfs; default: 512M)")
    parser.add_argument("--processes", type=int, default=64,
                        help="processes and threads one sandbox may run (default: 64)")
    parser.add_argument("--seed", type=int, default=None,
                        help="the seed hidden cases are drawn from (default: a new one per run; every result "
                             "records it, so a grade can be reproduced)")
    parser.add_argument("-f", "--force", action="store_true",
                        help="grade again what is already graded (default: skip unchanged submissions)")
    parser.add_argument("--no-sandbox", action="store_false", dest="sandbox",
                        help="UNSAFE: run student code as your user, unsandboxed (only where no sandbox can be "
                             "made, e.g. macOS); every report then says so")
    progress = parser.add_mutually_exclusive_group()
    progress.add_argument("--progress", action="store_true", default=None, help="always show the progress bar")
    progress.add_argument("--no-progress", action="store_false", dest="progress", help="never show it")
    parser.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    """Run the grader; print a score table; 0 when every notebook was graded, 1 when some could not be."""
    from .run import Grader, Options
    from .sandbox import SandboxUnavailable

    course = (args.course or course_root()).resolve()
    if not args.submissions.is_dir():
        print(f"grade: no such folder: {args.submissions}", file=sys.stderr)
        return 2
    options = Options(submissions=args.submissions.resolve(), course=course,
                      out=(args.out or course).resolve(), assignment=args.assignment,
                      students=set(args.students) if args.students else None, jobs=max(1, args.jobs),
                      timeout=args.timeout, memory=args.memory, disk=args.disk, processes=args.processes,
                      sandbox=args.sandbox, seed=args.seed, force=args.force, progress=args.progress)
    try:
        summary = Grader(options).run()
    except SandboxUnavailable as err:
        print(f"grade: refusing to run student code without a sandbox: {err}.\n"
              "Install bubblewrap on Linux; where none can be made, --no-sandbox runs student code as your user "
              "(unsafe, and every report says so).", file=sys.stderr)
        return 3
    except (FileNotFoundError, ValueError) as err:
        print(f"grade: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("grade: interrupted; what was graded is kept: run the command again to go on", file=sys.stderr)
        return 130
    print_summary(summary, options)
    if summary.interrupted:
        return 130
    return 1 if summary.failed else 0


def score_table(results: list) -> list[str]:  # noqa: ANN001 - results.NotebookResult
    """``student  assignment  points  status`` lines, aligned, one per graded notebook."""
    rows = [(r.student, r.assignment, f"{r.score:g} / {r.max_score:g}", r.status + (" (flagged)" if r.flags else ""))
            for r in sorted(results, key=lambda r: (r.assignment, r.student, r.notebook))]
    header = ("student", "assignment", "points", "status")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(4)]
    return ["  ".join(str(cell).ljust(w) for cell, w in zip(row, widths)).rstrip() for row in [header, *rows]]


def print_summary(summary, options) -> None:  # noqa: ANN001 - run.Summary, run.Options
    graded = summary.graded
    print(f"graded {len(graded)} notebook(s) in {summary.seconds:.1f} s with {options.jobs} job(s), seed "
          f"{summary.run_seed}" + (f"; {summary.skipped} already graded (--force grades them again)"
                                   if summary.skipped else "")
          + ("; interrupted: run the command again to go on" if summary.interrupted else ""))
    if not summary.sandboxed:
        print("WARNING: graded WITHOUT a sandbox (--no-sandbox): student code ran as your user")
    if graded:
        print()
        for line in score_table(graded):
            print(f"  {line}")
        print()
    for note in summary.notes:
        print(f"  note: {note}")
    for result in graded:
        if result.status != "graded" or result.flags:
            detail = "; ".join(result.flags[:2] or result.notes[:1])
            print(f"  {result.status:10} {result.student}/{result.assignment}: {detail}")
    for name, path in summary.reports.items():
        print(f"  {name:8} {path}")
