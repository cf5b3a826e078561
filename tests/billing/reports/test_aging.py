"""A/R aging: what payers still owe on sent claims, by days since the claim was sent, and
what clients owe (money_data in conftest.py; today is 15 February 2026)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from billing import reports
from billing.models import Claim
from billing.payer_money import claim_money
from billing.posting import remittance_post
from billing.reports import Filters
from tests import factories
from tests.billing.reports.helpers import TODAY, D, csv_of, session, table_of
from tests.x835 import ClaimAnswer, LineAnswer, build_835, paid_in_full, reversal_of

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
    """One rule: the SQL here agrees with billing.payer_money.claim_money on every claim."""
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


# --- Owed by clients: billing/ledger.py's balances --------------------------------------


def test_client_aging_uses_the_ledgers_buckets():
    from billing.ledger import BUCKETS

    assert [(first, last) for _label, first, last in BUCKETS] == [
        *((first, last) for _label, first, last in reports.aging.AGING_BUCKETS),
        (121, None),
    ]


def test_each_client_owes_by_age_with_payments_on_the_oldest_first(money_data, self_pay):
    chloe, oyvind = self_pay
    rows = reports.ar_by_client(None, None, Filters()).rows
    # Ana's $40 share (CO-45/PR-3 on c2) is settled by her $40 card payment: not listed.
    assert [(r.key, r.name, r.buckets, r.total, r.credit) for r in rows] == [
        (chloe.pk, "Zéphyr, Chloé", (M("150.00"), ZERO, ZERO, ZERO, M("50.00")), M("200.00"), ZERO),
        (oyvind.pk, "Ærø-D'Souza, Øyvind", (ZERO,) * 5, ZERO, M("80.00")),
    ]


def test_the_client_table_and_csv_keep_unicode_names_and_are_read_audited(
    client, owner_user, money_data, self_pay
):
    from practice.models import AccessEvent

    client.force_login(owner_user)
    url = reverse("billing:report_aging")
    page = client.get(url)
    html = page.content.decode()
    assert "Zéphyr, Chloé" in html and "Ærø-D&#x27;Souza, Øyvind" in html
    rows = csv_of(client.get(url, {"format": "csv", "table": "clients"}))
    assert rows == table_of(page, "clients").csv_rows()
    assert [r[0] for r in rows[1:]] == ["Zéphyr, Chloé", "Ærø-D'Souza, Øyvind", "Total"]
    assert rows[-1][-2:] == ["200.00", "80.00"]
    viewed, exported = AccessEvent.objects.order_by("pk")
    assert (viewed.kind, viewed.what) == ("view", "Report: A/R aging")
    assert (exported.kind, exported.what) == ("export", "Report CSV: A/R aging (clients)")
    for event in (viewed, exported):
        assert set(event.client_links.values_list("client_id", flat=True)) == {
            c.pk for c in self_pay
        }


def test_a_clinician_sees_only_their_own_clients_balances(
    client, clinician_user, other_clinician_user, money_data, self_pay
):
    url = reverse("billing:report_aging")
    client.force_login(clinician_user)
    rows = csv_of(client.get(url, {"format": "csv", "table": "clients"}))
    assert [r[0] for r in rows[1:]] == ["Zéphyr, Chloé", "Ærø-D'Souza, Øyvind", "Total"]
    client.force_login(other_clinician_user)
    assert csv_of(client.get(url, {"format": "csv", "table": "clients"}))[1:] == []


def test_no_client_balances_on_an_empty_practice(client, owner_user):
    assert reports.ar_by_client(None, None, Filters()).rows == []
    client.force_login(owner_user)
    assert (
        "No client owes anything or has a credit."
        in client.get(reverse("billing:report_aging")).content.decode()
    )


def test_a_reversed_share_is_owed_no_more(money_data, ascii_claim):
    """Ann Lee's $30 coinsurance is hers from the payer's answer (tests/x835.py pays on
    2 November 2026); the payer's reversal takes it back, and its next answer names a new
    share."""
    ann = ascii_claim.client
    on = Filters(today=D(2026, 11, 20))
    (line,) = ascii_claim.lines.all()
    answer = ClaimAnswer(ascii_claim, [LineAnswer(line, M("130.00"), [("PR", "2", M("30.00"))])])
    remittance_post(text=build_835(money_data["acme"], [answer], trace="S1"))

    def ann_owes():
        rows = reports.ar_by_client(None, None, on).rows
        return [(r.buckets, r.credit) for r in rows if r.key == ann.pk]

    assert ann_owes() == [((M("30.00"), ZERO, ZERO, ZERO, ZERO), ZERO)]
    remittance_post(text=build_835(money_data["acme"], [reversal_of(answer)], trace="S2"))
    assert ann_owes() == []
    again = ClaimAnswer(ascii_claim, [LineAnswer(line, M("140.00"), [("PR", "2", M("20.00"))])])
    remittance_post(text=build_835(money_data["acme"], [again], trace="S3"))
    assert ann_owes() == [((M("20.00"), ZERO, ZERO, ZERO, ZERO), ZERO)]


def test_the_client_rows_are_the_ledgers_balances(money_data, self_pay):
    """The report's statement and billing.ledger.client_balances (the client page's and
    the statements' reading) give every client the same numbers."""
    from billing.ledger import BUCKETS, client_balances

    balances = client_balances(on=TODAY)
    aging = reports.ar_by_client(None, None, Filters())
    for row in aging.rows:
        balance = balances[row.key]
        assert row.buckets == tuple(balance.buckets[label] for label, _f, _l in BUCKETS)
        assert row.credit == balance.credit
    shown = {row.key for row in aging.rows}
    assert shown == {pk for pk, b in balances.items() if b.credit or any(b.buckets.values())}
    assert aging.count == len(shown)
    assert aging.total.buckets == tuple(
        sum((r.buckets[n] for r in aging.rows), ZERO) for n in range(5)
    )


