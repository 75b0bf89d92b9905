#!/usr/bin/env python3
"""Prove the course on every device this machine has: ``cpu``, plus ``cuda`` and ``mps`` when available.

Usage (``make gpu-check`` runs the first line; docs/devices.md has the command for a GPU machine)::

    python tools/gpu_check.py                        everything; writes docs/devices.md and docs/devices.json
    python tools/gpu_check.py --out DIR              ... into DIR instead (on the GPU machine: --out $OUT)
    python tools/gpu_check.py --lessons 02_containers
                                                     one lesson's answers and notebook (a quick check)

What it runs:

- per device, each exercise's test cell (in-process, with the course's ``tests/course.py``) on the
  reference answer and on every answer in ``tests/answers/``: alternatives must pass, wrong answers
  must fail naming the device and their phrase, ``wrong-on-cuda`` answers must pass on the CPU and
  fail on a GPU. The test cell sees only that one device (``NNM_DEVICES``, read by
  ``autograder.devices.devices()``), so every result belongs to one device and every failure
  message names it: ``ex06_my_linear [cuda]: ...``;
- per device, a timing of each test cell on the reference answer: the median of ``--repeats``
  runs after a warm-up run;
- once, every lesson notebook in ``lessons/``, executed with nbclient in a real ipykernel (a kernel
  spec made for this interpreter, so nothing needs installing): no cell may raise or write to
  stderr, and on a machine with cuda lesson 08 must draw a figure (an image/png output).

It writes the results as JSON (``devices.json``) and as a markdown table (``devices.md``) and exits
with 1 when anything did not behave as expected. It needs Python, torch, matplotlib, nbclient,
nbformat and ipykernel, nothing else (no jupyter, nbgrader or nbval), so that on a GPU machine the
few missing packages travel as wheels (``make gpu-wheels``).
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEVICE_TYPES = ("cpu", "cuda", "mps")
ENV_VAR = "NNM_DEVICES"          # autograder.devices.ENV_VAR (not imported here: it imports torch)
FIGURE_LESSON = "08_"            # the lesson whose CPU-vs-GPU figure a cuda machine must draw
KERNEL_NAME = "nnm-gpu-check"
NOT_RUN = "not run"

# What a later session pastes into the device tool: `run` with these arguments (see docs/devices.md).
DEVICE_CARRY = [".whl"]
DEVICE_TIMEOUT_S = 360
DEVICE_COMMAND = (
    "set -o pipefail; python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir "
    "--upgrade --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site || exit; nvidia-smi -L; "
    "PYTHONUNBUFFERED=1 python3 tools/gpu_check.py --out $OUT --save-figure 2>&1 | tee $OUT/gpu_check.log")


# --------------------------------------------------------------------------------------------
# the machine


def machine_devices() -> list[str]:
    """The device types this machine has, in the order test cells check them."""
    import torch

    found = ["cpu"]
    if torch.cuda.is_available():
        found.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    return found


def environment(devices: list[str]) -> dict:
    """Where the run happened: date, Python, torch, the GPU's name (or "none")."""
    import torch

    gpu = "none"
    if "cuda" in devices:
        names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        gpu = ", ".join(sorted(set(names))) + (f" (× {len(names)})" if len(names) > 1 else "")
    elif "mps" in devices:
        gpu = "Apple MPS"
    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "platform": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPU cores",
        # other work on the machine slows the timings: the 1-minute load average at the start
        "load_average": round(os.getloadavg()[0], 1) if hasattr(os, "getloadavg") else None,
        "torch": torch.__version__,
        "cuda_runtime": torch.version.cuda or "none",
        "gpu": gpu,
        "devices": devices,
    }


@contextlib.contextmanager
def only(device: str) -> Iterator[None]:
    """Let test cells check ``device`` alone (through ``NNM_DEVICES``); restore the variable after."""
    saved = os.environ.get(ENV_VAR)
    os.environ[ENV_VAR] = device
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(ENV_VAR, None)
        else:
            os.environ[ENV_VAR] = saved


