"""The course's command line: ``python -m autograder <command>`` (or ``nnmodule-course <command>``).

Each command lives in its own module with ``register(subparsers)``, which adds a parser and
sets ``handler`` (called with the parsed arguments, returns the exit status). To add a
command, add its module to :data:`COMMANDS`.
"""
from __future__ import annotations

import argparse
import importlib
import sys

#: Modules that each add one subcommand.
COMMANDS: tuple[str, ...] = (
    "autograder.grading.command",    # grade
)


def build_parser() -> argparse.ArgumentParser:
    """The parser with every registered command."""
    parser = argparse.ArgumentParser(prog="python -m autograder",
                                     description="nn.Module from the inside: the course's tools.")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen command; returns its exit status."""
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    return int(args.handler(args) or 0)
