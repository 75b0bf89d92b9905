"""``python -m autograder progress``: a learner's report on their own exercise notebooks."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

from nnmodule_course.progress import FAILED, NOT_ATTEMPTED, PASSED, format_report, grade_folder, plot
from nnmodule_course.spec import LESSONS
from course import ROOT, answers, grade_id

LESSON = "01_module_construction"


def _statuses(report):
    return {r.exercise: r.status for rows in report.values() for r in rows}


def test_released_exercises_are_not_attempted():
    report = grade_folder(ROOT / "exercises")
    assert set(report) == {s for s in LESSONS if (ROOT / "exercises" / s).exists()}
    assert set(_statuses(report).values()) == {NOT_ATTEMPTED}


def test_solutions_all_pass():
    report = grade_folder(ROOT / "solutions")
    assert set(_statuses(report).values()) == {PASSED}, format_report(report, ["cpu"])


def test_learner_copy_mixes_passed_failed_and_not_attempted(tmp_path):
    nb = json.loads((ROOT / "exercises" / LESSON / f"{LESSON}.ipynb").read_text())
    wrong = next(a for a in answers(LESSON) if a.exercise == "ex01_mlp" and a.kind == "wrong")
    alt = next(a for a in answers(LESSON) if a.exercise == "ex01_my_sequential" and a.kind == "alt")
    for cell in nb["cells"]:
        if grade_id(cell) == "ex01_mlp":
            cell["source"] = wrong.source
        elif grade_id(cell) == "ex01_my_sequential":
            cell["source"] = alt.source
    (tmp_path / LESSON).mkdir()
    (tmp_path / LESSON / f"{LESSON}.ipynb").write_text(json.dumps(nb))
    report = grade_folder(tmp_path)
    statuses = _statuses(report)
    assert statuses == {"ex01_mlp": FAILED, "ex01_my_sequential": PASSED, "ex01_fixed_hidden_mlp": NOT_ATTEMPTED}
    text = format_report(report, ["cpu"])
    assert "ex01_mlp [cpu]:" in text and wrong.expect in text
    total = sum(len(meta["exercises"]) for meta in LESSONS.values())
    assert f"1/{total} exercises passed" in text
    png = plot(report, tmp_path / "progress.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_hanging_or_broken_notebook_is_reported_not_fatal(tmp_path):
    (tmp_path / f"{LESSON}.ipynb").write_text("{not json")
    report = grade_folder(tmp_path)
    assert {r.status for r in report[LESSON]} == {FAILED}
    assert "could not be run" in report[LESSON][0].message


def test_command_line(tmp_path):
    shutil.copytree(ROOT / "exercises" / LESSON, tmp_path / LESSON)
    done = subprocess.run([sys.executable, "-m", "autograder", "progress", str(tmp_path), "--plot",
                           str(tmp_path / "p.png")], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "ex01_mlp" in done.stdout and NOT_ATTEMPTED in done.stdout
    assert (tmp_path / "p.png").exists()


def test_defaults_are_the_learners_copies_and_an_ignored_figure(tmp_path):
    """`python -m autograder progress --plot` reads my-work/ and writes my-work/progress.png, which git
    ignores; show() (START_HERE's last cell) prints the same report and returns the figure."""
    from IPython.display import Image

    from nnmodule_course.progress import show

    shutil.copytree(ROOT / "exercises" / LESSON, tmp_path / "my-work" / LESSON)
    done = subprocess.run([sys.executable, "-m", "autograder", "progress", "--plot"], capture_output=True,
                          text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "ex01_mlp" in done.stdout and (tmp_path / "my-work" / "progress.png").exists()
    assert not (tmp_path / "progress.png").exists()
    paths = ["my-work/01_x/01_x.ipynb", "my-work/progress.png", "progress.png"]
    ignored = subprocess.run(["git", "check-ignore", *paths], cwd=ROOT, capture_output=True, text=True)
    assert ignored.stdout.split() == paths, "git should ignore a learner's my-work/ and progress figures"
    (tmp_path / "my-work" / "progress.png").unlink()
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        figure = show(tmp_path / "my-work")
    assert isinstance(figure, Image) and figure.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Course progress" in out.getvalue() and "ex01_mlp" in out.getvalue()
