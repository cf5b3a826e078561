"""A clinician logs a session in the browser: the proposed lines come before saving."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from practice.models import Session
from tests import factories
from tests.e2e.conftest import field, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def telehealth_client(clinician):
    """The clinician's client, F41.1, insured by a payer that wants POS 10 and modifier 95
    for a client at home."""
    client = factories.ClientFactory(
        first_name="Maren", last_name="Okafor", primary_clinician=clinician
    )
    factories.DiagnosisFactory(client=client)
    payer = factories.PayerFactory(
        name="Prairie Mutual",
        telehealth_home_pos=factories.pos("10"),
        telehealth_modifier="95",
    )
    factories.CoverageFactory(client=client, payer=payer)
    return client


def day_of_service() -> datetime.date:
    """Recent enough for every filing rule, never in the future."""
    return timezone.localdate() - datetime.timedelta(days=12)


def fill_video_session(page, client, *, start: str, end: str) -> None:
    # A click's navigation is done when the page commits, before the scripts at the end of
    # the body run: htmx listens for changes only once the page has loaded (a change made
    # before that, on a loaded machine, asked for no proposal).
    page.wait_for_load_state("load")
    field(page, "Client").select_option(str(client.pk))
    # The client's diagnoses arrive with the proposal: wait for them before going on.
    expect(page.get_by_label("F41.1", exact=False)).to_be_checked()
    field(page, "Date").fill(day_of_service().isoformat())
    page.get_by_label("Start time").fill(start)
    page.get_by_label("End time").fill(end)
    field(page, "Service").select_option("individual")
    page.get_by_label("Video (telehealth)").check()
    page.get_by_label("At home").check()


def expect_90837_95_at_pos_10(page) -> None:
    proposal = page.locator("#proposed-lines")
    line = proposal.locator("tr.proposed-line")
    expect(line).to_have_count(1)
    expect(line).to_have_attribute("data-code", "90837")
    expect(line).to_have_attribute("data-modifiers", "95")
    expect(line).to_have_attribute("data-pos", "10")
    expect(line).to_contain_text("90837")
    expect(proposal).to_contain_text("53 minutes")
    expect(proposal).to_contain_text("Prairie Mutual")


def test_a_clinician_logs_a_53_minute_video_session_from_home_as_90837_95_at_pos_10(
    page, live_server, telehealth_client
):
    log_in(page, live_server, "clinician")
    page.get_by_role("link", name="Log a session").click()
    expect(page.get_by_role("heading", name="Log a session")).to_be_visible()

    fill_video_session(page, telehealth_client, start="10:00", end="10:53")

    expect_90837_95_at_pos_10(page)
    cells = page.locator("#proposed-lines tr.proposed-line").locator("th, td")
    expect(cells.nth(0)).to_have_text("90837")
    expect(cells.nth(1)).to_have_text("95")
    expect(cells.nth(3)).to_have_text("10")
    assert Session.objects.count() == 0  # nothing is saved by the live proposal

    page.locator("#save-session").click()
    expect(page.get_by_role("alert").filter(has_text="Session saved")).to_be_visible()
    session = Session.objects.get()
    assert (session.minutes, session.place_of_service.code) == (53, "10")
    assert [(line.procedure.code, line.modifiers) for line in session.lines.all()] == [
        ("90837", ["95"])
    ]

    page.get_by_role("navigation").get_by_role("link", name="Sessions").click()
    row = page.locator("#session-table tbody tr").filter(has_text="Okafor, Maren")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(day_of_service().strftime("%m/%d/%Y"))
    expect(row).to_contain_text("90837-95")
    expect(row).to_contain_text("Draft")

    page.get_by_role("link", name="Log a session").click()
    fill_video_session(page, telehealth_client, start="10:00", end="09:30")
    page.locator("#save-session").click()

    end_field = page.locator("#div_id_end_time")
    expect(end_field).to_contain_text("The session ends before it starts.")
    expect(page.get_by_label("End time")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.locator("#not-saved")).to_be_visible()
    assert Session.objects.count() == 1


def test_on_a_375_pixel_phone_the_form_proposes_the_lines_without_scrolling_sideways(
    phone_page, live_server, telehealth_client
):
    page = phone_page
    log_in(page, live_server, "clinician")
    page.goto(f"{live_server.url}/practice/sessions/new/")

    fill_video_session(page, telehealth_client, start="10:00", end="10:53")

    expect_90837_95_at_pos_10(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_prescriber_codes_an_e_m_visit_from_its_psychotherapy_minutes(
    page, live_server, practice_row
):
    """docs/rules/coding.md §5: a 60-minute 99214 visit with 30 minutes of psychotherapy
    is 99214 + 90833, not 90838; the E/M choice is there for a prescriber."""
    prescriber = factories.ClinicianFactory(
        user=factories.UserFactory(username="noor", role="Clinician"),
        credentials="PMHNP-BC",
        license_level="",
        prescriber=True,
    )
    client = factories.ClientFactory(first_name="Ines", primary_clinician=prescriber)
    factories.DiagnosisFactory(client=client)
    factories.CoverageFactory(client=client)
    log_in(page, live_server, "noor")
    page.get_by_role("link", name="Log a session").click()

    fill_video_session(page, client, start="10:00", end="11:00")
    field(page, "E/M visit (prescribers)").select_option("99214")
    field(page, "Psychotherapy minutes (with an E/M visit)").fill("30")
    field(page, "Psychotherapy minutes (with an E/M visit)").blur()

    lines = page.locator("#proposed-lines tr.proposed-line")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_have_attribute("data-code", "99214")
    expect(lines.nth(1)).to_have_attribute("data-code", "90833")
    page.locator("#save-session").click()
    expect(page.get_by_role("alert").filter(has_text="Session saved")).to_be_visible()
    session = Session.objects.get()
    assert (session.minutes, session.psychotherapy_minutes) == (60, 30)
