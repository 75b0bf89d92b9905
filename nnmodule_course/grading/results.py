"""What the grader learned about one submitted notebook, and where it keeps it.

A :class:`NotebookResult` is written as JSON (``results/<assignment>/<student>/<notebook>.json``)
right after the notebook's grades are committed to the gradebook: it is the marker that the
notebook is done (a re-run skips it while the submission and the source are unchanged) and
the material of the reports: per exercise the points and, for a failed one, the judge's
message; notes for the learner (a timeout, a dead kernel, an edited test cell); flags for the
instructor; and the seed its hidden cases were drawn from, so that a grade can be reproduced.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .execute import Execution, is_test
from .judging import Verdict

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

GRADED = "graded"          # executed, judged and recorded in the gradebook
MISSING = "missing"        # no such notebook in the submission: zero, as nbgrader does
UNREADABLE = "unreadable"  # not a notebook (bad JSON, bad nbgrader metadata): zero, reported
FAILED = "failed"          # the grader could not grade it (no kernel): nothing recorded, retried next run


@dataclass
class ExerciseResult:
    """One graded cell: ``exercise`` is the grade id without ``_tests``."""

    exercise: str
    grade_id: str
    score: float
    max_score: float
    message: str = ""          # why it failed, in the learner's words ("" when full points)


@dataclass
class NotebookResult:
    student: str
    assignment: str
    notebook: str
    status: str
    name: str = ""                 # the student as the submission named them, when that differs
    submission_sha256: str = ""
    source_sha256: str = ""
    run_seed: int = 0              # the run's seed and this notebook's hidden-case seed
    case_seed: int = 0
    sandboxed: bool = True
    exercises: list[ExerciseResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)     # shown to the learner
    flags: list[str] = field(default_factory=list)     # for the instructor only
    seconds: float = 0.0
    kernel_starts: int = 0

    @property
    def score(self) -> float:
        return sum(e.score for e in self.exercises)

    @property
    def max_score(self) -> float:
        return sum(e.max_score for e in self.exercises)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> NotebookResult:
        data = json.loads(text)
        data["exercises"] = [ExerciseResult(**e) for e in data.get("exercises", [])]
        return cls(**data)

    def current(self, submission_sha256: str, source_sha256: str) -> bool:
        """True when this result grades exactly that submission against exactly that source."""
        return (self.status != FAILED and self.submission_sha256 == submission_sha256
                and self.source_sha256 == source_sha256)


def clean(text: str, limit: int = 600) -> str:
    """One message for a learner: no ANSI colours, at most ``limit`` characters."""
    text = ANSI.sub("", str(text)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def memory_text(size: int) -> str:
    """``2147483648`` -> ``"2 GiB"``."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:g} {unit}"
    return f"{size} bytes"


def _label(nb_cells: list, index: int) -> str:
    """How a note names cell ``index`` ("your answer cell ex01_mlp", "the test cell of ex01_mlp")."""
    from ..notebook import grade_id
    from .judging import exercise_of

    cell = nb_cells[index]
    gid = grade_id(cell)
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if meta.get("solution") and gid:
        return f"your answer cell {gid}"
    if is_test(cell) and gid:
        return f"the test cell of {exercise_of(gid)}"
    if meta.get("locked"):
        return "the set-up cell"
    return f"cell {index + 1}"


def fill(result: NotebookResult, verdicts: list[Verdict], points: dict[str, tuple[float, float]],
         execution: Execution | None, timeout: int, memory: int) -> NotebookResult:
    """Fill ``result`` from the judge's ``verdicts``, the gradebook's ``points`` (grade id -> (score,
    max)) and what happened during ``execution``."""
    for verdict in verdicts:
        score, max_score = points.get(verdict.grade_id, (0.0, 0.0))
        message = "" if score >= max_score else clean(verdict.message)
        if message and memory and any(w in message for w in ("MemoryError", "out of memory", "signal 9")):
            message += f" (each notebook may use {memory_text(memory)} of memory)"
        result.exercises.append(ExerciseResult(verdict.exercise, verdict.grade_id, score, max_score, message))
    if execution is not None:
        cells = execution.notebook.cells
        for index, reason in execution.died.items():
            result.notes.append(f"{_label(cells, index)} stopped the kernel ({reason}); the cells after it ran in "
                                "a new kernel")
        for index in execution.timed_out:
            result.notes.append(f"{_label(cells, index)} ran longer than {timeout} s and was stopped")
        for index in execution.replaced:
            result.notes.append(f"{_label(cells, index)} ignored the stop request; the kernel was replaced")
        result.seconds = round(execution.seconds, 3)
        result.kernel_starts = execution.kernel_starts
    result.notes = list(dict.fromkeys(result.notes))
    return result


class ResultStore:
    """``results/`` of a scratch course: one JSON file per graded notebook."""

    def __init__(self, root: Path) -> None:
        self.root = root / "results"

    def path(self, student: str, assignment: str, notebook: str) -> Path:
        return self.root / assignment / student / f"{notebook}.json"

    def get(self, student: str, assignment: str, notebook: str) -> NotebookResult | None:
        path = self.path(student, assignment, notebook)
        try:
            return NotebookResult.from_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError):
            return None

    def put(self, result: NotebookResult) -> None:
        """Write atomically: a run killed mid-write leaves the previous state, never half a file."""
        path = self.path(result.student, result.assignment, result.notebook)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(result.to_json(), encoding="utf-8")
        os.replace(tmp, path)

    def all(self) -> list[NotebookResult]:
        """Every stored result, sorted by assignment, student, notebook."""
        found = []
        for path in sorted(self.root.glob("*/*/*.json")):
            try:
                found.append(NotebookResult.from_json(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, TypeError):
                continue
        return sorted(found, key=lambda r: (r.assignment, r.student, r.notebook))
