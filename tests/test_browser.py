"""The learner's experience in a real browser: JupyterLab driven by Playwright in Chromium.

JupyterLab runs on 127.0.0.1 with a token, on a scratch copy of the course. The test opens
a lesson and runs it (no error output), then types a correct and a wrong answer into an
exercise and runs its test cell (silence, then the specific message), and checks that
nbgrader's Validate button is there. Screenshots land in artifacts/browser/.
It fails, and does not skip, when the browser cannot start.
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from course import ROOT

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
                 "--disable-dev-shm-usage"]
ARTIFACTS = ROOT / "artifacts" / "browser"
LESSON = "01_module_construction"
TIMEOUT_MS = 120_000
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook in the active tab


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on a scratch copy of lesson 01 and its exercises; yields (base_url, token)."""
    root = tmp_path_factory.mktemp("lab")
    shutil.copy(ROOT / "lessons" / f"{LESSON}.ipynb", root / f"{LESSON}.ipynb")
    shutil.copytree(ROOT / "exercises" / LESSON, root / "exercises" / LESSON)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    labconfig = root / ".jupyter" / "labconfig"
    labconfig.mkdir(parents=True)
    (labconfig / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "JUPYTER_CONFIG_DIR": str(root / ".jupyter"), "JUPYTER_RUNTIME_DIR": str(root / ".runtime")}
    log = open(root / "lab.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         *(["--allow-root"] if os.geteuid() == 0 else [])],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                log.close()
                pytest.fail("JupyterLab did not start:\n" + (root / "lab.log").read_text()[-3000:])
            time.sleep(0.5)
    yield base, token
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        try:
            chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        except Exception as err:  # noqa: BLE001 - a missing browser is a failure, not a skip
            pytest.fail(f"Chromium could not start from {CHROMIUM} (make test installs it with apt): {err}")
        yield chromium
        chromium.close()


def _open(browser, lab, path: str):
    base, token = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{base}/lab/workspaces/{secrets.token_hex(4)}/tree/{path}?token={token}")
    page.wait_for_selector(f"{PANEL} .jp-Cell")
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for()  # the kernel is connected
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
    nb = json.loads((ROOT / "exercises" / LESSON / f"{LESSON}.ipynb").read_text())
    ids = [c["metadata"].get("nbgrader", {}).get("grade_id") for c in nb["cells"]]
    return ids.index(grade)


def test_lesson_runs_without_errors(browser, lab):
    page = _open(browser, lab, f"{LESSON}.ipynb")
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
    page = _open(browser, lab, f"exercises/{LESSON}/{LESSON}.ipynb")
    with _screenshot_on_failure(page, "exercise"):
        _answer_exercise(page)
    page.close()


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
    page.locator(f"{PANEL} .jp-Notebook .jp-Cell").nth(tests).scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "exercise_wrong.png"))
    message = _error_text(page, tests)
    assert "ex01_mlp [cpu]" in message and "apply act (ReLU) between hidden and output" in message, message
