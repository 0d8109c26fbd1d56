"""The browser the page tests drive: the system's Chromium through playwright.

conftest.py imports the fixture, so every test module can ask for ``chromium``.
playwright's own browser download is often unreachable, so the system's
Chromium is driven through executable_path. A test skips when playwright or
Chromium is missing, unless MICROGRAD_ID_REQUIRE_BROWSER=1 (set in CI) makes
that a failure.
"""

import os
import shutil

import pytest

CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def chromium():
    """A launched Chromium; the test skips without playwright or Chromium, unless CI requires them."""
    required = os.environ.get("MICROGRAD_ID_REQUIRE_BROWSER") == "1"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if required:
            raise
        pytest.skip("playwright is not installed (extra dev)")
    if CHROMIUM is None:
        if required:
            pytest.fail("Chromium is not installed; apt-get install chromium")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
