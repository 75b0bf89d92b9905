"""Find submissions: nbgrader's collected layout, or a flat folder of ``<student>.ipynb`` files.

- nbgrader layout: ``<dir>/<student>/<assignment>/<notebook>.ipynb`` (``<dir>`` may also be a
  course directory holding ``submitted/``); a ``timestamp.txt`` next to the notebooks is kept.
- flat folder, for one assignment (``--assignment``), as downloaded from an LMS:
  ``<dir>/<student>.ipynb``.

Every student is graded: a name nbgrader cannot use as an id (``Ann Lee (2)``, ``José Núñez``,
``o'brien``, ``semi;colon``, ``.hidden``) is graded under a safe id (``Ann_Lee_2``,
``Jose_Nunez``, ...), and the reports keep the name as handed in. Two names that make the
same id get ``-2``, ``-3``. Each expected notebook of each student becomes one
:class:`Submission`; one that the student did not hand in has ``path=None`` (zero, as in nbgrader).
"""
from __future__ import annotations

import re
import unicodedata
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
    name: str = ""                  # the student as the submission names them (folder or file name)
    notes: tuple[str, ...] = ()     # for the learner's feedback (e.g. graded under another id)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.assignment, self.student, self.notebook)


@dataclass
class Discovery:
    submissions: list[Submission] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)      # skipped files, renamed students


def student_id(name: str) -> str:
    """A student id nbgrader can use in paths and globs: ``"Ann Lee (2)"`` -> ``"Ann_Lee_2"``,
    ``"José Núñez"`` -> ``"Jose_Nunez"``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return SAFE.sub("_", ascii_name).strip("_.") or "student"


class _Ids:
    """Safe, distinct ids for the names of one discovery."""

    def __init__(self) -> None:
        self.taken: dict[str, str] = {}

    def __call__(self, name: str, found: Discovery) -> str:
        base = student_id(name)
        student, n = base, 1
        while student in self.taken and self.taken[student] != name:
            n += 1
            student = f"{base}-{n}"
        self.taken[student] = name
        if student != name:
            found.notes.append(f"{name!r} is graded as student {student!r}")
        return student


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
    ids = _Ids()
    for file in sorted(path.glob("*.ipynb")):
        student = ids(file.stem, found)
        found.submissions.append(Submission(student, assignment, expected[0], file, name=file.stem,
                                            notes=_renamed(file.stem, student)))


def _nbgrader(path: Path, notebooks: dict[str, list[str]], assignment: str | None, found: Discovery) -> None:
    ids = _Ids()
    for student_dir in sorted(p for p in path.iterdir() if p.is_dir()):
        student = ids(student_dir.name, found)
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
                                                    timestamp if timestamp.exists() else None,
                                                    name=student_dir.name,
                                                    notes=_renamed(student_dir.name, student)))


def _renamed(name: str, student: str) -> tuple[str, ...]:
    return () if name == student else (f"your work, handed in as {name!r}, was graded as student {student!r}",)
