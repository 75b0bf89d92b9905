"""Where kernels come from: forked from a warm server (default) or started fresh, under limits.

Every notebook runs in its own kernel process. :class:`ForkKernels` starts
``forkserver.py`` once, with torch and ipykernel imported, and each kernel is a fresh
``fork()`` of it: the same isolation as a new process, without paying ``import torch`` per
notebook. :class:`FreshKernels` starts ``python -m ipykernel_launcher`` each time, the way
nbgrader does, through ``limited.py`` so the same limits apply.

Both give kernels an address-space limit (RLIMIT_AS, the memory limit), a file-size limit,
a private scratch directory as working directory and home, and, when the grader runs as
root, an unprivileged uid (``nobody``) so that student code cannot write the gradebook,
the course or other students' files.
"""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .sandbox import COPY, PackageImage, remove

HERE = Path(__file__).resolve().parent
FORKSERVER = HERE / "forkserver.py"
FORKCLIENT = HERE / "forkclient.py"
LIMITED = HERE / "limited.py"

#: Modules a kernel imports while it starts (ipykernel, IPython, debugpy) or that every
#: notebook of the course imports: loading them once in the fork server is what makes a
#: forked kernel cheap. Missing ones are skipped.
PRELOAD = (
    "torch", "torch.nn", "torch.nn.functional", "torch.optim", "collections",
    "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger",
    "ipykernel.comm", "IPython.core.completerlib", "IPython.core.debugger", "IPython.core.oinspect",
    "IPython.extensions.storemagic", "IPython.utils.wildcard", "tornado.platform.asyncio",
    "sqlite3", "psutil", "pdb", "faulthandler",
)
NOBODY = 65534
GIB = 1 << 30


@dataclass(frozen=True)
class Limits:
    """Per-kernel limits: ``memory`` bytes of address space (0: none), torch ``threads``, and
    ``uid``, the user kernels run as (-1: the grader's own; see :func:`unprivileged_uid`)."""

    memory: int = 2 * GIB
    file_size: int = 1 * GIB
    threads: int = 1
    uid: int = -1


def setup_imports(notebooks: list[Path]) -> tuple[str, ...]:
    """Top-level modules the locked set-up cells of ``notebooks`` import (preloaded by the fork server)."""
    found: set[str] = set()
    for path in notebooks:
        try:
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        except (OSError, ValueError, KeyError):
            continue
        for cell in cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell.get("cell_type") != "code" or not meta.get("locked") or meta.get("grade") or meta.get("solution"):
                continue
            try:
                tree = ast.parse("".join(cell.get("source", "")))
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    found.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found.add(node.module)
    return tuple(sorted(found))


