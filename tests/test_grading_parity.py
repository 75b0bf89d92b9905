"""``python -m autograder grade`` scores exactly as plain ``nbgrader autograde`` on ordinary submissions.

A small class of lesson 02 (reference, blank, wrong, alternative answers and a mix) is graded
twice: by nbgrader itself, serially, in its own course folder, and by the grader. Every
graded cell must get the same score; then the grader's outputs are checked: grades.csv,
feedback pages (the failure messages, never the hidden tests), the summary figure, the
gradebook, skipping on a re-run, ``--force``, and a flat folder of ``<student>.ipynb`` files.
"""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from course import ROOT, cells, grade_id
from grading.classroom import nbgrader_course, notebook, write_class

SLUG = "02_containers"
EXERCISES = ("ex02_stacked_linear", "ex02_head_selector", "ex02_chained_matmul")
CLASS = {
    "ada": {SLUG: dict.fromkeys(EXERCISES, "reference")},
    "bob": {SLUG: {}},                                              # the released stub
    "cy": {SLUG: dict.fromkeys(EXERCISES, "wrong1")},
    "dee": {SLUG: {"ex02_stacked_linear": "alt1", "ex02_head_selector": "wrong2", "ex02_chained_matmul": "reference"}},
}
COURSE_ID = "nn-module-from-the-inside"

pytestmark = pytest.mark.skipif(not (ROOT / "exercises" / SLUG / f"{SLUG}.ipynb").exists(), reason="no lesson 02")


def _env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def grade(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", *args, "--course", str(ROOT), "-j", "2"],
                          capture_output=True, text=True, cwd=cwd, env=_env(), timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def scores(db: Path, assignment: str = SLUG) -> dict[tuple[str, str], float | None]:
    with Gradebook(f"sqlite:///{db}", COURSE_ID) as gb:
        return {(s.student_id, g.name): g.auto_score
                for s in gb.assignment_submissions(assignment) for nb in s.notebooks for g in nb.grades}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("parity")
    write_class(base / "submitted", CLASS)
    plain = nbgrader_course(base / "plain")
    write_class(plain / "submitted", CLASS)
    for step in (["generate_assignment", SLUG, "--force"], ["autograde", SLUG, "--create"]):
        subprocess.run([sys.executable, "-m", "nbgrader", *step, "--log-level=ERROR"], cwd=plain, env=_env(),
                       check=True, capture_output=True, timeout=600)
    first = grade("submitted", "--out", "grading", cwd=base)
    return base, plain, first


def test_scores_equal_plain_nbgrader(graded):
    base, plain, _ = graded
    expected = scores(plain / "gradebook.db")
    assert len(expected) == len(CLASS) * len(EXERCISES)
    assert scores(base / "grading" / "gradebook.db") == expected


def test_gradebook_holds_the_class(graded):
    base, _, _ = graded
    with Gradebook(f"sqlite:///{base / 'grading' / 'gradebook.db'}", COURSE_ID) as gb:
        assert sorted(s.id for s in gb.students) == sorted(CLASS)
        submissions = gb.assignment_submissions(SLUG)
        assert len(submissions) == len(CLASS)
        assert all(g.auto_score is not None and not g.needs_manual_grade
                   for s in submissions for nb in s.notebooks for g in nb.grades)
        assert {s.student_id: s.score for s in submissions} == {"ada": 9, "bob": 0, "cy": 0, "dee": 6}


def test_grades_csv(graded):
    base, _, _ = graded
    rows = list(csv.DictReader((base / "grading" / "grading" / "reports" / "grades.csv").open()))
    assert [r["student"] for r in rows] == sorted(CLASS)
    dee = next(r for r in rows if r["student"] == "dee")
    assert (dee["ex02_stacked_linear"], dee["ex02_head_selector"], dee["ex02_chained_matmul"]) == ("3", "0", "3")
    assert (dee["total"], dee["max"], dee["assignment"]) == ("6", "9", SLUG)


def test_feedback_shows_messages_never_hidden_tests(graded):
    base, _, _ = graded
    page = (base / "grading" / "grading" / "reports" / "feedback" / "cy.html").read_text()
    assert "plain Python list" in page
    assert "not attempted yet" in (base / "grading" / "grading" / "reports" / "feedback" / "bob.html").read_text()
    solution = cells(ROOT / "solutions" / SLUG / f"{SLUG}.ipynb")
    hidden = [line.strip() for c in solution if grade_id(c) and grade_id(c).endswith("_tests")
              for line in c["source"].split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0].splitlines()
              if line.strip()]
    assert hidden
    for student in CLASS:
        page = (base / "grading" / "grading" / "reports" / "feedback" / f"{student}.html").read_text()
        assert "HIDDEN TESTS" not in page and "hidden=True" not in page
        assert not any(line in page for line in hidden)


def test_summary_figure(graded):
    base, _, _ = graded
    assert (base / "grading" / "grading" / "reports" / "summary.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_rerun_skips_what_is_graded_and_force_grades_again(graded):
    base, _, _ = graded
    before = scores(base / "grading" / "gradebook.db")
    again = grade("submitted", "--out", "grading", cwd=base)
    assert f"{len(CLASS)} already graded" in again.stdout and "graded 0 notebook(s)" in again.stdout
    forced = grade("submitted", "--out", "grading", "--force", "--student", "dee", cwd=base)
    assert "graded 1 notebook(s)" in forced.stdout
    assert scores(base / "grading" / "gradebook.db") == before


def test_flat_folder_of_one_assignment(graded, tmp_path):
    base, _, _ = graded
    flat = tmp_path / "downloads"
    flat.mkdir()
    for student in ("ada", "cy"):
        (flat / f"{student.upper()} Smith.ipynb").write_text(json.dumps(notebook(SLUG, CLASS[student][SLUG])))
    done = grade(str(flat), "--assignment", SLUG, "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert "graded as student 'ADA_Smith'" in done.stdout
    got = scores(tmp_path / "out" / "gradebook.db")
    want = scores(base / "grading" / "gradebook.db")
    for student in ("ada", "cy"):
        for exercise in EXERCISES:
            key = f"{exercise}_tests"
            assert got[(f"{student.upper()}_Smith", key)] == want[(student, key)]


def test_without_the_sandbox_scores_the_same_and_says_so(graded, tmp_path):
    base, plain, _ = graded
    done = grade(str(base / "submitted"), "--out", str(tmp_path / "unsafe"), "--no-sandbox",
                 "--student", "cy", "--student", "dee", cwd=tmp_path)
    want = {k: v for k, v in scores(plain / "gradebook.db").items() if k[0] in ("cy", "dee")}
    assert scores(tmp_path / "unsafe" / "gradebook.db") == want
    assert "WITHOUT a sandbox" in done.stdout
    reports = tmp_path / "unsafe" / "grading" / "reports"
    assert "unsandboxed" in (reports / "flags.csv").read_text()
    assert "unsandboxed" in (reports / "grades.csv").read_text()
    assert "WITHOUT the grader's sandbox" in (reports / "feedback" / "dee.html").read_text()
