"""Bad submissions, graded in one run next to a normal student: each graded or reported, with a reason.

One run of ``python -m autograder grade`` over lesson 01 (5 s per cell, 1 GiB per kernel):
endless loops, ``os._exit``, memory hogs, a file that is not JSON, deleted / duplicated /
re-typed / edited cells, warnings on stderr, and monkeypatching of torch, of the checks, of
``sys.modules``, of builtins and of IPython itself. See ``tests/grading/bad.py``.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from course import ROOT
from grading.bad import CASES, FULL, SLUG, expected, make_notebook
from grading.classroom import notebook

pytestmark = pytest.mark.skipif(not (ROOT / "exercises" / SLUG / f"{SLUG}.ipynb").exists(), reason="no lesson 01")

NORMAL = ("reference", "reference2")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Grade the whole bad class once; return (results by student, grades.csv rows, stdout, out dir)."""
    base = tmp_path_factory.mktemp("bad")
    submitted = base / "submitted"
    reference = notebook(SLUG, {exercise: "reference" for exercise in FULL})
    for student in [*CASES, *NORMAL]:
        target = submitted / student / SLUG / f"{SLUG}.ipynb"
        target.parent.mkdir(parents=True)
        nb = reference if student in NORMAL else make_notebook(reference, student)
        target.write_text(json.dumps(nb), encoding="utf-8")
    broken = submitted / "malformed" / SLUG / f"{SLUG}.ipynb"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"cells": [ this is not JSON', encoding="utf-8")
    out = base / "grading"
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(submitted), "--course", str(ROOT),
                           "--out", str(out), "-j", "2", "--timeout", "5", "--memory-limit", "1G"],
                          capture_output=True, text=True, timeout=600, cwd=base)
    assert done.returncode == 0, done.stdout + done.stderr
    results = {}
    for path in (out / "results" / SLUG).glob("*/*.json"):
        data = json.loads(path.read_text())
        results[data["student"]] = data
    return results, done.stdout, out


def _points(result: dict) -> dict[str, float]:
    return {e["exercise"]: e["score"] for e in result["exercises"]}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_submission_is_scored_as_expected(run, case):
    results, _, _ = run
    assert results[case]["status"] == "graded"
    assert _points(results[case]) == expected(case), results[case]


@pytest.mark.parametrize("student", NORMAL)
def test_other_students_in_the_same_run_are_graded_normally(run, student):
    results, _, _ = run
    assert _points(results[student]) == FULL
    assert results[student]["flags"] == [] and results[student]["notes"] == []


def _message(result: dict, exercise: str = "ex01_mlp") -> str:
    return next(e["message"] for e in result["exercises"] if e["exercise"] == exercise)


def test_endless_loops_are_stopped_with_a_reason(run):
    results, _, _ = run
    assert "ran longer than 5 s" in _message(results["loop_in_forward"])
    assert "your answer cell ran longer than 5 s" in _message(results["loop_in_answer"])
    ignoring = results["loop_ignoring_interrupt"]
    assert any("kernel was replaced" in note for note in ignoring["notes"]), ignoring["notes"]


def test_a_kernel_killed_by_the_answer_never_counts_as_a_pass(run):
    results, _, out = run
    assert "stopped the kernel" in _message(results["exit_in_forward"])
    assert "stopped the kernel" in _message(results["exit_in_answer"])
    autograded = json.loads((out / "autograded" / "exit_in_forward" / SLUG / f"{SLUG}.ipynb").read_text())
    test = next(c for c in autograded["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "ex01_mlp_tests")
    assert [o["ename"] for o in test["outputs"] if o["output_type"] == "error"] == ["DeadKernelError"]


def test_memory_hogs_hit_the_limit(run):
    results, _, _ = run
    for case in ("memory_in_forward", "memory_in_answer"):
        message = _message(results[case])
        assert "MemoryError" in message and "1 GiB" in message, message


def test_a_malformed_notebook_is_reported_and_the_run_goes_on(run):
    results, stdout, _ = run
    assert results["malformed"]["status"] == "unreadable"
    assert _points(results["malformed"]) == {exercise: 0 for exercise in FULL}
    assert "not JSON" in results["malformed"]["notes"][0] or "JSON" in results["malformed"]["notes"][0]
    assert "malformed" in stdout


@pytest.mark.parametrize("case,phrase", [
    ("deleted_test_cell", "was missing; it was put back"),
    ("untagged_test_cell", "was missing; it was put back"),
    ("edited_test_cell", "had been edited; it was restored"),
    ("duplicated_test_cell", "appears more than once"),
    ("answer_as_markdown", "changed to another cell type"),
    ("test_as_markdown", "changed to another cell type"),
])
def test_repaired_cells_are_explained(run, case, phrase):
    results, _, _ = run
    assert any(phrase in note for note in results[case]["notes"]), results[case]["notes"]


def test_warnings_on_stderr_cost_nothing(run):
    results, _, _ = run
    assert _points(results["warnings_to_stderr"]) == FULL


@pytest.mark.parametrize("case,undone", [
    ("patch_torch", "torch.allclose"),
    ("patch_checks", "autograder.checks.lesson01"),
    ("patch_sys_modules", "autograder.checks.lesson01"),
])
def test_monkeypatching_is_undone_and_flagged(run, case, undone):
    results, _, _ = run
    flags = results[case]["flags"]
    assert any(flag.startswith("ex01_mlp: assigns to") for flag in flags), flags
    assert any("guard undid" in flag and undone in flag for flag in flags), flags
    assert "apply act (ReLU)" in _message(results[case])     # the real check ran, on the real torch


def test_tampering_with_cell_execution_scores_zero(run):
    results, _, _ = run
    result = results["patch_ipython"]
    assert all(e["score"] == 0 for e in result["exercises"])
    assert any("guard before this test did not run" in flag for flag in result["flags"])


def test_flags_reach_the_instructor_report(run):
    _, stdout, out = run
    flags = (out / "reports" / "flags.csv").read_text()
    for case in ("patch_torch", "patch_checks", "patch_sys_modules", "patch_builtins", "malformed"):
        assert case in flags
        assert case in stdout
