#!/usr/bin/env python3
"""Build what students get: the course without its answers (``make handout``).

    python tools/handout.py [OUT]        # default dist/handout; also writes OUT.zip

The handout holds START_HERE.ipynb, the lessons, the released exercise notebooks
(``exercises/``, as nbgrader generates them: answers blanked, hidden tests removed), the
kernel-side ``autograder`` package that the test cells import, the instructor-side
``nnmodule_course`` package WITHOUT its grader (``nnmodule_course/grading``; the rest gives the
learner ``make lab``, the progress report and the course kernel), what installs them
(``Makefile``, ``pyproject.toml``, ``requirements.lock``, ``environment.yml``), the licences
and a README for students. It never holds ``solutions/``, ``src/``, ``tests/`` or the grader.

After copying, :func:`scan` reads every file of the handout and fails the build if it finds an
nbgrader solution or hidden-test marker, a file from a forbidden folder, or three consecutive
lines of a reference answer or of a hidden test, compared without comments or spacing so that
reformatting does not hide a copy (lines that the exercise shows anyway, such as a broken class
to repair, are not secret). The hidden tests are one-line calls of the checks now
(``check(..., hidden=True)``): their cases live in ``autograder.checks``, which the test cells
need and the handout therefore holds, and they draw fresh inputs, so reading them gives no pass. ``tests/test_handout.py`` builds it and
proves that the scan catches a planted answer.
"""
from __future__ import annotations

import json
import re
import shutil
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nnmodule_course.spec import LESSONS  # noqa: E402

#: Copied as they are (files, or folders without caches).
FILES = ["START_HERE.ipynb", "Makefile", "pyproject.toml", "requirements.lock", "environment.yml",
         "nbgrader_config.py", "LICENSE", "LICENSE-CC-BY-4.0.txt", ".gitignore"]
FOLDERS = ["lessons", "exercises", "autograder", "nnmodule_course"]
#: Never in a handout.
FORBIDDEN = ["solutions", "src", "tests", "tools", "nnmodule_course/grading", "submitted", "autograded",
             "feedback", "gradebook.db", "my-work"]
MARKERS = ["### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"]
MIN_LINES = 3           # a copied answer is found by this many consecutive lines
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "*.egg-info")

README = """\
# nn.Module from the inside

An interactive PyTorch course in Jupyter on how `torch.nn.Module` really works: nine lessons,
each followed by exercises whose test cells check your answers on the CPU and on your GPU.

## Start

With Python 3.11 or newer and `make`:

```
make lab                # installs the course into .venv (first time only) and opens START_HERE.ipynb
make lab TORCH=cpu      # the same, with PyTorch's CPU-only build (no GPU? this saves several GB on Linux)
```

`make lab` copies the exercise notebooks into `my-work/` once: work there. Run a test cell
right below your answer: silence means right, otherwise one sentence tells you what is wrong.
nbgrader's **Validate** button checks a whole notebook; `python -m autograder progress` (in
JupyterLab's terminal) or the last cell of START_HERE shows where you stand.

Hand in your notebooks from `my-work/` as your instructor asks. Your instructor's grading also
runs hidden tests (other shapes, seeds and edge cases): solve the problem, not the example.

The course's code is under the MIT License, its text and figures under CC BY 4.0 (LICENSE).
"""


def build(out: Path) -> Path:
    """Copy the handout into ``out`` (replacing it), scan it, and zip it to ``out.zip``."""
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name in FILES:
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, out / name)
    for name in FOLDERS:
        shutil.copytree(ROOT / name, out / name, ignore=IGNORED)
    shutil.rmtree(out / "nnmodule_course" / "grading", ignore_errors=True)
    (out / "README.md").write_text(README, encoding="utf-8")
    problems = scan(out)
    if problems:
        raise SystemExit("the handout would give answers away:\n  " + "\n  ".join(problems))
    archive = out.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(out.rglob("*")):
            if path.is_file():
                zf.write(path, Path("nnmodule-course") / path.relative_to(out))
    return archive


def _normalize(line: str) -> str:
    """A code line without its comment and its spacing."""
    return re.sub(r"\s+", "", re.sub(r"#.*$", "", line))


