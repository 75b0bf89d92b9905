"""A one-line progress bar on stderr (the command line's, never library output)."""
from __future__ import annotations

import sys
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


class ProgressBar:
    """``grading [#######.......] 37/96  2 running  0:42 elapsed  ~1:10 left  alice/01_module_construction``."""

    def __init__(self, total: int, stream: TextIO | None = None, enabled: bool | None = None, width: int = 24) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.width = width
        self.done = 0
        self.running = 0
        self.problems = 0
        self.last = ""
        self.started = time.monotonic()
        self._drawn = 0.0

    def start(self, label: str) -> None:
        self.running += 1
        self.last = label
        self.draw()

    def finish(self, label: str, problem: bool = False) -> None:
        self.running -= 1
        self.done += 1
        self.problems += problem
        self.last = label
        self.draw(force=True)

    def draw(self, force: bool = False) -> None:
        if not self.enabled or (not force and time.monotonic() - self._drawn < 0.1):
            return
        self._drawn = time.monotonic()
        elapsed = time.monotonic() - self.started
        filled = int(self.width * self.done / self.total) if self.total else self.width
        left = f"  ~{_clock(elapsed / self.done * (self.total - self.done))} left" if self.done else ""
        problems = f"  {self.problems} with problems" if self.problems else ""
        line = (f"grading [{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total}"
                f"  {self.running} running{problems}  {_clock(elapsed)} elapsed{left}  {self.last}")
        self.stream.write("\r" + line[:160].ljust(100))
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
