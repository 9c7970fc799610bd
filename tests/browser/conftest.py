"""Headless Chromium for the browser tests (kedro-viz, the real VIA program).

The browser is the system Chromium (``scripts/install_browser.sh`` installs Debian's package),
driven by Playwright; Playwright's own browser download is never used. Without either, every
browser test is skipped with a message that says what is missing, and FAILS with it where the
environment variable CI is set (tests/prerequisites.py).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from prerequisites import missing

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT.parent / "shared"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
INSTALL_HINT = "run scripts/install_browser.sh (as root) to install Debian's chromium"


def find_chromium() -> str | None:
    """The Chromium executable: $CHROMIUM_PATH, /usr/bin/chromium, or chromium(-browser) on PATH."""
    candidates = [os.environ.get("CHROMIUM_PATH", ""), "/usr/bin/chromium"]
    candidates += [shutil.which(name) or "" for name in ("chromium", "chromium-browser")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        missing(f"no Chromium executable found (/usr/bin/chromium, $CHROMIUM_PATH): {INSTALL_HINT}")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str):
    try:
        from playwright import sync_api
    except ImportError:
        missing("playwright is not installed: pip install -e '.[test]'")
    with sync_api.sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(
                executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True
            )
        except Exception as exc:  # a broken install must read as a skip (CI: a failure) with the reason
            missing(f"Chromium at {chromium_path} did not start under Playwright: {exc}")
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield page
    finally:
        context.close()
