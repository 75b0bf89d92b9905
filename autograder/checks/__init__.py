"""The checks behind the course's test cells: one registry of exercises, one function to call.

A test cell reads::

    from autograder.checks import check
    check("ex02_stacked_linear", StackedLinear)               # the visible case
    check("ex02_stacked_linear", StackedLinear, hidden=True)  # hidden cases

Each exercise is registered by its lesson's module (``lesson01`` ... ``lesson09``) as an
:class:`~.harness.ExerciseCheck`: cases as data and an observe/judge pair (:mod:`.harness`).
"""
from .harness import DEFAULT_SEED, REGISTRY, Case, ExerciseCheck, check, judge_records, lookup, register

__all__ = ["DEFAULT_SEED", "REGISTRY", "Case", "ExerciseCheck", "check", "judge_records", "lookup", "register",
           "load_all"]


def load_all() -> dict[str, ExerciseCheck]:
    """Import every lesson's checks; returns the registry (exercise id -> check)."""
    import importlib

    for number in range(1, 10):
        importlib.import_module(f"{__name__}.lesson{number:02d}")
    return REGISTRY
