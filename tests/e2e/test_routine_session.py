"""A routine attended session from the day view, counted in interactions (goal: 2), and
the session form's Minutes field giving way to the start and end times, in Chromium."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from billing.models import DiagnosisCode
from practice import appointments as plan
from practice.models import Session
from tests import factories
from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def yesterday() -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=1)


@pytest.fixture
def first_visit(clinician, practice_row):
    """A client never seen before, with two active diagnoses (ranked), booked at 9:00 in
    the clinician's default office; the practice has a second office too."""
    factories.LocationFactory(practice=practice_row, name="Annex")
    office = factories.LocationFactory(practice=practice_row, name="Main office")
    clinician.default_location = office
    clinician.save()
    person = factories.ClientFactory(
        first_name="Maren", last_name="Okafor", primary_clinician=clinician
    )
    factories.CoverageFactory(client=person, payer=factories.PayerFactory(name="Prairie Mutual"))
    for rank, code in [(2, "F43.10"), (1, "F41.1")]:
        factories.DiagnosisFactory(
            client=person, code=DiagnosisCode.objects.get(code=code), rank=rank
        )
    plan.appointment_plan(
        clinician=clinician,
        client=person,
        date=yesterday(),
        start_time=datetime.time(9, 0),
        minutes=53,
        service="individual",
        location=office,
        telehealth="",
        user=None,
    )
    return person


class Counter:
    """Counts what a person does on the page: each click, check or typed field."""

    def __init__(self) -> None:
        self.count = 0

    def click(self, locator) -> None:
        self.count += 1
        locator.click()


def test_a_routine_attended_session_takes_two_interactions_from_the_day_view(
    page, live_server, first_visit
):
    log_in(page, live_server, "clinician")
    page.goto(f"{live_server.url}/practice/day/?date={yesterday().isoformat()}")
    did = Counter()
    card = page.locator(".appointment-card", has_text="Maren Okafor")
    did.click(card.get_by_role("link", name=re.compile("^Attended")))
    # Everything is in before anything is typed: both active diagnoses in claim order,
    # the office, the proposed line, and no complaint.
    boxes = page.locator('input[name="diagnoses"]')
    expect(boxes).to_have_count(2)
    expect(boxes.nth(0)).to_be_checked()
    expect(boxes.nth(1)).to_be_checked()
    expect(page.locator("#proposed-lines tr.proposed-line")).to_have_attribute("data-code", "90837")
    expect(page.locator("#proposal-problems")).to_have_count(0)
    did.click(page.get_by_role("button", name="Save session"))
    expect(page.get_by_role("alert").filter(has_text="Session saved")).to_be_visible()
    assert did.count == 2
    session = Session.objects.get(client=first_visit)
    assert session.location.name == "Main office"
    assert [row.diagnosis.code.code for row in session.session_diagnoses.order_by("position")] == [
        "F41.1",
        "F43.10",
    ]


def test_minutes_gives_way_once_the_start_and_end_are_in(page, live_server, first_visit):
    log_in(page, live_server, "clinician")
    page.goto(f"{live_server.url}/practice/sessions/new/?client={first_visit.pk}")
    minutes = page.get_by_label("Minutes", exact=True)
    expect(minutes).to_be_enabled()
    fill_and_wait(page, page.get_by_label("Start time"), "10:00")
    expect(minutes).to_be_enabled()
    fill_and_wait(page, page.get_by_label("End time"), "10:45")
    expect(minutes).to_be_disabled()
    expect(minutes).to_have_attribute("placeholder", "45 (from the times)")
    fill_and_wait(page, page.get_by_label("End time"), "")
    expect(minutes).to_be_enabled()


def fill_and_wait(page, locator, value: str) -> None:
    """Fill a field and wait for the proposal it asks for: each request finishes before
    the next (none is cut short while the server still works on it), and none is left
    running when the test's database is flushed."""
    with page.expect_response(lambda response: "/practice/sessions/suggest/" in response.url):
        locator.fill(value)
