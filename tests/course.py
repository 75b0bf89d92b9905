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
#: ``# %% exNN_name alt``, ``# %% exNN_name wrong <phrase>``, ``# %% exNN_name wrong-on-cuda <phrase>``
ANSWER_MARKER = re.compile(r"^# %% (ex\d\d_\w+) (alt|wrong-on-cuda|wrong)(?: (.*))?$")


@dataclass(frozen=True)
class Answer:
    """One answer cell from ``tests/answers/<slug>.py``."""

    slug: str
    exercise: str
    kind: str          # "alt" (must pass), "wrong" (must fail), or "wrong-on-cuda": right on the CPU
                       # (passes there), wrong on a GPU (fails there, naming cuda, or mps on a Mac)
    expect: str        # for "wrong" and "wrong-on-cuda": a phrase the failure message must contain
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


def run_cells(sources: list[str], namespace: dict | None = None) -> tuple[BaseException | None, str]:
    """Execute sources in one namespace (a fresh one unless given); return (the first exception,
    what went to stderr)."""
    if namespace is None:
        namespace = {"__name__": "__main__"}
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


def judge(kind: str, exercise: str, expect: str, checked: list[str], error: BaseException | None,
          stderr: str) -> str | None:
    """None when a test cell judged an answer as its ``kind`` says, else what went wrong (a sentence).

    ``checked`` lists the device types the test cell checked, in order (``autograder.devices()``).
    ``kind`` is "reference" or "alt" (must pass, silently), "wrong" (must fail on the first device
    checked, naming it and ``expect``), or "wrong-on-cuda" (must pass when only the CPU was
    checked; must fail naming the first GPU checked, ``cuda`` or ``mps``, and ``expect``).
    """
    from autograder.feedback import ExerciseFailure, NotAttempted

    gpus = [device for device in checked if device != "cpu"]
    if kind in ("reference", "alt") or (kind == "wrong-on-cuda" and not gpus):
        what = {"reference": "the reference solution", "alt": "a correct alternative"}.get(
            kind, "an answer that is right on the CPU")
        if error is not None:
            return f"{what} fails: {error}"
        if stderr:
            return f"the test cell writes to stderr: {stderr!r}"
        return None
    if kind not in ("wrong", "wrong-on-cuda"):
        raise ValueError(f"unknown answer kind {kind!r}")
    device = checked[0] if kind == "wrong" else gpus[0]
    if error is None:
        return f"a wrong answer passes the test cell on {', '.join(checked)}"
    if not isinstance(error, ExerciseFailure):
        return f"bare {type(error).__name__}: {error}"
    if isinstance(error, NotAttempted):
        return f"a wrong answer is reported as not attempted: {error}"
    message = str(error)
    if not message.startswith(f"{exercise} [{device}]: "):
        return f"the failure message should start with '{exercise} [{device}]: ', got: {message}"
    if expect.lower() not in message.lower():
        return f"the failure message should mention {expect!r}, got: {message}"
    return None
