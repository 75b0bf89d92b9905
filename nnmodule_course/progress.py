"""A learner's progress report: run the test cells of their own exercise notebooks.

``python -m autograder progress [FOLDER]`` finds ``NN_slug/NN_slug.ipynb`` (or
``NN_slug.ipynb``) under FOLDER (default: ``my-work/``, the learner's own copies that
``make lab`` makes), runs each notebook's set-up cells, answer cells and test cells in a
fresh Python process per notebook (no nbgrader database needed), once per available device,
and prints per lesson and exercise: passed, failed (with the test's message) or not
attempted. ``--plot`` saves a figure (default: ``FOLDER/progress.png``). In a notebook,
:func:`show` prints the same report and shows the figure.

A test cell's outcome is all this needs: it ran silently (passed), raised
``autograder.feedback.NotAttempted`` (not attempted) or raised anything else (failed, with
the first line of the message).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .spec import LESSONS

PASSED, FAILED, NOT_ATTEMPTED = "passed", "failed", "not attempted"
DEFAULT_FOLDER = "my-work"   # the learner's own copies (nnmodule_course.lab.WORK)


@dataclass
class Result:
    """The outcome of one exercise on one device."""

    exercise: str
    device: str
    status: str          # PASSED, FAILED or NOT_ATTEMPTED
    message: str = ""


def run_notebook(path: Path, slug: str, devices: list[str]) -> list[Result]:
    """Grade one notebook in-process (call this in a child process): every exercise on every device."""
    import contextlib
    import io

    import importlib

    devices_module = importlib.import_module("autograder.devices")
    feedback = importlib.import_module("autograder.feedback")
    NotAttempted = feedback.NotAttempted  # noqa: N806 - an exception class
    quiet = getattr(feedback, "quiet", contextlib.nullcontext)  # silences the checks' warnings, if it can
    from .notebook import read

    nb = read(path, slug)
    namespace: dict = {"__name__": "__main__"}
    results: list[Result] = []
    with quiet(), contextlib.redirect_stdout(io.StringIO()):
        setup_error = _exec_all(nb.setup, namespace)
        for exercise in LESSONS[slug]["exercises"]:
            if setup_error or exercise not in nb.answers or exercise not in nb.tests:
                reason = setup_error or "the notebook has no answer or test cell for it"
                results += [Result(exercise, d, FAILED, reason) for d in devices]
                continue
            answer_error = _exec_all([nb.answers[exercise]], namespace)
            for device in devices:
                if answer_error:
                    status = NOT_ATTEMPTED if "NotImplementedError" in answer_error else FAILED
                    results.append(Result(exercise, device, status, answer_error))
                    continue
                original = devices_module.devices
                try:
                    import torch
                    devices_module.devices = lambda device=device: [torch.device(device)]
                    exec(compile(nb.tests[exercise], f"<{exercise}_tests>", "exec"), dict(namespace))
                    results.append(Result(exercise, device, PASSED))
                except NotAttempted as err:
                    results.append(Result(exercise, device, NOT_ATTEMPTED, str(err)))
                except BaseException as err:  # noqa: BLE001 - every failure is a result
                    results.append(Result(exercise, device, FAILED, _one_line(err)))
                finally:
                    devices_module.devices = original
    return results


def _exec_all(sources: list[str], namespace: dict) -> str:
    for src in sources:
        try:
            exec(compile(src, "<cell>", "exec"), namespace)
        except BaseException as err:  # noqa: BLE001
            return _one_line(err)
    return ""


def _one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text and str(err).startswith("ex") else f"{type(err).__name__}: {' '.join(text)}"


def grade_folder(folder: Path, timeout: float = 300.0, jobs: int | None = None) -> dict[str, list[Result]]:
    """Results per lesson slug for every exercise notebook under ``folder``; one child process each."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    from autograder.devices import devices
    from .notebook import find

    names = [d.type for d in devices()]
    found = find(folder)
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        results = pool.map(lambda item: _grade_one(item[1], item[0], names, timeout), found.items())
        return dict(zip(found, results))


def _grade_one(path: Path, slug: str, names: list[str], timeout: float) -> list[Result]:
    cmd = [sys.executable, "-m", "nnmodule_course.progress", "--worker", str(path), slug, *names]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        lines = done.stdout.strip().splitlines()
        rows = json.loads(lines[-1]) if done.returncode == 0 and lines else None
    except subprocess.TimeoutExpired:
        rows, done = None, None
    except json.JSONDecodeError:
        rows = None
    if rows is None:
        reason = (f"timed out after {timeout:.0f} s (does an answer never return?)" if done is None
                  else _crash_reason(done))
        return [Result(ex, d, FAILED, reason) for ex in LESSONS[slug]["exercises"] for d in names]
    return [Result(**row) for row in rows]


