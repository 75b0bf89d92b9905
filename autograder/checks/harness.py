"""Checks as data: cases, an observe/judge pair per exercise, and the one function test cells call.

After PyTorch's ``ModuleInfo``/``ModuleInput`` test data: *what* to check is data, *how* is one
harness. Each exercise registers an :class:`ExerciseCheck`:

- ``visible``: fixed :class:`Case` objects (small frozen dataclasses: constructor arguments,
  input shapes, a seed), the cases a learner sees fail or pass;
- ``hidden(rng)``: cases drawn from a ``random.Random`` seeded by the grader for each student
  and run (a fixed default seed in self-study and nbgrader's Validate), so that reading the
  open-source hidden tests does not let anyone hard-code a pass;
- ``observe(case, device, *answers)``: runs in the learner's kernel, calls their code on the
  case's inputs and returns plain data only (:mod:`autograder.observation`);
- ``judge(case, observation, ex)``: needs no learner code; recomputes what is right from the
  case (and from the learner's observed weights where the contract says so) and raises the
  learner-facing message through ``ex`` (an :class:`autograder.feedback.Exercise`).

A test cell calls :func:`check`. In a notebook it observes, round-trips the observation
through the same encoding the grader reads, judges, and raises the first mistake. Under the
course's grader (the kernel's environment names a case seed) it also sends every observation
as a display output of type :data:`autograder.observation.MIME`; the grader then judges those
in its own process with :func:`judge_records` and ignores whether the cell raised.
"""
from __future__ import annotations

import importlib
import os
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

import torch

from ..devices import devices
from ..feedback import Exercise, ExerciseFailure, NotAttempted, quiet
from ..observation import MIME, MalformedObservation, decode, encode
from .observe import error_record

#: Environment variable through which the grader hands a kernel its hidden-case seed.
SEED_VARIABLE = "NNM_CASE_SEED"
#: The hidden-case seed of self-study, nbgrader's Validate and plain ``nbgrader autograde``.
DEFAULT_SEED = 20241201


@dataclass(frozen=True)
class Case:
    """One input an exercise is checked on. Subclasses add their fields (sizes, flags)."""

    name: str
    seed: int

    def describe(self) -> str:
        """``"features=4, depth=3"``: the case's own fields, for messages and reports."""
        return ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.name not in ("name", "seed"))


Observe = Callable[..., dict]
Judge = Callable[[Any, dict, Exercise], None]


@dataclass(frozen=True)
class ExerciseCheck:
    """An exercise's check: its cases and its observe/judge pair (see the module docstring)."""

    id: str
    answers: tuple[str, ...]                      # the names the test cell passes, e.g. ("StackedLinear",)
    visible: tuple[Case, ...]
    hidden: Callable[[random.Random], Sequence[Case]]
    observe: Observe
    judge: Judge

    def cases(self, hidden: bool, seed: int | None = None) -> list[Case]:
        """The visible cases, or the hidden ones drawn from ``seed`` (default: :func:`case_seed`)."""
        if not hidden:
            return list(self.visible)
        drawn = list(self.hidden(random.Random(f"{self.id}:{case_seed() if seed is None else seed}")))
        names = [c.name for c in drawn + list(self.visible)]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.id}: case names must be unique, got {names}")
        return drawn

    def all_cases(self, seed: int) -> list[Case]:
        """Every case a test cell runs, in order: visible, then hidden drawn from ``seed``."""
        return self.cases(False) + self.cases(True, seed)


REGISTRY: dict[str, ExerciseCheck] = {}


def register(check: ExerciseCheck) -> ExerciseCheck:
    """Add ``check`` to the registry (each lesson's module registers its exercises on import)."""
    if check.id in REGISTRY and REGISTRY[check.id] is not check:
        raise ValueError(f"{check.id} is registered twice")
    REGISTRY[check.id] = check
    return check


def lookup(exercise_id: str) -> ExerciseCheck:
    """The registered check of ``exercise_id`` (``ex02_...`` lives in :mod:`.lesson02`)."""
    if exercise_id not in REGISTRY:
        module = f"{__package__}.lesson{exercise_id[2:4]}"
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as err:
            raise KeyError(f"no checks for {exercise_id!r}") from err
    try:
        return REGISTRY[exercise_id]
    except KeyError:
        raise KeyError(f"no checks for {exercise_id!r}") from None


def case_seed() -> int:
    """The seed hidden cases are drawn from: the grader's (``$NNM_CASE_SEED``), else the default."""
    try:
        return int(os.environ.get(SEED_VARIABLE, DEFAULT_SEED))
    except ValueError:
        return DEFAULT_SEED


def grading() -> bool:
    """True in a kernel run by the course's grader, which reads observations from display outputs."""
    return SEED_VARIABLE in os.environ


# ---------------------------------------------------------------------------- observing


