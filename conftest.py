"""pytest set-up for the whole repository: tests/ on sys.path, and a timing summary.

The summary lists the slowest test cells (from tests/test_answers.py) and the time nbval
spent re-executing each lesson, so a slow cell or lesson shows up in every `make test`.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "tests"))

_CELL_TIMES: list[tuple[float, str]] = []
_LESSON_TIMES: dict[str, float] = {}


def pytest_runtest_logreport(report):
    """Collect the reference test-cell timings that test_answers records (works under xdist)."""
    if report.nodeid.startswith("lessons/"):
        lesson = report.nodeid.split("::")[0]
        _LESSON_TIMES[lesson] = _LESSON_TIMES.get(lesson, 0.0) + report.duration
    if report.when == "call":
        for key, value in report.user_properties:
            if key == "test_cell_seconds":
                _CELL_TIMES.append((value, report.nodeid.split("[")[-1].rstrip("]")))


def pytest_terminal_summary(terminalreporter):
    if _CELL_TIMES:
        terminalreporter.write_sep("-", "slowest test cells (reference answer; set-up and answer cells included)")
        for seconds, name in sorted(_CELL_TIMES, reverse=True)[:5]:
            terminalreporter.write_line(f"{seconds:6.2f} s  {name}")
    if _LESSON_TIMES:
        terminalreporter.write_sep("-", "lessons re-executed by nbval (kernel start included)")
        for lesson, seconds in sorted(_LESSON_TIMES.items(), key=lambda kv: -kv[1]):
            terminalreporter.write_line(f"{seconds:6.2f} s  {lesson}")
