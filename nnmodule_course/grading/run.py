"""One grading run: find submissions → sanitize → execute in a sandbox → judge → record → report.

The parent process does everything that touches the gradebook or the course folder, one
notebook at a time; kernels (one per notebook, each in its own bubblewrap sandbox, ``jobs`` at
a time) only execute. A notebook's grades are committed, its autograded copy written and its
result stored as soon as it is done, so an interrupted run loses nothing finished, and the
next run goes on from there.

This module imports only light modules: the warm kernel server is started first and imports
torch while this process imports nbgrader (:mod:`.pipeline`).
"""
from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import os
import secrets
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import report
from .course import ScratchCourse
from .results import FAILED, NotebookResult, ResultStore
from .sandbox import SandboxUnavailable, probe
from .submissions import discover

GIB = 1 << 30
#: Modules a kernel imports while it starts, or that every notebook of the course imports:
#: loading them once in the warm server is what makes a kernel cheap. Missing ones are skipped.
PRELOAD = ("torch", "torch.nn", "torch.nn.functional", "torch.optim", "collections",
           "torch._dynamo",       # imported by the first optimizer a notebook builds: ~1 s, paid once here
           "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.comm",
           "IPython.core.completerlib", "IPython.core.oinspect", "IPython.display",
           "tornado.platform.asyncio", "autograder.checks")


@dataclass
class Options:
    """Everything ``python -m autograder grade`` can be told."""

    submissions: Path
    course: Path
    out: Path
    assignment: str | None = None
    students: set[str] | None = None
    jobs: int = max(1, os.cpu_count() or 1)
    timeout: int | None = None          # None: the course's nbgrader config (Execute.timeout), else 60 s
    memory: int = 2 * GIB               # bytes of address space per kernel process, 0: no limit
    processes: int = 64                 # processes (and threads) per sandbox
    disk: int = 512 << 20               # the sandbox's scratch tmpfs
    shm: int = 64 << 20                 # its /dev/shm
    cpu_seconds: int = 900              # CPU time per kernel process
    sandbox: bool = True                # False only with --no-sandbox: printed in every report
    seed: int | None = None             # the run's seed (hidden cases); None: a new one
    force: bool = False
    progress: bool | None = None        # None: when stderr is a terminal
    reports: bool = True


@dataclass
class Summary:
    graded: list[NotebookResult] = field(default_factory=list)     # recorded in this run (any status)
    skipped: int = 0                                                 # already graded, unchanged
    notes: list[str] = field(default_factory=list)
    reports: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0
    interrupted: bool = False
    run_seed: int = 0
    sandboxed: bool = True

    @property
    def failed(self) -> list[NotebookResult]:
        return [r for r in self.graded if r.status == FAILED]


def kernel_package() -> Path:
    """The folder of the kernel-side package, ``autograder`` (found without importing it, or torch)."""
    spec = importlib.util.find_spec("autograder")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the course's kernel-side package 'autograder' is not installed")
    return Path(spec.origin).resolve().parent


