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


def _course_root() -> Path:
    """The course folder: the current one if it has solutions/, else the one this package lives in."""
    here = Path.cwd()
    return here if (here / "solutions").is_dir() else Path(__file__).resolve().parents[2]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``grade`` to the course's command line."""
    parser = subparsers.add_parser(
        "grade", help="grade a class's submissions (nbgrader, in parallel)",
        description="Grade submitted notebooks with nbgrader: in parallel, one kernel per notebook, with a "
                    "timeout and a memory limit, robust to broken or malicious submissions. Writes grades.csv, "
                    "feedback pages and a summary figure, and keeps nbgrader's gradebook up to date.",
        epilog="See docs/grading.md. It runs student code: run it in a container.")
    parser.add_argument("submissions", nargs="?", type=Path, default=Path("submitted"),
                        help="nbgrader's submitted/ folder (<student>/<assignment>/<notebook>.ipynb) or a flat "
                             "folder of <student>.ipynb files (then give --assignment); default: ./submitted")
    parser.add_argument("-a", "--assignment", metavar="NAME",
                        help="grade only this assignment (required for a flat folder): one of "
                             + ", ".join(LESSONS))
    parser.add_argument("-s", "--student", action="append", dest="students", metavar="ID",
                        help="grade only this student (repeatable)")
    parser.add_argument("-o", "--out", type=Path, default=Path("grading"),
                        help="the scratch nbgrader course: gradebook, autograded notebooks, reports "
                             "(default: ./grading, ignored by git)")
    parser.add_argument("--course", type=Path, default=None,
                        help="the course folder with solutions/ and nbgrader_config.py (default: this course)")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                        help="notebooks run at once, each in its own kernel (default: number of cores, "
                             "%(default)s here)")
    parser.add_argument("-t", "--timeout", type=int, default=None,
                        help="seconds one cell may run before it is stopped (default: the course's "
                             "Execute.timeout, else 60)")
    parser.add_argument("-m", "--memory-limit", type=parse_size, default="2G", dest="memory",
                        help="address space of each kernel (RLIMIT_AS), e.g. 2G, 512M; 0: no limit (default: 2G)")
    parser.add_argument("--kernels", choices=("fork", "fresh"), default="fork",
                        help="fork: kernels forked from a warm server with torch imported (default); fresh: "
                             "a new python per notebook, as nbgrader does")
    parser.add_argument("-f", "--force", action="store_true",
                        help="grade again what is already graded (default: skip unchanged submissions)")
    progress = parser.add_mutually_exclusive_group()
    progress.add_argument("--progress", action="store_true", default=None, help="always show the progress bar")
    progress.add_argument("--no-progress", action="store_false", dest="progress", help="never show it")
    parser.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    """Run the grader; print a summary; 0 when every notebook was graded, 1 when some could not be."""
    from .run import Grader, Options

    course = (args.course or _course_root()).resolve()
    if not args.submissions.is_dir():
        print(f"grade: no such folder: {args.submissions}", file=sys.stderr)
        return 2
    options = Options(submissions=args.submissions.resolve(), course=course, out=args.out.resolve(),
                      assignment=args.assignment, students=set(args.students) if args.students else None,
                      jobs=max(1, args.jobs), timeout=args.timeout, memory=args.memory, kernels=args.kernels,
                      force=args.force, progress=args.progress)
    try:
        summary = Grader(options).run()
    except (FileNotFoundError, ValueError) as err:
        print(f"grade: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("grade: interrupted; what was graded is kept: run the command again to go on", file=sys.stderr)
        return 130
    _print_summary(summary, options)
    if summary.interrupted:
        return 130
    return 1 if summary.failed else 0


def _print_summary(summary, options) -> None:  # noqa: ANN001 - run.Summary, run.Options
    graded = summary.graded
    print(f"graded {len(graded)} notebook(s) in {summary.seconds:.1f} s with {options.jobs} job(s)"
          + (f"; {summary.skipped} already graded (--force grades them again)" if summary.skipped else "")
          + ("; interrupted: run the command again to go on" if summary.interrupted else ""))
    for note in summary.notes:
        print(f"  note: {note}")
    for result in graded:
        if result.status != "graded" or result.flags:
            detail = "; ".join(result.flags[:2] or result.notes[:1])
            print(f"  {result.status:10} {result.student}/{result.assignment}: {detail}")
    for name, path in summary.reports.items():
        print(f"  {name:8} {path}")
