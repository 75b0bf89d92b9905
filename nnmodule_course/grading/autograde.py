"""nbgrader's autograde, split around execution: the parent sanitizes, workers execute, the parent records.

``nbgrader autograde`` runs, per notebook, its *sanitize* preprocessors (clear outputs,
de-duplicate cell ids, restore the kernelspec, restore locked cells and cell types from the
source, validate metadata), then its *autograde* preprocessors (``Execute``, then
``SaveAutoGrades`` and friends). :class:`Autograder` runs exactly those preprocessor lists,
taken from nbgrader's ``Autograde`` converter and the course's config, minus ``Execute``
(done elsewhere, in parallel). Preprocessors that open the gradebook get the grader's one
open :class:`~nbgrader.api.Gradebook`: only this process writes it, one notebook at a time,
and each notebook's grades are committed as soon as it is recorded.
"""
from __future__ import annotations

import json
import logging
import os
import re
import shutil
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode
from nbgrader import preprocessors as pp
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters import Autograde
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors.base import NbGraderPreprocessor

from .course import ScratchCourse


class _Shared:
    """Mixin: use the grader's open gradebook instead of opening (and closing) one per notebook."""

    shared: Gradebook

    def _ids(self, resources: dict) -> None:
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.student_id = resources["nbgrader"].get("student")
        self.db_url = resources["nbgrader"]["db_url"]
        self.gradebook = self.shared


class OverwriteCells(_Shared, pp.OverwriteCells):
    """nbgrader's ``OverwriteCells`` (locked cells and cell types from the source), shared gradebook."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        self._ids(resources)
        nb, resources = NbGraderPreprocessor.preprocess(self, nb, resources)
        for cell in nb.cells:       # DeduplicateIds leaves {} on the extra copies; add_missing_* needs grade_id
            if cell.get("metadata", {}).get("nbgrader") == {}:
                del cell.metadata["nbgrader"]
        if self.add_missing_cells:
            nb, resources = self.add_missing_grade_cells(nb, resources)
            nb, resources = self.add_missing_task_cells(nb, resources)
        return nb, resources


class OverwriteKernelspec(_Shared, pp.OverwriteKernelspec):
    """nbgrader's ``OverwriteKernelspec``, shared gradebook."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        self._ids(resources)
        kernelspec = self.gradebook.find_notebook(self.notebook_id, self.assignment_id).kernelspec
        if kernelspec:
            nb.metadata["kernelspec"] = json.loads(kernelspec)
        return nb, resources


class SaveAutoGrades(_Shared, pp.SaveAutoGrades):
    """nbgrader's ``SaveAutoGrades`` (``determine_grade`` per graded cell, committed), shared gradebook."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        self._ids(resources)
        return NbGraderPreprocessor.preprocess(self, nb, resources)


class AssignLatePenalties(_Shared, pp.AssignLatePenalties):
    """nbgrader's ``AssignLatePenalties``, shared gradebook."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        self._ids(resources)
        self.init_plugin()
        nb, resources = NbGraderPreprocessor.preprocess(self, nb, resources)
        assignment = self.gradebook.find_submission(self.assignment_id, self.student_id)
        notebook = self.gradebook.find_submission_notebook(self.notebook_id, self.assignment_id, self.student_id)
        notebook.late_submission_penalty = None
        if assignment.total_seconds_late > 0:
            penalty = self.plugin_inst.late_submission_penalty(
                self.student_id, notebook.score, assignment.total_seconds_late)
            if penalty is not None:
                notebook.late_submission_penalty = self._check_late_penalty(notebook, penalty)
        self.gradebook.db.commit()
        return nb, resources


SHARED = {pp.OverwriteCells: OverwriteCells, pp.OverwriteKernelspec: OverwriteKernelspec,
          pp.SaveAutoGrades: SaveAutoGrades, pp.AssignLatePenalties: AssignLatePenalties}


