"""Every staff and portal page of tests/page_table.py, for the persona who uses it, in chromium:
axe-core (the npm package pinned in package.json, read from node_modules, nothing downloaded)
finds no violation of WCAG 2.2 AA, and the page fits a 375 px screen (issue 27, item 7).

Each page is opened twice. First as the site serves it, Content-Security-Policy and all, 375 px
wide: nothing may scroll the whole page sideways, a region that scrolls on its own must be
focusable and named, and no script or policy error may happen. Then in a second browser
context with `bypass_csp`, only so that axe's script can be added to the page (the policy
rightly forbids inline scripts): axe reads the page, it changes nothing the test checks. The
count of violations per page is printed at the end of the run ("axe: <page>: <n> violations").
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from page_table import PAGES, build_world, page_url, persona_user, signed_in

from turnpoint.accounts.personas import PERSONAS
from turnpoint.accounts.personas import persona_user as make_persona
from turnpoint.programmes.loader import programme_load_files
from turnpoint.programmes.models import Programme

from .conftest import AXE_COUNTS, CHROMIUM_ARGS

pytestmark = pytest.mark.browser

AXE_JS = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map((n) => n.target.join(" ")),
  }));
}"""
# At 375 px: the page's width, and each element that scrolls sideways on its own without being
# reachable by keyboard and named (tabindex="0", role="region", aria-label).
FITS = """() => {
  const problems = [];
  const width = document.documentElement.scrollWidth;
  if (width > 375) {
    // Name the innermost elements that reach past the screen's edge.
    const wide = [...document.querySelectorAll("body *")].filter((el) =>
      el.getBoundingClientRect().right > 376
      && ![...el.children].some((c) => c.getBoundingClientRect().right > 376));
    const names = wide.slice(0, 3).map((el) => `${el.tagName.toLowerCase()}.${el.className}`);
    problems.push(`the page is ${width} px wide: ${names.join(", ")}`);
  }
  for (const el of document.querySelectorAll("body *")) {
    const style = getComputedStyle(el);
    if (!["auto", "scroll"].includes(style.overflowX) || el.scrollWidth <= el.clientWidth) continue;
    if (el.tagName === "TEXTAREA") continue;
    const ok = el.getAttribute("tabindex") === "0" && el.getAttribute("role") === "region"
      && el.getAttribute("aria-label");
    const what = `${el.tagName.toLowerCase()}.${el.className}`;
    if (!ok) problems.push(`${what} scrolls but is not a named, focusable region`);
  }
  return problems;
}"""


@pytest.fixture
def world(transactional_db):
    programme_load_files(sorted(Path(settings.TURNPOINT_PROGRAMMES_DIR).glob("*.yaml")))
    programmes = {p.slug: p for p in Programme.objects.all()}
    users = {p.username: make_persona(p, programmes=[programmes["ghent-dtc"]]) for p in PERSONAS}
    return users, build_world(users, programmes)


def session_cookies(users, world, live_server) -> dict:
    """A signed-in session per persona, past the security code (tests/conftest.py)."""
    cookies = {("anonymous", True): []}
    for page in PAGES:
        key = (page.persona, page.second_factor)
        if key in cookies:
            continue
        client = signed_in(Client(), persona_user(users, world, page.persona),
                           second_factor=page.second_factor)  # fmt: skip
        value = client.cookies[settings.SESSION_COOKIE_NAME].value
        cookies[key] = [
            {"name": settings.SESSION_COOKIE_NAME, "value": value, "url": live_server.url}
        ]
    return cookies


def pages_to_check():
    """Every page; TURNPOINT_PAGES=court checks only those whose name has "court" in it (while
    fixing one, say: CI checks them all)."""
    only = os.environ.get("TURNPOINT_PAGES", "")
    return [row for row in PAGES if only in row.name]


def put(page, selector: str, value: str) -> None:
    """Type into a box, choose in a list (by value, or by position when `value` is a number)
    or tick a radio button or checkbox (any `value`), as a person would."""
    field = page.locator(selector)
    kind = field.evaluate("e => e.tagName === 'SELECT' ? 'select' : e.type")
    if kind == "select":
        field.select_option(index=int(value)) if value.isdigit() else field.select_option(value)
    elif kind in ("radio", "checkbox"):
        field.check()
    else:
        field.fill(value)


def show(page, url: str, row) -> None:
    """Open the page; for a refused form, submit it as it loads to see the errors."""
    page.goto(url)
    for selector, value in row.fill.items():
        put(page, selector, value)
    if row.submit:
        page.get_by_role("button", name=row.submit, exact=True).click()
        page.wait_for_load_state()


def test_every_page_passes_axe_and_fits_a_375_px_screen(chromium_path, live_server, world):
    from playwright.sync_api import sync_playwright

    users, data = world
    cookies = session_cookies(users, data, live_server)
    axe = AXE_JS.read_text(encoding="utf-8")
    problems = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
            for row in pages_to_check():
                url = live_server.url + page_url(row, data)
                # As served, on a small phone.
                strict = browser.new_context(viewport={"width": 375, "height": 740})
                strict.add_cookies(cookies[(row.persona, row.second_factor)])
                page = strict.new_page()
                errors = []
                page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
                page.on("console", lambda msg, errors=errors: msg.type == "error"
                        and "status of 4" not in msg.text and "favicon" not in msg.text
                        and "/assets/fonts/" not in msg.location.get("url", "")
                        and errors.append(msg.text))  # fmt: skip
                show(page, url, row)
                problems += [f"{row.name} at 375 px: {p}" for p in page.evaluate(FITS)]
                problems += [f"{row.name}: script or policy error: {e}" for e in errors]
                strict.close()
                # The same page for axe, whose script the policy would refuse.
                lenient = browser.new_context(viewport={"width": 1024, "height": 768},
                                              bypass_csp=True)  # fmt: skip
                lenient.add_cookies(cookies[(row.persona, row.second_factor)])
                page = lenient.new_page()
                show(page, url, row)
                page.add_script_tag(content=axe)
                violations = page.evaluate(RUN_AXE, AXE_TAGS)
                AXE_COUNTS.append((row.name, len(violations)))
                problems += [
                    f"{row.name}: {v['id']} ({v['impact']}) {v['help']}: {v['targets']}"
                    for v in violations
                ]
                lenient.close()
            browser.close()
    finally:
        # Playwright's loop made the ORM open a connection for this thread; close it, or
        # PostgreSQL cannot drop the test database afterwards.
        connections.close_all()
    assert problems == [], "\n".join(problems)
