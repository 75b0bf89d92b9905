"""Start JupyterLab on the course: ``make lab`` (a learner's lab) and ``make instructor``.

``python -m nnmodule_course.lab [--instructor] [JUPYTER LAB OPTIONS ...]`` is the one command
line behind both targets (and behind the browser test, which starts the lab the same way):

1. it copies each released exercise notebook, ``exercises/NN_slug/NN_slug.ipynb``, into the
   learner's own ``my-work/NN_slug/NN_slug.ipynb`` when there is no copy there yet (never
   overwriting one: ``make exercises``, nbgrader and ``git pull`` only ever touch ``exercises/``);
2. it installs the course's Jupyter kernel, :data:`KERNEL_NAME`, into this Python's
   ``share/jupyter`` (``--sys-prefix``) when it is missing;
3. it starts ``jupyter lab`` rooted at the course, with every URL it prints opening
   ``START_HERE.ipynb``, this Python's ``bin`` first on ``PATH`` (also in the lab's terminals,
   see :func:`terminal_command`) and the mode's Jupyter configuration first on
   ``JUPYTER_CONFIG_PATH`` (``nnmodule_course/jupyter/<mode>/``):

   - ``learner``: nbgrader's Validate button; no Formgrader, Create Assignment, course or
     assignment list, no Nbgrader menu (it would list only those); the file browser hides ``solutions/``, ``exercises/`` and the course's
     machinery (hidden from the listing only: the repository is open and holds the answers);
   - ``instructor``: every nbgrader extension, every file.

Options it does not know (``--ip=0.0.0.0 --no-browser --port=8890``) go to ``jupyter lab``.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .spec import LESSONS

KERNEL_NAME = "nnmodule-course"
KERNEL_DISPLAY_NAME = "Python (nn.Module course)"
START_PAGE = "START_HERE.ipynb"
RELEASED = "exercises"
WORK = "my-work"
CONFIG = Path(__file__).resolve().parent / "jupyter"
MODES = ("learner", "instructor")
BIN_VAR = "NNMODULE_COURSE_BIN"      # the course Python's bin folder, for the terminals' rc files

#: nbgrader's parts (server extension and JupyterLab plugin) that each mode switches on.
NBGRADER = {
    "learner": {"validate_assignment": True, "formgrader": False, "assignment_list": False,
                "course_list": False, "create_assignment": False, "menu": False},
    "instructor": {"validate_assignment": True, "formgrader": True, "assignment_list": True,
                   "course_list": True, "create_assignment": True, "menu": True},
}
LAB_ONLY = ("create_assignment", "menu")   # JupyterLab plugins without a server extension
#: What a learner's file browser does not list (besides Jupyter's defaults).
LEARNER_HIDDEN = [
    "solutions", "exercises", "src", "tests", "tools", "docs", "site", "_site", "build", "dist",
    "artifacts", "autograder", "nnmodule_course", "grading", "submitted", "autograded", "feedback", "exchange",
    "*.egg-info", "Makefile", "conftest.py", "nbgrader_config.py", "pyproject.toml", "requirements*.lock",
    "environment.yml", "gradebook.db", "LICENSE*",
]
JUPYTER_DEFAULT_HIDDEN = ["__pycache__", "*.pyc", "*.pyo", ".DS_Store", "*~"]


def copy_exercises(root: Path) -> list[Path]:
    """Copy ``exercises/<slug>/`` files into ``my-work/<slug>/`` where no copy exists; return the new files."""
    root = Path(root)
    copied = []
    for slug in LESSONS:
        source = root / RELEASED / slug
        if not source.is_dir():
            continue
        for path in sorted(source.rglob("*")):
            if not path.is_file() or ".ipynb_checkpoints" in path.parts or "__pycache__" in path.parts:
                continue
            target = root / WORK / path.relative_to(root / RELEASED)
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
            copied.append(target)
    return copied


def kernel_dir(prefix: str | None = None) -> Path:
    """Where the course kernel's spec lives: ``<prefix>/share/jupyter/kernels/nnmodule-course``."""
    return Path(prefix or sys.prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME


def install_kernel(prefix: str | None = None) -> Path:
    """Install the course kernel (this Python) into ``prefix`` (default: this environment), quietly."""
    subprocess.run([sys.executable, "-m", "ipykernel", "install", "--prefix", prefix or sys.prefix,
                    "--name", KERNEL_NAME, "--display-name", KERNEL_DISPLAY_NAME],
                   check=True, stdout=subprocess.DEVNULL)
    return kernel_dir(prefix)


def terminal_command(shell: str | None = None) -> list[str]:
    """The shell that the lab's terminals run: the learner's own shell, with its usual start-up
    files, and then this Python's ``bin`` put first on ``PATH`` (so that ``python -m autograder``
    is the course's Python even when ``~/.bashrc`` puts pyenv or conda first). bash reads
    ``jupyter/terminal/bashrc``; zsh ``jupyter/terminal/zsh/`` (through ``ZDOTDIR``, see
    :func:`environment`); other shells just inherit ``PATH``. Never a login shell, whose
    ``/etc/profile`` would reset ``PATH``."""
    shell = shell or os.environ.get("SHELL") or shutil.which("bash") or "sh"
    if Path(shell).name == "bash":
        return [shell, "--rcfile", str(CONFIG / "terminal" / "bashrc"), "-i"]
    return [shell]


def environment(mode: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment ``jupyter lab`` runs in (and its kernels and terminals inherit)."""
    env = dict(os.environ if base is None else base)
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([bindir, *[p for p in env.get("PATH", "").split(os.pathsep) if p]])
    env[BIN_VAR] = bindir
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
        [str(CONFIG / mode), *[p for p in env.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep) if p]])
    if Path(env.get("SHELL", "")).name == "zsh":
        env.setdefault("NNMODULE_COURSE_USER_ZDOTDIR", env.get("ZDOTDIR", env.get("HOME", "")))
        env["ZDOTDIR"] = str(CONFIG / "terminal" / "zsh")
    return env


def command(root: Path, extra: list[str] = ()) -> list[str]:
    """The ``jupyter lab`` command line: rooted at the course, every printed URL opening START_HERE."""
    root_flag = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    return [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={Path(root).resolve()}",
            f"--LabApp.default_url=/lab/tree/{START_PAGE}", *root_flag, *extra]


def configure(c, mode: str) -> None:  # noqa: ANN001 - traitlets' config object
    """Server-side settings of ``mode``; called from ``jupyter/<mode>/jupyter_server_config.py``."""
    c.ServerApp.jpserver_extensions.update(
        {f"nbgrader.server_extensions.{name}": on for name, on in NBGRADER[mode].items()
         if name not in LAB_ONLY})
    c.ServerApp.terminado_settings = {"shell_command": terminal_command()}
    c.MappingKernelManager.default_kernel_name = KERNEL_NAME
    if mode == "learner":
        c.ContentsManager.hide_globs = JUPYTER_DEFAULT_HIDDEN + LEARNER_HIDDEN


def lab_plugins(mode: str) -> dict[str, bool]:
    """``disabledExtensions`` of ``jupyter/<mode>/labconfig/page_config.json``: nbgrader's plugins."""
    plugins = {"@jupyter/nbgrader": False}
    for name, on in NBGRADER[mode].items():
        plugins[f"@jupyter/nbgrader:{name.replace('_', '-')}"] = not on
    return plugins


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nnmodule_course.lab", description=__doc__.split("\n\n")[0])
    parser.add_argument("--instructor", action="store_true",
                        help="nbgrader's Formgrader and Create Assignment, every file shown")
    parser.add_argument("--root", type=Path, default=Path.cwd(),
                        help="the course folder (default: the current folder)")
    parser.add_argument("--kernel", action="store_true",
                        help=f"only install the course's Jupyter kernel ({KERNEL_NAME}) into this environment")
    args, extra = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    if args.kernel:
        print(f"installed the kernel {KERNEL_DISPLAY_NAME!r} in {install_kernel()}")
        return 0
    root = args.root.resolve()
    if not (root / START_PAGE).exists():
        print(f"lab: {root} has no {START_PAGE}; run this from the course's folder", file=sys.stderr)
        return 2
    mode = "instructor" if args.instructor else "learner"
    copied = copy_exercises(root)
    if copied:
        print(f"Copied {len(copied)} exercise files into {WORK}/: work there. "
              f"Updates to the course never touch {WORK}/.", flush=True)
    if not (kernel_dir() / "kernel.json").exists():
        install_kernel()
    cmd, env = command(root, extra), environment(mode)
    if os.name == "posix":
        os.chdir(root)
        os.execve(sys.executable, cmd, env)
    return subprocess.call(cmd, cwd=root, env=env)


if __name__ == "__main__":
    sys.exit(main())
