"""Item 10 of issue 12: CMS-1500 box 29 as each payer wants it, and Paid and Balance on
the claim summary."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from billing.eob import EobLine, eob_post
from billing.ledger import amount_paid_box_29, claim_lines_money, client_paid_toward_claims
from billing.models import Claim, ClaimLine, Payer
from billing.outputs import cms1500
from billing.outputs.cms1500 import claims_for_print, render_cms1500
from billing.payer_money import line_paid, line_written_off
from billing.payments import client_payment_record, client_refund_record
from practice.models import Session
from tests import factories
from tests.billing.test_claim_views import Line, make_claim
from tests.billing.test_cms1500 import printed_at

pytestmark = pytest.mark.django_db
D = Decimal
D_DAY = datetime.date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime.datetime(2026, 11, 20, 17, 0, tzinfo=datetime.UTC)):
        yield


def answered(claim, paid="100.00", written_off="30.00", share="30.00"):
    eob_post(
        claim=claim,
        received_on=datetime.date(2026, 11, 3),
        check_number="77",
        lines=[
            EobLine(
                line,
                D(paid),
                (("CO", "45", D(written_off)), ("PR", "3", D(share))),
            )
            for line in claim.lines.all()
        ],
    )


def box_29(claim) -> str:
    data = render_cms1500([claims_for_print().get(pk=claim.pk)], mode="data")
    return printed_at(data, cms1500.FIELDS["29"])


def test_box_29_is_empty_on_a_primary_claim_by_default_even_after_a_copay(practice_row):
    coverage = factories.CoverageFactory(copay=D("30.00"))
    claim = make_claim(coverage)
    session = Session.objects.get(client=coverage.client)
    client_payment_record(
        client=coverage.client,
        amount=D("30.00"),
        method="cash",
        received_on=datetime.date(2026, 10, 5),
        session=session,
    )
    assert amount_paid_box_29([claim]) == {claim.pk: D("0.00")}
    assert not box_29(claim)


def test_box_29_shows_the_clients_copay_when_the_payer_wants_it(practice_row):
    coverage = factories.CoverageFactory(
        copay=D("30.00"), payer=factories.PayerFactory(box_29=Payer.AmountPaidBox.CLIENT_AND_PAYERS)
    )
    claim = make_claim(coverage)
    session = Session.objects.get(client=coverage.client)
    client_payment_record(
        client=coverage.client,
        amount=D("30.00"),
        method="card",
        received_on=datetime.date(2026, 10, 5),
        session=session,
    )
    assert box_29(claim).replace(" ", "") == "3000"
    # The copay later applied to the claim's share is not counted twice.
    answered(claim)
    client_payment_record(
        client=coverage.client,
        amount=D("5.00"),
        method="card",
        received_on=datetime.date(2026, 11, 20),
    )
    assert amount_paid_box_29([claim]) == {claim.pk: D("30.00")}


def test_box_29_on_a_secondary_claim_carries_what_the_primary_paid(practice_row):
    primary = factories.CoverageFactory()
    claim = make_claim(primary)
    answered(claim)
    secondary_payer = factories.PayerFactory(name="Second Mutual")
    secondary = factories.CoverageFactory(client=primary.client, payer=secondary_payer, priority=2)
    second = make_claim(secondary)
    # The secondary claim bills the same service (a line that is no longer the live one).
    ClaimLine.objects.filter(claim=second).update(
        service_line=claim.lines.get().service_line, live=False, original_billing=False
    )
    assert amount_paid_box_29([claim, second]) == {claim.pk: D("0.00"), second.pk: D("100.00")}
    none = factories.PayerFactory(name="Blank Box", box_29=Payer.AmountPaidBox.NONE)
    second.payer = none
    assert amount_paid_box_29([second]) == {}


def test_the_summary_shows_paid_and_balance_per_line_claim_and_payer(client, biller_user):
    coverage = factories.CoverageFactory()
    claim = make_claim(coverage)
    answered(claim)
    client.force_login(biller_user)
    url = reverse("billing:summary")
    params = {"start": "2026-10-01", "end": "2026-10-31"}
    summary = client.get(url, params).context["summary"]
    assert (summary.paid, summary.balance) == (D("100.00"), D("30.00"))
    assert (summary.payers[0].paid, summary.payers[0].balance) == (D("100.00"), D("30.00"))
    section = reverse("billing:summary_payer", args=[coverage.payer.pk])
    group = client.get(section, params).context["group"]
    (paid_claim,) = group.claims
    assert (paid_claim.range_paid, paid_claim.range_balance) == (D("100.00"), D("30.00"))
    line = paid_claim.summary_lines[0]
    assert (line.paid, line.balance) == (D("100.00"), D("30.00"))
    # The summary's SQL per line agrees with the ledger's rows per line.
    money = claim_lines_money([line.pk])[line.pk]
    assert (
        ClaimLine.objects.filter(pk=line.pk).values_list(line_paid(), line_written_off()).get()
        == (money.paid, money.written_off)
        == (D("100.00"), D("30.00"))
    )
    streamed = client.get(url, {**params, "format": "csv"}).streaming_content
    rows = b"".join(streamed).decode("utf-8-sig").splitlines()
    assert rows[0].endswith("Charge,Expected allowed,Paid,Balance")
    assert rows[1].endswith(",100.00,30.00")


def test_a_paid_claim_closes_when_the_client_pays_their_share_and_reopens_on_a_refund(
    practice_row,
):
    coverage = factories.CoverageFactory()
    claim = make_claim(coverage)
    answered(claim)  # 100 paid, 30 written off, 30 the client's
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PAID
    part = client_payment_record(
        client=coverage.client, amount=D("20.00"), method="cash", received_on=D_DAY
    )
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PAID
    client_payment_record(
        client=coverage.client, amount=D("10.00"), method="card", received_on=D_DAY
    )
    claim.refresh_from_db()
    assert claim.status == Claim.Status.CLOSED
    assert claim.history.first().history_change_reason == "Client payment applied"
    client_refund_record(payment=part, amount=D("5.00"), method="cash", refunded_on=D_DAY)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PAID


def test_a_partially_paid_claim_stays_for_a_person_even_when_nothing_is_owed(practice_row):
    coverage = factories.CoverageFactory()
    claim = make_claim(coverage, [Line(), Line(code="90834", charge=D("120.00"))])
    first, second = claim.lines.all()
    eob_post(
        claim=claim,
        received_on=datetime.date(2026, 11, 3),
        check_number="78",
        lines=[
            EobLine(first, D("160.00")),
            EobLine(second, D("0.00"), (("CO", "50", D("120.00")),)),
        ],
    )
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PARTIALLY_PAID
    client_payment_record(
        client=coverage.client, amount=D("5.00"), method="cash", received_on=D_DAY
    )
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PARTIALLY_PAID


def test_one_rule_for_what_a_line_was_paid_in_python_and_in_sql(practice_row):
    """``claim_lines_money`` (the summary, closing) and ``line_paid`` (the reports' SQL)
    read one definition: they agree, line by line, on a claim paid, reversed,
    paid again and with the client's share paid by the client."""
    from billing.ledger import claim_lines_money
    from billing.payer_money import claim_money, line_paid
    from billing.posting import remittance_post
    from tests.x835 import ClaimAnswer, LineAnswer, build_835, reversal_of

    coverage = factories.CoverageFactory()
    claim = make_claim(coverage, [Line(), Line(code="90834", charge=D("120.00"))])
    first, second = claim.lines.all()
    answer = ClaimAnswer(
        claim,
        [
            LineAnswer(first, D("100.00"), [("CO", "45", D("30.00")), ("PR", "3", D("30.00"))]),
            LineAnswer(second, D("90.00"), [("CO", "45", D("30.00"))]),
        ],
    )
    remittance_post(text=build_835(coverage.payer, [answer], trace="T1"))
    remittance_post(text=build_835(coverage.payer, [reversal_of(answer)], trace="T2"))
    again = ClaimAnswer(
        claim,
        [
            LineAnswer(first, D("110.00"), [("CO", "45", D("20.00")), ("PR", "3", D("30.00"))]),
            LineAnswer(second, D("0.00"), [("CO", "97", D("120.00"))]),
        ],
    )
    remittance_post(text=build_835(coverage.payer, [again], trace="T3"))
    client_payment_record(
        client=coverage.client, amount=D("30.00"), method="cash", received_on=D_DAY
    )
    in_python = {
        pk: (money.paid, money.written_off)
        for pk, money in claim_lines_money([first.pk, second.pk]).items()
    }
    assert in_python == {
        first.pk: (D("110.00"), D("20.00")),  # the client's 30.00 is not a payer's
        second.pk: (D("0.00"), D("120.00")),
    }
    in_sql = dict(
        ClaimLine.objects.filter(claim=claim).annotate(paid=line_paid()).values_list("pk", "paid")
    )
    assert in_sql == {pk: paid for pk, (paid, _off) in in_python.items()}
    assert sum(in_sql.values()) == claim_money(claim).paid


def test_a_copay_that_paid_an_older_share_counts_toward_that_claim_not_the_new_one(practice_row):
    coverage = factories.CoverageFactory(copay=D("30.00"))
    older = make_claim(coverage, [Line(date=datetime.date(2026, 9, 7))])
    answered(older)  # the client owes a 30.00 share on it
    newer = make_claim(coverage)
    client_payment_record(
        client=coverage.client,
        amount=D("30.00"),
        method="cash",
        received_on=datetime.date(2026, 10, 5),
        session=newer.lines.get().service_line.session,
    )
    # Applied oldest charge first: the older claim's share, so not counted on both.
    assert client_paid_toward_claims([older.pk, newer.pk]) == {
        older.pk: D("30.00"),
        newer.pk: D("0.00"),
    }