def synchronize(device: str) -> None:
    """Wait for queued GPU work, so that a clock read after it includes it."""
    import torch

    if device == "cuda":
        torch.cuda.synchronize()
    elif device == "mps":
        torch.mps.synchronize()


# --------------------------------------------------------------------------------------------
# exercises: every answer through its test cell, per device


def _course():
    """tests/course.py (answers, exercise_sources, run_cells, judge) with the repository importable."""
    for path in (ROOT, ROOT / "tests"):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    import course

    return course


def spec_lessons() -> dict[str, list[str]]:
    """slug -> its exercise ids, in course order (nnmodule_course.spec)."""
    _course()
    from nnmodule_course.spec import LESSONS

    return {slug: list(meta["exercises"]) for slug, meta in LESSONS.items()}


def answer_cases(slug: str, exercise: str) -> list[dict]:
    """The reference answer and every answer of ``exercise`` in tests/answers/, as plain dicts."""
    course = _course()
    cases = [{"answer": "reference", "kind": "reference", "expect": "", "source": None}]
    for a in course.answers(slug):
        if a.exercise == exercise:
            cases.append({"answer": f"{a.kind}{a.index}", "kind": a.kind, "expect": a.expect,
                          "source": a.source})
    return cases


def check_case(slug: str, exercise: str, case: dict, device: str) -> dict:
    """Run one answer through the test cell with only ``device`` checked; judge it as test_answers does."""
    course = _course()
    with only(device):
        error, stderr = course.run_cells(course.exercise_sources(slug, exercise, case["source"]))
    problem = course.judge(case["kind"], exercise, case["expect"], [device], error, stderr)
    message = "" if error is None else str(error)
    return {"exercise": exercise, "answer": case["answer"], "kind": case["kind"], "device": device,
            "outcome": "passed" if error is None else "failed",
            "message": message if len(message) <= 300 else message[:297] + "...",
            "ok": problem is None,
            "problem": None if problem is None else f"{exercise} [{device}]: {case['answer']}: {problem}"}


def time_test_cell(slug: str, exercise: str, device: str, repeats: int) -> float | None:
    """Median seconds of the test cell on the reference answer (set-up and answer cells run once,
    then one warm-up run of the test cell, then ``repeats`` timed runs); None if it fails."""
    course = _course()
    sources = course.exercise_sources(slug, exercise)
    namespace: dict = {"__name__": "__main__"}
    with only(device):
        error, _ = course.run_cells(sources[:-1], namespace)
        if error is not None:
            return None
        times = []
        for run in range(repeats + 1):
            synchronize(device)
            start = time.perf_counter()
            error, _ = course.run_cells(sources[-1:], namespace)
            synchronize(device)
            if error is not None:
                return None
            if run:
                times.append(time.perf_counter() - start)
    return statistics.median(times)


def check_exercise(slug: str, exercise: str, devices: list[str], repeats: int,
                   cases: list[dict] | None = None) -> tuple[dict, list[dict]]:
    """Every answer of one exercise on every device; returns (the exercise's summary, the records)."""
    cases = answer_cases(slug, exercise) if cases is None else cases
    summary = {"exercise": exercise, "lesson": slug, "answers": len(cases), "devices": {}}
    records = []
    for device in DEVICE_TYPES:
        if device not in devices:
            summary["devices"][device] = {"status": NOT_RUN}
            continue
        mine = [check_case(slug, exercise, case, device) for case in cases]
        records += mine
        good = sum(r["ok"] for r in mine)
        summary["devices"][device] = {
            "status": "passed" if good == len(mine) else "failed",
            "as_expected": good, "checked": len(mine),
            "seconds": time_test_cell(slug, exercise, device, repeats) if repeats else None,
        }
    return summary, records


# --------------------------------------------------------------------------------------------
# lessons: each notebook executed in a real kernel, in a worker process


def _python() -> list[str]:
    """This interpreter, with -S when it runs without site-packages (the wheels' dry run does)."""
    return [sys.executable, "-S"] if sys.flags.no_site else [sys.executable]


