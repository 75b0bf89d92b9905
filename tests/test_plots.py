"""The course's figures (nnmodule_course.plots) on fixture data: integer ticks on counts, a legend
clear of every bar, every bar labelled with its value, a PNG written where asked."""
from __future__ import annotations

from types import SimpleNamespace as NS

from matplotlib.patches import Rectangle

from nnmodule_course.plots import SCORE_BINS, progress_figure, summary_figure

PNG = b"\x89PNG\r\n\x1a\n"


def _texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts if t.get_text()]


def _assert_integer_ticks(axis) -> None:
    low, high = sorted(axis.get_view_interval())
    ticks = [t for t in axis.get_majorticklocs() if low <= t <= high]
    assert ticks and all(float(t).is_integer() for t in ticks), f"fractional ticks: {ticks}"


def _assert_legend_clear(figure, ax) -> None:
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    bars = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_width() and p.get_height()]
    assert bars
    for bar in bars:
        assert not legend.overlaps(bar.get_window_extent(renderer)), "the legend covers a bar"


def test_progress_figure(tmp_path):
    rows = [("01 Module construction", 2, 1, 0), ("02 Containers", 0, 1, 2), ("03 Parameters", 0, 0, 3)]
    figure = progress_figure(rows, tmp_path / "progress.png")
    assert (tmp_path / "progress.png").read_bytes()[:8] == PNG
    ax = figure.axes[0]
    _assert_integer_ticks(ax.xaxis)
    _assert_legend_clear(figure, ax)
    assert sorted(_texts(ax)) == sorted(["2", "1", "1", "2", "3"]), "each non-empty segment shows its count"
    assert "2 of 9 exercises passed" in figure._suptitle.get_text()


def _result(student, assignment, scores):
    exercises = [NS(exercise=f"{assignment}_ex{i}", score=s, max_score=m) for i, (s, m) in enumerate(scores)]
    return NS(student=student, assignment=assignment, notebook=assignment, exercises=exercises)


def test_summary_figure(tmp_path):
    results = [
        _result("ann", "01", [(3, 3), (3, 3)]),      # 100 %
        _result("bob", "01", [(3, 3), (0, 3)]),      # 50 %
        _result("cy", "01", [(3, 3), (3, 3)]),       # 100 %
        _result("ann", "02", [(2, 2), (1, 4)]),      # 50 %
        _result("bob", "02", [(0, 2), (0, 4)]),      # 0 %
    ]
    figure = summary_figure(results, tmp_path / "summary.png")
    assert (tmp_path / "summary.png").read_bytes()[:8] == PNG
    scores, rates = figure.axes
    _assert_integer_ticks(scores.yaxis)
    _assert_legend_clear(figure, scores)
    assert [t.get_text() for t in scores.get_legend().get_texts()] == ["01", "02"]
    # bars are labelled with their totals: 1 in 0-9, 2 in 50-59, 2 at 100
    assert sorted(_texts(scores)) == ["1", "2", "2"]
    heights = {}
    for patch in scores.patches:
        x = round(patch.get_x() + patch.get_width() / 2)
        heights[SCORE_BINS[x]] = heights.get(SCORE_BINS[x], 0) + patch.get_height()
    assert {k: v for k, v in heights.items() if v} == {"0–9": 1, "50–59": 2, "100": 2}
    assert _texts(rates) == ["100 %", "67 %", "50 %", "0 %"]
    assert "5 graded submissions" in figure._suptitle.get_text()


def test_summary_figure_of_nothing(tmp_path):
    figure = summary_figure([], tmp_path / "empty.png")
    assert (tmp_path / "empty.png").read_bytes()[:8] == PNG
    _assert_integer_ticks(figure.axes[0].yaxis)
