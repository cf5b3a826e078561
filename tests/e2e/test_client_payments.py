"""A biller takes a client's copay from the session page, sees the balance on the client
page and prints a statement (issue 12, items 5 and 6)."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from billing.eob import EobLine, eob_post
from billing.models import Payment
from practice.models import Session
from tests import factories
from tests.billing.test_claim_views import make_claim
from tests.billing.test_ledger import fee
from tests.e2e.conftest import field, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
D = Decimal


@pytest.fixture
def account(practice_row):
    """An insured client whose payer paid 100.00 of a 160.00 session, wrote off 30.00 and
    left 30.00 to the client (the copay), plus a 75.00 no-show fee."""
    factories.UserFactory(username="biller", role="Biller")
    coverage = factories.CoverageFactory(
        client=factories.ClientFactory(first_name="Zoë", last_name="Nguyễn"), copay=D("30.00")
    )
    claim = make_claim(coverage)
    day = datetime.date.today() - datetime.timedelta(days=20)
    eob_post(
        claim=claim,
        received_on=day,
        check_number="4411",
        lines=[
            EobLine(claim.lines.get(), D("100.00"), (("CO", "45", D("30")), ("PR", "3", D("30"))))
        ],
    )
    fee(coverage.client, day)
    session = Session.objects.get(client=coverage.client)
    return coverage.client, session


def test_a_biller_takes_the_copay_sees_the_balance_and_prints_a_statement(
    page, live_server, account
):
    _client, session = account
    log_in(page, live_server, "biller")
    page.goto(f"{live_server.url}/practice/sessions/{session.pk}/")
    page.get_by_role("link", name="Take a payment (copay)").click()
    expect(field(page, "Amount")).to_have_value("30.00")
    field(page, "Method").select_option("card")
    page.get_by_role("button", name="Record payment").click()
    expect(page.get_by_role("alert")).to_contain_text("Payment of $30.00 recorded")
    ledger = page.locator("#ledger")
    expect(ledger.locator("[data-balance]")).to_have_text("$75.00")
    expect(ledger).to_contain_text("Payment, card")
    assert Payment.objects.get(source="client").session == session

    with page.expect_download() as download:
        ledger.get_by_role("button", name="Print a statement").click()
    assert download.value.suggested_filename.startswith("st-")
    pdf = PdfReader(io.BytesIO(download.value.path().read_bytes()))
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert "Zoë Nguyễn" in text
    assert "Balance due" in text and "75.00" in text
    assert "No-show fee" in text and "Payment, card" in text
