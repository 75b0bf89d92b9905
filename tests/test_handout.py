"""``make handout`` (tools/handout.py): what students get holds the course and none of its answers."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile

import pytest

from course import ROOT, solution_cells
from nnmodule_course.spec import LESSONS

sys.path.insert(0, str(ROOT / "tools"))
import handout  # noqa: E402


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist") / "handout"
    archive = handout.build(out)
    return out, archive


def test_handout_holds_the_course(built):
    out, archive = built
    for name in ["START_HERE.ipynb", "README.md", "Makefile", "pyproject.toml", "requirements.lock",
                 "LICENSE", "autograder/checks/__init__.py", "autograder/feedback.py",
                 "nnmodule_course/lab.py", "nnmodule_course/progress.py"]:
        assert (out / name).is_file(), f"the handout lacks {name}"
    for slug in LESSONS:
        assert (out / "lessons" / f"{slug}.ipynb").is_file()
        assert (out / "exercises" / slug / f"{slug}.ipynb").is_file()
    names = zipfile.ZipFile(archive).namelist()
    assert "nnmodule-course/START_HERE.ipynb" in names and len(names) == sum(1 for p in out.rglob("*") if p.is_file())


def test_handout_holds_no_answers(built):
    out, archive = built
    for name in ["solutions", "src", "tests", "nnmodule_course/grading"]:
        assert not (out / name).exists(), f"{name} is in the handout"
    assert not [n for n in zipfile.ZipFile(archive).namelist() if "/solutions/" in n or "/grading/" in n]
    assert handout.scan(out) == []
    known = {name.split()[0] for name in handout.secrets() if " answer " in name}
    assert len(known) >= 20, f"the scan knows the reference answers of only {sorted(known)}"


def _reference_answer(slug: str, exercise: str) -> str:
    cell = next(c for c in solution_cells(slug) if c["metadata"].get("nbgrader", {}).get("grade_id") == exercise)
    body = cell["source"].split("### BEGIN SOLUTION", 1)[1].split("### END SOLUTION", 1)[0]
    return "\n".join(line for line in body.splitlines() if line.strip() and not line.strip().startswith("#"))


def test_the_scan_catches_a_planted_answer(built, tmp_path):
    out, _ = built
    copy = tmp_path / "handout"
    shutil.copytree(out, copy)
    body = _reference_answer("02_containers", "ex02_stacked_linear")
    # reformatted and commented, in a learner-visible notebook
    planted = "\n".join("    " + line.replace(" = ", "=") + "  # hint" for line in body.splitlines())
    nb_path = copy / "exercises" / "01_module_construction" / "01_module_construction.ipynb"
    nb = json.loads(nb_path.read_text())
    nb["cells"].append({"cell_type": "markdown", "id": "planted", "metadata": {}, "source": planted})
    nb_path.write_text(json.dumps(nb))
    problems = handout.scan(copy)
    assert any("reference answer" in p and "ex02_stacked_linear" in p for p in problems), problems


def test_the_scan_catches_markers_and_folders(built, tmp_path):
    out, _ = built
    copy = tmp_path / "handout"
    shutil.copytree(out, copy)
    cell = next(c for c in solution_cells("01_module_construction") if "### BEGIN HIDDEN TESTS" in c["source"])
    (copy / "notes.py").write_text(cell["source"])                   # a test cell with its hidden part
    (copy / "solutions").mkdir()
    problems = handout.scan(copy)
    assert "notes.py: contains '### BEGIN HIDDEN TESTS'" in problems, problems
    assert any(p.startswith("solutions:") for p in problems), problems


def test_the_scan_catches_a_planted_hidden_test(tmp_path):
    """Hidden tests of three lines or more are compared like answers (today's are one-line calls)."""
    solutions = tmp_path / "course" / "solutions" / "01_module_construction"
    solutions.mkdir(parents=True)
    hidden = ["check_it(MLP, 3, 4)", "check_it(MLP, 1, 1)", "check_it(MLP, 7, 2, seed=5)"]
    nb = {"cells": [{"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "ex01_mlp_tests"}},
                     "source": "\n".join(["check_it(MLP)", "### BEGIN HIDDEN TESTS", *hidden,
                                          "### END HIDDEN TESTS"])}]}
    (solutions / "01_module_construction.ipynb").write_text(json.dumps(nb))
    (tmp_path / "handout").mkdir()
    (tmp_path / "handout" / "copied.py").write_text("\n".join(["x = 1", *(h + "  # spread" for h in hidden)]))
    assert handout.scan(tmp_path / "handout", root=tmp_path / "course") == [
        "copied.py: contains the reference hidden tests 1 of ex01_mlp_tests"]


# The handout's own `make lab` installs the handout (editable); here the course's editable finder
# would still map nnmodule_course.grading to this repository, so the child process drops it.
WITHOUT_REPO = ("import sys; sys.meta_path[:] = [f for f in sys.meta_path if 'Editable' not in "
                "getattr(f, '__name__', type(f).__name__)]; from nnmodule_course.cli import main; "
                "raise SystemExit(main(['--help']))")


def test_the_handouts_command_line_works_without_the_grader(built):
    out, _ = built
    done = subprocess.run([sys.executable, "-c", WITHOUT_REPO], cwd=out, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    commands = [line.split()[0] for line in done.stdout.split("COMMAND", 1)[1].splitlines()
                if line.startswith("    ") and not line.startswith("     ")]
    assert commands == ["progress"], done.stdout
