#!/usr/bin/env python3
"""Build the course website: stage the learner-facing notebooks, then run Sphinx on the copy.

    python tools/site.py                # -> _site/ (what make site runs)
    python tools/site.py --out DIR      # build somewhere else
    python tools/site.py --stage-only   # only write the staged Sphinx source (build/site-src/)

Only three inputs are read from the course: ``START_HERE.ipynb``, ``lessons/NN_*.ipynb`` and
``exercises/NN_*/NN_*.ipynb``, with their stored outputs (nothing is executed). Nothing under
``solutions/`` or ``src/`` is ever opened. They are copied, in the repository's own relative
layout, into a scratch folder together with the site's files from ``site/`` (Sphinx
configuration, the about page, CSS); the copies, never the committed notebooks, get:

- the home page (a copy of ``START_HERE.ipynb`` named ``index.ipynb``): a "read it here, run it
  on your machine" section with the README's two commands;
- each exercise page: a box that downloads the committed exercise notebook byte for byte (the
  original file is published next to its page, ``exercises/NN_slug/NN_slug.ipynb``).

Every staged notebook is checked for nbgrader's solution and hidden-test markers before Sphinx
runs, so a solution notebook placed among the inputs stops the build. Sphinx runs with
warnings as errors (``-W --keep-going``) on a fresh environment every time.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "site"                  # conf.py, about.md, _static/: the site's own files
STAGE = ROOT / "build" / "site-src"   # the scratch Sphinx source (git-ignored)
OUT = ROOT / "_site"                  # the built website (git-ignored)
EXTRA = "_extra"                      # staged files copied verbatim into the site's root
NUMBERED = re.compile(r"^\d\d_\w+$")
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
SOURCES_HEADING = re.compile(r"^##\s+Sources and further reading\s*$", re.I | re.M)
LEARNER_COPIES = "my-work"            # a learner's own copies of exercises/ (nnmodule_course.lab.WORK)
# a notebook's link into the learner's copies, e.g. [exercises](my-work/04_x/04_x.ipynb)
SECTION = re.compile(r"\n##\s")     # the first second-level heading of the home page's first cell
LEARNER_LINK = re.compile(r"(\]\(\s*<?)((?:\.\./)*)" + re.escape(LEARNER_COPIES) + "/")


class LeakError(RuntimeError):
    """A staged input holds nbgrader solution or hidden-test text."""


def input_notebooks(root: Path = ROOT) -> list[Path]:
    """The site's inputs in course order: home, lessons 01..NN, exercises 01..NN."""
    lessons = sorted(p for p in (root / "lessons").glob("*.ipynb") if NUMBERED.match(p.stem))
    exercises = sorted(p for d in (root / "exercises").iterdir() if d.is_dir() and NUMBERED.match(d.name)
                       for p in [d / f"{d.name}.ipynb"] if p.exists())
    return [root / "START_HERE.ipynb", *lessons, *exercises]


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:
        raise RuntimeError(f"{path}: not a readable notebook ({err}); if someone is editing it, "
                           "build again in a moment") from err


def _markdown(cell_id: str, text: str) -> dict:
    return {"cell_type": "markdown", "id": cell_id, "metadata": {}, "source": text}


def _cell_text(cell: dict) -> str:
    src = cell.get("source", "")
    return src if isinstance(src, str) else "".join(src)


def site_links(nb: dict) -> bool:
    """Point links into the learner's own copies (my-work/, made by make lab, absent from the
    repository and the site) at the published exercise pages instead; True if any changed."""
    changed = False
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            text = _cell_text(cell)
            new = LEARNER_LINK.sub(r"\1\2exercises/", text)
            if new != text:
                cell["source"], changed = new, True
    return changed


