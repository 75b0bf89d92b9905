"""From an executed notebook to a :class:`NotebookResult`: scores, messages, notes.

Scores come from ``nbgrader.utils.determine_grade``, the function nbgrader's
``SaveAutoGrades`` uses, so they equal what the gradebook records. A failed exercise's
message is the test cell's error (for the course's checks, the ``ExerciseFailure``
sentence) — never its traceback, which would show the hidden tests' source.
"""
from __future__ import annotations

import logging
import re

from nbformat import NotebookNode
from nbgrader.utils import determine_grade

from .execute import Execution
from .integrity import Findings, grade_id, is_grade, is_setup, is_solution
from .results import ExerciseResult, NotebookResult, clean

_QUIET = logging.getLogger("autograder.grading.quiet")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False

#: nbgrader's warnings while sanitizing, in words for the learner.
SANITIZE_NOTES = (
    (re.compile(r"Attribute 'checksum' for cell (\S+) has changed"), "cell {0} had been edited; it was restored "
                                                                     "from the course's version before grading"),
    (re.compile(r"Attribute 'cell_type' for cell (\S+) has changed"), "cell {0} had been changed to another cell "
                                                                      "type; it was turned back before grading"),
    (re.compile(r"Cell with id '(\S+)' exists multiple times"), "cell {0} appears more than once; only its last "
                                                                "copy was graded"),
    (re.compile(r"Missing grade cell (\S+) encountered"), "cell {0} was missing; it was put back before grading"),
)


def exercise_of(test_id: str) -> str:
    """``ex01_mlp_tests`` -> ``ex01_mlp`` (other grade ids are their own exercise)."""
    return test_id[: -len("_tests")] if test_id.endswith("_tests") else test_id


def _errors(cell: NotebookNode) -> list[NotebookNode]:
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def test_message(cell: NotebookNode, timeout: int) -> str:
    """Why a test cell scored less than full points, in one or two sentences."""
    errors = _errors(cell)
    if errors:
        error = errors[-1] if errors[0].get("ename") == "KeyboardInterrupt" else errors[0]
        ename, evalue = error.get("ename", "Error"), clean(error.get("evalue", ""))
        if ename in ("ExerciseFailure", "NotAttempted"):
            return evalue
        if ename == "CellTimeoutError":
            return f"the test ran longer than {timeout} s and was stopped (an endless loop in your code?)"
        if ename in ("DeadKernelError", "NotRun", "GradingIntegrityError"):
            return evalue[:1].upper() + evalue[1:]
        return f"{ename}: {evalue}" if evalue else ename
    if any(o.get("output_type") == "stream" and o.get("name") == "stderr" for o in cell.get("outputs", [])):
        return "the test cell wrote to stderr, which counts as a failure"
    return "partial credit"


def _label(cell: NotebookNode, number: int) -> str:
    gid = grade_id(cell)
    if is_solution(cell) and gid:
        return f"your answer cell {gid}"
    if is_grade(cell) and gid:
        return f"the test cell of {exercise_of(gid)}"
    if is_setup(cell):
        return "the set-up cell"
    return f"cell {number}"


def _answer_problem(cell: NotebookNode, timeout: int) -> str:
    """What went wrong in an answer cell ("" when it ran, or was simply not attempted)."""
    for error in _errors(cell):
        ename, evalue = error.get("ename", "Error"), clean(error.get("evalue", ""), 300)
        if ename == "NotImplementedError":
            return ""
        if ename == "CellTimeoutError":
            return f"your answer cell ran longer than {timeout} s and was stopped"
        if ename == "DeadKernelError":
            return f"your answer cell stopped the kernel ({evalue})"
        return f"your answer cell raised {ename}: {evalue}" if evalue else f"your answer cell raised {ename}"
    return ""


def build_result(nb: NotebookNode, execution: Execution | None, findings: Findings | None, base: NotebookResult,
                 timeout: int, sanitize_warnings: list[str], flags: list[str]) -> NotebookResult:
    """Fill ``base`` (ids, status, digests) from the recorded notebook ``nb``."""
    answers = {grade_id(c): c for c in nb.cells if is_solution(c) and grade_id(c)}
    last_answer: NotebookNode | None = None
    for cell in nb.cells:
        if is_solution(cell):
            last_answer = cell
        if not (is_grade(cell) and not is_solution(cell)):
            continue
        test_id = grade_id(cell)
        score, max_score = determine_grade(cell, _QUIET)
        score = float(score or 0)
        message = ""
        if score < max_score:
            answer = answers.get(exercise_of(test_id), last_answer)
            parts = [_answer_problem(answer, timeout) if answer is not None else "", test_message(cell, timeout)]
            message = clean("; then ".join(p for p in parts if p))
        base.exercises.append(ExerciseResult(exercise_of(test_id), test_id, score, float(max_score), message))
    for warning in sanitize_warnings:
        for pattern, text in SANITIZE_NOTES:
            match = pattern.search(warning)
            if match:
                base.notes.append(text.format(match.group(1)))
    if execution is not None:
        cells = execution.notebook.cells
        for index, reason in execution.died.items():
            base.notes.append(f"{_label(cells[index], index)} stopped the kernel ({reason}); the cells after it ran "
                              "in a new kernel")
        for index in execution.timed_out:
            base.notes.append(f"{_label(cells[index], index)} ran longer than {timeout} s and was stopped")
        for index in execution.replaced:
            base.notes.append(f"{_label(cells[index], index)} ignored the stop request; the kernel was replaced")
        if execution.tampered:
            base.flags.append("changed the grader's copy of the checks: " + ", ".join(execution.tampered[:5]))
        base.seconds = round(execution.seconds, 3)
        base.kernel_starts = execution.kernel_starts
    if findings is not None:
        for test_id, restored in findings.restored.items():
            base.flags.append(f"before {test_id} the guard undid: {', '.join(restored[:8])}"
                              + (f" (+{len(restored) - 8} more)" if len(restored) > 8 else ""))
        for test_id, problem in findings.problems.items():
            base.flags.append(f"{test_id}: {problem}")
    base.flags = flags + base.flags
    base.notes = list(dict.fromkeys(base.notes))
    return base
