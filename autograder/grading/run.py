"""One grading run: find submissions, grade what is not graded yet, in parallel, and report.

The parent process does everything that touches the gradebook or the course folder, one
notebook at a time; kernels (one per notebook, ``jobs`` at a time) only execute. A notebook's
grades are committed, its autograded copy written and its result stored as soon as it is
done, so an interrupted run loses nothing finished, and the next run goes on from there.
"""
from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import signal
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from . import report
from .autograde import Autograder
from .course import ScratchCourse, file_digest
from .execute import Execution, KernelStartError, NotebookRunner
from .flags import flag_notebook
from .integrity import Plan, collect, inject
from .kernels import GIB, Limits, kernel_source, unprivileged_uid
from .outcome import build_result, exercise_of
from .progressbar import ProgressBar
from .results import FAILED, GRADED, MISSING, UNREADABLE, ExerciseResult, NotebookResult, ResultStore, clean
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
class Job:
    """A notebook ready to execute: sanitized, flagged, with the grader's cells injected."""

    submission: Submission
    result: NotebookResult
    resources: dict
    executed: NotebookNode
    plan: Plan
    repairs: list[str]
    flags: list[str]


@dataclass
class Summary:
    graded: list[NotebookResult] = field(default_factory=list)     # graded in this run (any status)
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
    return candidate if (candidate / "__init__.py").exists() else Path(__file__).resolve().parent.parent


