"""The course's figures: a learner's progress (``progress.png``) and a class summary (``summary.png``).

Both follow the same rules: counts get integer ticks, every bar is labelled with its value,
the legend sits outside the data (above the axes), and nothing here knows how results were
obtained: :func:`progress_figure` takes plain counts, :func:`summary_figure` the graded
notebooks that ``nnmodule_course.grading`` stores (anything with the same attributes).
Matplotlib's object API is used without pyplot, so the figures can be made from threads and
worker processes without a display.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

PASSED, FAILED, NOT_ATTEMPTED = "passed", "failed", "not attempted"
COLORS = {PASSED: "#2a9d8f", FAILED: "#e76f51", NOT_ATTEMPTED: "#d9d9d9"}
TEXT_ON = {PASSED: "white", FAILED: "white", NOT_ATTEMPTED: "#333333"}
#: Score bins of the summary, in percent of an assignment's points: 0-9, ..., 90-99 and exactly 100.
SCORE_BINS = [f"{low}–{low + 9}" for low in range(0, 100, 10)] + ["100"]
ASSIGNMENT_COLORS = ["#2a6fb0", "#e9a23b", "#2a9d8f", "#c44e52", "#8172b2", "#937860", "#da8bc3",
                     "#64b5cd", "#8c8c8c", "#ccb974"]


def _legend_above(ax, ncol: int) -> None:  # noqa: ANN001 - a matplotlib Axes
    """The legend in a row above the axes, clear of every bar."""
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.01), ncol=ncol, frameon=False, fontsize=8,
              handlelength=1.2, columnspacing=1.2, borderaxespad=0.0)


def _counts(rows: Sequence[tuple[str, int, int, int]]) -> dict[str, list[int]]:
    """Counts per status, one entry per row ``(label, passed, failed, not attempted)``."""
    return {PASSED: [r[1] for r in rows], FAILED: [r[2] for r in rows], NOT_ATTEMPTED: [r[3] for r in rows]}


def progress_figure(rows: Sequence[tuple[str, int, int, int]], path: Path | None = None,
                    title: str = "Your progress") -> Figure:
    """Per lesson, a bar of its exercises: passed, failed, not attempted (stacked, labelled).

    ``rows`` holds ``(lesson label, passed, failed, not attempted)`` in course order. Saved to
    ``path`` (PNG) when given; returns the figure.
    """
    counts = _counts(rows)
    labels = [r[0] for r in rows]
    longest = max((sum(r[1:]) for r in rows), default=1) or 1
    figure = Figure(figsize=(7.5, 0.42 * len(rows) + 1.6), layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.subplots()
    left = [0] * len(rows)
    for status in (PASSED, FAILED, NOT_ATTEMPTED):
        values = counts[status]
        bars = ax.barh(labels, values, left=left, color=COLORS[status], label=status, height=0.7,
                       edgecolor="white", linewidth=1)
        ax.bar_label(bars, labels=[str(v) if v else "" for v in values], label_type="center",
                     color=TEXT_ON[status], fontsize=8)
        left = [a + b for a, b in zip(left, values)]
    ax.invert_yaxis()
    ax.set_xlim(0, longest)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("exercises")
    ax.spines[["top", "right"]].set_visible(False)
    passed, total = sum(counts[PASSED]), sum(sum(r[1:]) for r in rows)
    figure.suptitle(f"{title}: {passed} of {total} exercises passed", fontsize=11)
    _legend_above(ax, ncol=3)
    if path is not None:
        figure.savefig(path, dpi=110)
    return figure


def _summary_data(rows: Iterable[Any]) -> tuple[dict[str, list[int]], dict[str, list[bool]], int]:
    """Per assignment, how many submissions fall in each :data:`SCORE_BINS` bin; per exercise, who
    passed; the number of (student, assignment) submissions."""
    totals: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    passes: dict[str, list[bool]] = {}
    for result in sorted(rows, key=lambda r: (r.assignment, r.notebook, r.student)):
        total = totals[(result.student, result.assignment)]
        for exercise in result.exercises:
            total[0] += exercise.score
            total[1] += exercise.max_score
            passes.setdefault(exercise.exercise, []).append(exercise.score >= exercise.max_score)
    bins: dict[str, list[int]] = {}
    for (_, assignment), (score, most) in sorted(totals.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        percent = 100 * score / most if most else 0.0
        index = len(SCORE_BINS) - 1 if percent >= 100 else min(int(percent // 10), len(SCORE_BINS) - 2)
        bins.setdefault(assignment, [0] * len(SCORE_BINS))[index] += 1
    return bins, passes, len(totals)


def summary_figure(rows: Iterable[Any], path: Path | None = None) -> Figure:
    """The class summary (``summary.png``): score distribution per assignment, pass rate per exercise.

    ``rows`` are the graded notebooks, as ``nnmodule_course.grading.report.write_summary`` takes
    them: objects with ``student``, ``assignment``, ``notebook`` and ``exercises``, each exercise
    with ``exercise``, ``score`` and ``max_score``. Left: per score bin (percent of the assignment's
    points; full marks have their own bar) the number of submissions, stacked by assignment, each
    bar labelled with its total. Right: per exercise, the share of submissions with full points,
    labelled. Saved to ``path`` (PNG) when given; returns the figure.
    """
    bins, passes, submissions = _summary_data(list(rows))
    figure = Figure(figsize=(12, max(4.8, 0.26 * len(passes) + 1.8)), layout="constrained")
    FigureCanvasAgg(figure)
    left, right = figure.subplots(1, 2, width_ratios=[1.15, 1])

    bottom = [0] * len(SCORE_BINS)
    for i, (assignment, counts) in enumerate(bins.items()):
        left.bar(SCORE_BINS, counts, bottom=bottom, label=assignment, width=0.8,
                 color=ASSIGNMENT_COLORS[i % len(ASSIGNMENT_COLORS)], edgecolor="white", linewidth=0.6)
        bottom = [a + b for a, b in zip(bottom, counts)]
    highest = max(bottom, default=0)
    for x, total in enumerate(bottom):
        if total:
            left.annotate(str(total), (x, total), xytext=(0, 2), textcoords="offset points",
                          ha="center", va="bottom", fontsize=8)
    left.set_ylim(0, max(1, highest) * 1.12)
    left.yaxis.set_major_locator(MaxNLocator(integer=True))
    left.set_xlabel("score (% of the assignment's points)")
    left.set_ylabel("submissions")
    left.tick_params(axis="x", labelsize=7)
    left.spines[["top", "right"]].set_visible(False)
    left.set_title("Score distribution", loc="left", fontsize=10, pad=4 + 12 * ((len(bins) + 4) // 5))
    if bins:
        _legend_above(left, ncol=min(5, len(bins)))

    names = list(passes)
    rates = [100 * sum(v) / len(v) for v in passes.values()]
    bars = right.barh(range(len(names)), rates, color="#2a6fb0", height=0.7)
    right.bar_label(bars, labels=[f"{r:.0f} %" for r in rates], padding=3, fontsize=7)
    right.set_yticks(range(len(names)), names, fontsize=7)
    right.invert_yaxis()
    right.set_xlim(0, 112)
    right.set_xticks(range(0, 101, 20))
    right.set_xlabel("% of submissions with full points")
    right.spines[["top", "right"]].set_visible(False)
    right.set_title("Pass rate per exercise", loc="left", fontsize=10)
    figure.suptitle(f"{submissions} graded submissions", fontsize=11)
    if path is not None:
        figure.savefig(path, dpi=110)
    return figure
