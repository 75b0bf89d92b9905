"""What a learner reads in the lessons: no answers printed ahead, no words they cannot place.

- No lesson code cell contains an exercise's reference answer body (the solution cell's code
  between ``### BEGIN/END SOLUTION``, normalized, at least three lines), so lessons and
  exercises cannot drift back together: the lesson teaches the idea on another example.
- No lesson says "the seeds", "the posts" or talks to nbval (``NBVAL_...`` comments) in anything
  a learner reads (cell sources and outputs): nbval is told what to ignore through cell tags
  (``nbval-ignore-output`` in cell metadata, ``# %% tags=[...]`` in the sources), which a learner
  never reads.
"""
from __future__ import annotations

import json
import re

import pytest

from course import ROOT, cells, grade_id, solution_cells
from nnmodule_course.spec import LESSONS

SLUGS = list(LESSONS)
WORDS = re.compile(r"seed post|the seeds|seeds'|the posts|nbval", re.IGNORECASE)
MIN_LINES = 3


def _normalize(line: str) -> str:
    """A code line without comments and spacing, so that reformatting does not hide a copy."""
    line = re.sub(r"#.*$", "", line)
    return re.sub(r"\s+", "", line)


def answer_bodies(slug: str) -> dict[str, list[str]]:
    """exercise id -> the normalized, non-blank lines of its reference answer (solution regions only)."""
    bodies: dict[str, list[str]] = {}
    for cell in solution_cells(slug):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if not meta.get("solution"):
            continue
        inside, lines = False, []
        for line in cell["source"].splitlines():
            if "### BEGIN SOLUTION" in line:
                inside = True
            elif "### END SOLUTION" in line:
                inside = False
            elif inside and _normalize(line):
                lines.append(_normalize(line))
        bodies[grade_id(cell)] = lines
    return bodies


def copied_runs(body: list[str], code: list[str], size: int = MIN_LINES) -> list[list[str]]:
    """Every run of ``size`` consecutive answer lines that also appears consecutively in ``code``."""
    text = "\n".join(code)
    return [body[i:i + size] for i in range(len(body) - size + 1)
            if len(set(body[i:i + size])) > 1 and "\n".join(body[i:i + size]) in text]


def lesson_code(slug: str) -> list[str]:
    lines = []
    for cell in cells(ROOT / "lessons" / f"{slug}.ipynb"):
        if cell["cell_type"] == "code":
            lines += [_normalize(line) for line in cell["source"].splitlines() if _normalize(line)]
            lines.append("")        # cells do not run into each other
    return lines


@pytest.mark.parametrize("slug", SLUGS)
def test_lesson_does_not_print_an_exercise_answer(slug):
    code = lesson_code(slug)
    for exercise, body in answer_bodies(slug).items():
        runs = copied_runs(body, code)
        assert not runs, (f"lessons/{slug}.ipynb contains the reference answer of {exercise} "
                          f"(for example {runs[0]}): teach the idea on a different example")


def test_the_check_catches_a_copied_answer():
    body = answer_bodies("02_containers")["ex02_stacked_linear"]
    planted = [""] + [line + "  " for line in body] + [""]
    assert copied_runs(body, [_normalize(line) for line in planted])


@pytest.mark.parametrize("path", sorted((ROOT / "lessons").glob("*.ipynb")) + sorted((ROOT / "src" / "lessons").glob("*.py"))
                         + [ROOT / "START_HERE.ipynb"], ids=lambda p: str(p.relative_to(ROOT)))
def test_no_words_a_learner_cannot_place(path):
    if path.suffix == ".ipynb":
        read = []
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            read += "".join(cell.get("source", "")).splitlines()
            for output in cell.get("outputs", []):
                read += "".join(output.get("text", "")).splitlines()
                read += "".join(output.get("data", {}).get("text/plain", "")).splitlines()
    else:
        read = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("# %% tags=")]
    found = [line.strip() for line in read if WORDS.search(line)]
    assert not found, f"{path.relative_to(ROOT)}: {found[:3]}"


def _function(source: str, name: str) -> str | None:
    """The source of top-level function ``name`` in ``source`` (a lesson's percent-format file)."""
    lines = source.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(f"def {name}(")), None)
    if start is None:
        return None
    end = next((i for i in range(start + 1, len(lines)) if lines[i] and not lines[i].startswith((" ", "#"))),
               len(lines))
    return "\n".join(lines[start:end]).rstrip()


def test_the_running_example_is_the_same_data_everywhere():
    """Lessons stay self-contained, so each that trains on the spirals defines them again, verbatim:
    the same function, the same data in every lesson (lesson 04 introduces it)."""
    found = {path.stem: _function(path.read_text(encoding="utf-8"), "make_spirals")
             for path in sorted((ROOT / "src" / "lessons").glob("*.py"))}
    defined = {stem: code for stem, code in found.items() if code}
    assert "04_initialization" in defined and len(defined) >= 3, sorted(defined)
    assert len(set(defined.values())) == 1, {stem: code.splitlines()[1] for stem, code in defined.items()}
