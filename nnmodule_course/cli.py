"""The course's command line: ``python -m autograder <command>`` (or ``nnmodule-course <command>``).

Each command lives in its own module with ``register(subparsers)`` (or ``add_parser``), which
adds a parser and sets ``handler`` (or ``func``): called with the parsed arguments, it returns
the exit status. To add a command, add its module to :data:`COMMANDS`: one line.
"""
from __future__ import annotations

import argparse
import importlib
import sys

#: Modules that each add one subcommand.
COMMANDS: tuple[str, ...] = (
    "nnmodule_course.grading.command",    # grade
    "nnmodule_course.progress",           # progress
)


def build_parser() -> argparse.ArgumentParser:
    """The parser with every registered command."""
    parser = argparse.ArgumentParser(prog="python -m autograder",
                                     description="nn.Module from the inside: the course's tools.")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name and name.startswith(err.name + ".") or err.name == name:
                continue  # not in this copy of the course: a student's handout has no grader
            raise
        (getattr(module, "register", None) or module.add_parser)(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen command; returns its exit status."""
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    handler = getattr(args, "handler", None) or getattr(args, "func", None)
    if handler is None:
        parser.print_help()
        return 2
    return int(handler(args) or 0)