def _write(nb: dict, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def repository_url() -> str | None:
    """The course repository's web address when known: $SITE_REPOSITORY_URL, else GitHub Actions'."""
    url = os.environ.get("SITE_REPOSITORY_URL")
    if not url and os.environ.get("GITHUB_REPOSITORY"):
        url = f"{os.environ.get('GITHUB_SERVER_URL', 'https://github.com')}/{os.environ['GITHUB_REPOSITORY']}"
    return url.rstrip("/") if url else None


def home_section(repo: str | None) -> str:
    clone = f"git clone {repo}.git\ncd {repo.rsplit('/', 1)[-1]}" if repo else \
        "git clone <the course repository>\ncd <its folder>"
    return f"""\
## Read it here, run it on your machine

This website shows every lesson with its outputs, and every exercise notebook. To run the
lessons and have your answers checked, get the course and open it in JupyterLab. On a
machine with Python 3.10+ and `make`:

```
{clone}
make lab     # installs the course in .venv, opens JupyterLab
make test    # the same set-up, then the whole test suite
```

Work through it in the order of the menu: read a lesson, then do its exercises.
"""


def stage_home(src: Path, dest: Path, repo: str | None) -> None:
    """START_HERE.ipynb -> index.ipynb, with the "run it on your machine" section after the intro."""
    nb = _read(src)
    cells = nb["cells"]
    section = _markdown("site-run-it-locally", home_section(repo))
    first = cells[0] if cells and cells[0]["cell_type"] == "markdown" else None
    split = SECTION.search(_cell_text(first)) if first else None
    if split:  # title and intro, this section, then the rest of the first cell
        text = _cell_text(first)
        cells[0:1] = [{**first, "source": text[:split.start()].rstrip() + "\n"}, section,
                      {**first, "id": f"{first.get('id', 'home')}-rest", "source": text[split.start() + 1:]}]
    else:
        cells.insert(1 if first else 0, section)
    site_links(nb)
    _write(nb, dest)


def download_box(name: str) -> str:
    return f"""\
```{{admonition}} Download this exercise notebook
:class: tip download-box

<a class="download-notebook" href="{name}" download="{name}"><span class="fa-solid fa-download"></span> Download {name}</a>

This page only shows the exercises: nothing runs here. To do them, set up the course on your
machine (see the [home page](../../index.ipynb)): `make lab` puts your own copy of this notebook
in `{LEARNER_COPIES}/{Path(name).stem}/`. The file above is the same notebook, for a course set
up another way. Run its set-up cell, write each answer and run the test cell below it.
```
"""


def stage_exercise(src: Path, dest: Path, original: Path) -> None:
    """An exercise page with the download box under its title; the original published beside it."""
    original.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, original)
    nb = _read(src)
    box = _markdown(f"site-download-{src.stem}", download_box(src.name))
    cells = nb["cells"]
    cells.insert(1 if cells and cells[0]["cell_type"] == "markdown" else 0, box)
    site_links(nb)
    _write(nb, dest)


def stage_lesson(src: Path, dest: Path) -> None:
    """A lesson page: the committed notebook, its links into my-work/ pointed at exercises/."""
    nb = _read(src)
    if site_links(nb):
        _write(nb, dest)
    else:
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)


RELATIVE_LINK = re.compile(r"\[([^\]]*)\]\((?![a-z][a-z0-9+.-]*:|#)([^)\s]+)\)", re.I)


def readme_sources(root: Path, repo: str | None = None) -> str | None:
    """The README's "Sources and further reading" section (its body), if the README has one.

    Its links into the repository (``docs/x.md``) point at the repository when its address is
    known; otherwise they become plain text naming the file, since the site does not hold them."""
    readme = root / "README.md"
    text = readme.read_text(encoding="utf-8") if readme.exists() else ""
    match = SOURCES_HEADING.search(text)
    if not match:
        return None
    rest = text[match.end():]
    end = re.search(r"^#{1,2}\s", rest, re.M)
    body = (rest[:end.start()] if end else rest).strip() + "\n"
    if repo:
        return RELATIVE_LINK.sub(lambda m: f"[{m[1]}]({repo}/blob/main/{m[2].lstrip('./')})", body)
    return RELATIVE_LINK.sub(lambda m: f"{m[1]} (`{m[2]}` in the course repository)", body)


def stage_licences(root: Path, extra: Path) -> list[str]:
    """LICENSE -> LICENSE.txt, and the files it may refer to (LICENSE-*, LICENSE.*) under their
    own names (.txt added when they have no suffix), into the site's root; their names there."""
    names = []
    for path in sorted(root.glob("LICENSE*")):
        if path.is_file():
            name = "LICENSE.txt" if path.name == "LICENSE" else path.name if path.suffix else f"{path.name}.txt"
            shutil.copyfile(path, extra / name)
            names.append(name)
    return sorted(names, key=lambda n: n != "LICENSE.txt")


def about_license(licences: list[str], repo: str | None) -> str:
    if "LICENSE.txt" in licences:
        others = [f'<a href="{n}">{n}</a>' for n in licences if n != "LICENSE.txt"]
        also = f" (with {', '.join(others)})" if others else ""
        return f'The course is published under the terms in its <a href="LICENSE.txt">LICENSE</a> file{also}.\n'
    where = f"[the course repository]({repo})" if repo else "the course repository"
    return f"The licence is in the LICENSE file of {where}.\n"


