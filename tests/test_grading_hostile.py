"""Broken, forging and hostile submissions, graded in one run next to honest classmates.

One ``python -m autograder grade`` run over lesson 02 grades every case of ``tests/grading/bad.py``
(endless loops, dead kernels, memory hogs, edited cells; ten ways to forge a pass from inside the
kernel; code that reaches for the course, classmates, the grading output, other processes, the
network and the disk) together with two honest students. A second run, as an ordinary user (no
capabilities, uid 1000: the grader wrapped in a user namespace), grades the forging and hostile
cases again. Both runs share a seed, so the honest students' feedback must be byte for byte the same.
"""
from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from nbgrader.api import Gradebook

from course import ROOT, cells
from grading.bad import CASES, EXERCISE, FULL, MARKER, SLUG, expected, make_notebook, matches
from grading.classroom import notebook

HONEST = {"honest_reference": "reference", "honest_alt": "alt1"}
SEED = "7"
BWRAP = shutil.which("bwrap")


@dataclass
class Run:
    results: dict[str, dict]
    stdout: str
    out: Path
    students: list[str]


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def listener():
    """A server on the grader's loopback: no kernel may reach it."""
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def as_ordinary_user(argv: list[str]) -> list[str]:
    """``argv`` run as an ordinary user: uid 1000 without capabilities, in a user namespace of its own."""
    return [BWRAP, "--unshare-user", "--uid", "1000", "--gid", "1000", "--unshare-pid", "--bind", "/", "/",
            "--dev-bind", "/dev", "/dev", "--proc", "/proc", "--die-with-parent", "--", *argv]


def _grade(base: Path, students: list[str], port: int, wrap=lambda argv: argv) -> Run:  # noqa: ANN001
    submitted = base / "submitted"
    references = {name: notebook(SLUG, dict.fromkeys(FULL, kind)) for name, kind in HONEST.items()}
    for student in students:
        target = submitted / student / SLUG / f"{SLUG}.ipynb"
        target.parent.mkdir(parents=True)
        if student == "malformed":
            continue
        nb = references[student] if student in HONEST else make_notebook(references["honest_reference"], student,
                                                                         port)
        target.write_text(json.dumps(nb), encoding="utf-8")
    if "malformed" in students:
        (submitted / "malformed" / SLUG / f"{SLUG}.ipynb").write_text('{"cells": [ this is not JSON')
    out = base / "grading"
    argv = [sys.executable, "-m", "autograder", "grade", str(submitted), "--course", str(ROOT), "--out", str(out),
            "-j", "2", "--timeout", "5", "--memory-limit", "1G", "--disk", "64M", "--seed", SEED, "--no-progress"]
    done = subprocess.run(wrap(argv), capture_output=True, text=True, timeout=900, cwd=base,
                          env={**os.environ, "NNM_TEST_PORT": str(port)})
    assert done.returncode == 0, done.stdout + done.stderr
    results = {}
    for path in (out / "grading" / "results" / SLUG).glob("*/*.json"):
        data = json.loads(path.read_text())
        results[data["student"]] = data
    return Run(results, done.stdout, out, students)


@pytest.fixture(scope="module")
def runs(tmp_path_factory, listener):
    port = listener.server_address[1]
    everyone = [*HONEST, *CASES, "malformed"]
    first = _grade(tmp_path_factory.mktemp("as-grader"), everyone, port)
    attackers = [*HONEST, *(name for name, case in CASES.items() if case.kind != "robust")]
    second = _grade(tmp_path_factory.mktemp("as-user"), attackers, port, as_ordinary_user)
    return {"grader": first, "ordinary user": second}


def _points(result: dict) -> dict[str, float]:
    return {e["exercise"]: e["score"] for e in result["exercises"]}


def _message(result: dict, exercise: str = EXERCISE) -> str:
    return next(e["message"] for e in result["exercises"] if e["exercise"] == exercise)


@pytest.mark.parametrize("who", ["grader", "ordinary user"])
def test_every_case_scores_as_expected(runs, who):
    run = runs[who]
    wrong = {}
    for student in run.students:
        if student in HONEST or student == "malformed":
            continue
        if run.results[student]["status"] != "graded" or not matches(_points(run.results[student]), student):
            wrong[student] = (run.results[student]["status"], _points(run.results[student]),
                              _message(run.results[student]))
    assert not wrong, wrong


@pytest.mark.parametrize("who", ["grader", "ordinary user"])
def test_honest_classmates_keep_full_marks(runs, who):
    run = runs[who]
    for student in HONEST:
        result = run.results[student]
        assert _points(result) == FULL and result["notes"] == [] and result["flags"] == [], result
    with Gradebook(f"sqlite:///{run.out / 'gradebook.db'}", "nn-module-from-the-inside") as gradebook:
        scores = {s.student_id: s.score for s in gradebook.assignment_submissions(SLUG)}
    for student in HONEST:
        assert scores[student] == sum(FULL.values())
    for student in run.students:
        if student in HONEST or student == "malformed" or None in expected(student).values():
            continue
        assert scores[student] == sum(expected(student).values()), (student, scores[student])


def test_honest_feedback_is_identical_in_both_runs(runs):
    for student in HONEST:
        pages = [(runs[who].out / "grading" / "reports" / "feedback" / f"{student}.html").read_text()
                 for who in runs]
        assert pages[0] == pages[1]
        assert pages[0].count(">passed<") == len(FULL)


