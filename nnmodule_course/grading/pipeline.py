"""The life of one submitted notebook: stage, sanitize, execute in a sandbox, judge, record.

Everything here runs in the grader's process, one notebook at a time, except
:meth:`Pipeline.execute_all`, which keeps ``jobs`` notebooks executing at once, each in its own
sandboxed kernel, and records each one the moment it finishes.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import shutil
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbgrader.utils import determine_grade

from .autograde import Autograder
from .course import ScratchCourse, file_digest
from .execute import Execution, KernelStartError, NotebookRunner, is_test
from .flags import flag_notebook
from ..notebook import grade_id
from .judging import exercise_of, judge_notebook
from .results import FAILED, GRADED, MISSING, UNREADABLE, ExerciseResult, NotebookResult, ResultStore, clean, fill
from .submissions import Submission

_QUIET = logging.getLogger("nnmodule_course.grading.quiet")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


@dataclass
class Job:
    """A notebook ready to execute: sanitized and flagged."""

    submission: Submission
    result: NotebookResult
    resources: dict
    notebook: NotebookNode
    env: dict[str, str]


class Pipeline:
    """Per-notebook steps of one run, around nbgrader's :class:`Autograder` for ``course``."""

    def __init__(self, course: ScratchCourse, store: ResultStore, memory: int, force: bool, run_seed: int,
                 device_types: list[str], sandboxed: bool) -> None:
        self.course = course
        self.store = store
        self.memory = memory
        self.force = force
        self.run_seed = run_seed
        self.device_types = device_types
        self.sandboxed = sandboxed
        self.autograder = Autograder(course)

    def close(self) -> None:
        self.autograder.close()

    def case_seed(self, submission: Submission) -> int:
        """The seed of this notebook's hidden cases: the run's seed mixed with who and what."""
        key = f"{self.run_seed}:{submission.student}:{submission.assignment}:{submission.notebook}"
        return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)

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

    def prepare(self, submission: Submission) -> Job | NotebookResult | None:
        """A :class:`Job`; or the result of a notebook that cannot run (recorded now); or None: done already."""
        path = self.stage(submission)
        source = file_digest(self.course.source_notebook(submission.assignment, submission.notebook))
        digest = file_digest(path) if path else hashlib.sha256(b"").hexdigest()
        previous = self.store.get(submission.student, submission.assignment, submission.notebook)
        if not self.force and previous is not None and previous.current(digest, source):
            return None
        result = NotebookResult(submission.student, submission.assignment, submission.notebook, GRADED,
                                name=submission.name if submission.name != submission.student else "",
                                submission_sha256=digest, source_sha256=source, run_seed=self.run_seed,
                                case_seed=self.case_seed(submission), sandboxed=self.sandboxed)
        result.notes += submission.notes
        if path is None:
            return self._zero(submission, result, MISSING, f"no {submission.notebook}.ipynb was handed in")
        resources = self.autograder.resources(submission.student, submission.assignment, submission.notebook, path)
        try:
            nb = nbformat.read(str(path), as_version=4)
            nb, repairs = self.autograder.sanitize(nb, resources)
        except Exception as err:  # noqa: BLE001 - any unreadable file is reported, the run goes on
            why = f"this file could not be graded as a notebook ({type(err).__name__}: {err})"
            return self._zero(submission, result, UNREADABLE, clean(why, 300))
        result.notes += repairs
        result.flags += flag_notebook(nb.cells)
        env = {"NNM_CASE_SEED": str(result.case_seed)}
        return Job(submission, result, resources, nb, env)

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
        """Judge the test cells, commit the grades, write the autograded notebook and the result."""
        result = job.result
        if isinstance(outcome, KernelStartError):
            result.status = FAILED
            result.notes.append(clean(str(outcome)))
            self.store.put(result)
            return result
        nb = outcome.notebook
        verdicts = judge_notebook(nb, outcome, result.case_seed, self.device_types, self.course.timeout)
        submission = job.submission
        folder = self.course.root / "submitted" / submission.student / submission.assignment
        self.autograder.open_submission(submission.student, submission.assignment,
                                        folder if submission.timestamp else None)
        nb = self.autograder.record(nb, job.resources, self.course.supplementary(submission.assignment))
        points = {grade_id(c): tuple(map(float, determine_grade(c, _QUIET))) for c in nb.cells if is_test(c)}
        fill(result, verdicts, points, outcome, self.course.timeout, self.memory)
        self.store.put(result)
        return result

    # -- execution --------------------------------------------------------------------

    def execute_all(self, jobs: list[Job], runner: NotebookRunner, parallel: int, bar,  # noqa: ANN001 - tqdm
                    finished: Callable[[NotebookResult], None]) -> bool:
        """Execute ``jobs``, ``parallel`` at a time; returns False when interrupted (Ctrl-C, SIGTERM)."""
        try:
            return asyncio.run(self._pool(jobs, runner, parallel, bar, finished))
        except KeyboardInterrupt:
            return False

    async def _pool(self, jobs: list[Job], runner: NotebookRunner, parallel: int, bar,  # noqa: ANN001
                    finished: Callable[[NotebookResult], None]) -> bool:
        limit = asyncio.Semaphore(parallel)
        loop = asyncio.get_running_loop()
        main = asyncio.current_task()
        loop.add_signal_handler(signal.SIGTERM, main.cancel)

        async def one(job: Job) -> None:
            async with limit:
                bar.set_postfix_str(f"{job.submission.student}/{job.submission.assignment}", refresh=False)
                try:
                    outcome: Execution | KernelStartError = await runner.run(job.notebook, job.env)
                except KernelStartError as err:
                    outcome = err
            result = self.record(job, outcome)       # in this loop's thread: one at a time
            finished(result)
            bar.update(1)

        tasks = [asyncio.ensure_future(one(job)) for job in jobs]
        try:
            await asyncio.gather(*tasks)
            return True
        except asyncio.CancelledError:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)     # kernels and sandboxes shut down
            return False
        finally:
            loop.remove_signal_handler(signal.SIGTERM)

