"""One grading run: find submissions, grade what is not graded yet, in parallel, and report.

The parent process does everything that touches the gradebook or the course folder, one
notebook at a time; kernels (one per notebook, ``jobs`` at a time) only execute. A notebook's
grades are committed, its autograded copy written and its result stored as soon as it is
done, so an interrupted run loses nothing finished, and the next run goes on from there.

This module imports only light modules: the kernel fork server is started first, and
imports torch while this process imports nbgrader (:mod:`.pipeline`).
"""
from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import os
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import report
from .course import ScratchCourse, file_digest
from .kernels import GIB, Limits, kernel_source, setup_imports, unprivileged_uid
from .progressbar import ProgressBar
from .results import FAILED, NotebookResult, ResultStore
from .sandbox import PackageImage, remove, run_dir
from .submissions import Submission, discover


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
    memory: int = 2 * GIB               # bytes of address space per kernel, 0: no limit
    kernels: str = "fork"
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

    @property
    def failed(self) -> list[NotebookResult]:
        return [r for r in self.graded if r.status == FAILED]


def course_package(course: Path) -> Path:
    """The course's ``autograder`` package (the one next to its solutions, else this one)."""
    candidate = course / "autograder"
    if (candidate / "__init__.py").exists():
        return candidate
    return Path(importlib.util.find_spec("autograder").origin).resolve().parent


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


def _cuda_visible() -> bool:
    """Whether torch sees a CUDA device (torch is loaded already: the course package imports it)."""
    try:
        import torch

        return bool(torch.cuda.is_available())
    except Exception:  # noqa: BLE001 - no torch, no CUDA
        return False


class Grader:
    """Grades the submissions described by :class:`Options`."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.course = ScratchCourse(options.course, options.out, options.timeout)
        self.store = ResultStore(self.course.root)
        self.summary = Summary()
        self.memory = options.memory

    def run(self) -> Summary:
        """Grade; returns what happened. Interrupting (Ctrl-C, SIGTERM) stops it cleanly."""
        with _exclusive(self.course.root / ".lock"), warnings.catch_warnings():
            warnings.simplefilter("ignore")     # nbgrader's SQLAlchemy and nbformat's cell-id warnings
            return self._run()

    def _maybe_todo(self, submission: Submission) -> bool:
        """A quick look, before nbgrader is loaded: might this submission need a kernel?"""
        if self.options.force or submission.path is None:
            return self.options.force
        previous = self.store.get(submission.student, submission.assignment, submission.notebook)
        return previous is None or previous.status == FAILED or previous.submission_sha256 != file_digest(submission.path)

    def _kernels(self, private: Path, assignments: list[str]):  # noqa: ANN202 - ForkKernels | FreshKernels
        options = self.options
        package = course_package(options.course)
        memory = options.memory
        if memory and _cuda_visible():
            self.summary.notes.append("CUDA is available: the per-kernel memory limit is off, since CUDA reserves "
                                      "far more address space than RLIMIT_AS allows; limit memory with the container")
            memory = 0
        self.memory = memory
        torch_spec = importlib.util.find_spec("torch")
        readable = [package / "__init__.py"] + ([Path(torch_spec.origin)] if torch_spec and torch_spec.origin else [])
        limits = Limits(memory=memory, threads=max(1, (os.cpu_count() or 1) // options.jobs),
                        uid=unprivileged_uid(readable))
        sources = [p for a in assignments for p in (options.course / self.course.source_dir.name / a).glob("*.ipynb")]
        return kernel_source(options.kernels, limits, PackageImage(package), private,
                             log=self.course.root / "kernels.log", preload=setup_imports(sources))

    def _run(self) -> Summary:
        started = time.monotonic()
        options = self.options
        source = options.course / self.course.source_dir.name
        notebooks = {a: sorted(p.stem for p in (source / a).glob("*.ipynb")) for a in self.course.assignments()}
        found = discover(options.submissions, notebooks, options.assignment, options.students)
        self.summary.notes += found.notes
        assignments = sorted({s.assignment for s in found.submissions})
        private = run_dir()
        kernels = self._kernels(private, assignments)
        pipeline = None
        try:
            early = any(self._maybe_todo(s) for s in found.submissions)
            if early:
                kernels.start()         # the fork server imports torch while nbgrader is loaded below
            from .execute import NotebookRunner
            from .pipeline import Job, Pipeline

            self.course.prepare(assignments)
            pipeline = Pipeline(self.course, self.store, self.memory, options.force)
            pipeline.load_gradebook(assignments)
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
                if not early:
                    kernels.start()
                kernels.wait_ready()
                runner = NotebookRunner(kernels, self.course.timeout, self.course.config)
                bar = ProgressBar(len(jobs), enabled=options.progress)
                try:
                    done = pipeline.execute_all(jobs, runner, options.jobs, bar, self.summary.graded.append)
                finally:
                    bar.close()
                self.summary.interrupted = not done
        finally:
            try:
                if pipeline is not None:
                    pipeline.close()
                if options.reports:
                    self.summary.reports = report.write_all(self.store.all(), self.course.root / "reports")
            finally:
                kernels.close()
                remove(private)
                self.summary.seconds = time.monotonic() - started
        return self.summary
