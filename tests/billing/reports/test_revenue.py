"""Revenue by payer, by clinician and expected against paid.

"Today" is frozen at 15 February 2026 (America/New_York) by ``conftest.py``."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from billing import reports
from billing.models import ProcedureCode
from billing.reports import Filters
from billing.services import claim_discard, claims_build
from practice.models import Session
from tests import factories
from tests.billing.reports.helpers import (
    D,
    csv_of,
    session,
    table_of,
)
from tests.billing.test_services import ready_session

pytestmark = pytest.mark.django_db
ZERO = Decimal("0.00")


# Acme (90837 expected $120) and Beta (no rates). In January 2026:
#   client 1 (A, Acme): ready 2025-12-29, 2026-01-05, 2026-01-12, 90837 $160 → one claim
#   client 2 (B, Beta): ready 2026-01-06 90834 $160 → one claim, no expected amount
#   client 3 (A, self-pay): 2026-01-09 90837 $150
#   client 4 (B, Acme): ready 2026-01-20 90834 $160 → claim discarded (void): not revenue


@pytest.fixture
def revenue_data(practice_row, clinician, other_clinician):
    acme = factories.PayerFactory(name="Acme Health")
    beta = factories.PayerFactory(name="Beta Care")
    factories.PayerRateFactory(
        payer=acme,
        procedure=ProcedureCode.objects.get(code="90837"),
        allowed_amount=Decimal("120.00"),
    )
    one = factories.CoverageFactory(client__primary_clinician=clinician, payer=acme).client
    two = factories.CoverageFactory(client__primary_clinician=other_clinician, payer=beta).client
    three = factories.ClientFactory(primary_clinician=clinician, self_pay=True)
    four = factories.CoverageFactory(client__primary_clinician=other_clinician, payer=acme).client
    for day in (D(2025, 12, 29), D(2026, 1, 5), D(2026, 1, 12)):
        ready_session(one, date=day)
    ready_session(two, date=D(2026, 1, 6), code="90834")
    session(three, D(2026, 1, 9), ("90837", 1, "150"), status=Session.Status.READY)
    ready_session(four, date=D(2026, 1, 20), code="90834")
    claims = {c.client_id: c for c in claims_build().claims}
    claim_discard(claim=claims[four.pk], reason="wrong client")
    return acme, beta


def test_revenue_by_payer_from_live_claim_lines_and_self_pay(revenue_data):
    rows = reports.revenue_by_payer(D(2026, 1, 1), D(2026, 1, 31), Filters())
    assert [
        (r.payer, r.lines, r.lines_without_rate, r.charged, r.expected, r.paid, r.gap) for r in rows
    ] == [
        ("Acme Health", 2, 0, Decimal("320.00"), Decimal("240.00"), ZERO, Decimal("240.00")),
        ("Beta Care", 1, 1, Decimal("160.00"), None, ZERO, None),
        ("Self-pay", 1, 0, Decimal("150.00"), None, ZERO, None),
    ]


def test_revenue_by_clinician_adds_claimed_and_self_pay(revenue_data, clinician, other_clinician):
    rows = {
        r.clinician_id: r
        for r in reports.revenue_by_clinician(D(2026, 1, 1), D(2026, 1, 31), Filters())
    }
    a, b = rows[clinician.pk], rows[other_clinician.pk]
    assert (a.insured_charged, a.self_pay_charged, a.charged, a.expected, a.paid) == (
        Decimal("320.00"),
        Decimal("150.00"),
        Decimal("470.00"),
        Decimal("240.00"),
        ZERO,  # nothing posted on the claim lines, nothing paid on the self-pay session
    )
    assert (b.insured_charged, b.self_pay_charged, b.charged, b.expected) == (
        Decimal("160.00"),
        Decimal("0.00"),
        Decimal("160.00"),
        None,
    )


def test_expected_vs_paid_per_payer_and_code(revenue_data):
    rows = reports.expected_vs_paid(D(2026, 1, 1), D(2026, 1, 31), Filters())
    assert [(r.payer, r.code, r.lines, r.units, r.charged, r.expected, r.gap) for r in rows] == [
        ("Acme Health", "90837", 2, 2, Decimal("320.00"), Decimal("240.00"), Decimal("240.00")),
        ("Beta Care", "90834", 1, 1, Decimal("160.00"), None, None),
    ]


def test_a_payer_filter_leaves_out_the_self_pay_row(revenue_data):
    acme, _ = revenue_data
    rows = reports.revenue_by_payer(D(2026, 1, 1), D(2026, 1, 31), Filters(payer=acme))
    assert [(r.payer, r.charged) for r in rows] == [("Acme Health", Decimal("320.00"))]


def test_revenue_page_csv_has_paid_and_dashes_for_unknown_as_empty_cells(
    client, owner_user, revenue_data
):
    client.force_login(owner_user)
    url = reverse("billing:report_revenue")
    page = client.get(url)  # default: January 2026
    assert page.status_code == 200
    rows = csv_of(client.get(url, {"format": "csv"}))
    assert rows == table_of(page, "payers").csv_rows()
    assert rows == [
        [
            "Payer",
            "Lines",
            "Lines without a fee schedule rate",
            "Charged ($)",
            "Expected ($)",
            "Paid ($)",
            "Expected minus paid ($)",
        ],
        ["Acme Health", "2", "0", "320.00", "240.00", "0.00", "240.00"],
        ["Beta Care", "1", "1", "160.00", "", "0.00", ""],
        ["Self-pay", "1", "0", "150.00", "", "0.00", ""],
        ["Total", "4", "1", "630.00", "240.00", "0.00", "240.00"],
    ]
    html = page.content.decode()
    assert "$320.00" in html and 'aria-label="Charged and expected by payer' in html
    assert ">Amount ($)</text>" in html


def test_a_clinician_revenue_counts_only_the_sessions_they_saw(
    client, clinician_user, revenue_data
):
    client.force_login(clinician_user)
    url = reverse("billing:report_revenue")
    payers = csv_of(client.get(url, {"format": "csv", "table": "payers"}))
    assert [row[0] for row in payers[1:]] == ["Acme Health", "Self-pay", "Total"]
    assert payers[-1][3] == "470.00"
    people = csv_of(client.get(url, {"format": "csv", "table": "clinicians"}))
    assert len(people) == 2 and people[1][1:5] == ["320.00", "150.00", "470.00", "240.00"]


def test_a_self_pay_clients_payment_counts_as_paid_for_the_clinician_who_saw_them(
    revenue_data, clinician, other_clinician
):
    """The self-pay client (client 3, clinician A, a $150 session on 2026-01-09) pays
    $100, then $80 (50 to the session, 30 left as credit: no session's), then $50 of the
    first payment is refunded: Paid is what the ledger applied to the session."""
    from billing.payments import client_payment_record, client_refund_record
    from practice.models import Client

    three = Client.objects.get(self_pay=True)
    first = client_payment_record(
        client=three, amount=Decimal("100.00"), method="cash", received_on=D(2026, 1, 9)
    )
    client_payment_record(
        client=three, amount=Decimal("80.00"), method="cash", received_on=D(2026, 1, 20)
    )
    period = (D(2026, 1, 1), D(2026, 1, 31))
    by_clinician = {r.clinician_id: r for r in reports.revenue_by_clinician(*period, Filters())}
    assert by_clinician[clinician.pk].paid == Decimal("150.00")  # 30.00 is credit
    assert by_clinician[other_clinician.pk].paid == ZERO
    by_payer = {r.payer: r for r in reports.revenue_by_payer(*period, Filters())}
    assert by_payer["Self-pay"].paid == Decimal("150.00")
    client_refund_record(
        payment=first, amount=Decimal("50.00"), method="cash", refunded_on=D(2026, 1, 25)
    )
    # The first payment had no credit left (all 100.00 applied): its refund opens 50.00
    # of the session again; the 30.00 credit is the second payment's and stays credit.
    by_clinician = {r.clinician_id: r for r in reports.revenue_by_clinician(*period, Filters())}
    assert by_clinician[clinician.pk].paid == Decimal("100.00")