def observe(check: ExerciseCheck, case: Case, device: torch.device, answers: Sequence[Any]) -> str:
    """Observe one case on one device, quietly; returns the encoded observation."""
    with quiet():
        try:
            data = check.observe(case, device, *answers)
        except Exception as err:  # noqa: BLE001 - a check that could not finish is an observation
            data = {"observe_error": error_record(err)}
        try:
            return encode(data)
        except (MalformedObservation, RuntimeError, TypeError, ValueError) as err:
            return encode({"observe_error": error_record(err)})


def _emit(exercise_id: str, case: Case, device: torch.device, data: str) -> None:
    """Send an observation to the grader as a display output of the course's MIME type."""
    try:
        from IPython.display import display
    except ImportError:
        return
    display({MIME: {"exercise": exercise_id, "case": case.name, "device": device.type, "data": data}}, raw=True)


# ---------------------------------------------------------------------------- judging


def _redacted(value: Any, redact: Callable[[str], str]) -> Any:
    """``value`` with every recorded error ``message`` passed through ``redact``."""
    if isinstance(value, dict):
        return {k: (redact(v) if k == "message" and isinstance(v, str) else _redacted(v, redact))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v, redact) for v in value]
    return value


def judge(check: ExerciseCheck, case: Case, device: str | torch.device, data: Any,
          redact: Callable[[str], str] | None = None) -> ExerciseFailure | None:
    """The verdict on one encoded observation: None when right, else the learner-facing failure.

    ``redact`` (the grader's) rewrites the error messages the kernel recorded before the judge
    may repeat them in feedback.
    """
    ex = Exercise(check.id, device)
    try:
        observation = decode(data)
        if not isinstance(observation, dict):
            raise MalformedObservation("an observation is a dict")
        if redact is not None:
            observation = _redacted(observation, redact)
        if "observe_error" in observation:
            problem = observation["observe_error"]
            if isinstance(problem, dict) and problem.get("error") == "NotImplementedError":
                ex.not_attempted("the answer")
            ex.fail(f"checking your answer stopped with {problem.get('error')}: {problem.get('message')}")
        with quiet():
            check.judge(case, observation, ex)
    except ExerciseFailure as failure:
        return failure
    except MalformedObservation as err:
        return ExerciseFailure(f"{ex.prefix}: the test received no usable observation of your code ({err})")
    except Exception as err:  # noqa: BLE001 - a judge never passes what it cannot read
        return ExerciseFailure(f"{ex.prefix}: the test could not make sense of what your code did "
                               f"({type(err).__name__}: {err})")
    return None


def judge_records(exercise_id: str, records: Sequence[dict], seed: int, device_types: Sequence[str],
                  redact: Callable[[str], str] | None = None) -> ExerciseFailure | None:
    """The grader's verdict on a test cell from the observations it sent (display-output payloads).

    Every case (visible, then hidden drawn from ``seed``) must have been observed exactly once
    on every device in ``device_types``; the first failure, in the test cell's own order (case,
    then device), is the verdict. A missing, repeated or unreadable observation fails.
    """
    check = lookup(exercise_id)
    found: dict[tuple[str, str], list[Any]] = {}
    for record in records:
        if isinstance(record, dict) and record.get("exercise") == exercise_id:
            found.setdefault((str(record.get("case")), str(record.get("device"))), []).append(record.get("data"))
    for case in check.all_cases(seed):
        for device in device_types:
            prefix = f"{exercise_id} [{device}]"
            data = found.get((case.name, device), [])
            if not data:
                return ExerciseFailure(f"{prefix}: the test cell did not finish checking your answer "
                                       f"(no result for its {case.name} case)")
            if len(data) > 1:
                return ExerciseFailure(f"{prefix}: the test cell reported its {case.name} case more than "
                                       "once, so it cannot be trusted")
            failure = judge(check, case, device, data[0], redact)
            if failure is not None:
                return failure
    return None


# ---------------------------------------------------------------------------- the test cell's call


def check(exercise_id: str, *answers: Any, hidden: bool = False) -> None:
    """Check the learner's ``answers`` for ``exercise_id`` on every device; raise the first mistake.

    ``hidden=True`` runs the hidden cases (drawn from the grader's seed, or a fixed default).
    Prints nothing when the answer is right.
    """
    __tracebackhide__ = True  # noqa: F841 - pytest and IPython hide this frame
    spec = lookup(exercise_id)
    if len(answers) != len(spec.answers):
        raise TypeError(f"check({exercise_id!r}, ...) takes {len(spec.answers)} answer(s): "
                        f"{', '.join(spec.answers)}")
    emit = grading()
    first: ExerciseFailure | None = None
    for case in spec.cases(hidden):
        for device in devices():
            data = observe(spec, case, device, answers)
            if emit:
                _emit(exercise_id, case, device, data)
            failure = judge(spec, case, device, data)
            if failure is not None and first is None:
                first = failure
                if not emit:
                    break
        if first is not None and not emit:
            break
    if first is not None:
        raise (NotAttempted if isinstance(first, NotAttempted) else ExerciseFailure)(str(first)) from None
