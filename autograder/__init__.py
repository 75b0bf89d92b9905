"""nn.Module from the inside, kernel side: the checks behind the course's test cells.

This package is all a graded kernel can see of the course: the checks (:mod:`autograder.checks`),
the learner-facing messages (:mod:`autograder.feedback`), the devices they run on
(:func:`autograder.devices.devices`) and the stray-state detector. It imports nothing but torch, and only when first used, so that
``python -m autograder --help`` (the instructor's command line, :mod:`nnmodule_course.cli`)
starts without loading torch.

Test cells call one function::

    from autograder.checks import check
    check("ex02_stacked_linear", StackedLinear)
"""
from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Exercise": "feedback", "ExerciseFailure": "feedback", "NotAttempted": "feedback",
    "quiet": "feedback", "seeded": "feedback", "stray_state": "placement", "check": "checks",
}

__all__ = sorted(_EXPORTS)
__version__ = "0.2.0"


def __getattr__(name: str) -> Any:
    """Load ``devices``, ``ExerciseFailure`` and friends on first use (they import torch)."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'autograder' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value
