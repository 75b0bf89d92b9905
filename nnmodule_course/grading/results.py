"""What the grader learned about one submitted notebook, and where it keeps it.

A :class:`NotebookResult` is written as JSON (``results/<assignment>/<student>/<notebook>.json``)
right after the notebook's grades are committed to the gradebook: it is the marker that the
notebook is done (a re-run skips it while the submission and the source are unchanged) and
the material of the reports: per exercise the points and, for a failed one, the message the
learner sees; notes about the notebook (a timeout, a dead kernel, an edited test cell); and
flags for the instructor (code that patches torch or the checks).
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

GRADED = "graded"          # executed and recorded in the gradebook
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
    submission_sha256: str = ""
    source_sha256: str = ""
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


def clean(text: str, limit: int = 600) -> str:
    """One message for a learner: no ANSI colours, at most ``limit`` characters."""
    text = ANSI.sub("", str(text)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
