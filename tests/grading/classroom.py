"""Build synthetic classes from the course's own answers: released notebooks with answers typed in.

A student is a mapping exercise -> answer kind: ``"reference"`` (the solution's answer),
``"blank"`` (the released stub), ``"wrong1"``/``"wrong2"`` or ``"alt"`` (from
``tests/answers/<slug>.py``), or any other string, used as the answer cell's source.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from course import ROOT, answers, grade_id


def released(slug: str, course: Path = ROOT) -> dict:
    """The student version of ``slug`` (what nbgrader generate_assignment made of the solution)."""
    return json.loads((course / "exercises" / slug / f"{slug}.ipynb").read_text(encoding="utf-8"))


def answer_source(slug: str, exercise: str, kind: str, course: Path = ROOT) -> str | None:
    """The answer cell for ``kind`` (None: leave the released stub)."""
    if kind == "blank":
        return None
    if kind == "reference":
        solution = json.loads((course / "solutions" / slug / f"{slug}.ipynb").read_text(encoding="utf-8"))
        return next("".join(c["source"]) for c in solution["cells"] if grade_id(c) == exercise)
    if kind.startswith(("wrong", "alt")) and kind[-1].isdigit() and "\n" not in kind:
        wanted = ("alt" if kind.startswith("alt") else "wrong", int(kind[-1]))
        for answer in answers(slug):
            if (answer.kind, answer.index) == wanted and answer.exercise == exercise:
                return answer.source
        raise KeyError(f"no {kind} answer for {exercise}")
    return kind


def notebook(slug: str, choices: dict[str, str], course: Path = ROOT) -> dict:
    """A submitted notebook: the released one with ``choices`` (exercise -> kind) typed in."""
    nb = released(slug, course)
    for cell in nb["cells"]:
        exercise = grade_id(cell)
        if exercise in choices:
            source = answer_source(slug, exercise, choices[exercise], course)
            if source is not None:
                cell["source"] = source
    return nb


def write_class(folder: Path, students: dict[str, dict[str, dict[str, str]]], course: Path = ROOT) -> Path:
    """``folder/<student>/<slug>/<slug>.ipynb`` for ``{student: {slug: {exercise: kind}}}`` (nbgrader layout)."""
    for student, work in students.items():
        for slug, choices in work.items():
            target = folder / student / slug / f"{slug}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(notebook(slug, choices, course), indent=1), encoding="utf-8")
    return folder


def nbgrader_course(folder: Path, course: Path = ROOT) -> Path:
    """A plain nbgrader course (config and solutions copied) for running nbgrader itself."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(course / "nbgrader_config.py", folder)
    shutil.copytree(course / "solutions", folder / "solutions", dirs_exist_ok=True)
    return folder
