"""Debian's Chromium for the browser tests (GraphiQL's and the web app's), headless."""

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


def chromium_path() -> str:
    """Its path; skips without it (fails where STUDYGRAPH_REQUIRE_CHROMIUM=1, as in CI)."""
    path = shutil.which("chromium")
    if path is None:
        reason = "Debian's chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("STUDYGRAPH_REQUIRE_CHROMIUM") == "1":
            pytest.fail(f"STUDYGRAPH_REQUIRE_CHROMIUM=1 but {reason}")
        pytest.skip(reason)
    return path


@contextmanager
def launched_chromium() -> Iterator:
    """A headless Chromium through Playwright's sync API, closed on the way out."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        try:
            yield launched
        finally:
            launched.close()
