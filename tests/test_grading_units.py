"""The grader's parts that need no kernel: discovery, flags, the sandbox's command line, judging,
reports, the command line."""
from __future__ import annotations

import argparse
import os
import sys
import types

import torch

import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from nnmodule_course import cli
from nnmodule_course.grading import report
from nnmodule_course.grading.command import parse_size
from nnmodule_course.grading.flags import flag_notebook
from nnmodule_course.grading.command import score_table
from nnmodule_course.grading.judging import WITHHELD, answer_problem, judge_notebook, redactor
from nnmodule_course.grading.results import ExerciseResult, NotebookResult, ResultStore
from nnmodule_course.grading.sandbox import SandboxLimits, command, hidden_paths, visible_paths
from nnmodule_course.grading.submissions import discover, student_id

from grading.bad import stacked_linear

NOTEBOOKS = {"01_module_construction": ["01_module_construction"], "02_containers": ["02_containers"]}


def _touch(path, text="{}"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_discover_nbgrader_layout(tmp_path):
    _touch(tmp_path / "submitted" / "ann" / "01_module_construction" / "01_module_construction.ipynb")
    _touch(tmp_path / "submitted" / "ann" / "01_module_construction" / "timestamp.txt", "2026-01-01 10:00:00")
    _touch(tmp_path / "submitted" / "ann" / "01_module_construction" / "scratch.ipynb")
    (tmp_path / "submitted" / "bob" / "02_containers").mkdir(parents=True)
    _touch(tmp_path / "submitted" / "bob" / "99_unknown" / "x.ipynb")
    found = discover(tmp_path, NOTEBOOKS)          # a course folder holding submitted/ works too
    got = {(s.student, s.assignment): s for s in found.submissions}
    assert sorted(got) == [("ann", "01_module_construction"), ("bob", "02_containers")]
    assert got[("ann", "01_module_construction")].timestamp.name == "timestamp.txt"
    assert got[("bob", "02_containers")].path is None                       # not handed in: scored 0
    assert any("scratch.ipynb" in n for n in found.notes) and any("99_unknown" in n for n in found.notes)
    only = discover(tmp_path / "submitted", NOTEBOOKS, assignment="02_containers", students={"bob"})
    assert [(s.student, s.assignment) for s in only.submissions] == [("bob", "02_containers")]


def test_discover_flat_folder(tmp_path):
    _touch(tmp_path / "Ann Lee.ipynb")
    _touch(tmp_path / "Ann_Lee.ipynb")
    _touch(tmp_path / "bob.ipynb")
    with pytest.raises(ValueError, match="--assignment"):
        discover(tmp_path, NOTEBOOKS)
    found = discover(tmp_path, NOTEBOOKS, assignment="02_containers")
    assert [(s.student, s.name) for s in found.submissions] == [("Ann_Lee", "Ann Lee"), ("Ann_Lee-2", "Ann_Lee"),
                                                                 ("bob", "bob")]
    assert any("'Ann Lee' is graded as student 'Ann_Lee'" in n for n in found.notes)
    with pytest.raises(ValueError, match="unknown assignment"):
        discover(tmp_path, NOTEBOOKS, assignment="nope")


def test_student_ids_are_safe_for_nbgrader():
    assert student_id("Ann Lee (2)") == "Ann_Lee_2"
    assert student_id("José Núñez") == "Jose_Nunez"
    assert student_id("o'brien") == "o_brien" and student_id("semi;colon") == "semi_colon"
    assert student_id(".hidden") == "hidden"
    assert student_id("../../etc") == "etc"
    assert student_id("李") == "student"


def test_every_student_folder_is_graded_none_vanish(tmp_path):
    names = ["Ann Lee (2)", "José Núñez", "o'brien", "semi;colon", ".hidden", "ann", "李", "王"]
    for name in names:
        _touch(tmp_path / name / "02_containers" / "02_containers.ipynb")
    found = discover(tmp_path, NOTEBOOKS)
    students = [s.student for s in found.submissions]
    assert len(students) == len(names) == len(set(students))
    assert sorted(s.name for s in found.submissions) == sorted(names)
    assert {"Ann_Lee_2", "Jose_Nunez", "o_brien", "semi_colon", "hidden", "ann", "student", "student-2"} == set(students)
    assert all(n.startswith("your work, handed in as") for s in found.submissions for n in s.notes)


def test_parse_size():
    assert parse_size("2G") == 2 << 30 and parse_size("512MiB") == 512 << 20 and parse_size("0") == 0
    with pytest.raises(argparse.ArgumentTypeError):
        parse_size("lots")


def _nb(*sources, test_source='from autograder.checks import check\ncheck("ex02_stacked_linear", StackedLinear)'):
    setup = new_code_cell("import torch\nfrom torch import nn\nimport torch.nn.functional as F")
    setup.metadata["nbgrader"] = {"grade_id": "setup", "locked": True, "grade": False, "solution": False}
    answer = new_code_cell("\n".join(sources) or "class StackedLinear: pass")
    answer.metadata["nbgrader"] = {"grade_id": "ex02_stacked_linear", "solution": True, "grade": False,
                                   "locked": False}
    test = new_code_cell(test_source)
    test.metadata["nbgrader"] = {"grade_id": "ex02_stacked_linear_tests", "grade": True, "points": 3,
                                 "locked": True, "solution": False}
    return new_notebook(cells=[setup, answer, test])


def test_flags_name_what_the_answer_touches():
    nb = _nb("import torch as t, sys\nfrom autograder.feedback import Exercise",
             "t.allclose = lambda *a, **k: True\nExercise.require = print\nsys.modules['x'] = None",
             "setattr(t.Tensor, '__eq__', None)\nimport inspect\nf = inspect.currentframe().f_back",
             "import os, socket, subprocess\nos.kill(1, 9)\nopen('/work/main/solutions/x')\n"
             "socket.socket()\nsubprocess.run(['ls'])")
    flags = flag_notebook(nb.cells)
    for expected in ("assigns to torch.allclose", "assigns to autograder.feedback.Exercise.require",
                     "assigns to sys.modules[...]", "calls setattr() on torch.Tensor", "inspects call frames",
                     "sends signals", "names the path '/work/main/solutions/x'", "opens network connections",
                     "starts processes"):
        assert any(expected in f for f in flags), (expected, flags)
    assert all(f.startswith("ex02_stacked_linear: ") for f in flags)
    assert flag_notebook(_nb("class StackedLinear(nn.Module):\n    def forward(self, x):\n        self.y = x\n"
                             "        return F.relu(x)").cells) == []


def _observed(nb, answer_class, seed: int = 3):
    """Observations of ``answer_class`` as a graded kernel would send them, put into the test cell."""
    from autograder.checks.harness import lookup, observe
    from autograder.observation import MIME

    spec = lookup("ex02_stacked_linear")
    test = nb.cells[-1]
    test.outputs = [new_output("display_data", data={MIME: {"exercise": spec.id, "case": case.name, "device": "cpu",
                                                            "data": observe(spec, case, torch.device("cpu"),
                                                                            (answer_class,))}})
                    for case in spec.all_cases(seed)]
    return nb


_Right = stacked_linear(right=True)


def test_judge_notebook_replaces_the_test_cells_outputs_with_the_verdict():
    nb = _observed(_nb(), _Right)
    nb.cells[-1].outputs.append(new_output("error", ename="RuntimeError", evalue="the kernel's own error",
                                           traceback=["secret traceback"]))
    [verdict] = judge_notebook(nb, None, 3, ["cpu"], 60)
    assert verdict.passed and nb.cells[-1].outputs == []
    nb = _observed(_nb(), _Right, seed=4)               # observed for other hidden cases than the grader draws
    [verdict] = judge_notebook(nb, None, 3, ["cpu"], 60)
    assert not verdict.passed
    assert [o["ename"] for o in nb.cells[-1].outputs] == ["ExerciseFailure"]
    assert nb.cells[-1].outputs[0]["evalue"] == verdict.message


def test_redaction_withholds_quoted_tests_and_encoded_data():
    redact = redactor(['check("ex02_stacked_linear", StackedLinear, hidden=True)   # other sizes'])
    assert redact("mat1 and mat2 shapes cannot be multiplied (5x4 and 3x4)").startswith("mat1")
    assert redact('check("ex02_stacked_linear", StackedLinear, hidden=True)') == WITHHELD
    assert redact("Y2hlY2soImV4MDJfc3RhY2tlZF9saW5lYXIiLCBTdGFja2VkTGluZWFyLCBoaWRkZW49VHJ1ZSk=") == WITHHELD


def test_answer_problems_repeat_only_pythons_own_exception_names():
    cell = new_code_cell("x")
    cell.outputs = [new_output("error", ename="SyntaxError", evalue="bad", traceback=[])]
    assert "raised SyntaxError" in answer_problem(cell)
    cell.outputs = [new_output("error", ename="check('ex02', hidden=True)", evalue="x", traceback=[])]
    assert answer_problem(cell) == "your answer cell raised an error, so the test could not use your answer"


def test_the_sandbox_shows_only_python_and_the_kernel_package(tmp_path):
    package = tmp_path / "site" / "autograder"
    package.mkdir(parents=True)
    hide = [tmp_path / "site" / "nnmodule_course", tmp_path / "course"]
    for path in hide:
        path.mkdir(parents=True)
    argv = command(package, hide, SandboxLimits(scratch=1 << 20, shm=1 << 19), 3, {"passwd": 4}, gpu=False)
    text = " ".join(argv)
    for flag in ("--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-net",
                 "--die-with-parent", "--new-session"):
        assert flag in argv
    assert f"--ro-bind {package} {package}" in text
    assert "--size 1048576 --tmpfs /tmp" in text and "--size 524288 --tmpfs /dev/shm" in text
    assert text.index("--tmpfs /tmp") < text.index(f"--ro-bind {package}"), "bound folders under /tmp stay visible"
    assert "--bind " not in text.replace("--ro-bind", "").replace("--dev-bind", "")    # nothing writable is bound
    assert str(tmp_path / "course") not in text
    assert set(hidden_paths(visible_paths(package), hide)) == set()     # not inside anything bound
    assert hidden_paths([tmp_path / "site"], hide) == [tmp_path / "site" / "nnmodule_course"]


def test_score_table_is_aligned():
    lines = score_table([_result("ann", {"ex02_stacked_linear": 3}), _result("bo", {"ex02_stacked_linear": 0})])
    assert lines[0].split() == ["student", "assignment", "points", "status"]
    assert lines[1].split() == ["ann", "01_module_construction", "3", "/", "3", "graded"]
    assert len({line.index("assignment") if i == 0 else line.index("01_") for i, line in enumerate(lines)}) == 1


def _result(student, scores, status="graded", flags=()):
    exercises = [ExerciseResult(e, f"{e}_tests", s, 3.0, "" if s == 3 else f"{e} [cpu]: wrong <b>")
                 for e, s in scores.items()]
    return NotebookResult(student, "01_module_construction", "01_module_construction", status,
                          exercises=exercises, flags=list(flags))


def test_reports(tmp_path):
    results = [_result("ann", {"ex01_mlp": 3, "ex01_my_sequential": 0}),
               _result("bob", {"ex01_mlp": 0, "ex01_my_sequential": 0}, status="unreadable", flags=["x"])]
    paths = report.write_all(results, tmp_path)
    lines = paths["grades"].read_text().splitlines()
    assert lines[0] == "student,name,assignment,ex01_mlp,ex01_my_sequential,total,max,status,flags,seed"
    assert lines[1] == "ann,,01_module_construction,3,0,3,6,graded,0,0"
    page = (paths["feedback"] / "ann.html").read_text()
    assert "wrong &lt;b&gt;" in page and "wrong <b>" not in page
    assert "bob" in paths["flags"].read_text() and paths["summary"].stat().st_size > 1000


def test_result_store_round_trip(tmp_path):
    store = ResultStore(tmp_path)
    result = _result("ann", {"ex01_mlp": 3})
    store.put(result)
    assert store.get("ann", "01_module_construction", "01_module_construction") == result
    assert store.all() == [result] and store.get("bob", "a", "b") is None


def test_a_command_is_one_registration_line(monkeypatch, capsys):
    module = types.ModuleType("fake_hello")

    def register(subparsers):
        sub = subparsers.add_parser("hello")
        sub.set_defaults(handler=lambda args: print("hello ran") or 0)

    module.register = register
    monkeypatch.setitem(sys.modules, "fake_hello", module)
    monkeypatch.setattr(cli, "COMMANDS", (*cli.COMMANDS, "fake_hello"))
    assert cli.main(["hello"]) == 0
    assert "hello ran" in capsys.readouterr().out
    assert "grade" in cli.build_parser().format_help()


def test_grade_refuses_a_missing_folder(tmp_path, capsys):
    assert cli.main(["grade", str(tmp_path / "nope")]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_grade_refuses_to_run_student_code_without_a_sandbox(tmp_path):
    """Where no sandbox can be made (here: no bubblewrap on PATH) the grader says why and grades nothing."""
    import os
    import subprocess

    (tmp_path / "submitted" / "ann" / "02_containers").mkdir(parents=True)
    bare = tmp_path / "bin"
    bare.mkdir()
    (bare / "python").symlink_to(sys.executable)
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", "submitted", "--out", "out", "--no-progress"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PATH": str(bare)})
    assert done.returncode == 3, done.stdout + done.stderr
    assert "refusing to run student code without a sandbox" in done.stderr and "bubblewrap" in done.stderr
    assert not (tmp_path / "out" / "gradebook.db").exists()


def test_a_sandbox_shows_bound_folders_that_live_under_tmp(tmp_path):
    """The sandbox's own /tmp is a fresh tmpfs, yet a course (or virtual environment) that lives under
    the host's /tmp stays visible, read-only, at its path; the rest of the host's /tmp does not."""
    from nnmodule_course.grading.sandbox import Sandbox

    package = tmp_path / "course" / "autograder"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("# the kernel side\n")
    (tmp_path / "course" / "solutions").mkdir()
    sandbox = Sandbox(package, [], SandboxLimits(scratch=1 << 20, shm=1 << 20))
    sandbox.start()
    try:
        assert sandbox.alive()
        assert open(sandbox.path(str(package / "__init__.py"))).read() == "# the kernel side\n"
        assert not os.path.exists(sandbox.path(str(tmp_path / "course" / "solutions")))
        assert os.path.isdir(sandbox.path("/tmp/.kernel"))
    finally:
        sandbox.stop()
    assert not sandbox.alive()
