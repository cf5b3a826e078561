"""A/R aging: what payers still owe on sent claims, by days since the claim was sent
(money_data in conftest.py; today is 15 February 2026)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from billing import reports
from billing.models import Claim
from billing.posting import claim_money, remittance_post
from billing.reports import Filters
from tests.billing.reports.helpers import csv_of, table_of
from tests.x835 import build_835, paid_in_full, reversal_of

pytestmark = pytest.mark.django_db
M = Decimal
ZERO = M("0.00")


def test_each_payer_owes_by_the_age_of_its_claims(money_data):
    rows = reports.ar_by_payer(None, None, Filters())
    assert [(r.name, r.buckets, r.total, r.count) for r in rows] == [
        ("Acme Health", (M("320.00"), M("160.00"), ZERO, ZERO, ZERO), M("480.00"), 3),
        ("Beta Care", (ZERO, ZERO, ZERO, ZERO, M("150.00")), M("150.00"), 1),
    ]


def test_thirty_days_is_still_the_first_bucket_and_thirty_one_the_second(money_data):
    claims = money_data["claims"]
    owed = {
        c.pk: c.owed
        for c in reports.aging.claims_with_payer(Filters()).filter(
            pk__in=[claims["c5"].pk, claims["c6"].pk]
        )
    }
    assert owed == {claims["c5"].pk: M("160.00"), claims["c6"].pk: M("160.00")}
    (acme, _beta) = reports.ar_by_payer(None, None, Filters())
    assert acme.buckets[0] == M("320.00")  # c1 (14 days) and c5 (30 days)
    assert acme.buckets[1] == M("160.00")  # c6 (31 days)


def test_the_payers_part_is_claim_money_less_the_clients_share(money_data):
    """One rule: the SQL here agrees with billing.posting.claim_money on every claim."""
    for claim in Claim.objects.filter(status__in=reports.aging.WITH_PAYER):
        money = claim_money(claim)
        (row,) = reports.aging.claims_with_payer(Filters()).filter(pk=claim.pk)
        assert row.owed == money.balance - money.patient_responsibility, claim


def test_a_reversed_payment_makes_the_claim_owed_again(money_data, ascii_claim):
    (acme, _beta) = reports.ar_by_payer(None, None, Filters())
    assert (acme.total, acme.count) == (M("640.00"), 4)
    answer = paid_in_full(ascii_claim)
    remittance_post(text=build_835(money_data["acme"], [answer], trace="T1"))
    (acme, _beta) = reports.ar_by_payer(None, None, Filters())
    assert (acme.total, acme.count) == (M("480.00"), 3)
    remittance_post(text=build_835(money_data["acme"], [reversal_of(answer)], trace="T2"))
    (acme, _beta) = reports.ar_by_payer(None, None, Filters())
    assert (acme.total, acme.count) == (M("640.00"), 4)


def test_an_empty_practice_has_no_rows_and_the_page_says_so(client, owner_user):
    assert reports.ar_by_payer(None, None, Filters()) == []
    client.force_login(owner_user)
    response = client.get(reverse("billing:report_aging"))
    assert response.status_code == 200
    assert "No payer owes anything on a sent claim." in response.content.decode()
    assert csv_of(client.get(reverse("billing:report_aging"), {"format": "csv"})) == [
        table_of(response, "payers").csv_rows()[0]
    ]


def test_the_page_csv_equals_the_table(client, biller_user, money_data):
    client.force_login(biller_user)
    url = reverse("billing:report_aging")
    page = client.get(url)
    assert page.status_code == 200
    assert 'aria-label="Owed by payers by age of the claim on 02/15/2026"' in page.content.decode()
    rows = csv_of(client.get(url, {"format": "csv", "table": "payers"}))
    assert rows == table_of(page, "payers").csv_rows()
    assert rows[0][:2] == ["Payer", "0–30 days ($)"]
    assert rows[-1] == ["Total", "320.00", "160.00", "0.00", "0.00", "150.00", "630.00", "4"]


def test_a_clinician_sees_the_claims_for_their_own_sessions(
    client, clinician_user, other_clinician_user, money_data
):
    client.force_login(clinician_user)
    rows = csv_of(client.get(reverse("billing:report_aging"), {"format": "csv"}))
    assert [r[0] for r in rows[1:]] == ["Acme Health", "Total"]
    client.force_login(other_clinician_user)
    rows = csv_of(client.get(reverse("billing:report_aging"), {"format": "csv"}))
    assert [r[0] for r in rows[1:]] == ["Beta Care", "Total"]
