"""Two people edit one session in two browsers: the later save is refused next to the
form, with what changed, and the input stays to apply deliberately (docs/concurrent-edits.md)."""

from __future__ import annotations

import datetime

import pytest
from playwright.sync_api import expect

from practice.models import Session
from tests import factories
from tests.e2e.conftest import field, log_in
from tests.e2e.test_session_logging import fill_video_session

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def insured_client(clinician):
    client = factories.ClientFactory(first_name="Maren", primary_clinician=clinician)
    factories.DiagnosisFactory(client=client)
    factories.CoverageFactory(client=client)
    return client


@pytest.fixture
def second_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_the_billers_older_page_cannot_undo_the_clinicians_minutes(
    page, second_page, live_server, clinician_user, biller_user, insured_client
):
    log_in(page, live_server, "clinician")
    page.goto(f"{live_server.url}/practice/sessions/new/")
    fill_video_session(page, insured_client, start="10:00", end="10:53")
    page.get_by_role("button", name="Save session", exact=True).click()
    expect(page.get_by_text("Session saved")).to_be_visible()
    session = Session.objects.get()
    edit_url = f"{live_server.url}/practice/sessions/{session.pk}/edit/"

    biller = second_page
    log_in(biller, live_server, "biller")
    biller.goto(edit_url)  # the biller's page shows 53 minutes

    page.goto(edit_url)
    page.get_by_label("End time").fill("11:00")
    page.get_by_role("button", name="Save session", exact=True).click()
    expect(page.get_by_text("Session saved")).to_be_visible()

    field(biller, "Billing note").fill("Checked the member id")
    biller.get_by_role("button", name="Save session", exact=True).click()

    panel = biller.locator("#stale-edit")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("Nothing was saved")
    row = panel.locator("tr", has_text="End time")
    expect(row).to_contain_text("11:00")
    expect(row).to_contain_text("10:53")
    expect(field(biller, "Billing note")).to_have_value("Checked the member id")
    session.refresh_from_db()
    assert (session.end_time, session.minutes, session.note) == (datetime.time(11, 0), 60, "")

    # Having read the changes, the biller takes the clinician's time and saves the note.
    biller.get_by_label("End time").fill("11:00")
    biller.get_by_role("button", name="Save session", exact=True).click()
    expect(biller.get_by_text("Session saved")).to_be_visible()
    session.refresh_from_db()
    assert (session.minutes, session.note) == (60, "Checked the member id")
