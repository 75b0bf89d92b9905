"""Judge a notebook's test cells in the grader's own process, from the observations they sent.

A test cell in a graded kernel sends one display output per case and device, of the course's
MIME type (:data:`autograder.observation.MIME`), holding plain data. Here, where no student
code has ever run, :func:`autograder.checks.judge_records` decodes and judges them against
the cases drawn from the notebook's seed. The verdict replaces the test cell's outputs: a
failure becomes one error output whose text is the judge's message, a pass leaves the cell
empty. Whether the cell raised, what it printed, what a kernel claimed: none of it counts,
and none of it reaches nbgrader's gradebook or a feedback page. nbgrader's ``SaveAutoGrades``
then scores the cell exactly as it would score the judge's verdict.
"""
from __future__ import annotations

import builtins
import re
from collections.abc import Callable
from dataclasses import dataclass

from nbformat import NotebookNode
from nbformat.v4 import new_output

from autograder.checks import judge_records, lookup
from autograder.feedback import NotAttempted
from autograder.observation import MIME

from ..notebook import grade_id
from .execute import Execution, is_test

#: Exception names a feedback note may repeat: Python's own, never a name a submission made up.
BUILTIN_ERRORS = {name for name, value in vars(builtins).items()
                  if isinstance(value, type) and issubclass(value, BaseException)}


WITHHELD = "(message not shown: it quotes the notebook's tests or looks like encoded data)"
_WORD = re.compile(r"[A-Za-z0-9_]+")
_ENCODED = re.compile(r"[A-Za-z0-9+/=_-]{48,}")
QUOTE_WORDS = 4


def redactor(test_sources: list[str]) -> Callable[[str], str]:
    """A function that withholds a recorded error message quoting the tests (hidden ones included).

    A submission's code runs while a test cell runs, so it can read the cell (``In[-1]``) and raise
    its text; the judge repeats error messages in feedback. A message that contains
    :data:`QUOTE_WORDS` consecutive words of any test cell, or a long run of base64- or hex-like
    characters, is replaced by :data:`WITHHELD`.
    """
    grams: set[tuple[str, ...]] = set()
    for text in test_sources:
        words = _WORD.findall(text)
        grams.update(tuple(words[i:i + QUOTE_WORDS]) for i in range(len(words) - QUOTE_WORDS + 1))

    def redact(message: str) -> str:
        words = _WORD.findall(message)
        quoted = any(tuple(words[i:i + QUOTE_WORDS]) in grams for i in range(len(words) - QUOTE_WORDS + 1))
        return WITHHELD if quoted or _ENCODED.search(message) else message

    return redact


@dataclass
class Verdict:
    """The judge's verdict on one test cell."""

    grade_id: str
    exercise: str
    passed: bool
    message: str = ""           # learner-facing, "" when passed
    not_attempted: bool = False


def exercise_of(test_id: str) -> str:
    """``ex01_mlp_tests`` -> ``ex01_mlp`` (other grade ids are their own exercise)."""
    return test_id[: -len("_tests")] if test_id.endswith("_tests") else test_id


def observations(cell: NotebookNode) -> list[dict]:
    """The observation payloads a test cell sent (display outputs of the course's MIME type)."""
    found = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "display_data":
            payload = (output.get("data") or {}).get(MIME)
            if isinstance(payload, dict):
                found.append(payload)
    return found


def _context(index: int, execution: Execution | None, timeout: int) -> str:
    """Why a test cell sent no (or too few) observations, when execution knows."""
    if execution is None:
        return ""
    if index in execution.timed_out:
        return f"the test ran longer than {timeout} s and was stopped (an endless loop in your code?)"
    if index in execution.died:
        return f"your code stopped the kernel while the test ran ({execution.died[index]})"
    if index in execution.never_ran:
        return "this test cell never ran: the kernel kept dying before it"
    return ""


def answer_problem(cell: NotebookNode | None) -> str:
    """What went wrong in an answer cell, in the grader's words (only Python's own exception names)."""
    if cell is None:
        return ""
    names = [o.get("ename") for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if not names or "NotImplementedError" in names:
        return ""
    if "CellTimeoutError" in names:
        return "your answer cell ran longer than the time limit and was stopped"
    if "DeadKernelError" in names:
        return "your answer cell stopped the kernel"
    name = names[0] if names[0] in BUILTIN_ERRORS else "an error"
    return f"your answer cell raised {name}, so the test could not use your answer"


def judge_notebook(nb: NotebookNode, execution: Execution | None, seed: int, device_types: list[str],
                   timeout: int) -> list[Verdict]:
    """Judge every test cell of the executed ``nb`` and replace its outputs with the verdict (in place).

    The test cells' sources are the course's (nbgrader's sanitize step restored them, hidden tests
    included), so they tell :func:`redactor` what must never be quoted back.
    """
    verdicts = []
    redact = redactor([c.source for c in nb.cells if is_test(c)])
    answers = {grade_id(c): c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("solution")}
    for index, cell in enumerate(nb.cells):
        if not is_test(cell):
            continue
        test_id = grade_id(cell) or ""
        exercise = exercise_of(test_id)
        try:
            lookup(exercise)
        except KeyError:
            failure_text = f"{exercise}: the course has no checks registered for this test cell"
            verdict = Verdict(test_id, exercise, False, failure_text)
        else:
            records = observations(cell)
            failure = judge_records(exercise, records, seed, device_types, redact)
            if failure is None:
                verdict = Verdict(test_id, exercise, True)
            else:
                message = str(failure)
                context = _context(index, execution, timeout)
                if context and "did not finish" in message:
                    message = f"{exercise}: {context}"
                problem = answer_problem(answers.get(exercise))
                if problem and not isinstance(failure, NotAttempted):
                    message = f"{message} ({problem})"
                verdict = Verdict(test_id, exercise, False, message, isinstance(failure, NotAttempted))
        cell["outputs"] = [] if verdict.passed else [new_output(
            "error", ename="NotAttempted" if verdict.not_attempted else "ExerciseFailure",
            evalue=verdict.message, traceback=[verdict.message])]
        verdicts.append(verdict)
    return verdicts
