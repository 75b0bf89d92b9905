"""The course against its spec, and the generated notebooks against their sources.

This is the repository's own copy of ``../shared/tools/spec_check.py`` (CI may not have it):
every lesson has a lesson, a solution and an exercise notebook; every exercise an answer
cell and a locked test cell with the spec's points; released notebooks hold no solution text.
"""
from __future__ import annotations

import subprocess
import sys

import pytest

from nnmodule_course.spec import LESSONS
from course import ROOT, cells, grade_id

SLUGS = list(LESSONS)


@pytest.mark.parametrize("slug", SLUGS)
def test_lesson_has_its_three_notebooks(slug):
    for path in (ROOT / "lessons" / f"{slug}.ipynb", ROOT / "solutions" / slug / f"{slug}.ipynb",
                 ROOT / "exercises" / slug / f"{slug}.ipynb"):
        assert path.exists(), f"missing {path.relative_to(ROOT)}"


@pytest.mark.parametrize("kind", ["solutions", "exercises"])
@pytest.mark.parametrize("slug", SLUGS)
def test_exercise_cells_match_spec(slug, kind):
    path = ROOT / kind / slug / f"{slug}.ipynb"
    if not path.exists():
        pytest.fail(f"missing {path.relative_to(ROOT)}")
    nb_cells = cells(path)
    meta = {grade_id(c): c["metadata"]["nbgrader"] for c in nb_cells if grade_id(c)}
    order = [grade_id(c) for c in nb_cells if grade_id(c)]
    for exercise, points in LESSONS[slug]["exercises"].items():
        assert meta.get(exercise, {}).get("solution"), f"{kind}/{slug}: no answer cell {exercise}"
        test = meta.get(f"{exercise}_tests", {})
        assert test.get("grade") and test.get("locked"), f"{kind}/{slug}: no locked test cell {exercise}_tests"
        assert float(test.get("points", -1)) == points, f"{exercise}_tests: {test.get('points')} points, spec {points}"
        assert order.index(f"{exercise}_tests") == order.index(exercise) + 1, (
            f"{kind}/{slug}: the test cell of {exercise} must come right after its answer cell")
    graded = {g for g in order if meta[g].get("grade")}
    assert graded == {f"{e}_tests" for e in LESSONS[slug]["exercises"]}, f"{slug}: unexpected graded cells"
    if kind == "exercises":
        for cell in nb_cells:
            assert "BEGIN SOLUTION" not in cell["source"] and "BEGIN HIDDEN TESTS" not in cell["source"], (
                f"exercises/{slug}: cell {grade_id(cell)} still holds solution or hidden-test text")


def test_notebooks_are_up_to_date_with_sources():
    """lessons/ and solutions/ match src/, and exercises/ is exactly what nbgrader makes of solutions/."""
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "notebooks.py"), "check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("slug", SLUGS)
def test_notebook_metadata_is_clean(slug):
    import json

    for path in (ROOT / "lessons" / f"{slug}.ipynb", ROOT / "solutions" / slug / f"{slug}.ipynb"):
        if not path.exists():
            pytest.fail(f"missing {path.relative_to(ROOT)}")
        nb = json.loads(path.read_text())
        assert set(nb["metadata"]) <= {"kernelspec", "language_info"}, f"{path.name}: noisy metadata"
        for cell in nb["cells"]:
            assert set(cell["metadata"]) <= {"nbgrader", "deletable", "editable", "tags"}, (
                f"{path.name}: noisy cell metadata {sorted(cell['metadata'])}")
