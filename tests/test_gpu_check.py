"""tools/gpu_check.py (make gpu-check): the proof on every device, so that it cannot rot between GPU runs.

The real command runs here on one lesson (its answers and its notebook; make gpu-check runs all of
them, and test_answers/nbval already run every answer and lesson on the CPU). The parts whose
behaviour differs on a GPU are tested with the device list given explicitly: the judging of
wrong-on-cuda answers, the per-device restriction NNM_DEVICES, and lesson 08's figure rule.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest
import torch

from autograder.devices import devices
from autograder.feedback import ExerciseFailure, NotAttempted
from course import ANSWER_MARKER, ROOT, answers, judge

# tools/ is not put on sys.path: it holds modules (site.py) that would shadow others.
_spec = importlib.util.spec_from_file_location("gpu_check", ROOT / "tools" / "gpu_check.py")
gpu_check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gpu_check)

LESSON = "02_containers"


# ------------------------------------------------------------------------- NNM_DEVICES


def test_nnm_devices_restricts_the_devices_test_cells_check(monkeypatch):
    everything = [d.type for d in devices()]
    monkeypatch.setenv("NNM_DEVICES", "cpu")
    assert [d.type for d in devices()] == ["cpu"]
    monkeypatch.setenv("NNM_DEVICES", " ")
    assert [d.type for d in devices()] == everything
    monkeypatch.delenv("NNM_DEVICES")
    assert [d.type for d in devices()] == everything


def test_nnm_devices_naming_a_missing_device_is_an_error(monkeypatch):
    monkeypatch.setenv("NNM_DEVICES", "cpu,tpu")
    with pytest.raises(RuntimeError, match="NNM_DEVICES.*tpu"):
        devices()
    if not torch.cuda.is_available():
        monkeypatch.setenv("NNM_DEVICES", "cuda")
        with pytest.raises(RuntimeError, match="names cuda, which this machine does not have"):
            devices()


def test_only_restores_the_variable(monkeypatch):
    from autograder.devices import ENV_VAR

    assert gpu_check.ENV_VAR == ENV_VAR == "NNM_DEVICES"
    monkeypatch.delenv("NNM_DEVICES", raising=False)
    with gpu_check.only("cpu"):
        assert [d.type for d in devices()] == ["cpu"]
    assert "NNM_DEVICES" not in os.environ


# ------------------------------------------------------------------------- answer kinds


def test_answer_marker_reads_the_new_kind():
    found = ANSWER_MARKER.match("# %% ex06_my_linear wrong-on-cuda same device")
    assert found.groups() == ("ex06_my_linear", "wrong-on-cuda", "same device")
    assert ANSWER_MARKER.match("# %% ex01_mlp wrong act (ReLU)").groups() == ("ex01_mlp", "wrong", "act (ReLU)")
    assert ANSWER_MARKER.match("# %% ex01_mlp alt").groups() == ("ex01_mlp", "alt", None)


def test_the_course_has_wrong_on_cuda_answers():
    from nnmodule_course.spec import LESSONS

    cuda_only = [a for slug in LESSONS for a in answers(slug) if a.kind == "wrong-on-cuda"]
    assert len({a.exercise for a in cuda_only}) >= 4, [a.name for a in cuda_only]
    assert all(a.expect for a in cuda_only), "every wrong-on-cuda answer needs the phrase its message must contain"


FAIL_CUDA = ExerciseFailure("ex06_my_linear [cuda]: net(x) raised RuntimeError: Expected all tensors to be on "
                            "the same device, but found at least two devices, cuda:0 and cpu!")
FAIL_CPU = ExerciseFailure("ex06_my_linear [cpu]: attribute 'weight' is a plain tensor, so .to(device) leaves it behind")


@pytest.mark.parametrize("kind,expect,checked,error,stderr,problem", [
    ("reference", "", ["cpu"], None, "", None),
    ("reference", "", ["cuda"], None, "UserWarning: TF32", "writes to stderr"),
    ("alt", "", ["cuda"], FAIL_CUDA, "", "a correct alternative fails"),
    ("wrong", "plain tensor", ["cpu"], FAIL_CPU, "", None),
    ("wrong", "plain tensor", ["cuda"], FAIL_CPU, "", "should start with 'ex06_my_linear [cuda]: '"),
    ("wrong", "plain tensor", ["cpu"], None, "", "passes the test cell"),
    ("wrong", "plain tensor", ["cpu"], RuntimeError("boom"), "", "bare RuntimeError"),
    ("wrong", "plain tensor", ["cpu"], NotAttempted("ex06_my_linear [cpu]: not attempted yet"), "", "not attempted"),
    ("wrong-on-cuda", "same device", ["cpu"], None, "", None),
    ("wrong-on-cuda", "same device", ["cpu"], FAIL_CPU, "", "right on the CPU fails"),
    ("wrong-on-cuda", "same device", ["cuda"], FAIL_CUDA, "", None),
    ("wrong-on-cuda", "same device", ["cpu", "cuda"], FAIL_CUDA, "", None),
    ("wrong-on-cuda", "same device", ["cuda"], None, "", "passes the test cell on cuda"),
    ("wrong-on-cuda", "same device", ["cpu", "cuda"], FAIL_CPU, "", "should start with 'ex06_my_linear [cuda]: '"),
    ("wrong-on-cuda", "is now on cpu", ["cuda"], FAIL_CUDA, "", "should mention 'is now on cpu'"),
])
def test_judge(kind, expect, checked, error, stderr, problem):
    got = judge(kind, "ex06_my_linear", expect, checked, error, stderr)
    if problem is None:
        assert got is None
    else:
        assert got is not None and problem in got, got


# ------------------------------------------------------------------------- exercises, in-process


def test_a_misjudged_answer_is_a_failure_that_names_the_device():
    slug, exercise = LESSON, "ex02_stacked_linear"
    cases = gpu_check.answer_cases(slug, exercise)
    wrong = next(c for c in cases if c["kind"] == "wrong")
    mislabelled = {**wrong, "answer": "alt9", "kind": "alt", "expect": ""}
    summary, records = gpu_check.check_exercise(slug, exercise, ["cpu"], repeats=1, cases=[cases[0], mislabelled])
    assert summary["devices"]["cpu"]["status"] == "failed"
    assert summary["devices"]["cpu"]["as_expected"] == 1 and summary["devices"]["cpu"]["checked"] == 2
    assert summary["devices"]["cpu"]["seconds"] > 0
    assert summary["devices"]["cuda"] == {"status": "not run"}
    bad = [r for r in records if not r["ok"]]
    assert len(bad) == 1 and bad[0]["problem"].startswith("ex02_stacked_linear [cpu]: alt9: a correct alternative fails")


# ------------------------------------------------------------------------- lessons


def _notebook(path, *sources):
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def test_lesson_runner_reports_errors_stderr_and_figures(tmp_path):
    _notebook(tmp_path / "01_plots.ipynb", "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()",
              "print('fine')")
    _notebook(tmp_path / "08_broken.ipynb", "import sys\nprint('careful', file=sys.stderr)",
              "raise ValueError('no such device')", "print('still runs')")
    plots, broken = gpu_check.run_lessons(["01_plots", "08_broken"], ["cpu", "cuda"], jobs=2, cell_timeout=60,
                                          figure_dir=tmp_path, folder=tmp_path)
    assert plots["status"] == "passed" and plots["images"] == 1 and plots["cells"] == 2, plots
    assert broken["status"] == "failed"
    problems = " / ".join(broken["problems"])
    assert "08_broken [cpu, cuda]: cell 1 wrote to stderr: 'careful" in problems
    assert "cell 2 raised ValueError: no such device" in problems
    assert "no image/png output" in problems          # lesson 08 on a machine with cuda must draw its figure
    assert not (tmp_path / "lesson08_figure.png").exists()


# ------------------------------------------------------------------------- results


def _result(ok: bool) -> dict:
    cpu = {"status": "passed", "as_expected": 5, "checked": 5, "seconds": 0.004}
    cuda = {"status": "failed", "as_expected": 4, "checked": 5, "seconds": 0.009} if not ok else \
        {"status": "passed", "as_expected": 5, "checked": 5, "seconds": 0.009}
    failures = [] if ok else ["ex01_mlp [cuda]: wrong-on-cuda1: a wrong answer passes the test cell on cuda"]
    return {
        "environment": {"date": "2026-12-01 12:00 UTC", "python": "3.12.3", "platform": "Linux x86_64, 16 CPU cores",
                        "torch": "2.11.0+cu130", "cuda_runtime": "13.0", "gpu": "NVIDIA H200",
                        "devices": ["cpu", "cuda"]},
        "command": "python tools/gpu_check.py", "lessons_selected": ["01_module_construction"], "repeats": 5,
        "ok": ok, "failures": failures, "seconds": 61.0, "records": [],
        "exercises": [{"exercise": "ex01_mlp", "lesson": "01_module_construction", "answers": 5,
                       "devices": {"cpu": cpu, "cuda": cuda, "mps": {"status": "not run"}}},
                      {"exercise": "ex02_head_selector", "lesson": "02_containers", "answers": 7,
                       "devices": {d: {"status": "not run"} for d in ("cpu", "cuda", "mps")}}],
        "lessons": [{"lesson": "08_gpu_placement", "status": "passed", "seconds": 7.25, "cells": 30, "images": 1,
                     "problems": []},
                    {"lesson": "09_optimizers_and_parameters", "status": "not run", "problems": []}],
    }


def test_results_table_and_json(tmp_path):
    json_path, md_path = gpu_check.write_results(_result(ok=False), tmp_path)
    assert json.loads(json_path.read_text()) == _result(ok=False)
    md = md_path.read_text()
    assert "| ex01_mlp | 5 | passed, 4.0 ms | failed (1 of 5), 9.0 ms | not run |" in md
    assert "| ex02_head_selector | 7 | not run | not run | not run |" in md
    assert "| 08_gpu_placement | passed | 7.2 | 1 |" in md
    assert "| 09_optimizers_and_parameters | not run | | |" in md
    assert "| GPU | NVIDIA H200 |" in md and "2.11.0+cu130" in md and "2026-12-01" in md
    assert "- ex01_mlp [cuda]: wrong-on-cuda1: a wrong answer passes the test cell on cuda" in md
    assert "lesson 08 drew its CPU-vs-GPU figure" in md
    ok = gpu_check.render_markdown(_result(ok=True))
    assert "everything behaved as expected" in ok and "## Problems\n\nNone." in ok


def test_device_command_fits_the_device_tool():
    command = gpu_check.DEVICE_COMMAND
    assert len(command) <= 2000
    assert ("python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "
            "/tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site || exit;") in command
    assert "tools/gpu_check.py --out $OUT" in command and gpu_check.DEVICE_CARRY == [".whl"]
    assert 60 <= gpu_check.DEVICE_TIMEOUT_S <= 600
    wheels = (ROOT / "tools" / "gpu-wheels.txt").read_text().split()
    pinned = [w for w in wheels if "==" in w]
    for needed in ("nbclient", "nbformat", "ipykernel", "jupyter_client", "pyzmq", "matplotlib-inline"):
        assert any(w.startswith(needed + "==") for w in pinned), needed
    assert not any(w.startswith(("torch==", "numpy==", "matplotlib==", "nbgrader==", "jupyterlab==")) for w in pinned)


def test_committed_device_table_lists_every_exercise_and_the_command():
    from nnmodule_course.spec import LESSONS

    md = (ROOT / "docs" / "devices.md").read_text(encoding="utf-8")
    for meta in LESSONS.values():
        for exercise in meta["exercises"]:
            assert f"| {exercise} |" in md, exercise
    assert gpu_check.DEVICE_COMMAND in md, "docs/devices.md is older than tools/gpu_check.py: run make gpu-check"
    data = json.loads((ROOT / "docs" / "devices.json").read_text(encoding="utf-8"))
    assert {e["exercise"] for e in data["exercises"]} == {e for m in LESSONS.values() for e in m["exercises"]}


# ------------------------------------------------------------------------- the real command


def test_gpu_check_command_on_one_lesson(tmp_path):
    """python tools/gpu_check.py --lessons 02_containers: its answers on every device here, its notebook."""
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "gpu_check.py"), "--lessons", LESSON,
                           "--out", str(tmp_path), "--repeats", "2", "--jobs", "1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads((tmp_path / "devices.json").read_text())
    here = [d.type for d in devices()]
    assert result["ok"] and result["environment"]["devices"] == here
    assert result["environment"]["gpu"] == ("none" if here == ["cpu"] else result["environment"]["gpu"])
    mine = [e for e in result["exercises"] if e["lesson"] == LESSON]
    assert [e["exercise"] for e in mine] == ["ex02_stacked_linear", "ex02_head_selector", "ex02_chained_matmul"]
    for e in mine:
        expected = 1 + sum(a.exercise == e["exercise"] for a in answers(LESSON))
        assert e["answers"] == expected
        for device in ("cpu", "cuda", "mps"):
            entry = e["devices"][device]
            if device in here:
                assert entry["status"] == "passed" and entry["checked"] == expected and entry["seconds"] > 0
            else:
                assert entry == {"status": "not run"}
    others = [e for e in result["exercises"] if e["lesson"] != LESSON]
    assert others and all(d["status"] == "not run" for e in others for d in e["devices"].values())
    lessons = {lesson["lesson"]: lesson for lesson in result["lessons"]}
    assert lessons[LESSON]["status"] == "passed" and lessons[LESSON]["cells"] > 10
    assert all(lesson["status"] == "not run" for slug, lesson in lessons.items() if slug != LESSON)
    kinds = {(r["kind"], r["device"], r["outcome"]) for r in result["records"]}
    assert ("wrong-on-cuda", "cpu", "passed") in kinds and ("wrong", "cpu", "failed") in kinds
    md = (tmp_path / "devices.md").read_text()
    assert "| ex02_chained_matmul | " in md and f"| {LESSON} | passed |" in md
