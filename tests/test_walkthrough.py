"""docs/first-grading.md, followed as an instructor would: every ``$ `` command of the page, in order,
in a copy of the course, on a folder of downloads named as an LMS names them.

The page and this test cannot drift apart: the commands run here are read from the page.
"""
from __future__ import annotations

import csv
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course import ROOT
from grading.classroom import notebook

PAGE = ROOT / "docs" / "first-grading.md"
SLUG = "02_containers"
STUDENTS = {"Ann Lee": "reference", "José Núñez": "wrong1", "o'brien": "blank"}


def commands() -> list[str]:
    """The page's ``$ `` commands, in order, from its ``console`` blocks."""
    found, inside = [], False
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            inside = line.strip() == "```console"
            continue
        if inside and line.startswith("$ "):
            found.append(line[2:].split("  #")[0].strip())
    return found


@pytest.fixture(scope="module")
def walked(tmp_path_factory):
    course = tmp_path_factory.mktemp("walkthrough") / "course"
    course.mkdir()
    for name in ("solutions", "exercises"):
        shutil.copytree(ROOT / name / SLUG, course / name / SLUG)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    downloads = course / "downloads"
    downloads.mkdir()
    for student, kind in STUDENTS.items():
        nb = notebook(SLUG, dict.fromkeys(["ex02_stacked_linear", "ex02_head_selector", "ex02_chained_matmul"], kind))
        (downloads / f"{student}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    outputs = {}
    for command in commands():
        argv = shlex.split(command)
        if argv[0] == "source":              # the course's Python is the one running this test
            continue
        if argv[0] == "python":
            argv[0] = sys.executable
        done = subprocess.run(argv, cwd=course, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        outputs[command] = done.stdout
    return course, outputs


def test_the_page_has_the_commands_an_instructor_runs():
    steps = commands()
    assert any(c.startswith("python -m autograder grade downloads/") for c in steps)
    assert "nbgrader export" in steps


def test_grading_prints_the_score_table(walked):
    _, outputs = walked
    table = next(out for command, out in outputs.items() if command.startswith("python -m autograder grade"))
    assert re.search(r"student\s+assignment\s+points\s+status", table)
    assert re.search(r"Ann_Lee\s+02_containers\s+9 / 9\s+graded", table)
    assert re.search(r"Jose_Nunez\s+02_containers\s+0 / 9\s+graded", table)
    assert re.search(r"o_brien\s+02_containers\s+0 / 9\s+graded", table)


def test_the_reports_and_the_feedback_pages_are_there(walked):
    course, outputs = walked
    listing = outputs["ls grading/reports/"].split()
    assert {"grades.csv", "feedback", "summary.png", "flags.csv"} <= set(listing)
    rows = {r["student"]: r for r in csv.DictReader((course / "grading" / "reports" / "grades.csv").open())}
    assert rows["Jose_Nunez"]["name"] == "José Núñez" and rows["Ann_Lee"]["total"] == "9"
    page = (course / "grading" / "reports" / "feedback" / "Jose_Nunez.html").read_text()
    assert "plain Python list" in page and "hidden=True" not in page


def test_nbgraders_export_sees_what_the_grader_recorded(walked):
    course, _ = walked
    rows = list(csv.DictReader((course / "grades.csv").open()))
    scores = {r["student_id"]: float(r["raw_score"]) for r in rows if r["assignment"] == SLUG}
    assert scores == {"Ann_Lee": 9.0, "Jose_Nunez": 0.0, "o_brien": 0.0}
