"""The learner's first hour in a real browser: JupyterLab driven by Playwright in Debian's Chromium.

The lab is started exactly as ``make lab ARGS="..."`` starts it (``python -m nnmodule_course.lab``
with the options a learner passes for a remote machine), on a scratch copy of the course with
one lesson, and the test follows the URL the server PRINTS. It checks that:

- every URL it prints opens START_HERE.ipynb, with the course's kernel;
- the learner's lab has no Formgrader, Create Assignment or Nbgrader menu, and its file browser
  shows START_HERE, lessons/ and the learner's own my-work/, not solutions/ or exercises/;
- ``python -m autograder progress`` typed into a JupyterLab terminal runs the course's Python
  (even though ~/.bashrc may put another Python first);
- a lesson runs without error output;
- in the learner's copy (my-work/), a correct answer makes the test cell silent and a wrong one
  shows ONE sentence naming the exercise, the device and the mistake; nbgrader's Validate
  dialog shows sentences, not tracebacks.

The only settings the test adds are in its own JUPYTER_CONFIG_DIR: no news pop-up, and the
terminal's screen-reader mode, which makes xterm.js write its rows into the page so that the
test can read them. Screenshots land in artifacts/browser/. It fails, and does not skip, when
the browser cannot start.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from chromium import chromium
from course import ROOT
from nnmodule_course.lab import KERNEL_DISPLAY_NAME

ARTIFACTS = ROOT / "artifacts" / "browser"
LESSON = "01_module_construction"
TIMEOUT_MS = 120_000
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook in the active tab


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


URL = re.compile(r"https?://\S+")


@dataclass
class Lab:
    """A running learner's lab: the URLs it printed, its root and its log."""

    urls: list[str]
    root: Path
    log: Path

    @property
    def base(self) -> str:
        return self.urls[0].split("/lab", 1)[0]

    @property
    def token(self) -> str:
        return self.urls[0].split("token=", 1)[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """``make lab``'s command line on a scratch course (START_HERE, lesson 01 and its exercises and
    solutions); yields the :class:`Lab` once the server has printed its URLs and answers."""
    root = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "START_HERE.ipynb", root)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    (root / "lessons").mkdir()
    shutil.copy(ROOT / "lessons" / f"{LESSON}.ipynb", root / "lessons")
    for folder in ("exercises", "solutions"):
        shutil.copytree(ROOT / folder / LESSON, root / folder / LESSON)
    config = tmp_path_factory.mktemp("jupyter")
    (config / "labconfig").mkdir()
    (config / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    terminal = config / "lab" / "user-settings" / "@jupyterlab" / "terminal-extension"
    terminal.mkdir(parents=True)
    (terminal / "plugin.jupyterlab-settings").write_text(json.dumps({"screenReaderMode": True}))
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_RUNTIME_DIR": str(config / "runtime")}
    args = ["--no-browser", "--ip=127.0.0.1", f"--port={_free_port()}", "--LabApp.news_url=",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    log_path = root.parent / f"{root.name}-lab.log"
    log = open(log_path, "w")
    proc = subprocess.Popen([sys.executable, "-m", "nnmodule_course.lab", *args],  # = make lab ARGS="..."
                            cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 90
    urls: list[str] = []
    while True:
        urls = [u for u in URL.findall(log_path.read_text()) if "token=" in u]
        if urls:
            try:
                urllib.request.urlopen(urls[0].split("/lab", 1)[0] + "/api/status?token="
                                       + urls[0].split("token=", 1)[1], timeout=2)
                break
            except OSError:
                pass
        if proc.poll() is not None or time.time() > deadline:
            log.close()
            pytest.fail("JupyterLab did not start:\n" + log_path.read_text()[-3000:])
        time.sleep(0.5)
    time.sleep(1)  # the banner with every URL comes right after the first one
    yield Lab(sorted(set(u for u in URL.findall(log_path.read_text()) if "token=" in u)), root, log_path)
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser():
    with chromium(ARTIFACTS) as launched:
        yield launched


def _open(browser, lab: Lab, path: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{lab.base}/lab/workspaces/{secrets.token_hex(4)}/tree/{path}?token={lab.token}")
    page.wait_for_selector(f"{PANEL} .jp-Cell")
    page.get_by_text(f"{KERNEL_DISPLAY_NAME} | Idle").wait_for()  # the course's kernel is connected
    _wait_idle(page)
    return page


def _wait_idle(page) -> None:
    """Wait until the kernel has started and no cell is queued or running."""
    page.wait_for_selector(f"{PANEL} .jp-Notebook-ExecutionIndicator[data-status='idle']",
                           state="attached")
    page.wait_for_function(
        "() => !Array.from(document.querySelectorAll('.jp-InputArea-prompt'))"
        ".some(p => p.textContent.includes('*'))")


_PROMPT_JS = ("([i, before]) => {{ const p = document.querySelectorAll('{panel} .jp-Notebook .jp-Cell')[i]"
              ".querySelector('.jp-InputArea-prompt').textContent; return {test}; }}")
_QUEUED = _PROMPT_JS.format(panel=PANEL, test="p.includes('*') || (p !== before && /\\[\\d+\\]/.test(p))")
_DONE = _PROMPT_JS.format(panel=PANEL, test="p !== before && /\\[\\d+\\]/.test(p)")


def _run_cell(page, index: int) -> None:
    """Select a cell and press Ctrl+Enter (again if a loaded machine dropped the key); wait for it."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    cell = page.locator(f"{PANEL} .jp-Notebook .jp-Cell").nth(index)
    before = cell.locator(".jp-InputArea-prompt").inner_text()
    for attempt in range(3):
        cell.scroll_into_view_if_needed()
        cell.locator(".jp-InputArea-prompt").click()
        page.keyboard.press("Control+Enter")
        try:
            page.wait_for_function(_QUEUED, arg=[index, before], timeout=20_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    page.wait_for_function(_DONE, arg=[index, before])
    _wait_idle(page)


def _type_answer(page, index: int, text: str) -> None:
    """Replace a cell's source as a learner would: click in it, select all, type."""
    editor = page.locator(f"{PANEL} .jp-Notebook .jp-Cell").nth(index).locator(".cm-content")
    editor.scroll_into_view_if_needed()
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)
    page.keyboard.press("Escape")


def _error_text(page, index: int) -> str:
    cell = page.locator(f"{PANEL} .jp-Notebook .jp-Cell").nth(index)
    outputs = cell.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    return "\n".join(outputs.all_inner_texts())


@contextlib.contextmanager
def _screenshot_on_failure(page, name: str):
    """Keep a picture of the page when a step fails (artifacts/browser/<name>_failure.png)."""
    try:
        yield
    except BaseException:
        page.screenshot(path=str(ARTIFACTS / f"{name}_failure.png"), full_page=True)
        raise


def _cell_index(grade: str) -> int:
    nb = json.loads((ROOT / "exercises" / LESSON / f"{LESSON}.ipynb").read_text())  # = my-work's copy
    ids = [c["metadata"].get("nbgrader", {}).get("grade_id") for c in nb["cells"]]
    return ids.index(grade)


def test_lesson_runs_without_errors(browser, lab):
    page = _open(browser, lab, f"lessons/{LESSON}.ipynb")
    with _screenshot_on_failure(page, "lesson"):
        _run_lesson(page)
    page.close()


def _run_lesson(page) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    started = ("() => Array.from(document.querySelectorAll('" + PANEL + " .jp-CodeCell .jp-InputArea-prompt'))"
               ".some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))")
    for attempt in range(3):  # a kernel still connecting on a loaded machine can drop the request
        page.keyboard.press("Escape")
        page.get_by_role("menuitem", name="Run").click()
        page.get_by_text("Run All Cells", exact=True).click()
        try:
            page.wait_for_function(started, timeout=30_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('" + PANEL + " .jp-CodeCell .jp-InputArea-prompt'))"
        ".every(p => /\\[\\d+\\]/.test(p.textContent))")
    _wait_idle(page)
    page.screenshot(path=str(ARTIFACTS / "lesson_run_all.png"), full_page=True)
    errors = page.locator(f"{PANEL} .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, "the lesson shows error output: " + "\n".join(errors.all_inner_texts())[:2000]


CORRECT = '''class MLP(nn.Module):
    def __init__(self, in_features=784, hidden_features=256, out_features=10):
        super().__init__()
        self.hidden = nn.Linear(in_features, hidden_features)
        self.act = nn.ReLU()
        self.output = nn.Linear(hidden_features, out_features)

    def forward(self, x):
        return self.output(self.act(self.hidden(x)))
'''
WRONG = CORRECT.replace("self.output(self.act(self.hidden(x)))", "self.output(self.hidden(x))")


def test_exercise_feedback_and_validate_button(browser, lab):
    page = _open(browser, lab, f"my-work/{LESSON}/{LESSON}.ipynb")   # the learner's own copy
    with _screenshot_on_failure(page, "exercise"):
        _answer_exercise(page)
    page.close()


def _renders_as_a_sentence() -> bool:
    from autograder.feedback import ExerciseFailure

    return hasattr(ExerciseFailure, "_render_traceback_")


def _expect_sentence(ok: bool, message: str) -> None:
    """A check of "one sentence, no traceback" output; it depends on ExerciseFailure having IPython's
    ``_render_traceback_`` (the lead's change to autograder/feedback.py): without it the check is an
    expected failure, clearly named; with it, a real one."""
    if ok:
        return
    if not _renders_as_a_sentence():
        pytest.xfail("WAITS FOR ExerciseFailure._render_traceback_ (autograder/feedback.py): " + message)
    raise AssertionError(message)


def _answer_exercise(page) -> None:
    assert page.get_by_role("button", name="Validate").count() > 0 or page.locator(
        "button:has-text('Validate')").count() > 0, "nbgrader's Validate button is missing"
    setup, answer, tests = _cell_index("setup"), _cell_index("ex01_mlp"), _cell_index("ex01_mlp_tests")
    _run_cell(page, setup)

    _type_answer(page, answer, CORRECT)
    _run_cell(page, answer)
    _run_cell(page, tests)
    page.screenshot(path=str(ARTIFACTS / "exercise_correct.png"))
    assert _error_text(page, tests) == "", "a correct answer should make the test cell silent"

    _type_answer(page, answer, WRONG)
    _run_cell(page, answer)
    _run_cell(page, tests)
    cell = page.locator(f"{PANEL} .jp-Notebook .jp-Cell").nth(tests)
    cell.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "exercise_wrong.png"))
    message = _error_text(page, tests)
    assert "ex01_mlp [cpu]" in message and "apply act (ReLU) between hidden and output" in message, message
    shown = [line for text in cell.locator(".jp-OutputArea-output").all_inner_texts()
             for line in text.splitlines() if line.strip()]
    _expect_sentence(len(shown) == 1, f"a wrong answer's test cell should show one sentence, it shows "
                                      f"{len(shown)} lines: {shown[:6]}")

    page.keyboard.press("Control+s")                     # Validate checks the saved notebook
    page.wait_for_selector(".lm-DockPanel .lm-TabBar-tab.lm-mod-current.jp-mod-dirty", state="detached")
    page.locator(f"{PANEL} .jp-Toolbar").get_by_text("Validate", exact=True).click()
    dialog = page.locator(".jp-Dialog-content")
    dialog.wait_for()
    page.wait_for_function("() => !document.querySelector('.jp-Dialog-content')?.textContent"
                           ".includes('Validating')", timeout=TIMEOUT_MS)
    page.screenshot(path=str(ARTIFACTS / "validate_dialog.png"))
    text = dialog.inner_text()
    page.keyboard.press("Escape")
    assert "ex01_mlp [cpu]" in text and "apply act (ReLU) between hidden and output" in text, text[:2000]
    _expect_sentence("Traceback" not in text and 'File "' not in text and "----> " not in text,
                     "Validate's dialog should show the checks' sentences, not tracebacks: " + text[:1500])


def test_every_printed_url_opens_start_here(browser, lab):
    assert lab.urls, "the server printed no URL"
    for url in lab.urls:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/lab/tree/START_HERE\.ipynb\?token=[0-9a-f]+", url), url
    opener = re.findall(r"file://(\S+open\.html)", lab.log.read_text())
    for path in opener:  # the file that `jupyter lab` opens in a local browser redirects there too
        assert all(f'"{u}"' in Path(path).read_text() for u in lab.urls[:1]), Path(path).read_text()[:500]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(TIMEOUT_MS)
    with _screenshot_on_failure(page, "start_here"):
        page.goto(lab.urls[0])                             # exactly what the learner copies
        page.wait_for_selector(f"{PANEL} .jp-Cell")
        page.get_by_text(f"{KERNEL_DISPLAY_NAME} | Idle").wait_for()
        current = page.locator(".lm-DockPanel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel").all_inner_texts()
        assert current == ["START_HERE.ipynb"], current
        assert page.locator(f"{PANEL} h1").first.inner_text().startswith("nn.Module from the inside")
        page.screenshot(path=str(ARTIFACTS / "learner_start_here.png"))
    page.close()


def test_learner_mode_hides_the_instructor_tools(browser, lab):
    page = _open(browser, lab, "START_HERE.ipynb")
    with _screenshot_on_failure(page, "learner_mode"):
        listing = set(page.locator(".jp-DirListing-itemName").all_inner_texts())
        assert {"START_HERE.ipynb", "lessons", "my-work"} <= listing, listing
        assert not listing & {"solutions", "exercises", "nbgrader_config.py"}, listing
        menus = page.locator(".lm-MenuBar-itemLabel").all_inner_texts()
        assert "Nbgrader" not in menus, menus
        sidebars = " ".join(page.locator(".jp-SideBar .lm-TabBar-tab").evaluate_all(
            "tabs => tabs.map(t => (t.getAttribute('title') || '') + ' ' + t.textContent)"))
        assert "Create Assignment" not in sidebars and "Formgrader" not in sidebars, sidebars
        page.keyboard.press("Control+Shift+c")             # the command palette finds no formgrader
        page.keyboard.insert_text("formgrader")
        assert page.locator(".lm-CommandPalette-item:visible").count() == 0
        page.keyboard.press("Escape")
        page.screenshot(path=str(ARTIFACTS / "learner_mode.png"))
    page.close()
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{lab.base}/formgrader?token={lab.token}", timeout=10)
    assert err.value.code == 404, "the formgrader server extension answers in the learner's lab"


def test_progress_in_a_jupyterlab_terminal(browser, lab):
    page = _open(browser, lab, "START_HERE.ipynb")
    with _screenshot_on_failure(page, "terminal"):
        page.get_by_role("menuitem", name="File").click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile("^New$")).hover()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Terminal$")).click()
        rows = page.locator(".jp-Terminal:not(.lm-mod-hidden) .xterm-accessibility-tree")
        rows.wait_for(state="attached")
        page.wait_for_function("() => (document.querySelector('.jp-Terminal:not(.lm-mod-hidden) "
                               ".xterm-accessibility-tree')?.textContent || '').includes('(nn.Module course)')")
        page.locator(".jp-Terminal:not(.lm-mod-hidden) .xterm").click()
        page.keyboard.type("which python; python -m autograder progress\n")
        page.wait_for_function("() => (document.querySelector('.jp-Terminal:not(.lm-mod-hidden) "
                               ".xterm-accessibility-tree')?.textContent || '').includes('exercises passed')",
                               timeout=TIMEOUT_MS)
        page.screenshot(path=str(ARTIFACTS / "learner_terminal.png"))
        text = rows.inner_text()
    page.close()
    assert f"{Path(sys.executable).parent}/python" in text, "the terminal's python is not the course's: " + text[:800]
    assert "No module named" not in text, text[:2000]
    assert "Course progress (checked on: cpu" in text and "01 Module construction" in text, text[:2000]
    assert "ex01_mlp" in text and "02 Containers  (no notebook found)" in text, text[:2000]
