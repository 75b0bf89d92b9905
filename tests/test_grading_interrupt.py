"""An interrupted run loses no finished grade, leaves no process behind, and the next run goes on.

The class: two ordinary students, then one whose ``forward`` never returns, then another
ordinary one, graded one at a time (``-j 1``) so the run is surely stuck on the third when
it is interrupted: with Ctrl-C (SIGINT) and, harder, with SIGKILL.
"""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from nbgrader.api import Gradebook

from course import ROOT
from grading.bad import FULL, SLUG, forward
from grading.classroom import notebook

pytestmark = pytest.mark.skipif(not (ROOT / "exercises" / SLUG / f"{SLUG}.ipynb").exists(), reason="no lesson 02")
STUDENTS = ("a_ok", "b_ok", "c_loops", "d_ok")


def _class(folder: Path) -> Path:
    reference = notebook(SLUG, dict.fromkeys(FULL, "reference"))
    for student in STUDENTS:
        nb = json.loads(json.dumps(reference))
        if student == "c_loops":
            forward("while True:\n    pass")(nb)
        target = folder / student / SLUG / f"{SLUG}.ipynb"
        target.parent.mkdir(parents=True)
        target.write_text(json.dumps(nb))
    return folder


def _start(submitted: Path, out: Path, timeout: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(submitted), "--course", str(ROOT),
                             "--out", str(out), "-j", "1", "--timeout", str(timeout), "--no-progress"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_results(out: Path, students: tuple[str, ...], process: subprocess.Popen, limit: float = 300) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if all((out / "grading" / "results" / SLUG / s / f"{SLUG}.json").exists() for s in students):
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.2)
    raise AssertionError(f"no results for {students} after {limit} s")


def _descendants(process: subprocess.Popen) -> list[psutil.Process]:
    return psutil.Process(process.pid).children(recursive=True)


def _gone(processes: list[psutil.Process], limit: float = 20) -> list[psutil.Process]:
    _, alive = psutil.wait_procs(processes, timeout=limit)
    return [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]


def _recorded(out: Path) -> dict[str, float]:
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}", "nn-module-from-the-inside") as gb:
        return {s.student_id: s.score for s in gb.assignment_submissions(SLUG)
                if all(g.auto_score is not None for nb in s.notebooks for g in nb.grades)}


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill"])
def test_interrupted_run_keeps_finished_grades_and_goes_on(tmp_path, how):
    submitted, out = _class(tmp_path / "submitted"), tmp_path / "grading"
    process = _start(submitted, out, timeout=120)
    _wait_for_results(out, ("a_ok", "b_ok"), process)
    time.sleep(1.0)                                    # c_loops is in its endless loop now
    helpers = _descendants(process)
    assert helpers, "the grader runs its kernels in child processes"
    process.send_signal(how)
    process.communicate(timeout=60)
    if how == signal.SIGINT:
        assert process.returncode == 130
    assert _gone(helpers) == [], "kernels, sandboxes or the warm server outlived the grader"
    assert _recorded(out) == {"a_ok": 9.0, "b_ok": 9.0}

    again = _start(submitted, out, timeout=2)
    stdout, stderr = again.communicate(timeout=300)
    assert again.returncode == 0, stdout + stderr
    assert "2 already graded" in stdout and "graded 2 notebook(s)" in stdout
    assert _recorded(out) == {"a_ok": 9.0, "b_ok": 9.0, "c_loops": 6.0, "d_ok": 9.0}
