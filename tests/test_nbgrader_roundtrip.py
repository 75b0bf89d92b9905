"""The real tools end to end: nbgrader generate_assignment, then autograde of five students.

In a scratch course directory (never inside the tracked folders):

- ``reference``: the released notebook with the reference answers typed in -> full points;
- ``blank``: the released notebook as is -> zero on every test cell;
- ``wrong1``, ``wrong2``: the first/second wrong answer of every exercise -> zero on those;
- ``alt``: the alternative correct answers -> full points.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nnmodule_course.spec import LESSONS, lesson_of
from course import ROOT, answers, grade_id

BUILT = [slug for slug in LESSONS if (ROOT / "exercises" / slug / f"{slug}.ipynb").exists()]
STUDENTS = ("reference", "blank", "wrong1", "wrong2", "alt")


def _nbgrader(course: Path, *args: str) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    subprocess.run([sys.executable, "-m", "nbgrader", *args, "--log-level=ERROR"], cwd=course, env=env,
                   check=True, capture_output=True, text=True)


def _answer_for(student: str, slug: str, exercise: str, reference: str) -> tuple[str, bool]:
    """The answer cell ``student`` submits, and whether it should score full points."""
    if student == "reference":
        return reference, True
    kind, index = ("alt", 1) if student == "alt" else ("wrong", int(student[-1]))
    for answer in answers(slug):
        if answer.exercise == exercise and answer.kind == kind and answer.index == index:
            return answer.source, kind == "alt"
    return reference, True


def _submission(student: str, slug: str) -> tuple[dict, dict[str, bool]]:
    """A submitted notebook for ``student`` and, per exercise, whether it should score full points."""
    released = json.loads((ROOT / "exercises" / slug / f"{slug}.ipynb").read_text())
    solution = json.loads((ROOT / "solutions" / slug / f"{slug}.ipynb").read_text())
    reference = {grade_id(c): "".join(c["source"]) for c in solution["cells"] if grade_id(c)}
    expected = {}
    for cell in released["cells"]:
        exercise = grade_id(cell)
        if exercise in LESSONS[slug]["exercises"]:
            if student == "blank":
                expected[exercise] = False
                continue
            cell["source"], expected[exercise] = _answer_for(student, slug, exercise, reference[exercise])
    return released, expected


def _selected_lessons(session) -> list[str]:
    """The lessons whose cases this run selected (``-k ex03_`` grades lesson 03 only)."""
    chosen = {item.callspec.params["exercise"] for item in session.items
              if getattr(item, "module", None) is not None and item.module.__name__ == __name__
              and hasattr(item, "callspec")}
    return [slug for slug in BUILT if chosen & set(LESSONS[slug]["exercises"])]


@pytest.fixture(scope="module")
def graded(tmp_path_factory, request):
    """Run the round trip once; return {(student, exercise): (score, max_score)} and the expectations."""
    lessons = _selected_lessons(request.session)
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions", course / "solutions")
    expected = {}
    for slug in lessons:
        _nbgrader(course, "generate_assignment", slug, "--force")
        for student in STUDENTS:
            nb, wants = _submission(student, slug)
            target = course / "submitted" / student / slug / f"{slug}.ipynb"
            target.parent.mkdir(parents=True)
            target.write_text(json.dumps(nb))
            expected.update({(student, ex): want for ex, want in wants.items()})
    for slug in lessons:
        _nbgrader(course, "autograde", slug, "--create")
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for slug in lessons:
            for student in STUDENTS:
                for exercise in LESSONS[slug]["exercises"]:
                    grade = gb.find_grade(f"{exercise}_tests", slug, slug, student)
                    scores[(student, exercise)] = (grade.score, grade.max_score)
    return scores, expected


CASES = [(s, ex) for slug in BUILT for ex in LESSONS[slug]["exercises"] for s in STUDENTS]


@pytest.mark.parametrize("student,exercise", CASES, ids=[f"{s}-{e}" for s, e in CASES])
def test_score(graded, student, exercise):
    scores, expected = graded
    score, max_score = scores[(student, exercise)]
    assert max_score == LESSONS[lesson_of(exercise)]["exercises"][exercise]
    if expected[(student, exercise)]:
        assert score == max_score, f"{student}'s {exercise} should score {max_score}, got {score}"
    else:
        assert score == 0, f"{student}'s {exercise} should score 0, got {score}"
