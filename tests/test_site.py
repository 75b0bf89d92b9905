"""The course website (tools/site.py, make site): it builds, its links resolve, nothing secret is in it.

The site is built once per module from a copy that holds only what the site may read
(START_HERE.ipynb, lessons/, exercises/, README, LICENSE), so a build that needed solutions/ or
src/ would fail here. Sphinx runs with warnings as errors. The solution scan takes the reference
answers and hidden tests from solutions/ (here, in the test) and looks for them in every file of
the built site; a second build, of the staged input with a solution notebook planted in it,
proves that the scan catches one.
"""
from __future__ import annotations

import collections
import json
import shutil
from html.parser import HTMLParser

import pytest

from course import ROOT
from sitecheck import (broken_links, build_site, external_assets, inputs_text, load_site_module, parse_page,
                       resolve, scan, secrets)

site_module = load_site_module()
BUILD_LIMIT_S = 30


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("site")
    out, src, wall, cpu = build_site(tmp)
    return {"out": out, "src": src, "wall": wall, "cpu": cpu, "tmp": tmp}


def _slugs(kind: str) -> list[str]:
    paths = site_module.input_notebooks()
    return [p.stem for p in paths if p.relative_to(ROOT).parts[0] == kind]


def test_builds_without_warnings_within_the_time_limit(built):
    # site.build raises on any Sphinx warning (-W --keep-going); reaching here means there were none
    assert (built["out"] / "index.html").is_file()
    # CPU seconds (staging + Sphinx): the wall time also counts whatever else shares the 2 cores
    assert built["cpu"] < BUILD_LIMIT_S, \
        f"the site took {built['cpu']:.1f} CPU seconds to build ({built['wall']:.1f} s wall; limit {BUILD_LIMIT_S} s)"


def test_urls_keep_the_lesson_numbers(built):
    out = built["out"]
    for slug in _slugs("lessons"):
        assert (out / "lessons" / f"{slug}.html").is_file(), f"no lessons/{slug}.html"
    for slug in _slugs("exercises"):
        assert (out / "exercises" / slug / f"{slug}.html").is_file(), f"no exercises/{slug}/{slug}.html"


def test_every_internal_link_resolves(built):
    broken, checked = broken_links(built["out"])
    assert checked > 100, f"only {checked} links checked: is the site empty?"
    assert not broken, f"{len(broken)} broken links:\n" + "\n".join(broken[:30])


def test_the_link_checker_catches_a_missing_page_and_anchor(tmp_path):
    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / "a.html").write_text('<h2 id="Here">x</h2><a href="#Here">ok</a>'
                                                 '<a href="../index.html#Nowhere">no anchor</a>'
                                                 '<img src="b.png"><a href="https://example.org/x">away</a>')
    (tmp_path / "index.html").write_text('<a href="lessons/a.html#Here">ok</a><a href="lessons/c.html">gone</a>')
    broken, checked = broken_links(tmp_path)
    assert checked == 5
    assert sorted(b.split(":")[0] for b in broken) == ["index.html", "lessons/a.html", "lessons/a.html"]
    assert any("Nowhere" in b for b in broken) and any("b.png" in b for b in broken) and any("c.html" in b for b in broken)


def test_loads_nothing_from_other_hosts(built):
    assert external_assets(built["out"]) == []


def test_navigation_in_course_order(built):
    out = built["out"].resolve()
    for page in (out / "index.html", out / "lessons" / f"{_slugs('lessons')[-1]}.html"):
        html = page.read_text(encoding="utf-8")
        start = html.index('<nav class="bd-links bd-docs-nav"')
        sidebar = _Links()
        sidebar.feed(html[start:html.index("</nav>", start)])
        order = [resolve(out, page, ref)[0].relative_to(out).as_posix() for ref in sidebar.hrefs]
        expected = (["index.html"] + [f"lessons/{s}.html" for s in _slugs("lessons")]
                    + [f"exercises/{s}/{s}.html" for s in _slugs("exercises")] + ["about.html"])
        assert order == expected, f"the menu of {page.relative_to(out)}"


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        if tag == "a" and dict(attrs).get("href"):
            self.hrefs.append(dict(attrs)["href"])


def test_each_lesson_links_to_its_exercise_and_back(built):
    out = built["out"].resolve()
    lessons, exercises = _slugs("lessons"), _slugs("exercises")
    for slug in sorted(set(lessons) & set(exercises)):
        lesson, exercise = out / "lessons" / f"{slug}.html", out / "exercises" / slug / f"{slug}.html"
        lesson_links = {resolve(out, lesson, ref)[0] for _, key, ref in parse_page(lesson).refs if key == "href"}
        exercise_links = {resolve(out, exercise, ref)[0] for _, key, ref in parse_page(exercise).refs if key == "href"}
        assert exercise in lesson_links, f"lessons/{slug}.html does not link to its exercises"
        assert lesson in exercise_links, f"exercises/{slug}/{slug}.html does not link back to its lesson"


def test_exercise_pages_download_the_committed_notebook(built):
    out = built["out"].resolve()
    for slug in _slugs("exercises"):
        page = out / "exercises" / slug / f"{slug}.html"
        links = [ref for tag, key, ref in parse_page(page).refs if tag == "a" and key == "href"
                 and ref.endswith(".ipynb")]
        assert links, f"exercises/{slug}: no download link"
        html = page.read_text(encoding="utf-8")
        assert "download-box" in html and "Download this exercise notebook" in html
        for ref in links:
            target = resolve(out, page, ref)[0]
            assert target.read_bytes() == (ROOT / "exercises" / slug / f"{slug}.ipynb").read_bytes(), \
                f"{ref} on exercises/{slug} is not the committed notebook byte for byte"


