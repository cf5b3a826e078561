"""The revenue report's Paid is the claim page's Paid (billing.payer_money.claim_money), per
line: one rule, so the two never disagree — with postings, a reversal and none."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest
from django.urls import reverse

from billing import reports
from billing.models import Claim, ClaimLine
from billing.payer_money import claim_money
from billing.posting import remittance_post
from billing.reports import Filters
from tests import factories
from tests.billing.reports.helpers import D, csv_of
from tests.billing.test_claim_views import make_claim
from tests.x835 import ClaimAnswer, LineAnswer, build_835, paid_in_full, reversal_of

pytestmark = pytest.mark.django_db
M = Decimal
ZERO = M("0.00")
EVER = (D(2020, 1, 1), D(2029, 12, 31))


@pytest.fixture
def answered(money_data, ascii_claim, clinician):
    """money_data's paper EOBs (c2 paid 100, c3 120 and a denied line, c4 denied), plus by
    835: ascii_claim paid in full then reversed (0), and another claim paid in part."""
    acme = money_data["acme"]
    answer = paid_in_full(ascii_claim)
    remittance_post(text=build_835(acme, [answer], trace="R1"))
    remittance_post(text=build_835(acme, [reversal_of(answer)], trace="R2"))
    coverage = factories.CoverageFactory(
        payer=acme,
        client__first_name="Bo",
        client__last_name="Day",
        client__primary_clinician=clinician,
    )
    partly = make_claim(coverage)
    Claim.objects.filter(pk=partly.pk).update(status=Claim.Status.SUBMITTED)
    (line,) = partly.lines.all()
    remittance_post(
        text=build_835(
            acme,
            [
                ClaimAnswer(
                    partly, [LineAnswer(line, M("90.00"), [("CO", "45", line.charge - M("90.00"))])]
                )
            ],
            trace="R3",
        )
    )
    return money_data


def _claim_money_by_payer() -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    live = ClaimLine.objects.filter(live=True).exclude(claim__status__in=Claim.DEAD_STATUSES)
    for claim in Claim.objects.filter(pk__in=live.values("claim_id")).select_related("payer"):
        totals[claim.payer.name] += claim_money(claim).paid
    return dict(totals)


def test_paid_per_payer_is_claim_money_summed(answered):
    rows = reports.revenue_by_payer(*EVER, Filters())
    paid = {r.payer: r.paid for r in rows if r.payer_id is not None}
    assert paid == _claim_money_by_payer()
    assert paid == {"Acme Health": M("310.00"), "Beta Care": ZERO}  # 100 + 120 + 0 + 90


def test_paid_per_code_adds_up_to_the_same(answered):
    per_payer: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for row in reports.expected_vs_paid(*EVER, Filters()):
        per_payer[row.payer] += row.paid
    assert dict(per_payer) == _claim_money_by_payer()


def test_each_line_paid_agrees_with_its_claim(answered, ascii_claim):
    from billing.reports.common import claim_line_paid

    per_claim: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for claim_id, paid in ClaimLine.objects.annotate(paid=claim_line_paid()).values_list(
        "claim_id", "paid"
    ):
        per_claim[claim_id] += paid
    for claim in Claim.objects.all():
        assert per_claim[claim.pk] == claim_money(claim).paid, claim
    reversed_ = claim_money(ascii_claim)
    assert (reversed_.paid, reversed_.posted) == (ZERO, True)
    never = claim_money(answered["claims"]["c1"])
    assert (never.paid, never.posted) == (ZERO, False)


def test_the_page_shows_paid_not_a_dash(client, owner_user, answered):
    client.force_login(owner_user)
    rows = csv_of(
        client.get(
            reverse("billing:report_revenue"),
            {
                "format": "csv",
                "table": "payers",
                "date_from": "2020-01-01",
                "date_to": "2029-12-31",
            },
        )
    )
    by_payer = {row[0]: row for row in rows[1:]}
    assert by_payer["Acme Health"][5] == "310.00"
    assert by_payer["Beta Care"][5] == "0.00"