def test_the_page_shows_the_largest_balances_and_the_csv_every_client(
    client, owner_user, money_data, self_pay, monkeypatch, django_assert_max_num_queries
):
    from billing.views.reports import aging
    from practice.models import AccessEvent

    chloe, oyvind = self_pay
    monkeypatch.setattr(aging, "CLIENT_ROWS", 1)
    client.force_login(owner_user)
    url = reverse("billing:report_aging")
    page = client.get(url)
    table = table_of(page, "clients")
    assert [row[0] for row in table.rows] == ["Zéphyr, Chloé"]
    # The total is every client's: Øyvind's credit counts though his row is not shown.
    assert table.footer == ("Total", M("150.00"), ZERO, ZERO, ZERO, M("50.00"), M("200.00"),
                            M("80.00"))  # fmt: skip
    assert "the 1 largest balances of 2 clients" in table.caption
    with django_assert_max_num_queries(10 + 3 + 2):  # + every client; the audit
        rows = csv_of(client.get(url, {"format": "csv", "table": "clients"}))
    assert [r[0] for r in rows[1:]] == ["Zéphyr, Chloé", "Ærø-D'Souza, Øyvind", "Total"]
    assert rows[-1] == ["Total", "150.00", "0.00", "0.00", "0.00", "50.00", "200.00", "80.00"]
    viewed, exported = AccessEvent.objects.order_by("pk")
    assert set(viewed.client_links.values_list("client_id", flat=True)) == {chloe.pk}
    assert set(exported.client_links.values_list("client_id", flat=True)) == {
        chloe.pk,
        oyvind.pk,
    }


def test_the_largest_balance_comes_first_then_the_largest_credit(money_data, self_pay):
    from billing.payments import client_payment_record

    _chloe, oyvind = self_pay
    small = factories.ClientFactory(first_name="Al", last_name="Able", self_pay=True)
    session(small, D(2026, 2, 1), ("90837", 1, "10"))
    client_payment_record(client=oyvind, amount=M("5.00"), method="cash", received_on=TODAY)
    rows = reports.ar_by_client(None, None, Filters()).rows
    assert [(r.name, r.total, r.credit) for r in rows] == [
        ("Zéphyr, Chloé", M("200.00"), ZERO),
        ("Able, Al", M("10.00"), ZERO),
        ("Ærø-D'Souza, Øyvind", ZERO, M("85.00")),
    ]
    assert [r.name for r in reports.ar_by_client(None, None, Filters(), limit=2).rows] == [
        "Zéphyr, Chloé",
        "Able, Al",
    ]
