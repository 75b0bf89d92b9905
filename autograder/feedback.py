"""The learner-facing vocabulary of the checks: one sentence per mistake.

A judge (see :mod:`autograder.checks.harness`) reads an observation of the learner's code and
decides, through an :class:`Exercise`, whether it meets the contract. Every failure is an
:class:`ExerciseFailure` whose message names the exercise, the device and the mistake::

    ex02_stacked_linear [cpu]: layers is a plain Python list, so nothing in it is registered:
    parameters(), state_dict() and .to(device) all miss it; use nn.ModuleList

In a notebook the failure shows as that sentence alone, without a traceback
(:meth:`ExerciseFailure._render_traceback_`, IPython's hook for custom error display).
Nothing here calls learner code: the observation was taken before, in :mod:`.checks.observe`.
"""
from __future__ import annotations

import contextlib
import io
import os
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import torch


class ExerciseFailure(AssertionError):
    """A check failed; ``str(err)`` is the whole learner-facing message."""

    def _render_traceback_(self) -> list[str]:
        """What IPython shows for this error: the sentence alone, in red, no traceback wall."""
        return [f"\x1b[0;31m{self}\x1b[0m"]


class NotAttempted(ExerciseFailure):
    """The answer cell still raises ``NotImplementedError`` (the released stub)."""


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence Python warnings and anything written to stderr (``sys.stderr`` and fd 2)."""
    saved_fd = None
    try:
        sys.stderr.flush()
        saved_fd = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except (OSError, AttributeError, ValueError, io.UnsupportedOperation):
        saved_fd = None
    try:
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        if saved_fd is not None:
            os.dup2(saved_fd, 2)
            os.close(saved_fd)


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed the generators for the block and restore the notebook's generators afterwards.

    Running a test cell never shifts the learner's random streams (CPU, CUDA or MPS).
    """
    cuda = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    mps = getattr(torch, "mps", None)
    mps_state = mps.get_rng_state() if mps is not None and torch.backends.mps.is_available() else None
    try:
        with torch.random.fork_rng(devices=cuda):
            torch.manual_seed(seed)
            yield
    finally:
        if mps_state is not None:
            mps.set_rng_state(mps_state)


def _fmt(value: Any) -> str:
    if isinstance(value, (torch.Size, list)) and all(isinstance(v, int) for v in value):
        return str(tuple(value))
    return repr(value)


#: The start of PyTorch's error when one operation gets tensors from two devices.
SAME_DEVICE = "Expected all tensors to be on the same device"

#: Tolerances for comparing a learner's numbers with the judge's (computed on the CPU in
#: float32). Accelerators reorder sums and may use TF32 for convolutions, hence looser bounds.
TOLERANCE = {"cpu": (1e-5, 1e-4)}
ACCELERATOR_TOLERANCE = (1e-4, 1e-3)


class Exercise:
    """The judge's side of one exercise on one device; every failing method raises :class:`ExerciseFailure`."""

    def __init__(self, exercise_id: str, device: torch.device | str) -> None:
        self.id = exercise_id
        self.device = torch.device(device)

    def __repr__(self) -> str:
        return f"Exercise({self.id!r}, {self.device.type!r})"

    @property
    def prefix(self) -> str:
        """``"ex01_mlp [cpu]"``: how every message of this exercise starts."""
        return f"{self.id} [{self.device.type}]"

    def fail(self, message: str) -> None:
        """Stop with ``message`` (one sentence about the mistake, no prefix)."""
        raise ExerciseFailure(f"{self.prefix}: {message}")

    def not_attempted(self, what: str) -> None:
        raise NotAttempted(f"{self.prefix}: not attempted yet: {what} still raises NotImplementedError; "
                           "replace the stub with your answer")

    def require(self, condition: Any, message: str) -> None:
        """Fail with ``message`` unless ``condition`` is true."""
        if not condition:
            self.fail(message)

    def result(self, record: dict, what: str, hint: str = "") -> Any:
        """The value of a recorded call (see :func:`autograder.checks.observe.call`).

        Fails when the call raised: "``what`` raised TypeError: ..." (and ``hint``), or as not
        attempted when it raised ``NotImplementedError``.
        """
        if record.get("error"):
            if record["error"] == "NotImplementedError":
                self.not_attempted(what)
            message = f"{what} raised {record['error']}"
            if record.get("message"):
                message += f": {record['message']}"
            if SAME_DEVICE in record.get("message", ""):
                hint = (f"a tensor your code made or kept is not on {self.device.type} with the input: create new "
                        "tensors on the input's device (device=x.device) and keep state in registered parameters "
                        "or buffers so that .to() moves it")
            self.fail(f"{message} ({hint})" if hint else message)
        return record.get("value")

    def tensor(self, record: dict, what: str, hint: str = "") -> torch.Tensor:
        """The tensor a recorded call returned, required to be on this exercise's device."""
        value = self.result(record, what, hint)
        self.require(record.get("tensor") and isinstance(value, torch.Tensor),
                     f"{what} should be a torch.Tensor, got {record.get('type')}")
        where = record.get("device")
        self.require(where == self.device.type,
                     f"{what} is on {where}, expected {self.device.type}: create new tensors on the "
                     "input's device (or register them so .to() moves them)")
        return value

    def shape(self, value: torch.Tensor, expected: tuple[int, ...], what: str) -> None:
        """Require ``value.shape == expected`` (a torch.Size or a tuple)."""
        self.require(tuple(value.shape) == tuple(expected),
                     f"{what} has shape {_fmt(tuple(value.shape))}, expected {_fmt(tuple(expected))}")

    def tolerance(self) -> tuple[float, float]:
        """``(atol, rtol)`` for this device."""
        return TOLERANCE.get(self.device.type, ACCELERATOR_TOLERANCE)

    def matches(self, actual: Any, expected: torch.Tensor) -> bool:
        """True when ``actual`` is a tensor of ``expected``'s shape with (nearly) its values."""
        if not isinstance(actual, torch.Tensor) or actual.shape != expected.shape:
            return False
        atol, rtol = self.tolerance()
        return bool(torch.allclose(actual.double(), expected.double(), atol=atol, rtol=rtol, equal_nan=True))

    def close(self, actual: torch.Tensor, expected: torch.Tensor, what: str, hint: str = "") -> None:
        """Require ``actual`` (a tensor from an observation) to match ``expected`` in shape and values."""
        self.require(isinstance(actual, torch.Tensor), f"{what} should be a torch.Tensor")
        self.shape(actual, tuple(expected.shape), what)
        if not self.matches(actual, expected):
            diff = (actual.double() - expected.double()).abs().max().item()
            message = f"{what} has the wrong values (largest difference {diff:.3g})"
            self.fail(f"{message}: {hint}" if hint else message)