class Grader:
    """Grades the submissions described by :class:`Options`."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.course = ScratchCourse(options.course, options.out, options.timeout)
        self.store = ResultStore(self.course.root)
        self.summary = Summary()

    # -- planning (parent, before any kernel) -------------------------------------------

    def _stage(self, submission: Submission) -> Path | None:
        """Copy a submission into the scratch course's ``submitted/`` (as nbgrader expects it)."""
        if submission.path is None:
            return None
        folder = self.course.root / "submitted" / submission.student / submission.assignment
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{submission.notebook}.ipynb"
        if submission.path.resolve() != target.resolve():
            shutil.copyfile(submission.path, target)
        if submission.timestamp is not None and submission.timestamp.resolve() != (folder / "timestamp.txt").resolve():
            shutil.copyfile(submission.timestamp, folder / "timestamp.txt")
        return target

    def _maybe_todo(self, submission: Submission) -> bool:
        """A quick look, before nbgrader is set up: might this submission need a kernel?"""
        if self.options.force or submission.path is None:
            return self.options.force
        previous = self.store.get(submission.student, submission.assignment, submission.notebook)
        return previous is None or previous.status == FAILED or previous.submission_sha256 != file_digest(submission.path)

    def _done(self, submission: Submission, digest: str, source: str,
              recorded: dict[tuple[str, str], dict[str, float | None]]) -> bool:
        previous = self.store.get(submission.student, submission.assignment, submission.notebook)
        if previous is None or previous.status == FAILED:
            return False
        scores = recorded.get((submission.student, submission.notebook), {})
        return (previous.submission_sha256 == digest and previous.source_sha256 == source
                and bool(scores) and all(v is not None for v in scores.values()))

    def _prepare(self, submission: Submission, autograder: Autograder, recorded: dict) -> Job | None:
        """Stage, read and sanitize one submission; record it right away if it cannot run."""
        path = self._stage(submission)
        source = file_digest(self.course.source_notebook(submission.assignment, submission.notebook))
        digest = file_digest(path) if path else hashlib.sha256(b"").hexdigest()
        if not self.options.force and self._done(submission, digest, source, recorded):
            self.summary.skipped += 1
            return None
        result = NotebookResult(submission.student, submission.assignment, submission.notebook, GRADED,
                                submission_sha256=digest, source_sha256=source)
        if path is None:
            result.status = MISSING
            result.notes.append(f"no {submission.notebook}.ipynb was handed in")
            self._zero(submission, result)
            return None
        resources = autograder.resources(submission.student, submission.assignment, submission.notebook, path)
        try:
            nb = nbformat.read(str(path), as_version=4)
            nb, repairs = autograder.sanitize(nb, resources)
        except Exception as err:  # noqa: BLE001 - any unreadable file is reported, the run goes on
            result.status = UNREADABLE
            result.notes.append(clean(f"this file could not be graded as a notebook ({type(err).__name__}: {err})", 300))
            self._zero(submission, result)
            return None
        executed, plan = inject(nb)
        return Job(submission, result, resources, executed, plan, repairs, flag_notebook(nb.cells))

    def _zero(self, submission: Submission, result: NotebookResult) -> None:
        autograder = self._autograder
        autograder.open_submission(submission.student, submission.assignment, None)
        autograder.zero(submission.student, submission.assignment, submission.notebook)
        source = nbformat.read(str(self.course.source_notebook(submission.assignment, submission.notebook)), 4)
        for cell in source.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("grade") and not meta.get("solution"):
                result.exercises.append(ExerciseResult(exercise_of(meta["grade_id"]), meta["grade_id"], 0.0,
                                                       float(meta.get("points", 0)), result.notes[-1]))
        self.store.put(result)
        self.summary.graded.append(result)

    # -- recording (parent, as each notebook finishes) ----------------------------------

    def _record(self, job: Job, outcome: Execution | KernelStartError) -> NotebookResult:
        result = job.result
        if isinstance(outcome, KernelStartError):
            result.status = FAILED
            result.notes.append(clean(str(outcome)))
            self.store.put(result)
            return result
        nb, findings = collect(outcome.notebook, job.plan)
        if outcome.tampered:
            for cell in nb.cells:
                meta = cell.get("metadata", {}).get("nbgrader", {})
                if meta.get("grade") and not any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                    cell.setdefault("outputs", []).append(nbformat.v4.new_output(
                        "error", ename="GradingIntegrityError", traceback=[],
                        evalue="the notebook changed the grader's copy of the checks, so no test can be trusted"))
        submission = job.submission
        timestamp = job.submission.timestamp and self.course.root / "submitted" / submission.student / submission.assignment
        self._autograder.open_submission(submission.student, submission.assignment, timestamp)
        nb = self._autograder.record(nb, job.resources, self.course.supplementary(submission.assignment))
        build_result(nb, outcome, findings, result, self.course.timeout, job.repairs, job.flags, self.options.memory)
        self.store.put(result)
        return result

    # -- the run --------------------------------------------------------------------------

    def run(self) -> Summary:
        """Grade; returns what happened. Interrupting (Ctrl-C, SIGTERM) stops it cleanly."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")     # nbgrader's SQLAlchemy and nbformat's id warnings
            return self._run()

    def _run(self) -> Summary:
        started = time.monotonic()
        options = self.options
        notebooks = {a: sorted(p.stem for p in (options.course / self.course.source_dir.name / a).glob("*.ipynb"))
                     for a in self.course.assignments()}
        found = discover(options.submissions, notebooks, options.assignment, options.students)
        self.summary.notes += found.notes
        assignments = sorted({s.assignment for s in found.submissions})
        private = run_dir()
        package = course_package(options.course)
        limits = Limits(memory=options.memory, threads=max(1, (os.cpu_count() or 1) // max(1, options.jobs)),
                        uid=unprivileged_uid([package / "__init__.py"]))
        kernels = kernel_source(options.kernels, limits, PackageImage(package), private,
                                log=self.course.root / "kernels.log")
        try:
            early = any(self._maybe_todo(s) for s in found.submissions)
            if early:
                kernels.start()         # the fork server imports torch while nbgrader prepares
            self.course.prepare(assignments)
            self._autograder = Autograder(self.course)
            try:
                recorded = {}
                for assignment in assignments:
                    for key, scores in self._autograder.recorded_scores(assignment).items():
                        recorded[key] = scores
                jobs = [job for s in found.submissions if (job := self._prepare(s, self._autograder, recorded))]
                if jobs:
                    if not early:
                        kernels.start()
                    kernels.wait_ready()
                    runner = NotebookRunner(kernels, self.course.timeout, self.course.config)
                    self._execute(jobs, runner)
            finally:
                if options.reports:
                    self.summary.reports = report.write_all(self.store.all(), self.course.root / "reports")
                self._autograder.close()
        finally:
            kernels.close()
            remove(private)
            self.summary.seconds = time.monotonic() - started
        return self.summary

    def _execute(self, jobs: list[Job], runner: NotebookRunner) -> None:
        bar = ProgressBar(len(jobs), enabled=self.options.progress)
        try:
            asyncio.run(self._pool(jobs, runner, bar))
        except KeyboardInterrupt:
            self.summary.interrupted = True
        finally:
            bar.close()

    async def _pool(self, jobs: list[Job], runner: NotebookRunner, bar: ProgressBar) -> None:
        """At most ``jobs`` notebooks execute at once; each is recorded the moment it finishes."""
        limit = asyncio.Semaphore(self.options.jobs)
        main = asyncio.current_task()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, main.cancel)

        async def one(job: Job) -> None:
            label = f"{job.submission.student}/{job.submission.assignment}"
            async with limit:
                bar.start(label)
                try:
                    outcome: Execution | KernelStartError = await runner.run(
                        job.executed, self.course.supplementary(job.submission.assignment))
                except KernelStartError as err:
                    outcome = err
            result = self._record(job, outcome)
            self.summary.graded.append(result)
            bar.finish(label, problem=bool(result.status == FAILED or result.flags))

        try:
            await asyncio.gather(*(one(job) for job in jobs))
        except asyncio.CancelledError:
            self.summary.interrupted = True
        finally:
            loop.remove_signal_handler(signal.SIGTERM)
