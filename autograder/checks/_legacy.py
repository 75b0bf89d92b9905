"""TRANSITIONAL: the pre-observe/judge check helpers, kept until every lesson is converted (then deleted).

Turn a failed check into one sentence a learner can act on.

Every check runs inside :func:`exercise`, a context manager for one exercise on one
device. It keeps PyTorch warnings and stray stderr output away from the notebook
(nbgrader zeroes a test cell that writes to stderr) and turns whatever goes wrong into
an :class:`ExerciseFailure` whose message names the exercise, the device and the mistake::

    ex02_stacked_linear [cpu]: model.parameters() is empty: layers kept in a Python
    list are not registered; use nn.ModuleList.
"""
from __future__ import annotations

import contextlib
import io
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import torch


from ..feedback import ExerciseFailure, NotAttempted, seeded  # noqa: F401


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


def _fmt(value: Any) -> str:
    if isinstance(value, torch.Size):
        return str(tuple(value))
    return repr(value)


class Exercise:
    """Checks for one exercise on one device; every method raises :class:`ExerciseFailure`."""

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

    def require(self, condition: Any, message: str) -> None:
        """Fail with ``message`` unless ``condition`` is true."""
        if not condition:
            self.fail(message)

    def call(self, what: str, fn: Callable[..., Any], *args: Any, hint: str = "", **kwargs: Any) -> Any:
        """Call learner code ``fn(*args, **kwargs)``; if it raises, say that ``what`` raised (and ``hint``)."""
        try:
            return fn(*args, **kwargs)
        except ExerciseFailure:
            raise
        except NotImplementedError as err:
            raise NotAttempted(f"{self.prefix}: not attempted yet: {what} still raises "
                               "NotImplementedError; replace the stub with your answer") from err
        except Exception as err:  # noqa: BLE001 - any learner error becomes feedback
            message = f"{self.prefix}: {what} raised {type(err).__name__}: {err}"
            raise ExerciseFailure(f"{message} ({hint})" if hint else message) from err

    def tensor(self, value: Any, what: str) -> torch.Tensor:
        """Require ``value`` to be a tensor on this exercise's device; return it."""
        self.require(isinstance(value, torch.Tensor),
                     f"{what} should be a torch.Tensor, got {type(value).__name__}")
        self.require(value.device.type == self.device.type,
                     f"{what} is on {value.device.type}, expected {self.device.type}: create new "
                     "tensors on the input's device (or register them so .to() moves them)")
        return value

    def shape(self, value: torch.Tensor, expected: tuple[int, ...], what: str) -> None:
        """Require ``value.shape == expected`` (a torch.Size or a tuple)."""
        self.require(tuple(value.shape) == tuple(expected),
                     f"{what} has shape {_fmt(tuple(value.shape))}, expected {_fmt(tuple(expected))}")

    def close(self, actual: Any, expected: torch.Tensor, what: str, hint: str = "",
              atol: float = 1e-5, rtol: float = 1e-4) -> None:
        """Require tensor ``actual`` to match ``expected`` in device, shape and values."""
        actual = self.tensor(actual, what)
        self.shape(actual, tuple(expected.shape), what)
        expected = expected.to(actual.device, actual.dtype) if actual.is_floating_point() else expected.to(actual.device)
        if not torch.allclose(actual.detach(), expected.detach(), atol=atol, rtol=rtol):
            # on the CPU in float64: MPS has no float64
            diff = (actual.detach().cpu().double() - expected.detach().cpu().double()).abs().max().item()
            message = f"{what} has the wrong values (largest difference {diff:.3g})"
            self.fail(f"{message}: {hint}" if hint else message)

    def raises(self, error: type[BaseException] | tuple[type[BaseException], ...],
               fn: Callable[..., Any], message: str) -> BaseException:
        """Require ``fn()`` to raise ``error``; fail with ``message`` otherwise."""
        try:
            fn()
        except error as err:
            return err
        except NotImplementedError as err:
            raise NotAttempted(f"{self.prefix}: not attempted yet: the answer still raises "
                               "NotImplementedError") from err
        except Exception as err:  # noqa: BLE001
            self.fail(f"{message} (it raised {type(err).__name__}: {err})")
        self.fail(message)
        raise AssertionError("unreachable")


class exercise:  # noqa: N801 - used like a function: ``with exercise(id, device) as ex``
    """Run the checks in the ``with`` block for one exercise on one device, quietly.

    Errors raised by the learner's code inside the block become an
    :class:`ExerciseFailure` that names the exercise, the device and the error. The
    traceback a learner sees is trimmed to the test cell and their own code
    (IPython hides frames that set ``__tracebackhide__``).
    """

    def __init__(self, exercise_id: str, device: torch.device | str) -> None:
        self.ex = Exercise(exercise_id, device)
        self._quiet = quiet()

    def __enter__(self) -> Exercise:
        self._quiet.__enter__()
        return self.ex

    def __exit__(self, kind: type | None, err: BaseException | None, tb: Any) -> bool:
        __tracebackhide__ = True  # noqa: F841
        self._quiet.__exit__(None, None, None)
        if err is None or not isinstance(err, Exception):
            return False
        prefix = self.ex.prefix
        if isinstance(err, ExerciseFailure):
            failure, cause = type(err)(str(err)), err.__cause__
        elif isinstance(err, NotImplementedError):
            failure, cause = NotAttempted(f"{prefix}: not attempted yet: the answer still raises "
                                          "NotImplementedError; replace the stub with your answer"), err
        else:
            failure, cause = ExerciseFailure(f"{prefix}: your code raised {type(err).__name__}: {err}"), err
        raise failure from cause


def on_every_device(exercise_id: str, check: Callable[[Exercise], None]) -> None:
    """Run ``check(ex)`` once per device from :func:`autograder.devices.devices`."""
    __tracebackhide__ = True  # noqa: F841
    from ..devices import devices

    for device in devices():
        with exercise(exercise_id, device) as ex:
            check(ex)
