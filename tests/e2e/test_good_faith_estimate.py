"""A self-pay client's Good Faith Estimate in the browser: created from the client page,
given by email, and the $400 alert once enough sessions are billed."""

from __future__ import annotations

import datetime
import math

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from billing.models import GoodFaithEstimate, ProcedureCode
from practice.models import Session
from tests import factories
from tests.e2e.conftest import field, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def attended(client, day: datetime.date, *, status: str = Session.Status.READY) -> None:
    """A 45-minute session charged the standard 90834 fee."""
    procedure = ProcedureCode.objects.get(code="90834")
    session = factories.SessionFactory(
        client=client,
        date=day,
        start_time=datetime.time(9, 0),
        end_time=datetime.time(9, 45),
        minutes=45,
        status=status,
    )
    factories.ServiceLineFactory(
        session=session, position=1, procedure=procedure, charge=procedure.default_charge
    )


def test_a_self_pay_clients_estimate_is_given_and_alerts_at_400_dollars_over(
    page, live_server, practice_row, biller_user
):
    person = factories.ClientFactory(
        first_name="Zoë", last_name="Nguyễn", self_pay=True, date_of_birth=datetime.date(1991, 5, 2)
    )
    factories.DiagnosisFactory(client=person)
    today = timezone.localdate()
    attended(person, today - datetime.timedelta(days=7))  # the usual service: 90834

    log_in(page, live_server, "biller")
    page.goto(f"{live_server.url}/practice/clients/{person.pk}/")
    panel = page.locator("#good-faith-estimate")
    expect(panel).to_contain_text("has no current estimate")
    panel.get_by_role("link", name="Create estimate").click()

    expect(field(page, "CPT code").first).to_have_value("90834")
    expect(field(page, "Frequency")).to_have_value("weekly")
    field(page, "Visits").first.fill("4")  # a short course: four sessions expected
    page.get_by_role("button", name="Issue estimate").click()

    estimate = GoodFaithEstimate.objects.get()
    fee = ProcedureCode.objects.get(code="90834").default_charge
    assert estimate.total == fee * 4
    expect(page.get_by_role("heading", level=1)).to_contain_text("Not yet given")
    page.get_by_label("Given to the client").select_option("email")
    page.get_by_role("button", name="Record as given").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Given")

    # Four sessions as estimated, then enough more to pass the estimate by $400.
    extra = math.ceil(400 / fee)
    for n in range(4 + extra):
        attended(person, estimate.period_start + datetime.timedelta(days=n))
    page.goto(f"{live_server.url}/practice/clients/{person.pk}/")
    alert = page.locator("#good-faith-estimate").get_by_role("alert")
    expect(alert).to_contain_text("the client may dispute the bill")

    page.get_by_role("navigation").get_by_role("link", name="Estimates").click()
    row = page.locator("tbody tr").filter(has_text="Nguyễn, Zoë")
    expect(row).to_contain_text("$400 alert")
