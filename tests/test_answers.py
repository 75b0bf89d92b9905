"""Every test cell, run in-process against the reference, the blank stub, and tests/answers/.

- the reference solution passes on every device, silently (no stderr);
- the released stub fails with "not attempted";
- each alternative correct answer passes;
- each realistic wrong answer fails with a message naming the exercise, the device and the
  misconception (a phrase given in the answer file);
- each wrong-on-cuda answer (right on the CPU, wrong on a GPU) passes on a CPU-only machine and
  fails naming cuda and its phrase where cuda is available (tools/gpu_check.py runs it there).
"""
from __future__ import annotations

import time

import pytest

from autograder.devices import devices
from autograder.feedback import NotAttempted
from nnmodule_course.spec import LESSONS
from course import ROOT, answers, exercise_sources, judge

BUILT = [slug for slug in LESSONS if (ROOT / "solutions" / slug / f"{slug}.ipynb").exists()]
EXERCISES = [(slug, ex) for slug in BUILT for ex in LESSONS[slug]["exercises"]]
ANSWERS = [a for slug in BUILT for a in answers(slug)]


def _run(slug: str, exercise: str, source: str | None = None, notebook=None):
    from course import run_cells

    return run_cells(exercise_sources(slug, exercise, source, notebook))


@pytest.mark.parametrize("slug,exercise", EXERCISES, ids=[e for _, e in EXERCISES])
def test_reference_passes_silently(slug, exercise, record_property):
    from course import run_cells

    sources = exercise_sources(slug, exercise)
    run_cells(sources[:-1])  # warm-up: imports and set-up are not the test cell's time
    start = time.perf_counter()
    error, stderr = run_cells(sources)
    record_property("test_cell_seconds", time.perf_counter() - start)
    assert error is None, f"reference solution of {exercise} fails: {error!r}"
    assert stderr == "", f"test cell of {exercise} writes to stderr: {stderr!r}"


@pytest.mark.parametrize("slug,exercise", EXERCISES, ids=[e for _, e in EXERCISES])
def test_released_stub_is_not_attempted(slug, exercise):
    notebook = ROOT / "exercises" / slug / f"{slug}.ipynb"
    error, _ = _run(slug, exercise, notebook=notebook)
    assert isinstance(error, NotAttempted), f"blank {exercise} should fail as not attempted, got {error!r}"
    assert f"{exercise} [cpu]" in str(error)


@pytest.mark.parametrize("slug,exercise", EXERCISES, ids=[e for _, e in EXERCISES])
def test_each_exercise_has_wrong_and_alternative_answers(slug, exercise):
    mine = [a for a in answers(slug) if a.exercise == exercise]
    assert sum(a.kind == "wrong" for a in mine) >= 2, f"{exercise}: add two realistic wrong answers"
    assert sum(a.kind == "alt" for a in mine) >= 1, f"{exercise}: add a differently written correct answer"


@pytest.mark.parametrize("answer", ANSWERS, ids=[a.name for a in ANSWERS])
def test_answer_is_judged_right(answer):
    """alt: passes; wrong: fails naming the first device and the phrase; wrong-on-cuda: passes on a
    CPU-only machine, fails naming cuda (or mps) and the phrase where there is a GPU (see course.judge)."""
    error, stderr = _run(answer.slug, answer.exercise, answer.source)
    problem = judge(answer.kind, answer.exercise, answer.expect, [d.type for d in devices()], error, stderr)
    assert problem is None, f"{answer.name}: {problem}"
