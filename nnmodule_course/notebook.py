"""Read exercise notebooks: their set-up, answer and test cells, by nbgrader ``grade_id``."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .spec import LESSONS


@dataclass
class ExerciseNotebook:
    """The cells of one exercise notebook that grading needs.

    ``answers`` and ``tests`` map an exercise id (``"ex01_mlp"``) to the source of its
    answer cell and of its test cell (``"ex01_mlp_tests"``); ``setup`` holds the locked
    set-up cells in order.
    """

    slug: str
    path: Path
    setup: list[str] = field(default_factory=list)
    answers: dict[str, str] = field(default_factory=dict)
    tests: dict[str, str] = field(default_factory=dict)


def grade_id(cell: dict) -> str | None:
    """The nbgrader ``grade_id`` of a cell, or None."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def source(cell: dict) -> str:
    """A cell's source as one string (notebooks store it as a list of lines or a string)."""
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def read(path: Path, slug: str | None = None) -> ExerciseNotebook:
    """Parse ``path``; raises ValueError with a readable reason when it is not a notebook."""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
        cells = nb["cells"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as err:
        raise ValueError(f"{path} is not a readable notebook: {err}") from err
    slug = slug or Path(path).stem
    found = ExerciseNotebook(slug=slug, path=Path(path))
    exercise_ids = set(LESSONS.get(slug, {}).get("exercises", {}))
    for cell in cells:
        gid = grade_id(cell)
        if cell.get("cell_type") != "code" or not gid:
            continue
        if gid.startswith("setup"):
            found.setup.append(source(cell))
        elif gid in exercise_ids:
            found.answers[gid] = source(cell)
        elif gid.endswith("_tests") and gid[: -len("_tests")] in exercise_ids:
            found.tests[gid[: -len("_tests")]] = source(cell)
    return found


def find(folder: Path) -> dict[str, Path]:
    """Exercise notebooks under ``folder``, by lesson slug: ``<slug>/<slug>.ipynb`` or ``<slug>.ipynb``."""
    folder = Path(folder)
    found = {}
    for slug in LESSONS:
        for candidate in (folder / slug / f"{slug}.ipynb", folder / f"{slug}.ipynb"):
            if candidate.exists():
                found[slug] = candidate
                break
    return found
