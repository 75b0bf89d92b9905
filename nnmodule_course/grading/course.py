"""The nbgrader course the grader records into: the course itself by default, or a scratch copy.

By default the grader writes where nbgrader itself would, in the course folder, so that
``nbgrader export`` and formgrader show what it recorded; ``--out DIR`` makes DIR a scratch
course instead (the config and solutions copied into it). Layout, as nbgrader expects it, plus
the grader's own files in ``grading/`` (all of it ignored by git)::

    <out>/
      nbgrader_config.py          the course's (copied into a scratch course)
      solutions/<assignment>/     the source of truth for test cells (copied into a scratch course)
      exercises/<assignment>/     written by nbgrader generate_assignment
      submitted/<student>/<assignment>/<notebook>.ipynb
      autograded/<student>/<assignment>/<notebook>.ipynb
      gradebook.db                nbgrader's gradebook
      grading/results/<assignment>/<student>/<notebook>.json    one per graded notebook (results.py)
      grading/reports/grades.csv, summary.png, flags.csv, feedback/<student>.html
      grading/grading.log, grading/kernels.log
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

CONFIG = "nbgrader_config.py"


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree_digest(path: Path) -> str:
    """sha256 over every file below ``path`` (names and bytes), ignoring caches."""
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                       and ".ipynb_checkpoints" not in p.parts):
        digest.update(str(file.relative_to(path)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


class ScratchCourse:
    """An nbgrader course directory built from the course at ``course_root``."""

    def __init__(self, course_root: Path, root: Path, timeout: int | None = None) -> None:
        self.course_root = course_root.resolve()
        self.root = root.resolve()
        self.work = self.root / "grading"            # the grader's own files
        self.work.mkdir(parents=True, exist_ok=True)
        self.config = self._config(timeout)
        self.source_dir = self.root / self.config.CourseDirectory.get("source_directory", "source")
        self.log = _file_logger(self.work / "grading.log")

    @property
    def in_place(self) -> bool:
        """True when the grader records into the course itself (nothing to copy)."""
        return self.root == self.course_root

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.root / 'gradebook.db'}"

    def _config(self, timeout: int | None) -> Config:
        config = Config()
        course_config = self.course_root / CONFIG
        if course_config.exists():
            config.merge(PyFileConfigLoader(CONFIG, path=str(self.course_root)).load_config())
        config.CourseDirectory.root = str(self.root)
        config.CourseDirectory.db_url = self.db_url
        if timeout is not None or "timeout" not in config.Execute:
            config.Execute.timeout = timeout or 60
        if "add_missing_cells" not in config.OverwriteCells:
            config.OverwriteCells.add_missing_cells = True   # a deleted test cell is put back and run
        return config

    @property
    def timeout(self) -> int:
        return int(self.config.Execute.timeout)

    def assignments(self) -> list[str]:
        """Assignments the course has a source for (``solutions/<name>/``)."""
        source = self.course_root / self.config.CourseDirectory.get("source_directory", "source")
        return sorted(p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb"))) if source.exists() else []

    def notebooks(self, assignment: str) -> list[str]:
        """Names (without .ipynb) of the assignment's source notebooks."""
        return sorted(p.stem for p in (self.source_dir / assignment).glob("*.ipynb"))

    def source_notebook(self, assignment: str, notebook: str) -> Path:
        return self.source_dir / assignment / f"{notebook}.ipynb"

    def supplementary(self, assignment: str) -> dict[str, bytes]:
        """Non-notebook files of the assignment's source (nbgrader copies them next to each submission)."""
        base = self.source_dir / assignment
        return {str(p.relative_to(base)): p.read_bytes() for p in sorted(base.rglob("*"))
                if p.is_file() and p.suffix != ".ipynb" and "__pycache__" not in p.parts
                and ".ipynb_checkpoints" not in p.parts}

    def prepare(self, assignments: list[str], force: bool = False) -> list[str]:
        """Copy the config and the sources; run ``generate_assignment`` where a source changed.

        Returns the assignments that were (re)generated.
        """
        os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
        if not self.in_place:
            shutil.copyfile(self.course_root / CONFIG, self.root / CONFIG)
        state_file = self.work / "sources.json"
        state = json.loads(state_file.read_text()) if state_file.exists() else {}
        course_source = self.course_root / self.source_dir.name
        generated = []
        for assignment in assignments:
            digest = tree_digest(course_source / assignment)
            if not force and state.get(assignment) == digest and (self.source_dir / assignment).exists():
                continue
            if not self.in_place:
                target = self.source_dir / assignment
                if target.exists():
                    shutil.rmtree(target)
                shutil.copytree(course_source / assignment, target,
                                ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
            self._generate(assignment)
            state[assignment] = digest
            state_file.write_text(json.dumps(state, indent=1, sort_keys=True))
            generated.append(assignment)
        return generated

    def _generate(self, assignment: str) -> None:
        """nbgrader generate_assignment: the gradebook learns the assignment's cells and points."""
        from nbgrader.converters import GenerateAssignment
        from nbgrader.coursedir import CourseDirectory

        coursedir = CourseDirectory(config=self.config, log=self.log)
        coursedir.assignment_id = assignment
        converter = GenerateAssignment(coursedir=coursedir, config=self.config, log=self.log, force=True)
        try:
            converter.start()
        except Exception as err:  # noqa: BLE001 - nbgrader's own reasons, e.g. graded cells removed
            raise ValueError(f"nbgrader generate_assignment {assignment} failed ({err}); "
                             f"see {self.work / 'grading.log'}") from err


def _file_logger(path: Path) -> logging.Logger:
    """A logger for nbgrader's messages that writes to ``path`` only (never to the terminal)."""
    logger = logging.getLogger(f"nnmodule_course.grading[{path}]")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    if not logger.handlers:
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
    return logger
