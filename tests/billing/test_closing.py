"""Closed follows the money (docs/getting-paid.md "Claim status follows the money"): a
paid claim on which nobody owes anything more — payer or client — is Closed, whether
the payer's answer left the client nothing or the client paid their share later; a
reversal or a refund opens it again."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from billing.eob import EobLine, eob_post
from billing.models import Claim
from billing.payments import client_payment_record, client_refund_record
from billing.posting import remittance_post
from tests import factories
from tests.billing.test_claim_views import Line, make_claim
from tests.x835 import ClaimAnswer, LineAnswer, build_835, paid_in_full, reversal_of

pytestmark = pytest.mark.django_db
D = Decimal
DAY = datetime.date(2026, 11, 3)


@pytest.fixture
def coverage(practice_row):
    return factories.CoverageFactory()


def status(claim: Claim) -> str:
    claim.refresh_from_db()
    return claim.status


def test_a_claim_paid_with_a_write_off_and_no_client_share_closes(coverage):
    claim = make_claim(coverage, [Line(), Line(code="90834", charge=D("120.00"))])
    first, second = claim.lines.all()
    answer = ClaimAnswer(
        claim,
        [
            LineAnswer(first, D("120.00"), [("CO", "45", D("40.00"))]),
            LineAnswer(second, D("100.00"), [("CO", "45", D("20.00"))]),
        ],
    )
    remittance_post(text=build_835(coverage.payer, [answer]))
    assert status(claim) == Claim.Status.CLOSED
    assert claim.history.first().history_change_reason == "Remittance posted"


def test_a_claim_with_the_clients_share_open_stays_paid_until_they_pay_it(coverage):
    claim = make_claim(coverage)
    line = claim.lines.get()
    answer = ClaimAnswer(
        claim, [LineAnswer(line, D("100.00"), [("CO", "45", D("40.00")), ("PR", "3", D("20"))])]
    )
    remittance_post(text=build_835(coverage.payer, [answer]))
    assert status(claim) == Claim.Status.PAID
    payment = client_payment_record(
        client=coverage.client, amount=D("20.00"), method="cash", received_on=DAY
    )
    assert status(claim) == Claim.Status.CLOSED
    client_refund_record(payment=payment, amount=D("5.00"), method="cash", refunded_on=DAY)
    assert status(claim) == Claim.Status.PAID


def test_a_reversal_reopens_a_closed_claim_and_the_new_answer_closes_it_again(coverage):
    claim = make_claim(coverage)
    answer = paid_in_full(claim)
    remittance_post(text=build_835(coverage.payer, [answer], trace="T1"))
    assert status(claim) == Claim.Status.CLOSED
    remittance_post(text=build_835(coverage.payer, [reversal_of(answer)], trace="T2"))
    assert status(claim) == Claim.Status.SUBMITTED
    remittance_post(text=build_835(coverage.payer, [paid_in_full(claim)], trace="T3"))
    assert status(claim) == Claim.Status.CLOSED


def test_a_paper_eob_that_leaves_nothing_owed_closes_the_claim(coverage):
    claim = make_claim(coverage)
    line = claim.lines.get()
    eob_post(
        claim=claim,
        received_on=DAY,
        check_number="77",
        lines=[EobLine(line, D("130.00"), (("CO", "45", D("30.00")),))],
    )
    assert status(claim) == Claim.Status.CLOSED
    assert claim.history.first().history_change_reason == "Paper EOB posted"


def test_a_partly_paid_or_denied_claim_waits_for_a_person(coverage):
    denied = make_claim(coverage)
    partly = make_claim(coverage, [Line(), Line(code="90834", charge=D("120.00"))])
    first, second = partly.lines.all()
    answers = [
        ClaimAnswer(
            denied,
            [LineAnswer(denied.lines.get(), D("0"), [("CO", "50", D("160.00"))])],
            status="4",
        ),
        ClaimAnswer(
            partly,
            [
                LineAnswer(first, D("160.00")),
                LineAnswer(second, D("0"), [("CO", "97", D("120.00"))]),
            ],
        ),
    ]
    remittance_post(text=build_835(coverage.payer, answers))
    assert (status(denied), status(partly)) == (
        Claim.Status.DENIED,
        Claim.Status.PARTIALLY_PAID,
    )


def test_a_share_billed_on_to_a_secondary_payer_keeps_the_primary_paid(practice_row):
    primary = factories.CoverageFactory()
    factories.CoverageFactory(client=primary.client, priority=2)
    claim = make_claim(primary)
    line = claim.lines.get()
    answer = ClaimAnswer(
        claim, [LineAnswer(line, D("100.00"), [("CO", "45", D("30.00")), ("PR", "2", D("30"))])]
    )
    remittance_post(text=build_835(primary.payer, [answer]))
    assert claim.secondary_claims.exists()
    # The 30.00 is the secondary payer's to answer now, not the client's: still open.
    assert status(claim) == Claim.Status.PAID


def test_a_payment_for_a_claim_the_payers_front_end_rejected_answers_it(coverage):
    """A 277CA rejected the claim, yet the payer's 835 pays it: the money is real, the
    claim is answered (here paid in full: Closed) and no longer offered for resending."""
    claim = make_claim(coverage, status=Claim.Status.REJECTED)
    remittance_post(text=build_835(coverage.payer, [paid_in_full(claim)]))
    assert status(claim) == Claim.Status.CLOSED
    assert not claim.is_editable
