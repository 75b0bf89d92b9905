#!/usr/bin/env python3
"""Build the course notebooks from their reviewable sources in ``src/``.

The sources are percent-format Python files (as jupytext writes them), one cell per
``# %%`` marker. Markers this course uses::

    # %% [markdown]            a markdown cell; every line starts with "# " (or is "#")
    # %%                       a code cell (lessons)
    # %% tags=["nbval-ignore-output"]
                               a code cell with cell tags (as jupytext writes them); nbval reads
                               this tag: the cell runs, its output is not compared
    # %% [setup]               a locked set-up cell of an exercise notebook (imports only)
    # %% [answer] ex01_mlp     the answer cell of exercise ex01_mlp (### BEGIN/END SOLUTION inside)
    # %% [tests] ex01_mlp_tests points=3
                               the graded, locked test cell of that exercise

Commands (``LESSONS`` are slugs like ``01_module_construction``; none means all)::

    build [LESSONS]      src/ -> lessons/*.ipynb and solutions/*/*.ipynb (outputs of lessons kept
                         when the sources did not change)
    execute [LESSONS]    run lessons/*.ipynb in place and store clean, deterministic outputs
    release [LESSONS]    exercises/ from solutions/ with nbgrader generate_assignment
    check                fail if any committed notebook differs from what build/release make now
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
MARKER = re.compile(r"^# %%(?: \[(\w+)\])?(?: (.*))?$")
# The course's kernel (nnmodule_course.lab installs it: `make lab`, `make test`), so that JupyterLab,
# VS Code and nbclassic run the notebooks with the course's Python, and a Jupyter that lacks it asks
# for a kernel instead of running one without torch.
METADATA = {
    "kernelspec": {"display_name": "Python (nn.Module course)", "language": "python", "name": "nnmodule-course"},
    "language_info": {"name": "python"},
}


def slugs(selected: list[str] | None = None) -> list[str]:
    """Lesson slugs that have sources, in course order (optionally only ``selected``)."""
    found = sorted(p.stem for p in (SRC / "lessons").glob("*.py"))
    found += [p.stem for p in sorted((SRC / "solutions").glob("*.py")) if p.stem not in found]
    found = sorted(set(found))
    if selected:
        unknown = set(selected) - set(found)
        if unknown:
            sys.exit(f"no sources for: {', '.join(sorted(unknown))}")
        return [s for s in found if s in selected]
    return found


def parse(path: Path) -> list[dict]:
    """Split a percent-format source into cells ``{"kind", "arg", "source"}``."""
    cells: list[dict] = []
    current: dict | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        match = MARKER.match(line)
        if match:
            current = {"kind": match.group(1) or "code", "arg": (match.group(2) or "").strip(), "lines": []}
            cells.append(current)
        elif current is not None:
            current["lines"].append(line)
        elif line.strip() and not line.startswith("#"):
            raise SystemExit(f"{path}: code before the first '# %%' marker: {line!r}")
    for cell in cells:
        lines = cell.pop("lines")
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
        if cell["kind"] == "markdown":
            lines = [_uncomment(path, line) for line in lines]
        cell["source"] = "\n".join(lines)
    return cells


def _uncomment(path: Path, line: str) -> str:
    if line == "#":
        return ""
    if not line.startswith("# "):
        raise SystemExit(f"{path}: markdown line without '# ': {line!r}")
    return line[2:]


def _cell_id(notebook: str, cell_type: str, source: str, taken: set[str]) -> str:
    """A stable id from the notebook's name and the cell's content: unique within the notebook and,
    because the name is hashed in, across notebooks (the same cell in two notebooks gets two ids)."""
    base = hashlib.sha1(f"{notebook}\n{cell_type}\n{source}".encode()).hexdigest()[:8]
    cid, n = base, 1
    while cid in taken:
        cid, n = f"{base}-{n}", n + 1
    taken.add(cid)
    return cid


def _nbgrader(grade_id: str, *, grade: bool = False, solution: bool = False, locked: bool = False,
              points: float | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


TAGS = re.compile(r"^tags=(\[.*\])$")


def _tags(arg: str) -> list[str]:
    """``tags=["a", "b"]`` (a code cell marker's argument, as jupytext writes it) -> ``["a", "b"]``."""
    match = TAGS.match(arg)
    if not match:
        raise SystemExit(f"a code cell marker takes only tags=[...], got {arg!r}")
    tags = json.loads(match.group(1))
    if not all(isinstance(t, str) for t in tags):
        raise SystemExit(f"cell tags must be strings: {arg!r}")
    return tags


def to_notebook(cells: list[dict], graded: bool, name: str) -> dict:
    """Notebook JSON (nbformat 4.5) for parsed cells; ``graded`` adds nbgrader metadata; ``name``
    (the notebook's path in the course) makes its cell ids unique across notebooks."""
    out, taken, setup_count = [], set(), 0
    for cell in cells:
        kind, arg, source = cell["kind"], cell["arg"], cell["source"]
        cell_type = "markdown" if kind == "markdown" else "code"
        metadata: dict = {}
        if kind in ("setup", "answer", "tests"):
            if not graded:
                raise SystemExit(f"[{kind}] cells belong in src/solutions, not in a lesson")
            if kind == "setup":
                setup_count += 1
                metadata = _nbgrader(f"setup{'' if setup_count == 1 else setup_count}", locked=True)
            elif kind == "answer":
                metadata = _nbgrader(arg, solution=True)
            else:
                grade_id, _, points = arg.partition(" points=")
                metadata = _nbgrader(grade_id, grade=True, locked=True, points=float(points))
        elif kind == "code" and arg:
            metadata = {"tags": _tags(arg)}
        elif kind not in ("markdown", "code"):
            raise SystemExit(f"unknown cell marker [{kind}]")
        nb_cell = {"cell_type": cell_type, "id": _cell_id(name, cell_type, source, taken),
                   "metadata": metadata, "source": source}
        if cell_type == "code":
            nb_cell.update(execution_count=None, outputs=[])
            nb_cell = {k: nb_cell[k] for k in ("cell_type", "execution_count", "id", "metadata",
                                               "outputs", "source")}
        out.append(nb_cell)
    return {"cells": out, "metadata": METADATA, "nbformat": 4, "nbformat_minor": 5}


def write(path: Path, nb: dict) -> None:
    """Write ``nb`` as Jupyter does (1-space indent, sorted keys, trailing newline)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(nb), encoding="utf-8")


def dumps(nb: dict) -> str:
    """Serialize with multi-line sources split into lists, as nbformat does."""
    nb = json.loads(json.dumps(nb))
    for cell in nb["cells"]:
        if isinstance(cell.get("source"), str):
            cell["source"] = cell["source"].splitlines(keepends=True)
        for output in cell.get("outputs", []):
            if isinstance(output.get("text"), str):
                output["text"] = output["text"].splitlines(keepends=True)
            for mime, value in output.get("data", {}).items():
                if isinstance(value, str) and not mime.endswith("json") and mime != "image/png":
                    output["data"][mime] = value.splitlines(keepends=True)
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def lesson_path(slug: str) -> Path:
    return ROOT / "lessons" / f"{slug}.ipynb"


def solution_path(slug: str) -> Path:
    return ROOT / "solutions" / slug / f"{slug}.ipynb"


def exercise_path(slug: str) -> Path:
    return ROOT / "exercises" / slug / f"{slug}.ipynb"


def built_lesson(slug: str) -> dict:
    """The lesson notebook as built from source, keeping stored outputs of unchanged cells."""
    nb = to_notebook(parse(SRC / "lessons" / f"{slug}.py"), graded=False, name=f"lessons/{slug}")
    path = lesson_path(slug)
    if path.exists():
        stored = json.loads(path.read_text(encoding="utf-8"))["cells"]
        old = {c["id"]: c for c in stored}
        by_source = {(c["cell_type"], _source(c)): c for c in stored}
        for cell in nb["cells"]:
            previous = old.get(cell["id"]) or by_source.get((cell["cell_type"], cell["source"]))
            if cell["cell_type"] == "code" and previous and _source(previous) == cell["source"]:
                cell["outputs"] = previous.get("outputs", [])
                cell["execution_count"] = previous.get("execution_count")
    return nb


HOME_INTRO = """\
# nn.Module from the inside

A hands-on course on how `torch.nn.Module` really works: how modules register their
parameters, buffers and children, how they are initialized, shared, saved, moved between
devices and handed to optimizers. Nine lessons, each followed by an exercise notebook
that checks your answers on the CPU and on your GPU, if you have one.

## How to work through it

1. Open a **lesson** and run it from top to bottom (*Run → Run All Cells*). Every cell is
   short; read the sentence above it, predict the output, then look.
2. Open its **exercises**: the links below open *your own copy* in `my-work/`, which
   `make lab` made for you and which course updates never overwrite. Run the first (locked)
   set-up cell. For each exercise, replace `raise NotImplementedError()` with your answer,
   run the answer cell, then run the **test cell right below it**:
   - no output means your answer is right on every device checked;
   - otherwise it stops with one sentence that names the exercise, the device and the
     mistake, for example
     `ex02_stacked_linear [cpu]: attribute 'layers' is a plain Python list ...`.
3. Before you hand a notebook in, press **Validate** in the notebook toolbar: nbgrader runs
   every test cell and tells you which ones fail. Your instructor's grading also runs
   hidden tests (other shapes, seeds and edge cases), so make the visible ones pass by
   solving the problem, not the example.
4. See where you stand across the whole course: run the cell at the end of this page, or
   in a terminal (*File → New → Terminal*) type `python -m autograder progress` (add
   `--plot` for a figure, saved as `my-work/progress.png`).
"""

HOME_PROGRESS = """\
# Your progress: runs the test cells of your notebooks in my-work/ (a few seconds each) and
# shows the same report and figure as `python -m autograder progress --plot` in a terminal.
from nnmodule_course.progress import show

show("my-work")"""


def home() -> dict:
    """The course's start page: the nine lessons in order, with links, topics and exercises."""
    sys.path.insert(0, str(ROOT))
    from nnmodule_course.spec import LESSONS

    rows = ["## The lessons", "", "| | lesson | what it teaches | exercises |", "|---|---|---|---|"]
    for slug, meta in LESSONS.items():
        points = sum(meta["exercises"].values())
        names = ", ".join(f"`{e}`" for e in meta["exercises"])
        teaches = meta["teaches"].replace("_", "\\_")  # __init__ is a name, not markdown's bold
        rows.append(f"| {slug[:2]} | [{meta['title']}](lessons/{slug}.ipynb) | {teaches} | "
                    f"[{len(meta['exercises'])} exercises, {points} points](my-work/{slug}/{slug}.ipynb): "
                    f"{names} |")
    cells = [{"kind": "markdown", "arg": "", "source": HOME_INTRO.strip()},
             {"kind": "markdown", "arg": "", "source": "\n".join(rows)},
             {"kind": "markdown", "arg": "", "source": "## Your progress"},
             {"kind": "code", "arg": "", "source": HOME_PROGRESS}]
    return to_notebook(cells, graded=False, name="START_HERE")


HOME = ROOT / "START_HERE.ipynb"


def build(selected: list[str]) -> None:
    write(HOME, home())
    for slug in slugs(selected):
        if (SRC / "lessons" / f"{slug}.py").exists():
            write(lesson_path(slug), built_lesson(slug))
        if (SRC / "solutions" / f"{slug}.py").exists():
            write(solution_path(slug), solution_notebook(slug))


def solution_notebook(slug: str) -> dict:
    """The nbgrader source notebook of ``slug``, as built from ``src/solutions/<slug>.py``."""
    return to_notebook(parse(SRC / "solutions" / f"{slug}.py"), graded=True, name=f"solutions/{slug}")


def clean_outputs(nb: dict) -> dict:
    """Drop volatile metadata that execution adds (timings, versions)."""
    nb["metadata"] = METADATA
    for cell in nb["cells"]:
        cell["metadata"].pop("execution", None)
        cell["metadata"].pop("ExecuteTime", None)
        if "outputs" in cell:
            cell["outputs"] = _merge_streams(cell["outputs"])
    return nb


def _merge_streams(outputs: list[dict]) -> list[dict]:
    """Join consecutive stream outputs of the same name (one print can arrive in pieces)."""
    merged: list[dict] = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (output.get("output_type") == "stream" and previous and previous.get("output_type") == "stream"
                and previous.get("name") == output.get("name")):
            previous["text"] = _text(previous["text"]) + _text(output["text"])
        else:
            merged.append(dict(output))
    return merged


def _text(value: str | list[str]) -> str:
    return "".join(value) if isinstance(value, list) else value


def execute(selected: list[str]) -> None:
    import nbformat
    from nbclient import NotebookClient

    for slug in slugs(selected):
        path = lesson_path(slug)
        if not path.exists():
            continue
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=120, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        write(path, clean_outputs(json.loads(nbformat.writes(nb))))
        print(f"executed {path.relative_to(ROOT)}")


def generate(slug: str, course: Path) -> Path:
    """Run ``nbgrader generate_assignment`` for one lesson in a scratch course; return the released notebook."""
    (course / "solutions").mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "solutions" / slug, course / "solutions" / slug, dirs_exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    bindir = str(Path(sys.executable).parent)
    env = {**__import__("os").environ, "PATH": bindir + ":" + __import__("os").environ.get("PATH", "")}
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", slug, "--force",
                    "--log-level=WARN"], cwd=course, check=True, env=env)
    return course / "exercises" / slug / f"{slug}.ipynb"


