"""``make lab`` / ``make instructor`` (nnmodule_course.lab) without a browser: the learner's copies,
the command line, the two modes' configuration, the terminals' Python and the course kernel.
tests/test_browser.py drives the same command line in Chromium."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from traitlets.config import Config

from course import ROOT
from nnmodule_course import lab

LESSON = "01_module_construction"


def test_exercises_are_copied_into_my_work_once_and_never_overwritten(tmp_path):
    shutil.copytree(ROOT / "exercises" / LESSON, tmp_path / "exercises" / LESSON)
    copied = lab.copy_exercises(tmp_path)
    mine = tmp_path / "my-work" / LESSON / f"{LESSON}.ipynb"
    assert copied == [mine] and mine.read_bytes() == (ROOT / "exercises" / LESSON / f"{LESSON}.ipynb").read_bytes()
    mine.write_text("my answers")
    (tmp_path / "exercises" / LESSON / f"{LESSON}.ipynb").write_text("a new release")   # make exercises, git pull
    assert lab.copy_exercises(tmp_path) == []
    assert mine.read_text() == "my answers"


def test_command_opens_start_here_and_passes_options_through(tmp_path):
    cmd = lab.command(tmp_path, ["--ip=0.0.0.0", "--no-browser"])
    assert cmd[:3] == [sys.executable, "-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={tmp_path.resolve()}" in cmd
    # LabApp's default_url is what `jupyter lab` prints and opens (ServerApp's is overridden by it)
    assert "--LabApp.default_url=/lab/tree/START_HERE.ipynb" in cmd
    assert cmd[-2:] == ["--ip=0.0.0.0", "--no-browser"]


def test_makefile_targets_run_the_same_command_line():
    for target, expected in (("lab", "-m nnmodule_course.lab --no-browser"),
                             ("instructor", "-m nnmodule_course.lab --instructor --no-browser")):
        done = subprocess.run(["make", "--no-print-directory", "-n", target, "ARGS=--no-browser"], cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[-1].endswith(expected), done.stdout


@pytest.mark.parametrize("mode", lab.MODES)
def test_environment_puts_the_course_python_and_the_mode_first(mode):
    env = lab.environment(mode, {"PATH": "/usr/bin", "JUPYTER_CONFIG_PATH": "/mine", "SHELL": "/bin/bash"})
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)
    assert env["JUPYTER_CONFIG_PATH"].split(os.pathsep) == [str(lab.CONFIG / mode), "/mine"]
    assert env[lab.BIN_VAR] == str(Path(sys.executable).parent)


def _page_config(mode: str) -> list[str]:
    """disabledExtensions as JupyterLab computes it from the config path of ``mode``."""
    code = ("import json; from jupyterlab_server.config import get_page_config; "
            "print(json.dumps(get_page_config([])['disabledExtensions']))")
    env = lab.environment(mode)
    env["JUPYTER_CONFIG_DIR"] = str(ROOT / "build" / "no-such-config-dir")   # ignore the developer's own
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_learner_lab_has_validate_but_no_instructor_tools():
    disabled = _page_config("learner")
    for plugin in ("formgrader", "create-assignment", "course-list", "assignment-list", "menu"):
        assert f"@jupyter/nbgrader:{plugin}" in disabled
    assert "@jupyter/nbgrader:validate-assignment" not in disabled and "@jupyter/nbgrader" not in disabled
    c = Config()
    lab.configure(c, "learner")
    extensions = c.ServerApp.jpserver_extensions.to_dict()["update"]
    assert extensions["nbgrader.server_extensions.formgrader"] is False
    assert extensions["nbgrader.server_extensions.validate_assignment"] is True
    assert {"solutions", "exercises", "src", "tests"} <= set(c.ContentsManager.hide_globs)
    assert c.MappingKernelManager.default_kernel_name == lab.KERNEL_NAME


def test_instructor_lab_has_every_nbgrader_tool():
    assert not [p for p in _page_config("instructor") if p.startswith("@jupyter/nbgrader")]
    c = Config()
    lab.configure(c, "instructor")
    assert all(c.ServerApp.jpserver_extensions.to_dict()["update"].values())
    assert "hide_globs" not in c.ContentsManager


@pytest.mark.parametrize("mode", lab.MODES)
def test_page_config_files_are_in_step(mode):
    stored = json.loads((lab.CONFIG / mode / "labconfig" / "page_config.json").read_text())
    assert stored == {"disabledExtensions": lab.lab_plugins(mode)}


def test_terminal_bash_runs_the_course_python_whatever_bashrc_says(tmp_path):
    """~/.bashrc puts another `python` first (as pyenv or conda do); the lab's terminal still finds ours."""
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash on this machine (the terminals then use the login shell's PATH as is)")
    other = tmp_path / "other-bin"
    other.mkdir()
    (other / "python").write_text("#!/bin/sh\necho other python\n")
    (other / "python").chmod(0o755)
    (tmp_path / ".bashrc").write_text(f'export PATH="{other}:$PATH"\n')
    env = {**lab.environment("learner", {"PATH": os.environ["PATH"], "SHELL": bash}), "HOME": str(tmp_path)}
    cmd = lab.terminal_command(bash)
    done = subprocess.run([*cmd, "-c", "command -v python"], env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=30)
    assert done.stdout.strip().splitlines()[-1] == str(Path(sys.executable).parent / "python"), done


def test_the_course_kernel_is_installed_and_named_by_the_notebooks():
    spec = json.loads((lab.kernel_dir() / "kernel.json").read_text())
    assert spec["argv"][0] == sys.executable and spec["display_name"] == lab.KERNEL_DISPLAY_NAME
    sys.path.insert(0, str(ROOT / "tools"))
    import notebooks

    assert notebooks.METADATA["kernelspec"]["name"] == lab.KERNEL_NAME
    for path in [ROOT / "START_HERE.ipynb", *sorted((ROOT / "exercises").glob("*/*.ipynb"))]:
        assert json.loads(path.read_text())["metadata"]["kernelspec"]["name"] == lab.KERNEL_NAME, path
