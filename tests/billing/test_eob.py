"""Posting a payer's paper EOB from the claim page (billing/eob.py ``eob_post``):
the same rules as an 835, errors beside the field, nothing half-saved."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import Adjustment, Claim, ClaimPosting, Payment, PaymentAllocation
from tests import factories
from tests.billing.test_claim_views import Line, make_claim
from tests.billing.test_import_835 import money_rows

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def coverage(practice_row):
    return factories.CoverageFactory()


def eob(claim: Claim, **per_line) -> dict:
    data = {"received_on": "2026-11-03", "check_number": "CHK 4411", "version": claim.version}
    for line in claim.lines.all():
        values = {"paid": "0", "co": "", "co_reason": "45", "pr": "", "pr_reason": "3"}
        values.update(per_line.get(line.procedure_code, {}))
        data.update({f"line-{line.pk}-{k}": v for k, v in values.items()})
    return data


def post(biller, claim, data):
    return biller.post(reverse("billing:claim_post_eob", args=[claim.pk]), data)


def test_a_paper_eob_with_a_write_off_and_a_copay_pays_the_claim(biller, coverage):
    claim = make_claim(coverage)
    response = post(
        biller,
        claim,
        eob(claim, **{"90837": {"paid": "100", "co": "40", "pr": "20", "allowed": "120"}}),
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PAID
    assert claim.history.first().history_change_reason == "Paper EOB posted"
    payment = Payment.objects.get()
    assert (payment.reference, payment.amount, payment.method) == ("CHK 4411", D("100.00"), "check")
    allocation = PaymentAllocation.objects.get()
    assert (allocation.allowed, allocation.paid, allocation.patient_responsibility) == (
        D("120.00"),
        D("100.00"),
        D("20.00"),
    )
    assert sorted(Adjustment.objects.values_list("group", "reason_code", "amount")) == [
        ("CO", "45", D("40.00")),
        ("PR", "3", D("20.00")),
    ]
    assert money_rows(biller, claim)["balance"] == "$20.00"


def test_a_line_that_does_not_add_up_is_refused_beside_its_paid_field(biller, coverage):
    claim = make_claim(coverage, [Line(), Line(code="90834", charge=D("120.00"))])
    data = eob(claim, **{"90837": {"paid": "160"}, "90834": {"paid": "100", "co": "10"}})
    response = post(biller, claim, data)
    assert response.status_code == 400
    page = response.content.decode()
    second = claim.lines.get(procedure_code="90834")
    field = page[page.index(f'name="line-{second.pk}-paid"') :]
    assert "is 110.00, not the 100.00 paid" in field[: field.index("</td>")]
    assert not ClaimPosting.objects.exists() and not Payment.objects.exists()
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED


def test_an_allowed_amount_that_is_not_paid_plus_the_clients_share_is_refused(biller, coverage):
    claim = make_claim(coverage)
    data = eob(claim, **{"90837": {"paid": "100", "co": "40", "pr": "20", "allowed": "130"}})
    response = post(biller, claim, data)
    assert response.status_code == 400
    assert "Allowed 130.00 is not paid 100.00" in response.content.decode()
    assert not ClaimPosting.objects.exists()


@pytest.mark.parametrize("bad", ["-5", "abc", ""])
def test_a_paid_amount_that_is_not_money_is_refused(biller, coverage, bad):
    claim = make_claim(coverage)
    response = post(biller, claim, eob(claim, **{"90837": {"paid": bad}}))
    assert response.status_code == 400
    assert not ClaimPosting.objects.exists()


def test_a_paper_denial_denies_the_claim(biller, coverage):
    claim = make_claim(coverage)
    post(biller, claim, eob(claim, **{"90837": {"paid": "0", "co": "160", "co_reason": "50"}}))
    claim.refresh_from_db()
    assert claim.status == Claim.Status.DENIED
    assert ClaimPosting.objects.get().status_code == "4"


def test_a_draft_claim_offers_no_eob_form_and_refuses_one(biller, coverage):
    claim = make_claim(coverage, status=Claim.Status.DRAFT)
    page = biller.get(reverse("billing:claim_detail", args=[claim.pk])).content.decode()
    assert "Post a paper EOB" not in page
    response = post(biller, claim, eob(claim, **{"90837": {"paid": "160"}}))
    assert response.status_code == 302
    assert not ClaimPosting.objects.exists()


def test_an_eob_from_a_page_read_before_the_claim_changed_is_refused(biller, coverage):
    claim = make_claim(coverage)
    data = eob(claim, **{"90837": {"paid": "160"}})
    post(biller, claim, data)
    post(biller, claim, data)  # the same form sent twice: the second is stale
    assert ClaimPosting.objects.count() == 1