def test_a_right_answer_is_judged_by_the_grader_even_when_its_cell_raises(runs):
    result = runs["grader"].results["raise_after_right_answer"]
    assert _points(result) == FULL
    autograded = cells(runs["grader"].out / "autograded" / "raise_after_right_answer" / SLUG / f"{SLUG}.ipynb")
    test = next(c for c in autograded if c["metadata"].get("nbgrader", {}).get("grade_id") == f"{EXERCISE}_tests")
    assert test["outputs"] == [], "the grader's verdict replaces what the kernel printed or raised"


def test_forging_fails_with_the_judges_diagnosis(runs):
    for name in ("forge_patch_judge", "forge_swallow_exceptions", "forge_background_thread", "forge_torch_library",
                 "forge_patch_torch", "forge_checks_on_disk", "forge_walk_frames"):
        assert "relu after the last layer too" in _message(runs["grader"].results[name]), name
    assert "should be a torch.Tensor" in _message(runs["grader"].results["forge_always_equal"])
    assert "did not finish" in _message(runs["grader"].results["forge_sys_modules"])
    replay = _message(runs["grader"].results["forge_replay_observations"])
    assert "more than once" in replay or "relu after the last layer" in replay, replay


def _test_cell_lines() -> list[str]:
    """Every line of every test cell of the lesson, hidden tests included (what must never leak)."""
    lines = []
    for cell in cells(ROOT / "solutions" / SLUG / f"{SLUG}.ipynb"):
        if cell["metadata"].get("nbgrader", {}).get("grade") and cell["cell_type"] == "code":
            lines += [line.strip() for line in cell["source"].splitlines() if len(line.strip()) >= 16]
    return lines


@pytest.mark.parametrize("who", ["grader", "ordinary user"])
def test_nothing_of_the_tests_leaks_into_feedback(runs, who):
    folder = runs[who].out / "grading" / "reports" / "feedback"
    lines = _test_cell_lines()
    assert any("hidden=True" in line for line in lines)
    for page in folder.glob("*.html"):
        text = page.read_text()
        for line in lines:
            assert line not in text, (page.name, line)
        assert not re.search(r"[A-Za-z0-9+/=]{48,}", text), page.name
    leak = runs[who].results["forge_leak_hidden_tests"]
    assert "not shown" in _message(leak), _message(leak)


def test_nothing_is_left_running_or_written_outside_the_grading_folder(runs):
    left = [p.info for p in psutil.process_iter(["pid", "cmdline"]) if MARKER in " ".join(p.info["cmdline"] or [])]
    assert not left, left
    places = [Path("/tmp"), Path("/dev/shm"), Path.home(), ROOT, Path("/var/tmp")]
    found = []
    for place in places:
        for folder, dirs, files in os.walk(place):
            dirs[:] = [d for d in dirs if d not in (".venv", ".git", "grading", "node_modules")]
            found += [os.path.join(folder, f) for f in files if f.startswith(MARKER)]
    assert not found, found


def test_no_kernel_reached_the_network(runs, listener):
    assert _Recorder.hits == []


def test_the_reports_say_what_was_attempted(runs):
    flags = (runs["grader"].out / "grading" / "reports" / "flags.csv").read_text()
    for case, phrase in (("hostile_read_solutions", "names the path '/work"), ("hostile_kill_processes", "sends signals"),
                         ("hostile_detached_processes", "starts processes"), ("hostile_network", "opens network"),
                         ("forge_patch_judge", "assigns to autograder.checks.harness.judge"),
                         ("forge_walk_frames", "inspects call frames"), ("forge_background_thread", "starts threads"),
                         ("forge_sys_modules", "sys.modules"), ("forge_torch_library", "torch.library")):
        rows = [line for line in flags.splitlines() if line.startswith(case + ",")]
        assert any(phrase in row for row in rows), (case, rows)


def test_endless_loops_and_dead_kernels_are_explained(runs):
    results = runs["grader"].results
    assert "ran longer than 5 s" in _message(results["loop_in_forward"])
    assert "ran longer than" in _message(results["loop_in_answer"])
    assert any("kernel was replaced" in note for note in results["loop_ignoring_interrupt"]["notes"])
    assert "stopped the kernel" in _message(results["exit_in_forward"])
    assert "stopped the kernel" in _message(results["exit_in_answer"]) or \
        "did not finish" in _message(results["exit_in_answer"])


def test_a_malformed_notebook_is_reported_and_the_run_goes_on(runs):
    results, stdout = runs["grader"].results, runs["grader"].stdout
    assert results["malformed"]["status"] == "unreadable"
    assert _points(results["malformed"]) == {exercise: 0 for exercise in FULL}
    assert "malformed" in stdout


@pytest.mark.parametrize("case,phrase", [
    ("deleted_test_cell", "was missing; it was put back"),
    ("untagged_test_cell", "was missing; it was put back"),
    ("edited_test_cell", "had been edited; it was restored"),
    ("duplicated_test_cell", "appears more than once"),
    ("answer_as_markdown", "changed to another cell type"),
    ("test_as_markdown", "changed to another cell type"),
])
def test_repaired_cells_are_explained(runs, case, phrase):
    assert any(phrase in note for note in runs["grader"].results[case]["notes"]), runs["grader"].results[case]["notes"]


def test_the_score_table_is_printed(runs):
    stdout = runs["grader"].stdout
    assert re.search(r"student\s+assignment\s+points\s+status", stdout)
    assert re.search(r"honest_reference\s+02_containers\s+9 / 9\s+graded", stdout)
