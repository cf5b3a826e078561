"""A clinician's day in Chromium, on a 375-px phone and a 1280-px screen: an attended
session in two taps from the day view, a no-show with the practice's fee, a late
cancellation, a weekly series planned in the browser, and a telehealth appointment."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from practice import appointments as plan
from practice.models import Appointment, ClientCharge, Session
from tests import factories
from tests.e2e.conftest import field, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def the_day() -> datetime.date:
    """Yesterday: every appointment on it has started, whatever the clock says now, so
    each offers Attended, No-show and Late cancel."""
    return timezone.localdate() - datetime.timedelta(days=1)


@pytest.fixture
def day_plan(clinician, practice_row):
    practice_row.no_show_fee = Decimal("75.00")
    practice_row.late_cancel_fee = Decimal("50.00")
    practice_row.save()
    office = factories.LocationFactory(practice=practice_row, name="Main office")
    payer = factories.PayerFactory(name="Prairie Mutual")
    people = {}
    for key, first, last in [
        ("attended", "Maren", "Okafor"),
        ("no_show", "Zoë", "Brandt"),
        ("late", "Seán", "O'Leary"),
        ("video", "Ana", "Lima"),
        ("series", "Tom", "Berg"),
    ]:
        person = factories.ClientFactory(
            first_name=first, last_name=last, primary_clinician=clinician
        )
        factories.CoverageFactory(client=person, payer=payer)
        factories.DiagnosisFactory(client=person)
        people[key] = person
    # Maren's last session: its diagnosis comes along when her appointment is attended.
    last = factories.SessionFactory(
        client=people["attended"], date=the_day() - datetime.timedelta(days=7), status="ready"
    )
    factories.SessionDiagnosisFactory(session=last, diagnosis=people["attended"].diagnoses.get())
    for key, hour, telehealth in [
        ("attended", 9, ""),
        ("no_show", 10, ""),
        ("late", 11, ""),
        ("video", 15, "video"),
    ]:
        plan.appointment_plan(
            clinician=clinician,
            client=people[key],
            date=the_day(),
            start_time=datetime.time(hour, 0),
            minutes=53,
            service="individual",
            location=None if telehealth else office,
            telehealth=telehealth,
            user=None,
        )
    return {"people": people, "office": office}


def card(page, name: str):
    return page.locator(".appointment-card", has_text=name)


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("screen", ["phone_page", "page"])
def test_a_clinicians_day(request, screen, live_server, day_plan, clinician):
    page = request.getfixturevalue(screen)
    people = day_plan["people"]
    log_in(page, live_server, "clinician")
    day_url = f"{live_server.url}/practice/day/?date={the_day().isoformat()}"
    page.goto(day_url)
    expect(page.locator(".appointment-card")).to_have_count(4)
    assert no_sideways_scroll(page), "the day list scrolls sideways"

    # Attended: two taps from the day view to a saved session.
    taps = 0
    card(page, "Maren Okafor").get_by_role("link", name=re.compile("^Attended")).click()
    taps += 1
    expect(page.locator("#from-appointment")).to_contain_text("Maren Okafor")
    expect(page.get_by_label("F41.1", exact=False)).to_be_checked()  # from her last session
    expect(page.locator("#proposed-lines tr.proposed-line")).to_have_attribute("data-code", "90837")
    page.get_by_role("button", name="Save session").click()
    taps += 1
    expect(page.get_by_role("alert").filter(has_text="Session saved")).to_be_visible()
    assert taps == 2
    assert page.url == day_url or page.url.startswith(f"{live_server.url}/practice/day/")
    expect(card(page, "Maren Okafor")).to_contain_text("Attended")
    expect(card(page, "Maren Okafor").get_by_role("link", name="Session logged")).to_be_visible()
    attended = Appointment.objects.get(client=people["attended"])
    assert attended.session.lines.get().procedure.code == "90837"

    # No-show: one tap, and the practice's fee is charged to the client.
    card(page, "Zoë Brandt").get_by_role("button", name=re.compile("^No-show")).click()
    expect(page.get_by_role("alert").filter(has_text="$75.00")).to_be_visible()
    expect(card(page, "Zoë Brandt")).to_contain_text("Fee charged to the client: $75.00")
    assert ClientCharge.objects.get(client=people["no_show"]).amount == Decimal("75.00")

    # Late cancel: one tap, the late-cancellation fee.
    card(page, "Seán O'Leary").get_by_role("button", name=re.compile("^Late cancel")).click()
    expect(card(page, "Seán O'Leary")).to_contain_text("Late cancellation")
    expect(card(page, "Seán O'Leary")).to_contain_text("$50.00")
    assert Session.objects.get(client=people["late"]).status == "late_cancel"

    # Telehealth: the session form opens on video; saved, it is attended too.
    video = card(page, "Ana Lima")
    expect(video).to_contain_text("Telehealth, audio and video")
    video.get_by_role("link", name=re.compile("^Attended")).click()
    expect(page.get_by_label("Video (telehealth)")).to_be_checked()
    page.get_by_role("button", name="Save session").click()
    expect(card(page, "Ana Lima")).to_contain_text("Attended")
    assert Session.objects.get(client=people["video"]).telehealth == "video"

    # A weekly series, planned in the browser.
    page.get_by_role("link", name="Plan", exact=True).click()
    field(page, "Client").select_option(str(people["series"].pk))
    field(page, "Date").fill(the_day().isoformat())
    field(page, "Start").fill("13:00")
    field(page, "Minutes").fill("53")
    field(page, "Location").select_option(str(day_plan["office"].pk))
    page.get_by_label("Repeats", exact=True).select_option("1")
    field(page, "Or this many times").fill("3")
    page.get_by_role("button", name="Plan", exact=True).click()
    expect(page.get_by_role("alert").filter(has_text="3 appointments planned")).to_be_visible()
    expect(card(page, "Tom Berg")).to_contain_text("every week")
    expect(page.locator(".appointment-card")).to_have_count(5)
    assert no_sideways_scroll(page), "the day list scrolls sideways"
    page.get_by_role("link", name="Week", exact=True).click()
    expect(page.locator(".appointment-card", has_text="Tom Berg")).to_have_count(1)
    page.get_by_role("link", name="Next week ›").click()
    expect(page.locator(".appointment-card", has_text="Tom Berg")).to_have_count(1)
    assert no_sideways_scroll(page), "the week scrolls sideways"
    dates = list(Appointment.objects.filter(client=people["series"]).values_list("date", flat=True))
    assert dates == [the_day() + datetime.timedelta(weeks=n) for n in range(3)]
