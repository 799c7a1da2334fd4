"""The browser suite's fixtures: Debian's chromium driven through Playwright.

Without chromium a browser test is skipped, unless TURNPOINT_REQUIRE_BROWSER=1 (CI sets it),
where a missing browser is a failure. Nothing is downloaded: Playwright runs the system's
chromium by its path.
"""

import os
from pathlib import Path

import pytest

# (page, number of axe violations) of tests/browser/test_accessibility_browser.py, printed at
# the end of the run so CI's log shows them (pytest captures what a test prints).
AXE_COUNTS: list[tuple[str, int]] = []

CHROMIUM = os.environ.get("TURNPOINT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def chromium_path():
    if Path(CHROMIUM).exists():
        return CHROMIUM
    reason = f"chromium not found at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("TURNPOINT_REQUIRE_BROWSER") == "1":
        pytest.fail(f"TURNPOINT_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture
def browser_page(chromium_path, monkeypatch):
    # Playwright's sync API keeps an event loop in this thread; the ORM calls the test makes
    # between page actions are still plain synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1024, "height": 768})  # a tablet held flat
        page.set_default_timeout(15_000)
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        # Console errors include Content-Security-Policy violations; browsers ask for a favicon.
        # The design system's stylesheet declares GDS Transport faces at /assets/fonts/, which
        # this unbranded service does not serve (the font is not ours to ship; turnpoint.css sets
        # the system font on every element). Chromium now and then fetches them anyway while it
        # lays a page out before turnpoint.css applies (seen once in CI, on PostgreSQL, never in
        # local runs): the 404 changes nothing a person sees, so it is not counted as an error.
        page.on(
            "console",
            lambda msg: (
                msg.type == "error"
                and not any(
                    part in msg.location.get("url", "") for part in ("favicon", "/assets/fonts/")
                )
                and errors.append(msg.text)
            ),
        )
        page.js_errors = errors
        yield page
        browser.close()


def pytest_terminal_summary(terminalreporter):
    if not AXE_COUNTS:
        return
    terminalreporter.section("axe-core, WCAG 2.2 AA")
    for name, count in AXE_COUNTS:
        terminalreporter.write_line(f"axe: {name}: {count} violations")