class _Collect(logging.Handler):
    """Collects nbgrader's warnings about one notebook (edited locked cells, duplicated ids...)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def cell_label(grade_id: str) -> str:
    """How feedback names a cell: "the test cell of ex01_mlp", "the set-up cell", "cell ex01_mlp"."""
    if grade_id.endswith("_tests"):
        return f"the test cell of {grade_id[:-len('_tests')]}"
    if grade_id.startswith("setup"):
        return "the set-up cell"
    return f"your answer cell {grade_id}"


#: nbgrader's warnings while sanitizing, and what they mean for the learner.
REPAIRS = (
    (re.compile(r"Attribute 'cell_type' for cell (\S+) has changed"), "{0} had been changed to another cell type; "
                                                                      "it was turned back before grading"),
    (re.compile(r"Cell with id '(\S+)' exists multiple times"), "{0} appears more than once; only its last copy "
                                                                "was graded"),
    (re.compile(r"Missing grade cell (\S+) encountered"), "{0} was missing; it was put back before grading"),
)


class Autograder:
    """The parent's half of ``nbgrader autograde`` for one scratch course."""

    def __init__(self, course: ScratchCourse) -> None:
        self.course = course
        self.gradebook = Gradebook(course.db_url, course.config.CourseDirectory.get("course_id", "default_course"))
        self.coursedir = CourseDirectory(config=course.config, log=course.log)
        converter = Autograde(coursedir=self.coursedir, config=course.config, log=course.log)
        self.sanitizers = [self._make(cls) for cls in converter.sanitize_preprocessors]
        self.finishers = [self._make(cls) for cls in converter.autograde_preprocessors if cls is not pp.Execute]
        self.create_student = converter.create_student
        self._submissions: set[tuple[str, str]] = set()
        self._released: dict[tuple[str, str], dict[str, str]] = {}

    def _make(self, cls: type) -> Any:
        instance = SHARED.get(cls, cls)(config=self.course.config, log=self.course.log)
        if isinstance(instance, _Shared):
            instance.shared = self.gradebook
        return instance

    def close(self) -> None:
        self.gradebook.close()

    def resources(self, student: str, assignment: str, notebook: str, path: Path) -> dict:
        """The resources dict nbgrader's converters hand their preprocessors."""
        return {"unique_key": notebook, "output_files_dir": f"{notebook}_files",
                "metadata": {"path": str(path.parent)},
                "nbgrader": {"student": student, "assignment": assignment, "notebook": notebook,
                             "db_url": self.course.db_url}}

    def sanitize(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, list[str]]:
        """nbgrader's sanitize preprocessors; returns the notebook and what they had to repair, in words."""
        ids = resources["nbgrader"]
        notes = self._edited(nb, ids["assignment"], ids["notebook"])
        collect = _Collect()
        self.course.log.addHandler(collect)
        try:
            for preprocessor in self.sanitizers:
                nb, resources = preprocessor(nb, resources)
        finally:
            self.course.log.removeHandler(collect)
        for message in collect.messages:
            for pattern, text in REPAIRS:
                match = pattern.search(message)
                if match:
                    notes.append(text.format(cell_label(match.group(1))))
        return nb, list(dict.fromkeys(notes))

    def _edited(self, nb: NotebookNode, assignment: str, notebook: str) -> list[str]:
        """Locked cells whose source differs from the released notebook's (hidden tests aside)."""
        key = (assignment, notebook)
        if key not in self._released:
            release = self.course.root / self.course.config.CourseDirectory.get("release_directory", "release")
            path = release / assignment / f"{notebook}.ipynb"
            cells = nbformat.read(str(path), 4).cells if path.exists() else []
            self._released[key] = {c.metadata.nbgrader["grade_id"]: c.source for c in cells
                                   if c.get("metadata", {}).get("nbgrader", {}).get("locked")}
        released = self._released[key]
        notes = []
        for cell in nb.cells:
            gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") if isinstance(cell, dict) else None
            if gid in released and isinstance(cell.get("source"), str) and cell.source != released[gid]:
                notes.append(f"{cell_label(gid)} had been edited; it was restored from the course's version "
                             "before grading")
        return notes

    def open_submission(self, student: str, assignment: str, timestamp_dir: Path | None) -> None:
        """What nbgrader's ``init_assignment`` does once per (student, assignment)."""
        if (student, assignment) in self._submissions:
            return
        gb = self.gradebook
        if self.create_student:
            gb.update_or_create_student(student)
        else:
            gb.find_student(student)
        gb.find_assignment(assignment)
        timestamp = self.coursedir.get_existing_timestamp(str(timestamp_dir)) if timestamp_dir else None
        if timestamp:
            gb.update_or_create_submission(assignment, student, timestamp=timestamp)
        else:
            gb.update_or_create_submission(assignment, student)
        self._submissions.add((student, assignment))

    def record(self, nb: NotebookNode, resources: dict, supplementary: dict[str, bytes]) -> NotebookNode:
        """nbgrader's autograde preprocessors after ``Execute`` (grades committed), then the
        autograded notebook and the source's other files under ``autograded/``."""
        for preprocessor in self.finishers:
            nb, resources = preprocessor(nb, resources)
        ids = resources["nbgrader"]
        dest = self.course.root / "autograded" / ids["student"] / ids["assignment"]
        dest.mkdir(parents=True, exist_ok=True)
        for name, data in supplementary.items():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            (dest / name).write_bytes(data)
        target = dest / f"{ids['notebook']}.ipynb"
        tmp = target.with_suffix(".ipynb.tmp")
        nbformat.write(nb, str(tmp))
        os.replace(tmp, target)
        return nb

    def zero(self, student: str, assignment: str, notebook: str) -> None:
        """Score every graded cell of a missing or unreadable notebook 0, as nbgrader does for a missing one."""
        submission = self.gradebook.find_submission_notebook(notebook, assignment, student)
        for grade in submission.grades:
            grade.auto_score = 0
            grade.needs_manual_grade = False
        self.gradebook.db.commit()
        dest = self.course.root / "autograded" / student / assignment / f"{notebook}.ipynb"
        if dest.exists():
            dest.unlink()

    def recorded_scores(self, assignment: str) -> dict[tuple[str, str], dict[str, float | None]]:
        """``{(student, notebook): {grade_id: auto_score}}`` as the gradebook holds them."""
        found: dict[tuple[str, str], dict[str, float | None]] = {}
        try:
            record = self.gradebook.find_assignment(assignment)
        except MissingEntry:
            return found
        for submission in record.submissions:
            for notebook in submission.notebooks:
                found[(submission.student.id, notebook.name)] = {g.name: g.auto_score for g in notebook.grades}
        return found

    def remove_autograded(self, student: str, assignment: str) -> None:
        shutil.rmtree(self.course.root / "autograded" / student / assignment, ignore_errors=True)
