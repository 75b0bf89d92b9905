"""Debian's Chromium, driven by Playwright, for the real-browser tests (the lab and the website).

Playwright downloads no browser here: it drives ``/usr/bin/chromium`` (``make test`` installs it
with apt). A browser that cannot start is a test failure, never a skip.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
                 "--disable-dev-shm-usage"]


@contextlib.contextmanager
def chromium(artifacts: Path) -> Iterator[Any]:
    """A headless Chromium for one test module; ``artifacts`` is where its screenshots go."""
    from playwright.sync_api import sync_playwright

    artifacts.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        except Exception as err:  # noqa: BLE001 - a missing browser is a failure, not a skip
            pytest.fail(f"Chromium could not start from {CHROMIUM} (make test installs it with apt): {err}")
        yield browser
        browser.close()
