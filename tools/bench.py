#!/usr/bin/env python3
"""Benchmark ``python -m autograder grade`` against plain serial ``nbgrader autograde``.

Builds a synthetic class (``--students`` × at least three assignments: the course's built
lessons, topped up with copies of lesson 01), whose answers are mixed from the reference
solutions, the stubs and ``tests/answers/`` (right and wrong), then:

1. times ``python -c "import torch"`` (the floor of any fresh Python that runs a test cell);
2. grades the class with nbgrader itself: ``generate_assignment`` and ``autograde`` per
   assignment, one notebook after another, as nbgrader does;
3. grades it with ``python -m autograder grade -j N``;
4. checks that every graded cell got the same score, and prints both wall times, their
   ratio and the time per notebook against the floor.

Run it with ``make bench`` (``BENCH_ARGS="--students 10"`` for a quick one). Not a test:
timings depend on the machine and its load.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from nnmodule_course.spec import LESSONS  # noqa: E402
from course import answers  # noqa: E402
from grading.classroom import notebook  # noqa: E402

KINDS = ("reference", "reference", "alt1", "wrong1", "wrong2", "blank")   # more right than wrong
COURSE_ID = "nn-module-from-the-inside"


def assignments(count: int) -> dict[str, str]:
    """Assignment name -> the built lesson it is made from (copies of lesson 01 top up to ``count``)."""
    built = [s for s in LESSONS if (ROOT / "exercises" / s / f"{s}.ipynb").exists()]
    if not built:
        raise SystemExit("no built lesson to benchmark with (make exercises)")
    chosen = {slug: slug for slug in built[:count]}
    copy = 2
    while len(chosen) < count:
        chosen[f"{built[0]}_copy{copy}"] = built[0]
        copy += 1
    return chosen


def build(folder: Path, students: int, count: int, seed: int) -> tuple[Path, Path, int]:
    """The synthetic course (config + solutions) and class (nbgrader layout); returns them and the notebook count."""
    if folder.exists():
        shutil.rmtree(folder)
    course, submitted = folder / "course", folder / "submitted"
    (course / "solutions").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    rng = random.Random(seed)
    total = 0
    for name, slug in assignments(count).items():
        shutil.copytree(ROOT / "solutions" / slug, course / "solutions" / name)
        available = {exercise: {"reference", "blank"} for exercise in LESSONS[slug]["exercises"]}
        for answer in answers(slug):
            available[answer.exercise].add(f"{answer.kind}{answer.index}")
        for number in range(students):
            choices = {exercise: rng.choice([k for k in KINDS if k in kinds])
                       for exercise, kinds in available.items()}
            target = submitted / f"student{number:03d}" / name / f"{slug}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(notebook(slug, choices)), encoding="utf-8")
            total += 1
    return course, submitted, total


def floor(repeat: int) -> list[float]:
    """Wall times of ``python -c "import torch"``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import torch"], check=True)
        times.append(time.perf_counter() - start)
    return times


def env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def plain_nbgrader(course: Path, submitted: Path, folder: Path) -> tuple[float, Path]:
    """nbgrader generate_assignment + autograde, per assignment, serially; returns (seconds, gradebook)."""
    work = folder / "nbgrader"
    shutil.copytree(course, work)
    shutil.copytree(submitted, work / "submitted")
    names = sorted(p.name for p in (course / "solutions").iterdir())
    start = time.perf_counter()
    for name in names:
        for step in (["generate_assignment", name, "--force"], ["autograde", name, "--create"]):
            subprocess.run([sys.executable, "-m", "nbgrader", *step, "--log-level=ERROR"], cwd=work, env=env(),
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, work / "gradebook.db"


def grader(course: Path, submitted: Path, folder: Path, jobs: int, sandbox: bool = True) -> tuple[float, Path, str]:
    """``python -m autograder grade`` (or with ``--no-sandbox``); returns (seconds, gradebook, its output)."""
    out = folder / ("grading" if sandbox else "grading-unsandboxed")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(submitted), "--course", str(course),
                           "--out", str(out), "-j", str(jobs), "--force", "--no-progress", "--seed", "1",
                           *([] if sandbox else ["--no-sandbox"])],
                          cwd=folder, env=env(), capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"the grader failed:\n{done.stdout}\n{done.stderr}")
    return seconds, out / "gradebook.db", done.stdout


def scores(db: Path) -> dict[tuple[str, str, str], float | None]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{db}", COURSE_ID) as gb:
        return {(s.student_id, a.name, g.name): g.auto_score for a in gb.assignments
                for s in gb.assignment_submissions(a.name) for nb in s.notebooks for g in nb.grades}


def latencies(out: Path) -> list[float]:
    return [json.loads(p.read_text())["seconds"] for p in (out / "grading" / "results").glob("*/*/*.json")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--assignments", type=int, default=3)
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--folder", type=Path, default=ROOT / "grading" / "bench")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-nbgrader", action="store_true", help="only time the grader")
    parser.add_argument("--unsandboxed", action="store_true",
                        help="also time the grader with --no-sandbox, to see what the sandbox costs")
    args = parser.parse_args()

    course, submitted, count = build(args.folder, args.students, args.assignments, args.seed)
    print(f"class: {args.students} students x {args.assignments} assignments = {count} notebooks "
          f"({os.cpu_count()} cores, {args.jobs} jobs)", flush=True)
    torch_times = floor(5)
    floor_s = statistics.median(torch_times)
    print(f"floor: python -c 'import torch'  median {floor_s:.2f} s  (min {min(torch_times):.2f} s)", flush=True)
    ours, our_db, output = grader(course, submitted, args.folder, args.jobs)
    print(f"grader: python -m autograder grade -j {args.jobs}  {ours:.1f} s", flush=True)
    slot = ours * args.jobs / count
    lat = latencies(args.folder / "grading")
    print(f"  per notebook: {ours / count:.2f} s of wall time; {slot:.2f} s of a job slot = "
          f"{slot / floor_s:.2f} x the floor; median sandbox-to-last-cell {statistics.median(lat):.2f} s")
    if args.unsandboxed:
        bare, _, _ = grader(course, submitted, args.folder, args.jobs, sandbox=False)
        bare_lat = latencies(args.folder / "grading-unsandboxed")
        print(f"grader --no-sandbox: {bare:.1f} s; per notebook {bare / count:.2f} s of wall time, "
              f"{bare * args.jobs / count / floor_s:.2f} x the floor; median kernel-to-last-cell "
              f"{statistics.median(bare_lat):.2f} s (the sandbox costs {100 * (ours - bare) / bare:+.0f} %)",
              flush=True)
    if args.skip_nbgrader:
        return 0
    theirs, their_db = plain_nbgrader(course, submitted, args.folder)
    print(f"nbgrader: serial generate_assignment + autograde  {theirs:.1f} s  ({theirs / count:.2f} s per notebook, "
          f"{theirs / count / floor_s:.2f} x the floor)", flush=True)
    print(f"speed-up: {theirs / ours:.2f} x  (target >= 4 on 2 cores)")
    mine, reference = scores(our_db), scores(their_db)
    differ = {k: (mine.get(k), v) for k, v in reference.items() if mine.get(k) != v}
    if differ or len(mine) != len(reference):
        print(f"SCORES DIFFER on {len(differ)} of {len(reference)} cells: {dict(list(differ.items())[:5])}")
        return 1
    full = sum(1 for v in reference.values() if v)
    print(f"scores: identical on all {len(reference)} graded cells ({full} of them with points)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