def released(slug: str, course: Path) -> dict:
    """The student notebook nbgrader makes of ``solutions/<slug>``, normalized like our writes."""
    return json.loads(dumps(clean_outputs(json.loads(generate(slug, course).read_text(encoding="utf-8")))))


def release(selected: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for slug in slugs(selected):
            if solution_path(slug).exists():
                write(exercise_path(slug), released(slug, Path(tmp)))
                print(f"released {exercise_path(slug).relative_to(ROOT)}")


def stale() -> list[str]:
    """Paths whose committed notebook differs from what the sources make now."""
    problems = []
    if not HOME.exists() or HOME.read_text(encoding="utf-8") != dumps(home()):
        problems.append("START_HERE.ipynb: differs from what tools/notebooks.py builds (run make notebooks)")
    with tempfile.TemporaryDirectory() as tmp:
        for slug in slugs():
            if (SRC / "lessons" / f"{slug}.py").exists():
                want = [(c["cell_type"], c["id"], c["metadata"], c["source"]) for c in to_notebook(
                    parse(SRC / "lessons" / f"{slug}.py"), graded=False, name=f"lessons/{slug}")["cells"]]
                path = lesson_path(slug)
                got = ([(c["cell_type"], c["id"], c["metadata"], _source(c))
                        for c in json.loads(path.read_text())["cells"]]
                       if path.exists() else None)
                if got != want:
                    problems.append(f"{path.relative_to(ROOT)}: cells differ from src/lessons/{slug}.py "
                                    "(run make notebooks)")
            if (SRC / "solutions" / f"{slug}.py").exists():
                want_text = dumps(solution_notebook(slug))
                path = solution_path(slug)
                if not path.exists() or path.read_text(encoding="utf-8") != want_text:
                    problems.append(f"{path.relative_to(ROOT)}: differs from src/solutions/{slug}.py "
                                    "(run make notebooks)")
                    continue
                path = exercise_path(slug)
                want_text = dumps(released(slug, Path(tmp)))
                if not path.exists() or path.read_text(encoding="utf-8") != want_text:
                    problems.append(f"{path.relative_to(ROOT)}: differs from what nbgrader "
                                    "generate_assignment makes of solutions/ (run make exercises)")
    return problems


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"build", "execute", "release", "check"}:
        print(__doc__)
        return 2
    command, selected = argv[0], argv[1:]
    if command == "build":
        build(selected)
    elif command == "execute":
        execute(selected)
    elif command == "release":
        release(selected)
    else:
        problems = stale()
        for p in problems:
            print(p)
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
