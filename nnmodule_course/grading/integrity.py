"""The grader's defences inside a notebook: inject guard cells, then verify and remove them.

Only the executed copy of a submission is changed, never the notebook nbgrader stores:

- a *preamble* cell first (the source of :mod:`nnmodule_course.grading.pristine`), which captures
  pristine interpreter state before any student code runs;
- a *guard* cell before every test cell, which restores that state and re-imports the
  course's checks from the grader's read-only copy.

After execution :func:`collect` checks that every guard ran (its keyed nonce is in its
output) and that every test cell that shows no error really finished (the witness nonce
printed by a ``post_run_cell`` hook), removes the injected cells and the witness lines, and
turns a failed check into an error output on the test cell, so that nbgrader's
``determine_grade`` scores it zero.
"""
from __future__ import annotations

import ast
import hashlib
import hmac
import inspect
import json
import secrets
from dataclasses import dataclass, field

from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_output

from . import pristine
from .sandbox import COPY
from ..notebook import grade_id

INJECTED = "nnm_grading"          # cell metadata key marking injected cells
GUARD_PREFIX, WITNESS_PREFIX = "nnm-guard ", "nnm-witness "


@dataclass
class Plan:
    """What :func:`inject` added to one notebook: the keys, and which cell guards which test."""

    token: str
    secret: str
    guards: dict[int, str] = field(default_factory=dict)     # cell index -> grade_id of the test cell

    def nonce(self, kind: str, grade_id: str) -> str:
        """The value the kernel-side code prints for ``kind`` ("guard" or "witness") of ``grade_id``."""
        mac = hmac.new(self.secret.encode(), f"{kind}:{grade_id}".encode(), hashlib.sha256)
        return mac.hexdigest()[:24]


@dataclass
class Findings:
    """What :func:`collect` learned: per test cell, the problem (if any) and what the guard restored."""

    problems: dict[str, str] = field(default_factory=dict)    # grade_id -> why it cannot count
    restored: dict[str, list[str]] = field(default_factory=dict)


def is_grade(cell: NotebookNode) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("grade"))


def is_solution(cell: NotebookNode) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("solution"))


