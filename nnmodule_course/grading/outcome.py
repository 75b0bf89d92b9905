"""From an executed notebook to a :class:`NotebookResult`: scores, messages, notes.

Scores come from ``nbgrader.utils.determine_grade``, the function nbgrader's
``SaveAutoGrades`` uses, so they equal what the gradebook records. A failed exercise's
message is the test cell's error (for the course's checks, the ``ExerciseFailure``
sentence) — never its traceback, which would show the hidden tests' source.
"""
from __future__ import annotations

import logging

from nbformat import NotebookNode
from nbgrader.utils import determine_grade

from .execute import Execution
from ..notebook import grade_id
from .integrity import INJECTED, Findings, is_grade, is_setup, is_solution
from .results import ExerciseResult, NotebookResult, clean

_QUIET = logging.getLogger("nnmodule_course.grading.quiet")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


def memory_text(size: int) -> str:
    """``2147483648`` -> ``"2 GiB"``."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:g} {unit}"
    return f"{size} bytes"


def exercise_of(test_id: str) -> str:
    """``ex01_mlp_tests`` -> ``ex01_mlp`` (other grade ids are their own exercise)."""
    return test_id[: -len("_tests")] if test_id.endswith("_tests") else test_id


def _errors(cell: NotebookNode) -> list[NotebookNode]:
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def test_message(cell: NotebookNode, timeout: int) -> str:
    """Why a test cell scored less than full points, in one or two sentences."""
    errors = _errors(cell)
    if errors:
        error = errors[0]
        ename, evalue = error.get("ename", "Error"), clean(error.get("evalue", ""))
        if ename in ("ExerciseFailure", "NotAttempted"):
            return evalue
        if ename == "CellTimeoutError" or any(e.get("ename") == "CellTimeoutError" for e in errors):
            return f"the test ran longer than {timeout} s and was stopped (an endless loop in your code?)"
        if ename == "DeadKernelError":
            return f"your code stopped the kernel while the test ran ({evalue})"
        if ename in ("NotRun", "GradingIntegrityError"):
            return evalue[:1].upper() + evalue[1:]
        return f"{ename}: {evalue}" if evalue else ename
    if any(o.get("output_type") == "stream" and o.get("name") == "stderr" for o in cell.get("outputs", [])):
        return "the test cell wrote to stderr, which counts as a failure"
    return "partial credit"


def _label(cells: list[NotebookNode], index: int) -> str:
    """How a note names cell ``index`` of the executed copy (numbered as in the submission)."""
    cell = cells[index]
    gid = grade_id(cell)
    if cell.get("metadata", {}).get(INJECTED):
        return "the grader's guard cell"
    if is_solution(cell) and gid:
        return f"your answer cell {gid}"
    if is_grade(cell) and gid:
        return f"the test cell of {exercise_of(gid)}"
    if is_setup(cell):
        return "the set-up cell"
    number = sum(1 for c in cells[: index + 1] if not c.get("metadata", {}).get(INJECTED))
    return f"cell {number}"


def _answer_problem(cell: NotebookNode, timeout: int) -> str:
    """What went wrong in an answer cell ("" when it ran, or was simply not attempted)."""
    errors = {e.get("ename", "Error"): clean(e.get("evalue", ""), 300) for e in _errors(cell)}
    if not errors or "NotImplementedError" in errors:
        return ""
    if "CellTimeoutError" in errors:
        return f"your answer cell ran longer than {timeout} s and was stopped"
    if "DeadKernelError" in errors:
        return f"your answer cell stopped the kernel ({errors['DeadKernelError']})"
    ename, evalue = next(iter(errors.items()))
    return f"your answer cell raised {ename}: {evalue}" if evalue else f"your answer cell raised {ename}"


def build_result(nb: NotebookNode, execution: Execution | None, findings: Findings | None, base: NotebookResult,
                 timeout: int, repairs: list[str], flags: list[str], memory: int = 0) -> NotebookResult:
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
            message = "; then ".join(p for p in parts if p)
            if "MemoryError" in message or "can't allocate memory" in message or "out of memory" in message:
                message += f" (each notebook may use {memory_text(memory)} of memory)" if memory else ""
            message = clean(message)
        base.exercises.append(ExerciseResult(exercise_of(test_id), test_id, score, float(max_score), message))
    base.notes += repairs
    if execution is not None:
        cells = execution.notebook.cells
        for index, reason in execution.died.items():
            base.notes.append(f"{_label(cells, index)} stopped the kernel ({reason}); the cells after it ran "
                              "in a new kernel")
        for index in execution.timed_out:
            base.notes.append(f"{_label(cells, index)} ran longer than {timeout} s and was stopped")
        for index in execution.replaced:
            base.notes.append(f"{_label(cells, index)} ignored the stop request; the kernel was replaced")
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
