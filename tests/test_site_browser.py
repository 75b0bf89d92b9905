"""The course website in a real browser: Playwright drives Debian's Chromium (as tests/test_browser.py).

The site is built from the course (tools/site.py) and served on 127.0.0.1. The home page,
lesson 04 and its exercise page are opened at desktop (1280 px) and phone (390 px) widths:
the page fits the width, a figure is shown, the phone menu opens, search finds a word of the
course, and the download box downloads the exercise notebook byte for byte. Screenshots land
in artifacts/site/. It fails, and does not skip, when the browser cannot start.
"""
from __future__ import annotations

import contextlib
import functools
import json
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from course import ROOT
from sitecheck import build_site, load_site_module
from chromium import chromium

ARTIFACTS = ROOT / "artifacts" / "site"
TIMEOUT_MS = 60_000
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
SEARCH_WORD = "ModuleList"
site_module = load_site_module()


def _lesson(prefix: str = "04_") -> str:
    lessons = [p.stem for p in site_module.input_notebooks() if p.parent.name == "lessons"]
    return next((s for s in lessons if s.startswith(prefix)), lessons[0])


def _has_figure(slug: str) -> bool:
    nb = json.loads((ROOT / "lessons" / f"{slug}.ipynb").read_text(encoding="utf-8"))
    return any("image/png" in out.get("data", {}) for c in nb["cells"] for out in c.get("outputs", []))


LESSON = _lesson()
EXERCISE = LESSON
PAGES = {"home": "index.html", "lesson": f"lessons/{LESSON}.html",
         "exercise": f"exercises/{EXERCISE}/{EXERCISE}.html"}


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The built site served on 127.0.0.1; yields its base URL."""
    out = build_site(tmp_path_factory.mktemp("site"))[0]
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    with chromium(ARTIFACTS) as launched:
        yield launched


@contextlib.contextmanager
def _page(browser, site, path: str, width: str, name: str):
    """A page at one width; fails on JavaScript errors; keeps a screenshot when a step fails."""
    w, h = WIDTHS[width]
    context = browser.new_context(viewport={"width": w, "height": h}, accept_downloads=True,
                                  is_mobile=width == "phone", has_touch=width == "phone")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(f"{site}/{path}", wait_until="load")
    try:
        yield page
        assert errors == [], f"JavaScript errors on {path}: {errors}"
    except BaseException:
        page.screenshot(path=str(ARTIFACTS / f"{name}_{width}_failure.png"))
        raise
    finally:
        context.close()


def _fits_width(page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page is {overflow} px wider than the screen"


@pytest.mark.parametrize("width", list(WIDTHS))
def test_home_page(browser, site, width):
    with _page(browser, site, PAGES["home"], width, "home") as page:
        page.screenshot(path=str(ARTIFACTS / f"home_{width}.png"))
        text = page.locator("article").inner_text()
        assert "make lab" in text and "make test" in text
        _fits_width(page)


@pytest.mark.parametrize("width", list(WIDTHS))
def test_lesson_page_shows_its_figures(browser, site, width):
    """Lesson 04 fits the screen and shows its figures (if it has none while being rewritten,
    the first lesson that has one is checked as well)."""
    lessons = [p.stem for p in site_module.input_notebooks() if p.parent.name == "lessons"]
    with_figure = LESSON if _has_figure(LESSON) else next((s for s in lessons if _has_figure(s)), None)
    assert with_figure, "no lesson has a figure to check"
    for slug in dict.fromkeys([LESSON, with_figure]):
        name = "lesson" if slug == LESSON else f"lesson_{slug}"
        with _page(browser, site, f"lessons/{slug}.html", width, name) as page:
            page.screenshot(path=str(ARTIFACTS / f"{name}_{width}.png"))
            _fits_width(page)
            if slug != with_figure:
                continue
            figure = page.locator("article img").first
            figure.scroll_into_view_if_needed()
            figure.wait_for(state="visible")
            page.wait_for_function("() => Array.from(document.querySelectorAll('article img')).every(i => i.complete)")
            sizes = page.locator("article img").evaluate_all("imgs => imgs.map(i => [i.naturalWidth, i.clientWidth])")
            assert sizes and all(natural > 0 and shown > 0 for natural, shown in sizes), sizes
            page.screenshot(path=str(ARTIFACTS / f"{name}_figure_{width}.png"))


@pytest.mark.parametrize("width", list(WIDTHS))
def test_exercise_page_downloads_the_notebook(browser, site, width, tmp_path):
    with _page(browser, site, PAGES["exercise"], width, "exercise") as page:
        box = page.locator(".download-box")
        box.wait_for(state="visible")
        page.screenshot(path=str(ARTIFACTS / f"exercise_{width}.png"))
        with page.expect_download() as info:
            box.locator("a.download-notebook").click()
        download = info.value
        assert download.suggested_filename == f"{EXERCISE}.ipynb"
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)
        assert saved.read_bytes() == (ROOT / "exercises" / EXERCISE / f"{EXERCISE}.ipynb").read_bytes()
        _fits_width(page)


def test_phone_menu_opens(browser, site):
    with _page(browser, site, PAGES["lesson"], "phone", "menu") as page:
        toggle = page.locator("button.primary-toggle:visible")
        assert toggle.count() == 1, f"{toggle.count()} visible menu buttons"
        toggle.click()
        drawer = page.locator("#pst-primary-sidebar-modal")
        page.wait_for_function("() => document.querySelector('#pst-primary-sidebar-modal').open", timeout=10_000)
        link = drawer.locator(f"nav a[href$='{EXERCISE}.html']")
        link.wait_for(state="visible")
        page.screenshot(path=str(ARTIFACTS / "menu_phone.png"))
        link.click()  # the menu navigates
        page.wait_for_url(f"**/exercises/{EXERCISE}/{EXERCISE}.html")


def test_search_finds_a_word_of_the_course(browser, site):
    with _page(browser, site, PAGES["home"], "desktop", "search") as page:
        page.locator(".bd-sidebar-primary .search-button-field").click()
        field = page.locator("#pst-search-dialog input[name='q']")
        field.wait_for(state="visible")
        field.fill(SEARCH_WORD)
        field.press("Enter")
        page.wait_for_url(f"**/search.html?q={SEARCH_WORD}*")
        results = page.locator("#search-results ul.search li")
        results.first.wait_for(state="visible")
        page.screenshot(path=str(ARTIFACTS / "search_desktop.png"))
        hrefs = results.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        assert any(h and h.split("?")[0].endswith(".html") for h in hrefs), hrefs