def _regions(text: str, begin: str, end: str) -> list[list[str]]:
    """The normalized, non-blank lines between each ``begin`` and ``end`` marker line."""
    regions, current = [], None
    for line in text.splitlines():
        if begin in line:
            current = []
        elif end in line and current is not None:
            regions.append(current)
            current = None
        elif current is not None and _normalize(line):
            current.append(_normalize(line))
    return regions


def _runs(lines: list[str], length: int = MIN_LINES) -> set[tuple[str, ...]]:
    return {tuple(lines[i:i + length]) for i in range(len(lines) - length + 1)}


def _public(text: str) -> list[str]:
    """The normalized lines of a cell that a learner sees anyway (outside solution and hidden regions)."""
    kept, inside = [], False
    for line in text.splitlines():
        if "### BEGIN SOLUTION" in line or "### BEGIN HIDDEN TESTS" in line:
            inside = True
        elif "### END SOLUTION" in line or "### END HIDDEN TESTS" in line:
            inside = False
        elif not inside and _normalize(line):
            kept.append(_normalize(line))
    return kept


def secrets(root: Path = ROOT) -> dict[str, set[tuple[str, ...]]]:
    """What a handout must not contain: ``"<grade id> <kind> <n>"`` -> its runs of MIN_LINES normalized
    lines, for every reference answer (solution region) and hidden test of ``solutions/``; runs that
    the notebook shows anyway (a broken class the exercise asks to repair) are not secret."""
    found: dict[str, set[tuple[str, ...]]] = {}
    for slug in LESSONS:
        path = root / "solutions" / slug / f"{slug}.ipynb"
        if not path.exists():
            continue
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        texts = [_join(cell["source"]) for cell in cells]
        public = set().union(*(_runs(_public(text)) for text in texts))
        for cell, text in zip(cells, texts):
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "")
            for kind, begin, end in (("answer", "### BEGIN SOLUTION", "### END SOLUTION"),
                                     ("hidden tests", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")):
                for n, lines in enumerate(_regions(text, begin, end), 1):
                    runs = _runs(lines) - public   # shorter regions cannot be told from ordinary code
                    if runs:
                        found[f"{grade_id} {kind} {n}"] = runs
    return found


def _text_lines(path: Path) -> list[str] | None:
    """A file's lines to compare (a notebook's cell sources and text outputs), or None if binary."""
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return None
    if path.suffix == ".ipynb":
        try:
            nb = json.loads(text)
            parts = []
            for cell in nb.get("cells", []):
                parts.append(_join(cell.get("source", "")))
                for output in cell.get("outputs", []):
                    parts.append(_join(output.get("text", "")))
                    parts.append(_join(output.get("data", {}).get("text/plain", "")))
            text = text + "\n" + "\n".join(parts)
        except (json.JSONDecodeError, AttributeError):
            pass
    return text.splitlines()


def _join(value) -> str:  # noqa: ANN001 - a notebook string or list of strings
    return "".join(value) if isinstance(value, list) else str(value)


def scan(folder: Path, root: Path = ROOT) -> list[str]:
    """Every way ``folder`` gives away an answer or a hidden test; empty when it is clean."""
    folder = Path(folder)
    problems = []
    for name in FORBIDDEN:
        if (folder / name).exists():
            problems.append(f"{name}: must not be in a handout")
    hidden = secrets(root)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        lines = _text_lines(path)
        if lines is None:
            continue
        rel = path.relative_to(folder)
        for marker in MARKERS:
            if any(marker in line for line in lines):
                problems.append(f"{rel}: contains {marker!r}")
        normalized = [n for n in (_normalize(line) for line in lines) if n]
        present = _runs(normalized)
        for name, runs in hidden.items():
            if runs & present:
                problems.append(f"{rel}: contains the reference {name.split(' ', 1)[1]} of {name.split()[0]}")
    return problems


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "dist" / "handout"
    archive = build(out)
    files = sum(1 for p in out.rglob("*") if p.is_file())
    print(f"handout: {files} files in {out}, zipped to {archive} ({archive.stat().st_size // 1024} KiB); "
          "no answers or hidden tests found in it")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
