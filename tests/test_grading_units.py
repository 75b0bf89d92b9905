"""The grader's parts that need no kernel: discovery, flags, guard bookkeeping, reports, command line."""
from __future__ import annotations

import argparse
import sys
import types

import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from nnmodule_course import cli
from nnmodule_course.grading import report
from nnmodule_course.grading.command import parse_size
from nnmodule_course.grading.flags import flag_notebook
from nnmodule_course.grading.integrity import Plan, collect, course_imports, inject, setup_bindings
from nnmodule_course.grading.progressbar import ProgressBar
from nnmodule_course.grading.results import ExerciseResult, NotebookResult, ResultStore
from nnmodule_course.grading.sandbox import PackageImage
from nnmodule_course.grading.submissions import discover, student_id
from course import ROOT

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
    assert [(s.student, s.notebook) for s in found.submissions] == [("Ann_Lee", "02_containers"),
                                                                    ("bob", "02_containers")]
    assert any("skipped" in n for n in found.notes)
    with pytest.raises(ValueError, match="unknown assignment"):
        discover(tmp_path, NOTEBOOKS, assignment="nope")


def test_student_ids_are_safe_for_nbgrader():
    assert student_id("Ann Lee (2)") == "Ann_Lee_2"
    assert student_id("../../etc") == "etc"
    assert student_id("李") == "student"


def test_parse_size():
    assert parse_size("2G") == 2 << 30 and parse_size("512MiB") == 512 << 20 and parse_size("0") == 0
    with pytest.raises(argparse.ArgumentTypeError):
        parse_size("lots")


def _nb(*sources, test_source="from autograder.checks.lesson01 import check_mlp\ncheck_mlp(MLP)"):
    setup = new_code_cell("import torch\nfrom torch import nn\nimport torch.nn.functional as F\n"
                          "from collections import OrderedDict")
    setup.metadata["nbgrader"] = {"grade_id": "setup", "locked": True, "grade": False, "solution": False}
    answer = new_code_cell("\n".join(sources) or "class MLP: pass")
    answer.metadata["nbgrader"] = {"grade_id": "ex01_mlp", "solution": True, "grade": False, "locked": False}
    test = new_code_cell(test_source)
    test.metadata["nbgrader"] = {"grade_id": "ex01_mlp_tests", "grade": True, "points": 3, "locked": True,
                                 "solution": False}
    return new_notebook(cells=[setup, answer, test])


def test_flags_name_what_the_answer_touches():
    nb = _nb("import torch as t, sys\nfrom autograder.feedback import Exercise",
             "t.allclose = lambda *a, **k: True\nExercise.require = print\nsys.modules['x'] = None",
             "setattr(t.Tensor, '__eq__', None)\nimport inspect\nf = inspect.currentframe().f_back")
    flags = flag_notebook(nb.cells)
    for expected in ("assigns to torch.allclose", "assigns to autograder.feedback.Exercise.require",
                     "assigns to sys.modules[...]", "calls setattr() on torch.Tensor", "inspects call frames"):
        assert any(expected in f for f in flags), (expected, flags)
    assert all(f.startswith("ex01_mlp: ") for f in flags)
    assert flag_notebook(_nb("class MLP(nn.Module):\n    def forward(self, x):\n        self.y = x\n"
                             "        return F.relu(x)").cells) == []