def about_sources(repo: str | None) -> str:
    """Used while the README has no "Sources and further reading" section."""
    readme = f"[README]({repo}#readme)" if repo else "README"
    return f"The course's sources are listed in its {readme}.\n"


def toc(home: str, lessons: list[str], exercises: list[str]) -> str:
    lines = [f"root: {home}", "subtrees:"]
    for caption, docs in (("Lessons", lessons), ("Exercises", exercises), ("About", ["about"])):
        lines += [f"  - caption: {caption}", "    entries:"] + [f"      - file: {d}" for d in docs]
    return "\n".join(lines) + "\n"


def check_no_solutions(stage: Path) -> None:
    """Refuse to build a staged tree that holds nbgrader solution or hidden-test markers."""
    for path in sorted(p for p in stage.rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8", errors="replace")
        for marker in MARKERS:
            if marker in text:
                raise LeakError(f"{path.relative_to(stage)} contains {marker!r}: solution or hidden-test "
                                "text must never reach the website")


def stage(dest: Path = STAGE, root: Path = ROOT, site: Path = SITE) -> list[Path]:
    """Write the Sphinx source tree into ``dest`` (emptied first); return the staged notebooks."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(site, dest, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    repo = repository_url()
    home, *rest = input_notebooks(root)
    staged = [dest / "index.ipynb"]
    stage_home(home, staged[0], repo)
    lessons, exercises = [], []
    for path in rest:
        rel = path.relative_to(root)
        target = dest / rel
        if rel.parts[0] == "lessons":
            stage_lesson(path, target)
            lessons.append(rel.with_suffix("").as_posix())
        else:
            stage_exercise(path, target, dest / EXTRA / rel)
            exercises.append(rel.with_suffix("").as_posix())
        staged.append(target)
    (dest / EXTRA).mkdir(exist_ok=True)
    licences = stage_licences(root, dest / EXTRA)
    has_license = "LICENSE.txt" in licences
    (dest / "_license.md").write_text(about_license(licences, repo), encoding="utf-8")
    (dest / "_readme_sources.md").write_text(readme_sources(root, repo) or about_sources(repo), encoding="utf-8")
    (dest / "_toc.yml").write_text(toc("index", lessons, exercises), encoding="utf-8")
    (dest / "site_context.json").write_text(json.dumps({
        "repository_url": repo, "license": has_license}), encoding="utf-8")
    check_no_solutions(dest)
    return staged


def sphinx_build(src: Path, out: Path) -> subprocess.CompletedProcess:
    """Run sphinx-build (fresh environment, warnings as errors) on a staged tree; capture its output."""
    # myst-nb writes its scratch files next to Sphinx's output folder: keep both in a work folder
    work = src.parent / f"{src.name}-work"
    for path in (work, out):
        if path.exists():
            shutil.rmtree(path)
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-E", "-W", "--keep-going", "-q",
           "-d", str(work / "doctrees"), str(src), str(work / "html")]
    result = subprocess.run(cmd, capture_output=True, text=True,
                            env={**os.environ, "PYTHONWARNINGS": "ignore::DeprecationWarning"})
    if (work / "html").is_dir():
        (work / "html" / ".buildinfo").unlink(missing_ok=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(work / "html", out)
    shutil.rmtree(work, ignore_errors=True)
    return result


def build(out: Path = OUT, stage_dir: Path = STAGE, root: Path = ROOT) -> float:
    """Stage and build the site into ``out``; return the seconds it took. Raises on any warning."""
    start = time.perf_counter()
    stage(stage_dir, root)
    result = sphinx_build(stage_dir, out)
    if result.returncode != 0:
        raise RuntimeError(f"sphinx-build failed (exit {result.returncode}):\n{result.stdout}{result.stderr}")
    return time.perf_counter() - start


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="where the website goes (default: _site/)")
    parser.add_argument("--stage-only", action="store_true", help="only write the staged source")
    parser.add_argument("--root", type=Path, default=ROOT, help="the course to read (default: this checkout)")
    args = parser.parse_args(argv)
    try:
        if args.stage_only:
            staged = stage(root=args.root)
            print(f"staged {len(staged)} notebooks in {STAGE.relative_to(ROOT)}")
            return 0
        seconds = build(args.out.resolve(), root=args.root.resolve())
    except (LeakError, RuntimeError) as err:
        print(err, file=sys.stderr)
        return 1
    pages = sum(1 for _ in args.out.rglob("*.html"))
    print(f"website in {args.out}: {pages} pages, {_size(args.out) / 2**20:.1f} MiB, built in {seconds:.1f} s "
          f"(open {args.out / 'index.html'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