def make_kernelspec(folder: Path) -> dict[str, str]:
    """A kernel spec for this interpreter under ``folder``; returns the environment that finds it
    (and keeps the kernels' connection files and IPython profile in ``folder`` too: a bare machine's
    home may have neither)."""
    spec_dir = folder / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    path = os.pathsep.join([str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
    spec = {"argv": _python() + ["-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (gpu check)", "language": "python",
            "env": {"PYTHONPATH": path, "MPLBACKEND": "module://matplotlib_inline.backend_inline"},
            "metadata": {"debugger": False}}
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    return {"JUPYTER_PATH": os.pathsep.join([str(folder)] + [p for p in os.environ.get("JUPYTER_PATH", "")
                                                              .split(os.pathsep) if p]),
            "JUPYTER_PLATFORM_DIRS": "1", "JUPYTER_RUNTIME_DIR": str(folder / "runtime"),
            "IPYTHONDIR": str(folder / "ipython"), "PYTHONPATH": path}


def lesson_worker(notebook: Path, result: Path, cell_timeout: int, figure: Path | None) -> int:
    """Execute one lesson with nbclient; write {seconds, cells, images, problems} to ``result``."""
    import base64

    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    problems: list[str] = []
    start = time.perf_counter()
    try:
        NotebookClient(nb, timeout=cell_timeout, kernel_name=KERNEL_NAME, allow_errors=True,
                       resources={"metadata": {"path": str(notebook.parent)}}).execute()
    except Exception as err:  # noqa: BLE001 - a dead kernel or a timeout is a result too
        problems.append(f"the notebook did not run to the end: {type(err).__name__}: {str(err)[:300]}")
    seconds = time.perf_counter() - start
    images, code_cells = 0, 0
    for number, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        code_cells += 1
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if kind == "error":
                problems.append(f"cell {number} raised {output.get('ename')}: {output.get('evalue', '')[:300]}")
            elif kind == "stream" and output.get("name") == "stderr":
                problems.append(f"cell {number} wrote to stderr: {output.get('text', '')[:300]!r}")
            elif kind in ("display_data", "execute_result") and "image/png" in output.get("data", {}):
                if images == 0 and figure is not None:
                    figure.write_bytes(base64.b64decode(output["data"]["image/png"]))
                images += 1
    result.write_text(json.dumps({"seconds": seconds, "cells": code_cells, "images": images,
                                  "problems": problems}), encoding="utf-8")
    return 0


def run_lessons(slugs: list[str], devices: list[str], jobs: int, cell_timeout: int,
                figure_dir: Path | None = None, folder: Path = ROOT / "lessons") -> list[dict]:
    """Execute ``folder/<slug>.ipynb`` for each slug (lesson 08, which times the CPU against the GPU,
    alone; the others ``jobs`` at a time) and judge them for a machine with ``devices``; one summary
    per lesson."""
    summaries: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as tmp:
        env = {**os.environ, **make_kernelspec(Path(tmp))}
        env.pop(ENV_VAR, None)

        def start(slug: str) -> tuple[subprocess.Popen, Path, Path, float]:
            result, log = Path(tmp) / f"{slug}.json", Path(tmp) / f"{slug}.log"
            command = _python() + [str(Path(__file__).resolve()), "--lesson-worker",
                                   str(folder / f"{slug}.ipynb"), str(result),
                                   "--cell-timeout", str(cell_timeout)]
            if figure_dir is not None and slug.startswith(FIGURE_LESSON):
                command += ["--figure", str(figure_dir / f"lesson{slug[:2]}_figure.png")]
            with open(log, "wb") as handle:
                process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
            return process, result, log, time.perf_counter()

        def finish(slug: str, process: subprocess.Popen, result: Path, log: Path, began: float) -> None:
            try:
                process.wait(timeout=max(60, cell_timeout * 4))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            summary = {"lesson": slug, "seconds": time.perf_counter() - began, "cells": 0, "images": 0,
                       "problems": []}
            if result.exists():
                summary.update(json.loads(result.read_text(encoding="utf-8")))
            else:
                tail = log.read_text(encoding="utf-8", errors="replace")[-600:]
                summary["problems"].append(f"the lesson worker stopped (exit {process.returncode}): {tail}")
            if "cuda" in devices and slug.startswith(FIGURE_LESSON) and not summary["images"]:
                summary["problems"].append("no image/png output: on a machine with cuda this lesson should "
                                           "draw its CPU-vs-GPU figure")
            where = ", ".join(devices)
            summary["problems"] = [f"{slug} [{where}]: {p}" for p in summary["problems"]]
            summary["status"] = "failed" if summary["problems"] else "passed"
            summaries[slug] = summary
            print(f"  lesson {slug}: {summary['status']} in {summary['seconds']:.1f} s, "
                  f"{summary['images']} figure(s)", flush=True)

        alone = [s for s in slugs if s.startswith(FIGURE_LESSON)]
        rest = [s for s in slugs if s not in alone]
        for slug in alone:
            finish(slug, *start(slug))
        running: list[tuple[str, tuple]] = []
        for slug in rest:
            running.append((slug, start(slug)))
            if len(running) >= jobs:
                done, *running = running
                finish(done[0], *done[1])
        for slug, handles in running:
            finish(slug, *handles)
    return [summaries[s] for s in slugs]


# --------------------------------------------------------------------------------------------
# results: JSON and markdown


def _cell(entry: dict) -> str:
    """One table cell: "passed, 4.1 ms" / "failed (2 of 9), 4.1 ms" / "not run"."""
    status = entry.get("status", NOT_RUN)
    if status == NOT_RUN:
        return NOT_RUN
    text = status if status == "passed" else f"failed ({entry['checked'] - entry['as_expected']} of {entry['checked']})"
    seconds = entry.get("seconds")
    return f"{text}, {seconds * 1000:.1f} ms" if seconds is not None else text


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(result: dict) -> str:
    """docs/devices.md: the environment, the exercise × device table, the lessons, the failures,
    and the command that runs all of it on a GPU machine."""
    env = result["environment"]
    devices = env["devices"]
    exercises, lessons = result["exercises"], result["lessons"]
    ran = [e for e in exercises if any(d["status"] != NOT_RUN for d in e["devices"].values())]
    answers_run = sum(e["devices"][d].get("checked", 0) for e in exercises for d in DEVICE_TYPES)
    lessons_run = [lesson for lesson in lessons if lesson["status"] != NOT_RUN]
    verdict = "everything behaved as expected" if result["ok"] else f"{len(result['failures'])} problem(s), listed below"
    lines = [
        "# Tested on which devices",
        "",
        "Written by `make gpu-check` (`tools/gpu_check.py`); do not edit by hand, run it again.",
        "",
        "| | |", "|---|---|",
        f"| date | {env['date']} |",
        f"| machine | {_md(env['platform'])}, Python {env['python']}"
        + (f"; load average {env['load_average']} at the start (timings are slower under load)"
           if env.get("load_average") is not None else "") + " |",
        f"| torch | {env['torch']} (CUDA runtime: {env['cuda_runtime']}) |",
        f"| GPU | {_md(env['gpu'])} |",
        f"| devices checked | {', '.join(devices)}"
        + "".join(f"; {d}: not available" for d in DEVICE_TYPES if d not in devices) + " |",
        f"| what ran | {len(ran)} exercises × {len(devices)} device(s): {answers_run} answer runs; "
        f"{len(lessons_run)} lesson notebooks |",
        f"| result | {verdict} |",
        f"| run time | {result['seconds']:.0f} s |",
        "",
        "## Exercises",
        "",
        "Each cell: the exercise's test cell, checking that one device only, on the reference answer and "
        "on every answer in `tests/answers/` (alternatives must pass; wrong answers must fail naming the "
        "device and the mistake; `wrong-on-cuda` answers must pass on the CPU and fail on a GPU). "
        "\"passed\" means every answer was judged as expected; the time is the test cell's on the reference "
        "answer, the median of "
        f"{result['repeats']} runs after a warm-up. \"not run\": this machine has no such device, or the "
        "exercise was not selected.",
        "",
        "| exercise | answers | " + " | ".join(DEVICE_TYPES) + " |",
        "|---|---:|" + "---|" * len(DEVICE_TYPES),
    ]
    for e in exercises:
        lines.append(f"| {e['exercise']} | {e['answers']} | "
                     + " | ".join(_cell(e["devices"][d]) for d in DEVICE_TYPES) + " |")
    lines += [
        "",
        "## Lessons",
        "",
        f"Each lesson notebook executed once with nbclient in a fresh ipykernel, which sees {', '.join(devices)}; "
        "\"passed\": no cell raised or wrote to stderr" + (", and lesson 08 drew its CPU-vs-GPU figure"
                                                           if "cuda" in devices else "") + ".",
        "",
        "| lesson | result | seconds | figures (image/png outputs) |",
        "|---|---|---:|---:|",
    ]
    for lesson in lessons:
        if lesson["status"] == NOT_RUN:
            lines.append(f"| {lesson['lesson']} | {NOT_RUN} | | |")
        else:
            lines.append(f"| {lesson['lesson']} | {lesson['status']} | {lesson['seconds']:.1f} | "
                         f"{lesson['images']} |")
    lines += ["", "## Problems", ""]
    lines += [f"- {_md(p)}" for p in result["failures"]] or ["None."]
    lines += [
        "",
        "## Run it on a GPU machine",
        "",
        "The GPU machine has Python 3.12, torch, matplotlib and pytest, but not nbclient, nbformat or "
        "ipykernel: those travel as wheels. Here, first (any machine with pip and the package registry):",
        "",
        "```",
        "make gpu-wheels     # tools/gpu-wheels.txt -> .whl/ (CPython 3.12, manylinux x86_64; about 15 MB)",
        "```",
        "",
        "Then call the device tool's `run` with exactly these arguments:",
        "",
        "```",
        f"command:   {DEVICE_COMMAND}",
        f"carry:     {json.dumps(DEVICE_CARRY)}",
        f"timeout_s: {DEVICE_TIMEOUT_S}",
        "```",
        "",
        "It installs the wheels into /tmp/site, runs every check above on cpu and cuda, and leaves "
        "`devices.md`, `devices.json`, `gpu_check.log` and lesson 08's figure (`lesson08_figure.png`) "
        "in `$OUT`. Copy `devices.md` and `devices.json` from the tool's `files_at` folder over "
        "`docs/devices.md` and `docs/devices.json`, and update the README's \"Tested on which devices\". "
        "On a machine with a GPU and the course's own environment (`make install`), `make gpu-check` does "
        "the same.",
        "",
    ]
    return "\n".join(lines)


def write_results(result: dict, out: Path) -> tuple[Path, Path]:
    """``out/devices.json`` and ``out/devices.md``."""
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / "devices.json", out / "devices.md"
    json_path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    md_path.write_text(render_markdown(result), encoding="utf-8")
    return json_path, md_path


# --------------------------------------------------------------------------------------------


def missing_packages() -> str | None:
    """What executing a lesson needs and this interpreter cannot import (None: all there)."""
    import importlib

    lacking = []
    for name in ("nbformat", "nbclient", "jupyter_client", "ipykernel", "matplotlib", "matplotlib_inline"):
        try:
            importlib.import_module(name)
        except Exception as err:  # noqa: BLE001 - ImportError, or a broken install
            lacking.append(f"{name} ({type(err).__name__}: {err})")
    if not lacking:
        return None
    return ("missing " + "; ".join(lacking) + ": install the course (make install) or, on the GPU machine, "
            "the wheels from make gpu-wheels")


def run(selected: list[str] | None, out: Path, repeats: int, jobs: int, cell_timeout: int,
        save_figure: bool, run_lessons_too: bool = True) -> dict:
    """Everything; returns the result written to ``out``."""
    began = time.perf_counter()
    lessons = spec_lessons()
    unknown = sorted(set(selected or []) - set(lessons))
    if unknown:
        raise SystemExit(f"unknown lessons: {', '.join(unknown)} (expected slugs like 02_containers)")
    chosen = [s for s in lessons if not selected or s in selected]
    devices = machine_devices()
    env = environment(devices)
    print(f"gpu check: torch {env['torch']}, GPU {env['gpu']}, devices {', '.join(devices)}; "
          f"lessons {', '.join(chosen)}", flush=True)

    exercises, records = [], []
    for slug, ids in lessons.items():
        solution = ROOT / "solutions" / slug / f"{slug}.ipynb"
        for exercise in ids:
            if slug not in chosen or not solution.exists():
                exercises.append({"exercise": exercise, "lesson": slug,
                                  "answers": len(answer_cases(slug, exercise)),
                                  "devices": {d: {"status": NOT_RUN} for d in DEVICE_TYPES}})
                continue
            try:
                summary, mine = check_exercise(slug, exercise, devices, repeats)
            except Exception as err:  # noqa: BLE001 - a broken CUDA context, say: record it, go on
                summary = {"exercise": exercise, "lesson": slug, "answers": len(answer_cases(slug, exercise)),
                           "devices": {d: {"status": "failed" if d in devices else NOT_RUN, "as_expected": 0,
                                           "checked": 0, "seconds": None} for d in DEVICE_TYPES}}
                mine = [{"exercise": exercise, "answer": "-", "kind": "-", "device": ",".join(devices),
                         "outcome": "crashed", "message": "", "ok": False,
                         "problem": f"{exercise} [{', '.join(devices)}]: the check itself crashed: "
                                    f"{type(err).__name__}: {err}"}]
            exercises.append(summary)
            records += mine
            print(f"  {exercise}: " + ", ".join(f"{d} {_cell(summary['devices'][d])}" for d in devices), flush=True)

    lesson_results = []
    runnable = [s for s in chosen if (ROOT / "lessons" / f"{s}.ipynb").exists()] if run_lessons_too else []
    missing = missing_packages() if runnable else None
    if missing:
        done = {s: {"lesson": s, "status": "failed", "seconds": 0.0, "cells": 0, "images": 0,
                    "problems": [f"{s} [{', '.join(devices)}]: cannot execute lessons: {missing}"]}
                for s in runnable}
    elif runnable:
        figure_dir = out if save_figure else None
        if figure_dir is not None:
            figure_dir.mkdir(parents=True, exist_ok=True)
        done = {r["lesson"]: r for r in run_lessons(runnable, devices, jobs, cell_timeout, figure_dir)}
    else:
        done = {}
    for slug in lessons:
        lesson_results.append(done.get(slug, {"lesson": slug, "status": NOT_RUN, "problems": []}))

    failures = [r["problem"] for r in records if not r["ok"]]
    failures += [p for lesson in lesson_results for p in lesson["problems"]]
    result = {"environment": env, "command": "python tools/gpu_check.py " + " ".join(sys.argv[1:]),
              "lessons_selected": chosen, "repeats": repeats, "ok": not failures, "failures": failures,
              "seconds": time.perf_counter() - began, "exercises": exercises, "lessons": lesson_results,
              "records": records}
    json_path, md_path = write_results(result, out)
    print(f"gpu check: {'OK' if result['ok'] else 'FAILED'} in {result['seconds']:.0f} s; "
          f"wrote {md_path} and {json_path}", flush=True)
    for failure in failures:
        print(f"  {failure}", flush=True)
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lessons", nargs="*", default=None, help="lesson slugs (default: all)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="where devices.md/.json go")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per test cell (0: no timing)")
    parser.add_argument("-j", "--jobs", type=int, default=max(1, min(8, (os.cpu_count() or 2) // 2)),
                        help="lessons executed at once")
    parser.add_argument("--cell-timeout", type=int, default=300, help="seconds a lesson cell may take")
    parser.add_argument("--save-figure", action="store_true", help="save lesson 08's first figure in --out")
    parser.add_argument("--no-lessons", action="store_true", help="check the answers only")
    parser.add_argument("--lesson-worker", nargs=2, metavar=("NOTEBOOK", "RESULT"), help=argparse.SUPPRESS)
    parser.add_argument("--figure", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.lesson_worker:
        return lesson_worker(Path(args.lesson_worker[0]), Path(args.lesson_worker[1]), args.cell_timeout,
                             args.figure)
    result = run(args.lessons, args.out, args.repeats, args.jobs, args.cell_timeout, args.save_figure,
                 run_lessons_too=not args.no_lessons)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
