"""Every lesson's exercises, through the grader: the sandbox and the judge never get in the way of honest work.

For each built lesson, a student with the reference answers and one with the first wrong
answers are graded in one run: the reference scores full points with no note and no flag,
the wrong answers score zero with the checks' message.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from nnmodule_course.spec import LESSONS
from course import ROOT
from grading.classroom import write_class

BUILT = [slug for slug in LESSONS if (ROOT / "exercises" / slug / f"{slug}.ipynb").exists()]
KINDS = ("reference", "wrong1")

pytestmark = pytest.mark.skipif(not BUILT, reason="no built lesson")


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    base = tmp_path_factory.mktemp("lessons")
    write_class(base / "submitted", {kind: {slug: dict.fromkeys(LESSONS[slug]["exercises"], kind) for slug in BUILT}
                                     for kind in KINDS})
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", "submitted", "--course", str(ROOT),
                           "--out", "grading", "-j", "2"], cwd=base, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    return {(d["student"], d["assignment"]): d for d in
            (json.loads(p.read_text()) for p in (base / "grading" / "grading" / "results").glob("*/*/*.json"))}


@pytest.mark.parametrize("slug", BUILT)
def test_reference_answers_score_full_points_without_flags(results, slug):
    result = results[("reference", slug)]
    assert result["status"] == "graded"
    assert {e["exercise"]: e["score"] for e in result["exercises"]} == {e: float(p) for e, p in
                                                                        LESSONS[slug]["exercises"].items()}
    assert result["flags"] == [] and result["notes"] == []


@pytest.mark.parametrize("slug", BUILT)
def test_wrong_answers_score_zero_with_the_checks_message(results, slug):
    result = results[("wrong1", slug)]
    for exercise in result["exercises"]:
        assert exercise["score"] == 0, exercise
        assert exercise["message"].startswith(f"{exercise['exercise']} [cpu]: "), exercise
