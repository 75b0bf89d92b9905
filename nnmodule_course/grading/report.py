"""The run's outputs for people: ``grades.csv``, one feedback page per student, a summary figure.

Written from the stored :class:`~nnmodule_course.grading.results.NotebookResult` files, so the
reports always cover every notebook graded so far (this run and earlier ones)::

    reports/grades.csv              student, name, assignment, points per exercise, total, max, status, flags, seed
    reports/feedback/<student>.html each exercise's points and, when failed, the judge's message
    reports/summary.png             score distribution and pass rate per exercise
    reports/flags.csv               what deserves the instructor's look (flags, unreadable, failed, unsafe)

Feedback pages are a jinja2 template (``templates/feedback.html.j2``, autoescaped): they show
the judge's messages and the grader's notes, never anything a kernel printed or raised, and
never a test cell's source.
"""
from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from .results import NotebookResult

_TEMPLATES = Environment(loader=PackageLoader("nnmodule_course.grading", "templates"),
                         autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)


def _rows(results: list[NotebookResult]) -> tuple[list[str], list[dict]]:
    """Exercise columns in course order, and one row per (student, assignment)."""
    columns: list[str] = []
    merged: dict[tuple[str, str], dict] = {}
    for result in sorted(results, key=lambda r: (r.assignment, r.notebook, r.student)):
        for exercise in result.exercises:
            if exercise.exercise not in columns:
                columns.append(exercise.exercise)
        row = merged.setdefault((result.student, result.assignment),
                                {"student": result.student, "name": result.name, "assignment": result.assignment,
                                 "total": 0.0, "max": 0.0, "status": set(), "flags": 0, "seeds": set()})
        for exercise in result.exercises:
            row[exercise.exercise] = exercise.score
        row["total"] += result.score
        row["max"] += result.max_score
        row["status"].add(result.status if result.sandboxed else f"{result.status}-unsandboxed")
        row["flags"] += len(result.flags)
        row["seeds"].add(str(result.case_seed))
    rows = [dict(r, status="+".join(sorted(r["status"])), seeds=" ".join(sorted(r["seeds"])))
            for _, r in sorted(merged.items())]
    return columns, rows


def _number(value: float) -> str:
    return f"{value:g}"


def write_csv(results: list[NotebookResult], path: Path) -> Path:
    """``grades.csv``: one row per student and assignment, one column per exercise."""
    columns, rows = _rows(results)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "name", "assignment", *columns, "total", "max", "status", "flags", "seed"])
        for row in rows:
            writer.writerow([row["student"], row["name"], row["assignment"],
                             *[_number(row[c]) if c in row else "" for c in columns],
                             _number(row["total"]), _number(row["max"]), row["status"], row["flags"], row["seeds"]])
    return path


def write_flags(results: list[NotebookResult], path: Path) -> Path:
    """``flags.csv``: every flag, every notebook that was not graded normally, every unsandboxed one."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "assignment", "notebook", "kind", "detail"])
        for result in results:
            if not result.sandboxed:
                writer.writerow([result.student, result.assignment, result.notebook, "unsandboxed",
                                 "graded with --no-sandbox: student code ran as the grader's user"])
            if result.status != "graded":
                writer.writerow([result.student, result.assignment, result.notebook, result.status,
                                 "; ".join(result.notes)])
            for flag in result.flags:
                writer.writerow([result.student, result.assignment, result.notebook, "flag", flag])
    return path


def feedback_page(student: str, results: list[NotebookResult]) -> str:
    """One student's feedback: per assignment, each exercise's points and the judge's message."""
    ordered = sorted(results, key=lambda r: (r.assignment, r.notebook))
    return _TEMPLATES.get_template("feedback.html.j2").render(
        student=student, results=ordered, sandboxed=all(r.sandboxed for r in ordered))


def write_feedback(results: list[NotebookResult], folder: Path) -> Path:
    """``feedback/<student>.html`` for every student with a result."""
    folder.mkdir(parents=True, exist_ok=True)
    by_student: dict[str, list[NotebookResult]] = defaultdict(list)
    for result in results:
        by_student[result.student].append(result)
    for student, mine in by_student.items():
        (folder / f"{student}.html").write_text(feedback_page(student, mine), encoding="utf-8")
    return folder


def write_summary(results: list[NotebookResult], path: Path) -> Path:
    """``summary.png``: the distribution of scores per assignment and each exercise's pass rate."""
    from ..plots import summary_figure

    summary_figure(results, path)
    return path


def write_all(results: list[NotebookResult], folder: Path, summary: Any = None) -> dict[str, Path]:
    """Every report into ``folder``; returns their paths by name."""
    folder.mkdir(parents=True, exist_ok=True)
    return {"grades": write_csv(results, folder / "grades.csv"),
            "feedback": write_feedback(results, folder / "feedback"),
            "summary": write_summary(results, folder / "summary.png"),
            "flags": write_flags(results, folder / "flags.csv")}
