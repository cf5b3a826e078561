"""Denials by reason and by payer (money_data in conftest.py: January 2026)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from billing import reports
from billing.posting import remittance_post
from billing.reports import Filters
from tests.billing.reports.helpers import D, csv_of, table_of
from tests.x835 import ClaimAnswer, LineAnswer, build_835, reversal_of

pytestmark = pytest.mark.django_db
M = Decimal
JANUARY = (D(2026, 1, 1), D(2026, 1, 31))


def test_denials_by_reason_in_our_words_leave_out_write_offs_on_paid_lines(money_data):
    rows = reports.denials_by_reason(*JANUARY, Filters())
    assert [(r.code, r.words, r.claims, r.lines, r.amount) for r in rows] == [
        ("CO-197", "No prior authorization on file", 1, 1, M("160.00")),
        ("CO-50", "Payer judged it not medically necessary", 1, 1, M("140.00")),
    ]


def test_denials_by_payer_with_the_share_of_claims_denied(money_data):
    rows = reports.denials_by_payer(*JANUARY, Filters())
    assert [(r.payer, r.answered, r.denied, r.rate, r.amount) for r in rows] == [
        ("Acme Health", 2, 1, M("50.0"), M("160.00")),
        ("Beta Care", 1, 1, M("100.0"), M("140.00")),
    ]
    narrowed = reports.denials_by_payer(*JANUARY, Filters(payer=money_data["beta"]))
    assert [r.payer for r in narrowed] == ["Beta Care"]


def test_a_month_without_answers_has_no_denials(money_data):
    december = (D(2025, 12, 1), D(2025, 12, 31))
    assert reports.denials_by_reason(*december, Filters()) == []
    assert reports.denials_by_payer(*december, Filters()) == []


def test_a_reversed_denial_drops_out(money_data, ascii_claim):
    (line,) = ascii_claim.lines.all()
    denial = ClaimAnswer(
        ascii_claim, [LineAnswer(line, M("0.00"), [("CO", "96", M("160.00"))])], status="4"
    )
    remittance_post(text=build_835(money_data["acme"], [denial], trace="D1"))
    november = (D(2026, 11, 1), D(2026, 11, 30))  # the test 835s are paid on 2 November
    assert [r.code for r in reports.denials_by_reason(*november, Filters())] == ["CO-96"]
    remittance_post(text=build_835(money_data["acme"], [reversal_of(denial)], trace="D2"))
    assert reports.denials_by_reason(*november, Filters()) == []


def test_the_page_csv_equals_the_tables_and_a_clinician_sees_their_own(
    client, owner_user, clinician_user, money_data
):
    client.force_login(owner_user)
    url = reverse("billing:report_denials")
    page = client.get(url)  # default: January 2026
    assert page.status_code == 200
    for name in ("reasons", "payers"):
        assert (
            csv_of(client.get(url, {"format": "csv", "table": name}))
            == table_of(page, name).csv_rows()
        )
    client.force_login(clinician_user)
    rows = csv_of(client.get(url, {"format": "csv", "table": "reasons"}))
    assert [r[0] for r in rows[1:]] == ["CO-197", "Total"]


def test_an_empty_month_says_so(client, biller_user):
    client.force_login(biller_user)
    html = client.get(reverse("billing:report_denials")).content.decode()
    assert "No denials in this period." in html
    assert "No payer answered a claim in this period." in html
