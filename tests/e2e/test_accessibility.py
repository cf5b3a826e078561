"""axe-core in Chromium over every page each role uses, on a wide screen and a phone, and
over the states that only appear after an action (a failed submit, the session form's
own lines): no violations.

axe-core is vendored for the tests only (tests/e2e/vendor/axe-core/README.md says where
from). It runs with its default rules: WCAG 2.x A and AA plus its best practices.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.pages import ROLES, demo_practice, log_in_as

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
RUN_AXE = """async () => {
    const result = await axe.run(document);
    return result.violations.map(v => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
        count: v.nodes.length,
    }));
}"""


def with_axe(browser, width: int, height: int):
    # An init script, not a <script> tag: the Content-Security-Policy allows no inline
    # script, and the test must not weaken it.
    context = browser.new_context(
        viewport={"width": width, "height": height}, is_mobile=width < 576
    )
    context.add_init_script(script=AXE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def violations(page) -> list[dict]:
    return page.evaluate(RUN_AXE)


def report(found: dict[str, list[dict]]) -> str:
    lines = []
    for where, items in found.items():
        for v in items:
            lines.append(f"{where}: {v['id']} ({v['impact']}, {v['count']}×) {v['help']}")
            lines.extend(f"    {target}" for target in v["targets"])
    return "\n".join(lines)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_every_role_has_no_axe_violations(browser, live_server, role):
    practice = demo_practice()
    found: dict[str, list[dict]] = {}
    for width, height in ((1280, 900), (375, 740)):
        context, page = with_axe(browser, width, height)
        log_in_as(page, live_server, role)
        for path in practice.urls[role]:
            response = page.goto(live_server.url + path)
            assert response.status == 200, f"{path} answered {response.status}"
            if items := violations(page):
                found[f"{width}px {path}"] = items
        context.close()
    assert not found, f"axe-core found violations as {role}:\n{report(found)}"


def test_pages_after_an_action_have_no_axe_violations(browser, live_server):
    """States a plain visit never shows: the login page, a failed submit (its error
    summary gets the focus), and the session form's editable lines."""
    demo_practice()
    context, page = with_axe(browser, 1280, 900)
    found: dict[str, list[dict]] = {}

    page.goto(live_server.url + "/login/")
    if items := violations(page):
        found["login"] = items

    log_in_as(page, live_server, "clinician")
    page.goto(live_server.url + "/practice/clients/new/")
    page.get_by_role("button", name="Add client").click()
    page.wait_for_load_state("networkidle")
    summary = page.locator("main .alert-danger").first
    expect(summary).to_be_focused()
    if items := violations(page):
        found["client form, not saved"] = items

    page.goto(live_server.url + "/practice/sessions/new/")
    page.get_by_label("Change the proposed lines").check()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#line-overrides")).to_be_visible()
    if items := violations(page):
        found["session form, own lines"] = items
    page.get_by_role("button", name="Save session").click()
    page.wait_for_load_state("networkidle")
    focused = page.evaluate("document.activeElement && document.activeElement.tagName")
    assert focused != "BODY", "after a failed submit the focus stays on the page body"
    if items := violations(page):
        found["session form, not saved"] = items

    page.goto(live_server.url + "/practice/day/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the page content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    context.close()
    assert not found, f"axe-core found violations:\n{report(found)}"
