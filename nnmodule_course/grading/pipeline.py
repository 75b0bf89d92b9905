"""The life of one submitted notebook: stage, sanitize, inject, execute, verify, record.

Everything here runs in the grader's process, one notebook at a time, except
:meth:`Pipeline.execute_all`, which keeps ``jobs`` notebooks executing at once in their own
kernels and records each one the moment it finishes.
"""
from __future__ import annotations

import asyncio
import hashlib
import shutil
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from .autograde import Autograder
from .course import ScratchCourse, file_digest
from .execute import Execution, KernelStartError, NotebookRunner
from .flags import flag_notebook
from .integrity import Plan, collect, inject
from .outcome import build_result, exercise_of
from .progressbar import ProgressBar
from .results import FAILED, GRADED, MISSING, UNREADABLE, ExerciseResult, NotebookResult, ResultStore, clean
from .submissions import Submission


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


class Pipeline:
    """Per-notebook steps of one run, around nbgrader's :class:`Autograder` for ``course``."""

    def __init__(self, course: ScratchCourse, store: ResultStore, memory: int, force: bool) -> None:
        self.course = course
        self.store = store
        self.memory = memory
        self.force = force
        self.autograder = Autograder(course)
        self.recorded: dict[tuple[str, str, str], dict[str, float | None]] = {}

    def close(self) -> None:
        self.autograder.close()

    def load_gradebook(self, assignments: list[str]) -> None:
        """Remember what the gradebook holds, to skip what is graded already."""
        for assignment in assignments:
            for (student, notebook), scores in self.autograder.recorded_scores(assignment).items():
                self.recorded[(assignment, student, notebook)] = scores

    # -- before execution -------------------------------------------------------------

    def stage(self, submission: Submission) -> Path | None:
        """Copy a submission into the scratch course's ``submitted/``, as nbgrader expects it."""
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

    def _done(self, submission: Submission, digest: str, source: str) -> bool:
        previous = self.store.get(submission.student, submission.assignment, submission.notebook)
        if previous is None or previous.status == FAILED:
            return False
        scores = self.recorded.get(submission.key, {})
        return (previous.submission_sha256 == digest and previous.source_sha256 == source
                and bool(scores) and all(v is not None for v in scores.values()))

    def prepare(self, submission: Submission) -> Job | NotebookResult | None:
        """A :class:`Job`; or the result of a notebook that cannot run (recorded now); or None: done already."""
        path = self.stage(submission)
        source = file_digest(self.course.source_notebook(submission.assignment, submission.notebook))
        digest = file_digest(path) if path else hashlib.sha256(b"").hexdigest()
        if not self.force and self._done(submission, digest, source):
            return None
        result = NotebookResult(submission.student, submission.assignment, submission.notebook, GRADED,
                                submission_sha256=digest, source_sha256=source)
        if path is None:
            return self._zero(submission, result, MISSING, f"no {submission.notebook}.ipynb was handed in")
        resources = self.autograder.resources(submission.student, submission.assignment, submission.notebook, path)
        try:
            nb = nbformat.read(str(path), as_version=4)
            nb, repairs = self.autograder.sanitize(nb, resources)
        except Exception as err:  # noqa: BLE001 - any unreadable file is reported, the run goes on
            why = f"this file could not be graded as a notebook ({type(err).__name__}: {err})"
            return self._zero(submission, result, UNREADABLE, clean(why, 300))
        executed, plan = inject(nb)
        return Job(submission, result, resources, executed, plan, repairs, flag_notebook(nb.cells))

    def _zero(self, submission: Submission, result: NotebookResult, status: str, why: str) -> NotebookResult:
        """Score a missing or unreadable notebook 0 in the gradebook, and say why."""
        self.autograder.open_submission(submission.student, submission.assignment, None)
        self.autograder.zero(submission.student, submission.assignment, submission.notebook)
        result.status = status
        result.notes.append(why)
        source = nbformat.read(str(self.course.source_notebook(submission.assignment, submission.notebook)), 4)
        for cell in source.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("grade") and not meta.get("solution"):
                result.exercises.append(ExerciseResult(exercise_of(meta["grade_id"]), meta["grade_id"], 0.0,
                                                       float(meta.get("points", 0)), why))
        self.store.put(result)
        return result

    # -- after execution --------------------------------------------------------------

    def record(self, job: Job, outcome: Execution | KernelStartError) -> NotebookResult:
        """Verify the guards, commit the grades, write the autograded notebook and the result."""
        result = job.result
        if isinstance(outcome, KernelStartError):
            result.status = FAILED
            result.notes.append(clean(str(outcome)))
            self.store.put(result)
            return result
        nb, findings = collect(outcome.notebook, job.plan)
        if outcome.tampered:
            why = "the notebook changed the grader's copy of the checks, so no test can be trusted"
            for cell in nb.cells:
                meta = cell.get("metadata", {}).get("nbgrader", {})
                if meta.get("grade") and not any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                    cell.setdefault("outputs", []).append(nbformat.v4.new_output(
                        "error", ename="GradingIntegrityError", evalue=why, traceback=[why]))
        submission = job.submission
        folder = self.course.root / "submitted" / submission.student / submission.assignment
        self.autograder.open_submission(submission.student, submission.assignment,
                                        folder if submission.timestamp else None)
        nb = self.autograder.record(nb, job.resources, self.course.supplementary(submission.assignment))
        build_result(nb, outcome, findings, result, self.course.timeout, job.repairs, job.flags, self.memory)
        self.store.put(result)
        return result

    # -- execution --------------------------------------------------------------------

    def execute_all(self, jobs: list[Job], runner: NotebookRunner, parallel: int, bar: ProgressBar,
                    finished: Callable[[NotebookResult], None]) -> bool:
        """Execute ``jobs``, ``parallel`` at a time; returns False when interrupted (Ctrl-C, SIGTERM)."""
        try:
            return asyncio.run(self._pool(jobs, runner, parallel, bar, finished))
        except KeyboardInterrupt:
            return False

    async def _pool(self, jobs: list[Job], runner: NotebookRunner, parallel: int, bar: ProgressBar,
                    finished: Callable[[NotebookResult], None]) -> bool:
        limit = asyncio.Semaphore(parallel)
        loop = asyncio.get_running_loop()
        main = asyncio.current_task()
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
            result = self.record(job, outcome)       # in this loop's thread: one at a time
            finished(result)
            bar.finish(label, problem=result.status == FAILED or bool(result.flags))

        tasks = [asyncio.ensure_future(one(job)) for job in jobs]
        try:
            await asyncio.gather(*tasks)
            return True
        except asyncio.CancelledError:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)     # kernels shut down
            return False
        finally:
            loop.remove_signal_handler(signal.SIGTERM)
