"""Collections: money received in the period by payer and by clinician (money_data in
conftest.py: January 2026)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from billing import reports
from billing.posting import remittance_post
from billing.reports import Filters
from tests.billing.reports.helpers import D, csv_of, table_of
from tests.x835 import build_835, paid_in_full, reversal_of

pytestmark = pytest.mark.django_db
M = Decimal
JANUARY = (D(2026, 1, 1), D(2026, 1, 31))


def test_collections_by_payer_and_from_clients(money_data):
    rows = reports.collections_by_payer(*JANUARY, Filters())
    assert [(r.payer, r.payments, r.claims, r.amount) for r in rows] == [
        ("Acme Health", 2, 2, M("220.00")),  # a denial that pays nothing is no collection
        (reports.collections.CLIENTS, 1, None, M("40.00")),
    ]
    narrowed = reports.collections_by_payer(*JANUARY, Filters(payer=money_data["beta"]))
    assert narrowed == []


def test_collections_by_clinician_who_saw_the_client(money_data, self_pay, clinician):
    rows = reports.collections_by_clinician(*JANUARY, Filters())
    # Payers: c2 100 + c3 120. Clients: Ana's 40 toward her c2 share, Chloé's 100 toward
    # her October session; Øyvind's 80 settled nothing yet: no clinician's.
    assert [(r.clinician_id, r.insurance, r.clients, r.total) for r in rows] == [
        (clinician.pk, M("220.00"), M("140.00"), M("360.00"))
    ]
    (row,) = reports.collections_by_clinician(*JANUARY, Filters(payer=money_data["acme"]))
    assert (row.insurance, row.clients) == (M("220.00"), M("0.00"))


def test_a_client_refund_counts_against_its_own_month(money_data, self_pay, clinician):
    from billing.models import Payment
    from billing.payments import client_refund_record

    chloe_paid = Payment.objects.get(client=self_pay[0])
    client_refund_record(
        payment=chloe_paid, amount=M("30.00"), method=Payment.Method.CASH, refunded_on=D(2026, 2, 2)
    )
    february = (D(2026, 2, 1), D(2026, 2, 28))
    (clients_row,) = reports.collections_by_payer(*february, Filters())
    assert (clients_row.payer, clients_row.amount) == (reports.collections.CLIENTS, M("-30.00"))
    (row,) = reports.collections_by_clinician(*february, Filters())
    assert (row.clinician_id, row.clients) == (clinician.pk, M("-30.00"))


def test_a_reversal_takes_the_money_back_in_its_own_period(money_data, ascii_claim):
    answer = paid_in_full(ascii_claim)
    remittance_post(text=build_835(money_data["acme"], [answer], trace="P1"))
    november = (D(2026, 11, 1), D(2026, 11, 30))  # the test 835s are paid on 2 November
    assert [r.amount for r in reports.collections_by_payer(*november, Filters())] == [M("160.00")]
    remittance_post(text=build_835(money_data["acme"], [reversal_of(answer)], trace="P2"))
    (row,) = reports.collections_by_payer(*november, Filters())
    assert (row.payments, row.amount) == (2, M("0.00"))


def test_an_empty_month_has_no_rows(money_data, client, owner_user):
    december = (D(2025, 12, 1), D(2025, 12, 31))
    assert reports.collections_by_payer(*december, Filters()) == []
    assert reports.collections_by_clinician(*december, Filters()) == []
    client.force_login(owner_user)
    html = client.get(
        reverse("billing:report_collections"), {"date_from": "2025-12-01", "date_to": "2025-12-31"}
    ).content.decode()
    assert "Nothing received in this period." in html


def test_the_page_csv_equals_the_tables(client, biller_user, money_data):
    client.force_login(biller_user)
    url = reverse("billing:report_collections")
    page = client.get(url)  # default: January 2026
    for name in ("payers", "clinicians"):
        assert (
            csv_of(client.get(url, {"format": "csv", "table": name}))
            == table_of(page, name).csv_rows()
        )
    rows = csv_of(client.get(url, {"format": "csv", "table": "payers"}))
    assert rows[-1] == ["Total", "3", "2", "260.00"]


def test_a_clinician_sees_payer_money_for_their_sessions_and_no_clients_row(
    client, clinician_user, other_clinician_user, money_data
):
    url = reverse("billing:report_collections")
    client.force_login(clinician_user)
    rows = csv_of(client.get(url, {"format": "csv", "table": "payers"}))
    assert [r[0] for r in rows[1:]] == ["Acme Health", "Total"]
    client.force_login(other_clinician_user)
    assert csv_of(client.get(url, {"format": "csv", "table": "clinicians"}))[1:] == []
    assert csv_of(client.get(url, {"format": "csv", "table": "payers"}))[1:] == []
