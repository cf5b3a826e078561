"""Every list on a 375-px phone, for each role: cards, never sideways scrolling, and the
record's status and money in view without scrolling sideways."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.pages import ROLES, demo_practice, log_in_as

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The cells a phone user must see on each list (by their heading); the day and week views
# are cards already and show each appointment's status badge.
MUST_SEE = {
    "/practice/sessions/": ("Status", "Charges"),
    "/practice/clients/": ("Pay", "Status"),
    "/billing/claims/": ("Status", "Total"),
    "/billing/batches/": ("Claims", "Total"),
    "/billing/estimates/": ("Why", "Deadline"),
    "/billing/statements/": ("Client", "Balance due"),
    "/practice/audit/": ("When", "What"),
    "/account/sign-ins/": ("When", "Result"),
}

WIDTHS = """() => ({
    scroll: document.scrollingElement.scrollWidth,
    inner: window.innerWidth,
})"""


def in_view(page, locator) -> bool:
    box = locator.bounding_box()
    width = page.evaluate("window.innerWidth")
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


@pytest.mark.parametrize("role", ROLES)
def test_every_list_fits_a_375_pixel_phone(phone_page, live_server, role):
    practice = demo_practice()
    page = phone_page
    log_in_as(page, live_server, role)
    for path in practice.lists[role]:
        page.goto(live_server.url + path)
        widths = page.evaluate(WIDTHS)
        assert widths["scroll"] <= widths["inner"], f"{path} scrolls sideways: {widths}"
        if path in ("/practice/day/", "/practice/week/"):
            badge = page.locator(".appointment-card .badge").first
            if badge.count():
                assert in_view(page, badge), f"{path}: the appointment's status is off-screen"
            continue
        for label in MUST_SEE.get(path, ()):
            cell = page.locator(f"table.table-cards td[data-label='{label}']").first
            expect(cell, f"{path}: no {label} cell").to_be_visible()
            assert in_view(page, cell), f"{path}: {label} is off-screen"


def test_the_session_list_is_a_table_on_a_wide_screen(page, live_server):
    """Cards are for phones only: at 1280 px the same markup is a table with headings."""
    demo_practice()
    log_in_as(page, live_server, "biller")
    page.goto(live_server.url + "/practice/sessions/")
    expect(page.get_by_role("columnheader", name="Charges")).to_be_visible()
    display = page.evaluate("getComputedStyle(document.querySelector('#session-table tr')).display")
    assert display == "table-row"


def test_forms_stay_one_column_on_a_phone(phone_page, live_server):
    demo_practice()
    page = phone_page
    log_in_as(page, live_server, "clinician")
    for path in (
        "/practice/sessions/new/",
        "/practice/clients/new/",
        "/practice/appointments/new/",
    ):
        page.goto(live_server.url + path)
        widths = page.evaluate(WIDTHS)
        assert widths["scroll"] <= widths["inner"], f"{path} scrolls sideways: {widths}"
        # One column: no two visible fields side by side (their heights overlap).
        side_by_side = page.evaluate(
            """() => {
                const fields = [...document.querySelectorAll(
                    'main form[method=post] :is(input, select, textarea)')]
                    .filter(e => e.offsetParent !== null && !['checkbox', 'radio'].includes(e.type))
                    .map(e => [e.id || e.name, e.getBoundingClientRect()]);
                const pairs = [];
                for (const [a, r] of fields) for (const [b, s] of fields)
                    if (a < b && r.top < s.bottom - 1 && s.top < r.bottom - 1) pairs.push([a, b]);
                return [fields.length, pairs];
            }"""
        )
        assert side_by_side[0], f"{path}: no fields found"
        assert not side_by_side[1], f"{path}: fields side by side: {side_by_side[1]}"