def is_setup(cell: NotebookNode) -> bool:
    """A locked code cell that is neither graded nor an answer: the notebook's set-up."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("locked")) and not meta.get("grade") and not meta.get("solution")


def setup_bindings(cells: list[NotebookNode]) -> list[tuple[str, str, str]]:
    """``(name, module, attribute)`` for each name the set-up cells import (attribute "" for a module)."""
    found: list[tuple[str, str, str]] = []
    for cell in cells:
        if not is_setup(cell):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        found.append((alias.asname, alias.name, ""))
                    else:
                        top = alias.name.split(".")[0]
                        found.append((top, top, ""))
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    if alias.name != "*":
                        found.append((alias.asname or alias.name, node.module, alias.name))
    return found


def course_imports(source: str, package: str = "autograder") -> list[str]:
    """The modules of ``package`` that a test cell imports (``autograder.checks.lesson01``)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                 else [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
        found += [n for n in names if n == package or n.startswith(package + ".")]
    return sorted(set(found))


def _injected(source: str, role: str) -> NotebookNode:
    cell = new_code_cell(source)
    cell.metadata[INJECTED] = role
    return cell


def preamble_source(plan: Plan, bindings: list[tuple[str, str, str]], checks: list[str]) -> str:
    """The first cell: :mod:`pristine`'s code and the call that installs the guard."""
    code = inspect.getsource(pristine)
    call = f"_install({plan.token!r}, {plan.secret!r}, {COPY!r}, {json.dumps(bindings)}, {json.dumps(checks)})"
    return f"{code}\n{call}\ndel _install\n"


def guard_source(plan: Plan, test_id: str, test_source: str) -> str:
    """A guard cell: found without looking up a single name a student could have rebound."""
    digest = hashlib.sha256(test_source.encode()).hexdigest()
    return (f"[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == '_NnmGuard_{plan.token}']"
            f"[0].restore({test_id!r}, {digest!r}, {course_imports(test_source)!r})")


def inject(nb: NotebookNode) -> tuple[NotebookNode, Plan]:
    """A copy of ``nb`` with the preamble first and a guard before every graded code cell."""
    plan = Plan(token=secrets.token_hex(8), secret=secrets.token_hex(16))
    bindings = setup_bindings(nb.cells)
    checks = sorted({m for c in nb.cells if is_grade(c) and c.cell_type == "code" for m in course_imports(c.source)})
    cells = [_injected(preamble_source(plan, bindings, checks), "preamble")]
    for cell in nb.cells:
        if is_grade(cell) and cell.cell_type == "code" and not is_solution(cell):
            plan.guards[len(cells)] = grade_id(cell)
            cells.append(_injected(guard_source(plan, grade_id(cell), cell.source), "guard"))
        cells.append(cell)
    executed = NotebookNode({**nb, "cells": cells})
    return executed, plan


def _error(ename: str, evalue: str) -> NotebookNode:
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def _errors(cell: NotebookNode) -> list[NotebookNode]:
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def _strip_marks(cell: NotebookNode) -> str:
    """Remove the guard/witness lines from ``cell``'s stdout; return those lines.

    A mark may reach nbclient split over several stream messages, so stdout is joined
    first; when marks were found, the rest of stdout is kept as one stream output.
    """
    outputs = cell.get("outputs", [])
    stdout = [o for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stdout"]
    lines = "".join(o.get("text", "") for o in stdout).splitlines(keepends=True)
    marks = [ln for ln in lines if ln.startswith((GUARD_PREFIX, WITNESS_PREFIX))]
    if not marks:
        return ""
    rest = "".join(ln for ln in lines if not ln.startswith((GUARD_PREFIX, WITNESS_PREFIX)))
    kept = []
    for output in outputs:
        if any(output is o for o in stdout):
            if output is stdout[0] and rest:
                output["text"] = rest
                kept.append(output)
            continue
        kept.append(output)
    cell["outputs"] = kept
    return "".join(marks)


def collect(executed: NotebookNode, plan: Plan) -> tuple[NotebookNode, Findings]:
    """Verify the guards and witnesses of an executed notebook; return it without injected cells."""
    findings = Findings()
    cells: list[NotebookNode] = []
    pending: dict[str, str] = {}          # test grade_id -> problem found at its guard
    for index, cell in enumerate(executed.cells):
        role = cell.get("metadata", {}).get(INJECTED)
        if role == "guard":
            test_id = plan.guards[index]
            errors = _errors(cell)
            marks = _strip_marks(cell)
            expected = GUARD_PREFIX + plan.nonce("guard", test_id) + " "
            line = next((ln for ln in marks.splitlines() if ln.startswith(expected)), None)
            if errors:
                pending[test_id] = (f"the grader's guard before this test failed ({errors[0].get('ename')}: "
                                    f"{errors[0].get('evalue')}), so the test could not be trusted")
            elif line is None:
                pending[test_id] = ("the grader's guard before this test did not run: the notebook changed "
                                    "how cells are executed")
            else:
                restored = json.loads(line[len(expected):] or "[]")
                if restored:
                    findings.restored[test_id] = restored
            continue
        if role is not None:
            continue
        if is_grade(cell) and cell.cell_type == "code" and not is_solution(cell):
            test_id = grade_id(cell)
            marks = _strip_marks(cell)
            problem = pending.pop(test_id, None)
            if problem is None and not _errors(cell) and WITNESS_PREFIX + plan.nonce("witness", test_id) not in marks:
                problem = ("this test cell did not run to its end (its output was tampered with, or the "
                           "notebook changed how cells are executed)")
            if problem is not None:
                findings.problems[test_id] = problem
                if not _errors(cell):
                    cell.setdefault("outputs", []).append(_error("GradingIntegrityError", problem))
        cells.append(cell)
    count = 0
    for cell in cells:                      # execution counts as if the injected cells were never there
        if cell.cell_type == "code" and cell.get("execution_count") is not None:
            count += 1
            cell["execution_count"] = count
            for output in cell.get("outputs", []):
                if output.get("output_type") == "execute_result":
                    output["execution_count"] = count
    return NotebookNode({**executed, "cells": cells}), findings