def _crash_reason(done: subprocess.CompletedProcess) -> str:
    tail = (done.stderr or "").strip().splitlines()
    return f"the notebook could not be run ({tail[-1] if tail else f'exit code {done.returncode}'})"


def format_report(report: dict[str, list[Result]], devices: list[str]) -> str:
    """The text the command prints: one line per exercise, totals at the end."""
    lines = [f"Course progress (checked on: {', '.join(devices)})", ""]
    passed = total = points = max_points = 0
    for slug, meta in LESSONS.items():
        results = report.get(slug)
        lines.append(f"{slug[:2]} {meta['title']}" + ("" if results else "  (no notebook found)"))
        for exercise, worth in meta["exercises"].items():
            total += 1
            max_points += worth
            mine = [r for r in results or [] if r.exercise == exercise]
            status = _overall(mine)
            if status == PASSED:
                passed += 1
                points += worth
            detail = ""
            if status == FAILED:
                detail = "  " + next(r.message for r in mine if r.status == FAILED)
            per_device = " ".join(f"{r.device}:{'ok' if r.status == PASSED else 'x'}" for r in mine)
            shown = per_device if status != NOT_ATTEMPTED and len(devices) > 1 else ""
            lines.append(f"  {exercise:<26} {status:<14}{shown}{detail}".rstrip())
        lines.append("")
    lines.append(f"{passed}/{total} exercises passed, {points}/{max_points} points")
    return "\n".join(lines)


def _overall(results: list[Result]) -> str:
    if not results or all(r.status == NOT_ATTEMPTED for r in results):
        return NOT_ATTEMPTED
    return PASSED if all(r.status == PASSED for r in results) else FAILED


def plot(report: dict[str, list[Result]], path: Path) -> Path:
    """Save the progress figure: per lesson, its exercises passed / failed / not attempted."""
    from .plots import progress_figure

    progress_figure(_plot_rows(report), path)
    return Path(path)


def _plot_rows(report: dict[str, list[Result]]) -> list[tuple[str, int, int, int]]:
    rows = []
    for slug, meta in LESSONS.items():
        statuses = [_overall([r for r in report.get(slug, []) if r.exercise == ex]) for ex in meta["exercises"]]
        rows.append((f"{slug[:2]} {meta['title']}", statuses.count(PASSED), statuses.count(FAILED),
                     statuses.count(NOT_ATTEMPTED)))
    return rows



def show(folder: str | Path = DEFAULT_FOLDER, timeout: float = 300.0):  # noqa: ANN201 - IPython's Image
    """In a notebook: print the progress report of ``folder`` and return its figure, which
    Jupyter shows (the figure is also saved as ``folder/progress.png``)."""
    from IPython.display import Image

    from autograder.devices import devices

    folder = Path(folder)
    report = grade_folder(folder, timeout=timeout) if folder.is_dir() else {}
    if not report:
        print(f"No exercise notebooks (NN_slug/NN_slug.ipynb) in {folder}/ yet: `make lab` copies "
              f"them there.")
        return None
    print(format_report(report, [d.type for d in devices()]))
    return Image(filename=str(plot(report, folder / "progress.png")))


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``progress`` on the course CLI."""
    parser = subparsers.add_parser("progress", help="check your own exercise notebooks",
                                   description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", default=DEFAULT_FOLDER,
                        help=f"folder holding NN_slug/NN_slug.ipynb (default: {DEFAULT_FOLDER}, your copies)")
    parser.add_argument("--plot", metavar="PNG", nargs="?", const="",
                        help="also save a figure (default: FOLDER/progress.png)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per notebook (default 300)")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Entry point of ``python -m autograder progress``."""
    from autograder.devices import devices

    folder = Path(args.folder)
    if not folder.is_dir():
        hint = " (make lab copies the exercises there)" if args.folder == DEFAULT_FOLDER else ""
        print(f"progress: {folder} is not a folder{hint}", file=sys.stderr)
        return 2
    report = grade_folder(folder, timeout=args.timeout)
    if not report:
        print(f"progress: no exercise notebooks (NN_slug/NN_slug.ipynb) under {folder}", file=sys.stderr)
        return 2
    print(format_report(report, [d.type for d in devices()]))
    if args.plot is not None:
        print(f"figure saved to {plot(report, Path(args.plot or folder / 'progress.png'))}")
    return 0


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "--worker":
    _path, _slug, *_devices = sys.argv[2:]
    _rows = run_notebook(Path(_path), _slug, _devices)
    print(json.dumps([r.__dict__ for r in _rows]))