def unprivileged_uid(paths: list[Path]) -> int:
    """``nobody`` when the grader runs as root and ``nobody`` can run this Python; else -1.

    Kernels that run as ``nobody`` cannot write the gradebook, the course or other students'
    files. It needs an interpreter, standard library and ``paths`` that ``nobody`` can read
    (a system or container Python; not one installed under /root).
    """
    if os.name != "posix" or os.geteuid() != 0:
        return -1
    probe = "import fractions, sys\nfor p in sys.argv[1:]: open(p, 'rb').close()"
    try:
        done = subprocess.run([sys.executable, "-I", "-c", probe, *map(str, paths)], user=NOBODY, group=NOBODY,
                              cwd="/", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return -1
    return NOBODY if done.returncode == 0 else -1


class _Kernels:
    """Scratch directories and kernel managers shared by both kinds of kernel source."""

    def __init__(self, limits: Limits, image: PackageImage, run_dir: Path) -> None:
        self.limits = limits
        self.image = image
        self.run_dir = run_dir
        self._count = 0

    def workdir(self) -> Path:
        """A new private directory for one kernel (owned by the kernel's uid), with its copy of the
        course package in ``.course/``."""
        self._count += 1
        path = Path(tempfile.mkdtemp(prefix=f"k{self._count}-", dir=self.run_dir))
        self.image.write(path)
        if self.limits.uid >= 0:
            os.chown(path, self.limits.uid, self.limits.uid)
        return path

    def tampering(self, workdir: Path) -> list[str]:
        """How the kernel changed its copy of the course package (empty: untouched)."""
        return self.image.differences(workdir)

    def environment(self, workdir: Path) -> dict[str, str]:
        """The kernel's environment: the grader's, minus test-runner and notebook noise."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("PYTEST_", "JPY_", "JUPYTER_", "IPYTHON", "MPLCONFIG"))}
        env.update(HOME=str(workdir), IPYTHONDIR=str(workdir / ".ipython"), MPLCONFIGDIR=str(workdir / ".mpl"),
                   PYDEVD_DISABLE_FILE_VALIDATION="1", OMP_NUM_THREADS=str(self.limits.threads),
                   PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=str(workdir / COPY), MALLOC_ARENA_MAX="2")
        return env

    def argv(self) -> list[str]:
        """The kernel command jupyter_client runs (``{connection_file}`` filled in by it)."""
        raise NotImplementedError

    def cleanup(self, workdir: Path) -> None:
        remove(workdir)

    def start(self) -> None:
        """Start what serves kernels (without waiting for it)."""

    def wait_ready(self) -> None:
        """Block until kernels can be started."""

    def close(self) -> None:
        """Stop whatever serves kernels."""


class FreshKernels(_Kernels):
    """A new ``python -m ipykernel_launcher`` per notebook, as nbgrader starts them."""

    name = "fresh"

    def argv(self) -> list[str]:
        wrapper = [sys.executable, "-I", "-S", str(LIMITED), "--memory", str(self.limits.memory),
                   "--file-size", str(self.limits.file_size), "--uid", str(self.limits.uid), "--"]
        return [*wrapper, sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]


class ForkKernels(_Kernels):
    """Kernels forked from one warm server process (torch already imported)."""

    name = "fork"

    def __init__(self, limits: Limits, image: PackageImage, run_dir: Path, preload: tuple[str, ...] = PRELOAD,
                 log: Path | None = None) -> None:
        super().__init__(limits, image, run_dir)
        self.socket = run_dir / "fork.sock"
        self.preload = preload
        self.log = log
        self.server: subprocess.Popen | None = None

    def start(self) -> None:
        """Start the server; it imports torch (a second or two) while the caller goes on."""
        command = [sys.executable, "-I", str(FORKSERVER), str(self.socket), "--memory", str(self.limits.memory), "--file-size", str(self.limits.file_size),
                   "--threads", str(self.limits.threads), "--uid", str(self.limits.uid),
                   "--preload", *self.preload]
        env = self.environment(self.run_dir)
        stderr = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115 - kept by Popen
        self.server = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
                                       env=env, cwd=self.run_dir, start_new_session=True)
        if stderr is not subprocess.DEVNULL:
            stderr.close()

    def wait_ready(self) -> None:
        """Block until the server has imported its modules and listens."""
        assert self.server is not None and self.server.stdout is not None
        line = self.server.stdout.readline()
        if line.strip() != b"ready":
            raise RuntimeError(f"the kernel fork server did not start (see {self.log or 'its log'})")

    def argv(self) -> list[str]:
        return [sys.executable, "-I", "-S", str(FORKCLIENT), str(self.socket), "-f", "{connection_file}"]

    def close(self) -> None:
        if self.server is None:
            return
        try:
            if self.server.stdin:
                self.server.stdin.close()
            self.server.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.server.kill()
            self.server.wait()
        finally:
            if self.server.stdout:
                self.server.stdout.close()
            self.server = None


def kernel_source(kind: str, limits: Limits, image: PackageImage, run_dir: Path, log: Path | None = None,
                  preload: tuple[str, ...] = ()) -> FreshKernels | ForkKernels:
    """``"fork"`` (default) or ``"fresh"`` kernels; ``preload``: more modules for the fork server."""
    if kind == "fork":
        return ForkKernels(limits, image, run_dir, preload=PRELOAD + preload, log=log)
    if kind == "fresh":
        return FreshKernels(limits, image, run_dir)
    raise ValueError(f"unknown kernel kind {kind!r} (fork or fresh)")
