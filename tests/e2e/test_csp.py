"""The Content-Security-Policy in a real browser: the main pages, as each role, load with
zero policy violations, and htmx still brings the live proposal under the policy."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from billing.services import claims_build
from practice.models import Session
from tests import factories
from tests.e2e.conftest import field, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Runs before any page script (Playwright injects it outside the page's policy): every
# violation the browser reports lands in window.__csp.
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} ` +
                    `at ${e.sourceFile || location.pathname}:${e.lineNumber}`);
});
"""


@pytest.fixture
def practice(owner_user, biller_user, clinician):
    """A client with a coverage and a diagnosis, last month's session billed on a claim,
    and this month's ready, so every page has rows and the reports have a chart."""
    client = factories.ClientFactory(
        first_name="Maren", last_name="Okafor", primary_clinician=clinician
    )
    factories.CoverageFactory(client=client)
    diagnosis = factories.DiagnosisFactory(client=client)
    today = timezone.localdate()
    for days in (40, 10):
        session = factories.SessionFactory(
            client=client, date=today - datetime.timedelta(days=days), status=Session.Status.READY
        )
        factories.SessionDiagnosisFactory(session=session, diagnosis=diagnosis)
        factories.ServiceLineFactory(session=session, position=1)
    claims_build(user=owner_user, through=today - datetime.timedelta(days=30))
    factories.LocationFactory(practice=clinician.practice)
    return client


def violations_on(page, live_server, path: str) -> list[str]:
    page.goto(f"{live_server.url}{path}")
    page.wait_for_load_state("networkidle")
    return page.evaluate("window.__csp")


def console_violations(page) -> list[str]:
    found: list[str] = []
    page.on(
        "console",
        lambda msg: found.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    return found


PAGES = {
    "clinician": [
        "/practice/sessions/",
        "/practice/sessions/new/",
        "/practice/clients/",
        "/practice/clients/new/",
        "/practice/day/",
        "/practice/week/",
        "/practice/appointments/new/",
        "/billing/reports/services/",
        "/billing/reports/mix/",
    ],
    "biller": [
        "/billing/",
        "/billing/claims/",
        "/billing/summary/",
        "/billing/summary/?print=1",
        "/billing/reports/revenue/",
        "/billing/reports/health/",
        "/billing/reports/aging/",
        "/billing/reports/denials/",
        "/billing/reports/collections/",
        "/practice/sessions/",
    ],
    "owner": [
        "/billing/reports/services/",
        "/practice/audit/",
        "/admin/",
        "/admin/practice/session/",
        "/admin/practice/client/",
        "/admin/billing/procedurecode/",
        "/admin/billing/payer/add/",
        "/admin/auth/user/",
        "/admin/billing/procedurecode/export/",
        "/admin/billing/procedurecode/import/",
    ],
}


@pytest.mark.parametrize("role", ["clinician", "biller", "owner"])
def test_the_main_pages_load_with_no_policy_violation(page, live_server, practice, role):
    page.add_init_script(LISTEN)
    console = console_violations(page)
    log_in(page, live_server, role)
    found = {}
    for path in PAGES[role]:
        seen = violations_on(page, live_server, path)
        if seen:
            found[path] = seen
    assert not found
    assert not console


def test_the_pages_linked_from_a_claim_and_a_client_have_no_violation(page, live_server, practice):
    page.add_init_script(LISTEN)
    console = console_violations(page)
    log_in(page, live_server, "owner")
    claim = practice.claims.first()
    found = {}
    for path in (
        f"/billing/claims/{claim.pk}/",
        f"/practice/clients/{practice.pk}/",
        f"/practice/clients/{practice.pk}/edit/",
        f"/admin/practice/client/{practice.pk}/change/",
        f"/admin/practice/client/{practice.pk}/history/",
    ):
        seen = violations_on(page, live_server, path)
        if seen:
            found[path] = seen
    assert not found
    assert not console


def test_htmx_brings_the_live_proposal_under_the_policy(page, live_server, practice):
    page.add_init_script(LISTEN)
    console = console_violations(page)
    log_in(page, live_server, "clinician")
    page.goto(f"{live_server.url}/practice/sessions/new/")
    field(page, "Client").select_option(str(practice.pk))
    expect(page.get_by_label("F41.1", exact=False)).to_be_checked()
    field(page, "Date").fill((timezone.localdate() - datetime.timedelta(days=3)).isoformat())
    page.get_by_label("Start time").fill("10:00")
    page.get_by_label("End time").fill("10:53")
    field(page, "Service").select_option("individual")
    line = page.locator("#proposed-lines tr.proposed-line")
    expect(line).to_have_count(1)
    expect(line).to_have_attribute("data-code", "90837")
    # A new length redraws the proposal: htmx keeps working after its first swap.
    page.get_by_label("End time").fill("10:45")
    page.get_by_label("End time").dispatch_event("change")
    expect(line).to_have_attribute("data-code", "90834")
    # No proposal request still running when the test's database is flushed.
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__csp") == []
    assert not console


def test_the_admin_export_forms_select_all_still_works_under_the_policy(
    page, live_server, practice
):
    """Its one inline handler is allowed by hash (practice.middleware.ADMIN_HANDLERS)."""
    page.add_init_script(LISTEN)
    log_in(page, live_server, "owner")
    page.goto(f"{live_server.url}/admin/billing/procedurecode/export/")
    fields = page.locator('.selectable-field-export-row input[type="checkbox"]:visible')
    expect(fields.first).to_be_checked()
    page.locator("input.select-toggle").uncheck()
    expect(fields.first).not_to_be_checked()
    assert page.evaluate("window.__csp") == []