def test_home_page_says_how_to_start(built):
    text = "".join(parse_page(built["out"] / "index.html").text)
    assert "make lab" in text and "make test" in text
    assert "nn.Module from the inside" in text


def test_footer_links_to_licence_and_sources(built):
    html = (built["out"] / "lessons" / f"{_slugs('lessons')[0]}.html").read_text(encoding="utf-8")
    assert "about.html#sources-and-further-reading" in html
    about = "".join(parse_page(built["out"] / "about.html").text)
    assert "Sources and further reading" in about and "Licence" in about
    if (ROOT / "LICENSE").exists():
        assert "LICENSE.txt" in html
        assert (built["out"] / "LICENSE.txt").read_bytes() == (ROOT / "LICENSE").read_bytes()
    for path in ROOT.glob("LICENSE?*"):  # the files LICENSE refers to, under their own names
        name = path.name if path.suffix else f"{path.name}.txt"
        assert (built["out"] / name).read_bytes() == path.read_bytes(), name


def test_links_into_the_learners_copies_open_the_exercise_pages(built):
    from nnmodule_course.lab import WORK

    assert site_module.LEARNER_COPIES == WORK, "tools/site.py must rewrite links into the lab's folder"
    out = built["out"]
    into_copies = [f"{page.relative_to(out)}: {ref}" for page in out.rglob("*.html")
                   for _, key, ref in parse_page(page).refs if key == "href" and f"{WORK}/" in ref]
    assert into_copies == []
    nb = {"cells": [{"cell_type": "markdown", "source": f"[ex](../{WORK}/04_x/04_x.ipynb) and `{WORK}/`"}]}
    assert site_module.site_links(nb)
    assert nb["cells"][0]["source"] == f"[ex](../exercises/04_x/04_x.ipynb) and `{WORK}/`"


def test_cell_ids_unique_across_the_site_inputs(built):
    ids = collections.Counter()
    for path in site_module.input_notebooks():
        ids.update(cell.get("id") for cell in json.loads(path.read_text(encoding="utf-8"))["cells"])
    duplicates = sorted(i for i, n in ids.items() if n > 1 or i is None)
    assert not duplicates, f"cell ids used in more than one cell of the site's inputs: {duplicates[:20]}"
    staged = collections.Counter()
    for path in built["src"].rglob("*.ipynb"):
        if "_extra" not in path.parts:
            staged.update(cell.get("id") for cell in json.loads(path.read_text(encoding="utf-8"))["cells"])
    assert [i for i, n in staged.items() if n > 1] == []


def test_no_solution_or_hidden_test_text_in_the_site(built):
    secret_list = secrets()
    assert len(secret_list) >= 9, "expected reference answers and hidden tests in solutions/"
    result = scan(built["out"], secret_list, inputs_text(site_module.input_notebooks()))
    assert result.checked >= len(secret_list) // 2, \
        f"only {result.checked} of {len(secret_list)} secrets were checked; shown by the notebooks: " \
        f"{result.shown_by_inputs}"
    assert not result.leaks, "solution or hidden-test text in the website:\n" + "\n".join(result.leaks[:20])


def test_planted_solution_and_broken_link_are_caught(built):
    """Plant a solution notebook and a broken link into a copy of the staged input and build it:
    the build's guard refuses the solution, Sphinx fails on the link, the scan finds the answers."""
    slug = _slugs("exercises")[-1]
    solution = ROOT / "solutions" / slug / f"{slug}.ipynb"
    planted = built["tmp"] / "planted-src"
    shutil.copytree(built["src"], planted)
    shutil.copyfile(solution, planted / "exercises" / slug / f"{slug}.ipynb")
    home = json.loads((planted / "index.ipynb").read_text(encoding="utf-8"))
    home["cells"].append({"cell_type": "markdown", "id": "planted-broken-link", "metadata": {},
                          "source": "[a lesson that is not there](lessons/00_missing.ipynb)"})
    (planted / "index.ipynb").write_text(json.dumps(home), encoding="utf-8")

    with pytest.raises(site_module.LeakError, match="BEGIN SOLUTION|BEGIN HIDDEN TESTS"):
        site_module.check_no_solutions(planted)  # the build's own guard stops it before Sphinx runs

    out = built["tmp"] / "planted-site"
    result = site_module.sphinx_build(planted, out)  # Sphinx directly, past the guard
    assert result.returncode != 0 and "00_missing" in result.stdout + result.stderr, \
        "a broken link must fail the build (-W)"
    assert (out / "exercises" / slug / f"{slug}.html").is_file(), result.stdout + result.stderr
    secret_list = secrets()
    found = scan(out, secret_list, inputs_text(site_module.input_notebooks()))
    page = f"exercises/{slug}/{slug}.html"
    assert any(leak.startswith(page) and "BEGIN SOLUTION" in leak for leak in found.leaks), found.leaks
    mine = [s.where for s in secret_list if s.where.startswith(f"solutions/{slug} ")
            and s.where not in found.shown_by_inputs]
    caught = {where for where in mine for leak in found.leaks if leak.startswith(page) and where in leak}
    assert mine and caught == set(mine), f"the scan missed planted answers: {sorted(set(mine) - caught)}"
