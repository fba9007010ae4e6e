"""Headless Chromium for dashboard tests and benchmarks: Debian's browser driven by Playwright.

Playwright's own browser download needs the internet; the system Chromium works offline. Every
page opened here records console errors and uncaught exceptions, so a test can assert the
dashboard's scripts ran clean, and screenshots go to one directory kept as test artefacts.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
SCREENSHOTS_ENV = "NANOPING_DASHBOARD_SCREENSHOTS"
"""Directory for dashboard screenshots; unset = a temporary directory of the test run."""


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless system Chromium for as long as the block runs."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ.get("NANOPING_CHROMIUM", CHROMIUM), args=list(CHROMIUM_ARGS)
        )
        try:
            yield browser
        finally:
            browser.close()


class PageProblems:
    """Console errors and uncaught exceptions a page reported, except the API's own answers."""

    def __init__(self, page: Page) -> None:
        self.messages: list[str] = []
        page.on("pageerror", lambda error: self.messages.append(f"uncaught: {error}"))
        page.on("console", self._console)

    def _console(self, message: object) -> None:
        kind = getattr(message, "type", "")
        text = str(getattr(message, "text", ""))
        # The browser logs every 4xx/5xx response; those are API answers the page shows in words.
        if kind == "error" and not text.startswith("Failed to load resource"):
            self.messages.append(text)


def screenshot_dir(default: Path) -> Path:
    """Where screenshots go: ``$NANOPING_DASHBOARD_SCREENSHOTS`` or ``default``."""
    chosen = Path(os.environ.get(SCREENSHOTS_ENV) or default)
    chosen.mkdir(parents=True, exist_ok=True)
    return chosen
