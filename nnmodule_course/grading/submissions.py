"""Find submissions: nbgrader's collected layout, or a flat folder of ``<student>.ipynb`` files.

- nbgrader layout: ``<dir>/<student>/<assignment>/<notebook>.ipynb`` (``<dir>`` may also be a
  course directory holding ``submitted/``); a ``timestamp.txt`` next to the notebooks is kept.
- flat folder, for one assignment (``--assignment``), as downloaded from an LMS:
  ``<dir>/<student>.ipynb``; the student id is the file name, made safe for nbgrader.

Each expected notebook of each student becomes one :class:`Submission`; one that the student
did not hand in has ``path=None`` (nbgrader scores it zero).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

SAFE = re.compile(r"[^A-Za-z0-9_.@+-]+")


@dataclass(frozen=True)
class Submission:
    student: str
    assignment: str
    notebook: str
    path: Path | None               # None: not handed in
    timestamp: Path | None = None   # a timestamp.txt to copy along (nbgrader layout)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.assignment, self.student, self.notebook)


@dataclass
class Discovery:
    submissions: list[Submission] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)      # skipped files, renamed students


def student_id(name: str) -> str:
    """A student id nbgrader can use in paths and globs: ``"Ann Lee (2)"`` -> ``"Ann_Lee_2"``."""
    return SAFE.sub("_", name).strip("_.") or "student"


def discover(path: Path, notebooks: dict[str, list[str]], assignment: str | None = None,
             students: set[str] | None = None) -> Discovery:
    """Submissions under ``path`` for the assignments in ``notebooks`` (assignment -> its notebooks)."""
    if not path.is_dir():
        raise FileNotFoundError(f"no such folder: {path}")
    if (path / "submitted").is_dir():
        path = path / "submitted"
    found = Discovery()
    if any(path.glob("*.ipynb")):
        if assignment is None:
            raise ValueError(f"{path} holds notebooks directly: say which assignment they are (--assignment)")
        _flat(path, assignment, notebooks, found)
    else:
        _nbgrader(path, notebooks, assignment, found)
    if students:
        found.submissions = [s for s in found.submissions if s.student in students]
    found.submissions.sort(key=lambda s: s.key)
    return found


def _flat(path: Path, assignment: str, notebooks: dict[str, list[str]], found: Discovery) -> None:
    expected = notebooks.get(assignment)
    if expected is None:
        raise ValueError(f"unknown assignment {assignment!r}; the course has {', '.join(sorted(notebooks))}")
    if len(expected) != 1:
        raise ValueError(f"{assignment} has {len(expected)} notebooks: a flat folder needs an assignment with one")
    taken: dict[str, Path] = {}
    for file in sorted(path.glob("*.ipynb")):
        student = student_id(file.stem)
        if student in taken:
            found.notes.append(f"{file.name}: same student id {student!r} as {taken[student].name}; skipped")
            continue
        if student != file.stem:
            found.notes.append(f"{file.name}: graded as student {student!r}")
        taken[student] = file
        found.submissions.append(Submission(student, assignment, expected[0], file))


def _nbgrader(path: Path, notebooks: dict[str, list[str]], assignment: str | None, found: Discovery) -> None:
    for student_dir in sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")):
        student = student_id(student_dir.name)
        if student != student_dir.name:
            found.notes.append(f"{student_dir.name}/: not a usable nbgrader student id; skipped")
            continue
        for assignment_dir in sorted(p for p in student_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            name = assignment_dir.name
            if assignment is not None and name != assignment:
                continue
            if name not in notebooks:
                found.notes.append(f"{student}/{name}/: no such assignment in the course; skipped")
                continue
            timestamp = assignment_dir / "timestamp.txt"
            handed_in = {p.stem: p for p in assignment_dir.glob("*.ipynb")}
            for extra in sorted(set(handed_in) - set(notebooks[name])):
                found.notes.append(f"{student}/{name}/{extra}.ipynb: not a notebook of the assignment; skipped")
            for notebook in notebooks[name]:
                found.submissions.append(Submission(student, name, notebook, handed_in.get(notebook),
                                                    timestamp if timestamp.exists() else None))