def instructor_package() -> Path:
    return Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path``: one grading run per scratch course at a time."""
    with path.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise ValueError(f"another grading run is using {path.parent}") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def device_types() -> list[str]:
    """The devices every test cell must be observed on: those the kernel-side package finds here."""
    from autograder.devices import devices

    return [d.type for d in devices()]


def kernel_environment(threads: int) -> dict[str, str]:
    """A kernel's environment: nothing of the grader's but what Python, torch and CUDA need."""
    keep = ("LANG", "LC_ALL", "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "LD_LIBRARY_PATH")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.update(PATH=f"{Path(sys.executable).parent}:/usr/bin:/bin", PYTHONDONTWRITEBYTECODE="1",
               PYDEVD_DISABLE_FILE_VALIDATION="1", OMP_NUM_THREADS=str(threads), MALLOC_ARENA_MAX="2",
               MPLBACKEND="module://matplotlib_inline.backend_inline")
    return env


class Grader:
    """Grades the submissions described by :class:`Options`."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.course = ScratchCourse(options.course, options.out, options.timeout)
        self.store = ResultStore(self.course.work)
        self.summary = Summary(sandboxed=options.sandbox)

    def run(self) -> Summary:
        """Grade; returns what happened. Interrupting (Ctrl-C, SIGTERM) stops it cleanly."""
        with _exclusive(self.course.work / ".lock"), warnings.catch_warnings():
            warnings.simplefilter("ignore")     # nbgrader's SQLAlchemy and nbformat's cell-id warnings
            return self._run()

    def _hidden_from_kernels(self) -> list[Path]:
        """Folders a kernel must not see even where they lie inside a bound one."""
        return [instructor_package(), self.options.course.resolve(), self.course.root,
                self.options.submissions.resolve()]

    def _spec(self, server: str, devices: list[str]) -> dict:
        """The provisioner's configuration (see :class:`.provisioner.SandboxProvisioner`)."""
        options = self.options
        threads = max(1, (os.cpu_count() or 1) // options.jobs)
        memory = options.memory
        if memory and "cuda" in devices:
            self.summary.notes.append("CUDA is available: the per-process memory limit is off, since CUDA reserves "
                                      "far more address space than RLIMIT_AS allows")
            memory = 0
        self.memory = memory
        package = kernel_package()
        hide = [str(p) for p in self._hidden_from_kernels() if not (p == package or p in package.parents)]
        return {"server": server, "sandboxed": options.sandbox, "kernel_package": str(package), "hide": hide,
                "scratch_bytes": options.disk, "shm_bytes": options.shm, "gpu": "cuda" in devices,
                "limits": {"as": memory, "nproc": options.processes, "cpu": options.cpu_seconds,
                           "fsize": options.disk},
                "threads": threads, "kernel_env": kernel_environment(threads)}

    def _run(self) -> Summary:
        started = time.monotonic()
        options = self.options
        if options.sandbox:
            probe(kernel_package(), [instructor_package()])          # refuse now, with the reason
        else:
            self.summary.notes.append("UNSAFE: --no-sandbox: student code ran as your user, with access to "
                                      "your files and network")
        run_seed = options.seed if options.seed is not None else secrets.randbelow(1 << 31)
        self.summary.run_seed = run_seed
        source = options.course / self.course.source_dir.name
        notebooks = {a: sorted(p.stem for p in (source / a).glob("*.ipynb")) for a in self.course.assignments()}
        found = discover(options.submissions, notebooks, options.assignment, options.students)
        self.summary.notes += found.notes
        assignments = sorted({s.assignment for s in found.submissions})
        private = Path(tempfile.mkdtemp(prefix="nnm-grading-"))
        server = None
        pipeline = None
        try:
            from .provisioner import WarmServer

            server = WarmServer(private, PRELOAD, log=self.course.work / "kernels.log",
                                env=kernel_environment(1))
            server.start()      # it imports torch while nbgrader is loaded below
            from tqdm import tqdm

            from .execute import NotebookRunner
            from .pipeline import Job, Pipeline

            devices = device_types()
            spec = self._spec(server.socket, devices)
            self.course.prepare(assignments)
            pipeline = Pipeline(self.course, self.store, self.memory, options.force, run_seed, devices,
                                options.sandbox)
            jobs = []
            for submission in found.submissions:
                prepared = pipeline.prepare(submission)
                if prepared is None:
                    self.summary.skipped += 1
                elif isinstance(prepared, Job):
                    jobs.append(prepared)
                else:
                    self.summary.graded.append(prepared)
            if jobs:
                server.wait_ready()
                runner = NotebookRunner(spec, self.course.timeout, self.course.config,
                                        log=self.course.work / "kernels.log")
                show = options.progress if options.progress is not None else sys.stderr.isatty()
                with tqdm(total=len(jobs), unit="notebook", disable=not show, leave=False,
                          dynamic_ncols=True) as bar:
                    done = pipeline.execute_all(jobs, runner, options.jobs, bar, self.summary.graded.append)
                self.summary.interrupted = not done
        finally:
            try:
                if pipeline is not None:
                    pipeline.close()
                if options.reports:
                    self.summary.reports = report.write_all(self.store.all(), self.course.work / "reports",
                                                            self.summary)
            finally:
                if server is not None:
                    server.close()
                shutil.rmtree(private, ignore_errors=True)
                self.summary.seconds = time.monotonic() - started
        return self.summary


def sandbox_status() -> str:
    """One line for ``grade --check``: can this machine make the grader's sandbox?"""
    try:
        probe(kernel_package(), [instructor_package()])
    except SandboxUnavailable as err:
        return f"no sandbox: {err}"
    return "the sandbox works here (bubblewrap, user namespaces)"

