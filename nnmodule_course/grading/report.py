"""The run's outputs for people: ``grades.csv``, one feedback page per student, a summary figure.

Written from the stored :class:`~nnmodule_course.grading.results.NotebookResult` files, so the
reports always cover every notebook graded so far (this run and earlier ones)::

    reports/grades.csv              student, assignment, points per exercise, total, max, status, flags
    reports/feedback/<student>.html each exercise's points and, when failed, the check's message
    reports/summary.png             score distribution and pass rate per exercise
    reports/flags.csv               what deserves the instructor's look (flags, unreadable, failed)

Feedback pages show messages, never a test cell's source: the hidden tests stay hidden.
"""
from __future__ import annotations

import csv
import html
from collections import defaultdict
from pathlib import Path

from .results import NotebookResult


def _rows(results: list[NotebookResult]) -> tuple[list[str], list[dict]]:
    """Exercise columns in course order, and one row per (student, assignment)."""
    columns: list[str] = []
    merged: dict[tuple[str, str], dict] = {}
    for result in sorted(results, key=lambda r: (r.assignment, r.notebook, r.student)):
        for exercise in result.exercises:
            if exercise.exercise not in columns:
                columns.append(exercise.exercise)
        row = merged.setdefault((result.student, result.assignment),
                                {"student": result.student, "assignment": result.assignment, "total": 0.0,
                                 "max": 0.0, "status": set(), "flags": 0})
        for exercise in result.exercises:
            row[exercise.exercise] = exercise.score
        row["total"] += result.score
        row["max"] += result.max_score
        row["status"].add(result.status)
        row["flags"] += len(result.flags)
    rows = [dict(r, status="+".join(sorted(r["status"]))) for _, r in sorted(merged.items())]
    return columns, rows


def _number(value: float) -> str:
    return f"{value:g}"


def write_csv(results: list[NotebookResult], path: Path) -> Path:
    """``grades.csv``: one row per student and assignment, one column per exercise."""
    columns, rows = _rows(results)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "assignment", *columns, "total", "max", "status", "flags"])
        for row in rows:
            writer.writerow([row["student"], row["assignment"],
                             *[_number(row[c]) if c in row else "" for c in columns],
                             _number(row["total"]), _number(row["max"]), row["status"], row["flags"]])
    return path


def write_flags(results: list[NotebookResult], path: Path) -> Path:
    """``flags.csv``: every flag, and every notebook that was not graded normally."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "assignment", "notebook", "kind", "detail"])
        for result in results:
            if result.status != "graded":
                writer.writerow([result.student, result.assignment, result.notebook, result.status,
                                 "; ".join(result.notes)])
            for flag in result.flags:
                writer.writerow([result.student, result.assignment, result.notebook, "flag", flag])
    return path


STYLE = """
body { font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; } td, th { padding: .4rem .6rem; border-bottom: 1px solid #ddd;
text-align: left; vertical-align: top; } .pass { color: #176f2c; } .fail { color: #a4161a; }
.points { white-space: nowrap; } .note { color: #555; } code { font-size: .95em; }
"""


def feedback_page(student: str, results: list[NotebookResult]) -> str:
    """One student's feedback: per assignment, each exercise's points and failure message."""
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Feedback: {html.escape(student)}"
             f"</title><style>{STYLE}</style></head><body><h1>Feedback for {html.escape(student)}</h1>"]
    for result in sorted(results, key=lambda r: (r.assignment, r.notebook)):
        parts.append(f"<h2>{html.escape(result.assignment)} — {_number(result.score)} / "
                     f"{_number(result.max_score)} points</h2>")
        if result.status != "graded":
            parts.append(f"<p class='fail'>{html.escape(result.status)}</p>")
        parts.append("<table><tr><th>exercise</th><th>points</th><th>feedback</th></tr>")
        for exercise in result.exercises:
            passed = exercise.score >= exercise.max_score
            text = "passed" if passed else exercise.message or "failed"
            parts.append(f"<tr><td><code>{html.escape(exercise.exercise)}</code></td>"
                         f"<td class='points'>{_number(exercise.score)} / {_number(exercise.max_score)}</td>"
                         f"<td class='{'pass' if passed else 'fail'}'>{html.escape(text)}</td></tr>")
        parts.append("</table>")
        for note in result.notes:
            parts.append(f"<p class='note'>Note: {html.escape(note)}</p>")
    parts.append("</body></html>\n")
    return "".join(parts)


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
    """``summary.png``: the distribution of scores (percent, per assignment) and each exercise's pass rate."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    _, rows = _rows(results)
    by_assignment: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        by_assignment[row["assignment"]].append(100 * row["total"] / row["max"] if row["max"] else 0.0)
    passes: dict[str, list[bool]] = {}
    for result in sorted(results, key=lambda r: (r.assignment, r.notebook)):
        for exercise in result.exercises:
            passes.setdefault(exercise.exercise, []).append(exercise.score >= exercise.max_score)
    figure = Figure(figsize=(11, 4.8), layout="constrained")
    FigureCanvasAgg(figure)
    left, right = figure.subplots(1, 2, width_ratios=[1, 1.6])
    if by_assignment:
        left.hist(list(by_assignment.values()), bins=[i * 10 for i in range(11)], label=list(by_assignment),
                  stacked=True)
        left.legend(fontsize=7)
    left.set(title="Score distribution", xlabel="score (% of the assignment's points)", ylabel="submissions",
             xlim=(0, 100))
    names = list(passes)
    rates = [100 * sum(v) / len(v) for v in passes.values()]
    right.barh(range(len(names)), rates, color="#2a6fb0")
    right.set_yticks(range(len(names)), names, fontsize=7)
    right.invert_yaxis()
    right.set(title="Pass rate per exercise", xlabel="% of submissions with full points", xlim=(0, 100))
    figure.suptitle(f"{len(rows)} graded submissions")
    figure.savefig(path, dpi=110)
    return path


def write_all(results: list[NotebookResult], folder: Path) -> dict[str, Path]:
    """Every report into ``folder``; returns their paths by name."""
    folder.mkdir(parents=True, exist_ok=True)
    return {"grades": write_csv(results, folder / "grades.csv"),
            "feedback": write_feedback(results, folder / "feedback"),
            "summary": write_summary(results, folder / "summary.png"),
            "flags": write_flags(results, folder / "flags.csv")}