def test_injected_cells_and_their_bookkeeping():
    nb = _nb()
    executed, plan = inject(nb)
    roles = [c.metadata.get("nnm_grading") for c in executed.cells]
    assert roles == ["preamble", None, None, "guard", None]
    assert plan.guards == {3: "ex01_mlp_tests"}
    assert setup_bindings(nb.cells) == [("torch", "torch", ""), ("nn", "torch", "nn"),
                                        ("F", "torch.nn.functional", ""), ("OrderedDict", "collections", "OrderedDict")]
    assert course_imports(nb.cells[2].source) == ["autograder.checks.lesson01"]
    assert plan.secret not in executed.cells[3].source
    # a run where the guard and the witness both reported: nothing to add, marks removed
    guard, test = executed.cells[3], executed.cells[4]
    guard.outputs = [new_output("stream", name="stdout", text=f"nnm-guard {plan.nonce('guard', 'ex01_mlp_tests')} "
                                                            '["torch.allclose"]\n')]
    test.outputs = [new_output("stream", name="stdout", text="hello\nnnm-wit"),
                    new_output("stream", name="stdout", text=f"ness {plan.nonce('witness', 'ex01_mlp_tests')}\n")]
    clean, findings = collect(executed, plan)
    assert [c.metadata.get("nnm_grading") for c in clean.cells] == [None, None, None]
    assert clean.cells[2].outputs == [new_output("stream", name="stdout", text="hello\n")]
    assert findings.restored == {"ex01_mlp_tests": ["torch.allclose"]} and findings.problems == {}


@pytest.mark.parametrize("guard_text,witness", [("", True), ("nnm-guard forged []\n", True), (None, False)])
def test_missing_or_forged_marks_zero_the_test(guard_text, witness):
    executed, plan = inject(_nb())
    good_guard = f"nnm-guard {plan.nonce('guard', 'ex01_mlp_tests')} []\n"
    executed.cells[3].outputs = [new_output("stream", name="stdout", text=good_guard if guard_text is None else guard_text)]
    executed.cells[4].outputs = ([new_output("stream", name="stdout",
                                             text=f"nnm-witness {plan.nonce('witness', 'ex01_mlp_tests')}\n")]
                                 if witness else [])
    clean, findings = collect(executed, plan)
    assert "ex01_mlp_tests" in findings.problems
    assert [o["ename"] for o in clean.cells[2].outputs] == ["GradingIntegrityError"]


def test_nonces_depend_on_the_secret():
    a, b = Plan("t", "secret-a"), Plan("t", "secret-b")
    assert a.nonce("guard", "x") != b.nonce("guard", "x") and a.nonce("guard", "x") != a.nonce("witness", "x")


def test_package_image_notices_changes(tmp_path):
    image = PackageImage(ROOT / "autograder")
    assert "autograder/feedback.py" in image.files and not any("grading" in f for f in image.files)
    assert any(f.endswith(".pyc") for f in image.files)
    root = image.write(tmp_path)
    assert image.differences(tmp_path) == []
    (root / "autograder" / "feedback.py").chmod(0o644)
    (root / "autograder" / "feedback.py").write_text("# patched")
    (root / "autograder").chmod(0o755)
    (root / "autograder" / "extra.py").write_text("")
    assert image.differences(tmp_path) == ["changed autograder/feedback.py", "added autograder/extra.py"]


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
    assert lines[0] == "student,assignment,ex01_mlp,ex01_my_sequential,total,max,status,flags"
    assert lines[1] == "ann,01_module_construction,3,0,3,6,graded,0"
    page = (paths["feedback"] / "ann.html").read_text()
    assert "wrong &lt;b&gt;" in page and "wrong <b>" not in page
    assert "bob" in paths["flags"].read_text() and paths["summary"].stat().st_size > 1000


def test_result_store_round_trip(tmp_path):
    store = ResultStore(tmp_path)
    result = _result("ann", {"ex01_mlp": 3})
    store.put(result)
    assert store.get("ann", "01_module_construction", "01_module_construction") == result
    assert store.all() == [result] and store.get("bob", "a", "b") is None


def test_progress_bar_draws_one_line(tmp_path):
    stream = (tmp_path / "bar").open("w+", newline="")
    bar = ProgressBar(2, stream=stream, enabled=True)
    bar.start("ann/01")
    bar.finish("ann/01")
    bar.close()
    stream.seek(0)
    text = stream.read()
    assert "1/2" in text and "\r" in text and text.endswith("\n")


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
