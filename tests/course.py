"""Read the course's notebooks and answer files, and run exercise cells in-process.

Shared by the test modules: the spec (lessons and exercises), the cells of a solution
notebook, the wrong and alternative answers in ``tests/answers/``.
"""
from __future__ import annotations

import contextlib
import io
import json
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from nnmodule_course.notebook import grade_id, source

ROOT = Path(__file__).resolve().parent.parent
ANSWER_MARKER = re.compile(r"^# %% (ex\d\d_\w+) (alt|wrong)(?: (.*))?$")


@dataclass(frozen=True)
class Answer:
    """One answer cell from ``tests/answers/<slug>.py``."""

    slug: str
    exercise: str
    kind: str          # "alt" (must pass) or "wrong" (must fail)
    expect: str        # for "wrong": a phrase the failure message must contain
    source: str
    index: int         # 1-based position among this exercise's answers of this kind

    @property
    def name(self) -> str:
        return f"{self.exercise}-{self.kind}{self.index}"


def spec_slugs() -> list[str]:
    """The nine lesson slugs, in order, from the course's own spec file."""
    from nnmodule_course.spec import LESSONS

    return list(LESSONS)


def cells(path: Path) -> list[dict]:
    """The cells of a notebook, sources joined into strings."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [{**cell, "source": source(cell)} for cell in nb["cells"]]


def solution_cells(slug: str) -> list[dict]:
    return cells(ROOT / "solutions" / slug / f"{slug}.ipynb")


def answers(slug: str) -> list[Answer]:
    """Parse ``tests/answers/<slug>.py`` into :class:`Answer` records."""
    path = ROOT / "tests" / "answers" / f"{slug}.py"
    if not path.exists():
        return []
    found: list[Answer] = []
    current: list | None = None
    counts: dict[tuple[str, str], int] = {}
    for line in path.read_text(encoding="utf-8").splitlines() + ["# %% end"]:
        match = ANSWER_MARKER.match(line)
        if match or line == "# %% end":
            if current is not None:
                exercise, kind, expect, lines = current
                counts[(exercise, kind)] = counts.get((exercise, kind), 0) + 1
                found.append(Answer(slug, exercise, kind, expect, "\n".join(lines).strip() + "\n",
                                    counts[(exercise, kind)]))
            current = [match.group(1), match.group(2), (match.group(3) or "").strip(), []] if match else None
        elif current is not None:
            current[3].append(line)
    return found


def run_cells(sources: list[str]) -> tuple[BaseException | None, str]:
    """Execute sources in one fresh namespace; return (the first exception, what went to stderr)."""
    namespace: dict = {"__name__": "__main__"}
    err = io.StringIO()
    with contextlib.redirect_stderr(err), warnings.catch_warnings():
        warnings.simplefilter("default")
        try:
            for source in sources:
                exec(compile(source, "<cell>", "exec"), namespace)
        except BaseException as exc:  # noqa: BLE001 - the caller judges it
            return exc, err.getvalue()
    return None, err.getvalue()


def exercise_sources(slug: str, exercise: str, answer_source: str | None = None,
                     notebook: Path | None = None) -> list[str]:
    """Set-up cells, the answer cell (or ``answer_source``) and the test cell of one exercise."""
    nb_cells = cells(notebook) if notebook else solution_cells(slug)
    setup = [c["source"] for c in nb_cells
             if c["cell_type"] == "code" and (grade_id(c) or "").startswith("setup")]
    by_id = {grade_id(c): c["source"] for c in nb_cells if grade_id(c)}
    answer = answer_source if answer_source is not None else by_id[exercise]
    return setup + [answer, by_id[f"{exercise}_tests"]]
