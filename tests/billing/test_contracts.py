"""Contract rates and underpayments (billing/contracts.py): which rate applies to a line,
and a paid line flagged when the payer allowed less than the contract by more than the
practice's tolerance, when posted from an 835 or a paper EOB."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.contracts import expected_allowed, underpaid_by
from billing.models import PayerRate, PaymentAllocation, ProcedureCode
from billing.posting import remittance_post
from tests import factories
from tests.billing.test_claim_views import Line, make_claim
from tests.x835 import ClaimAnswer, LineAnswer, build_835

pytestmark = pytest.mark.django_db
D = Decimal
DAY = datetime.date(2026, 10, 5)


@pytest.fixture
def coverage(practice_row):
    return factories.CoverageFactory()


def rate(payer, amount, *, code="90837", modifier="", level="", start=datetime.date(2026, 1, 1)):
    return PayerRate.objects.create(
        payer=payer,
        procedure=ProcedureCode.objects.get(code=code),
        allowed_amount=D(amount),
        modifier=modifier,
        license_level=level,
        effective_from=start,
    )


def expected(payer, *, modifiers=(), level="", code="90837", on=DAY, units=1):
    rates = list(PayerRate.objects.filter(payer=payer).select_related("procedure"))
    return expected_allowed(
        rates, code=code, modifiers=list(modifiers), license_level=level, on=on, units=units
    )


def test_the_most_specific_rate_wins(coverage):
    payer = coverage.payer
    rate(payer, "100")
    rate(payer, "90", level="HO")
    rate(payer, "95", modifier="95")
    rate(payer, "85", modifier="95", level="HO")
    assert expected(payer) == D("100.00")
    assert expected(payer, level="HO") == D("90.00")
    assert expected(payer, modifiers=["95"]) == D("95.00")
    assert expected(payer, modifiers=["HO", "95"], level="HO") == D("85.00")
    # A rate for another modifier or level never applies.
    assert expected(payer, modifiers=["93"], level="HP") == D("100.00")


def test_a_modifier_rate_beats_a_licence_rate_and_the_newer_rate_wins_a_tie(coverage):
    payer = coverage.payer
    rate(payer, "90", level="AJ")
    rate(payer, "95", modifier="95")
    assert expected(payer, modifiers=["95"], level="AJ") == D("95.00")
    rate(payer, "97", modifier="95", start=datetime.date(2026, 7, 1))
    assert expected(payer, modifiers=["95"], level="AJ") == D("97.00")
    assert expected(payer, modifiers=["95"], level="AJ", on=datetime.date(2026, 6, 30)) == D("95")


def test_no_rate_in_force_is_none_and_units_multiply(coverage):
    payer = coverage.payer
    rate(payer, "40.10", code="90785")
    assert expected(payer, code="90785", units=2) == D("80.20")
    assert expected(payer, code="90785", on=datetime.date(2025, 12, 31)) is None
    assert expected(payer, code="90834") is None


@pytest.mark.parametrize(
    ("allowed", "flagged"),
    [("99.99", None), ("99.98", D("0.02")), ("100.00", None), ("100.50", None)],
)
def test_a_shortfall_exactly_at_the_tolerance_is_not_flagged(allowed, flagged):
    tolerance = D("0.01")
    assert underpaid_by(expected=D("100.00"), allowed=D(allowed), tolerance=tolerance) == flagged


def test_no_rate_means_no_flag():
    assert underpaid_by(expected=None, allowed=D("1.00"), tolerance=D("0.01")) is None


def post_allowed(coverage, claim, allowed: Decimal, *, trace="T1", amt_b6=True):
    (line,) = claim.lines.all()
    answer = ClaimAnswer(
        claim,
        [
            LineAnswer(
                line,
                allowed - D("20"),
                [("CO", "45", line.charge - allowed), ("PR", "3", D("20"))],
                allowed=allowed if amt_b6 else None,
            )
        ],
    )
    remittance_post(text=build_835(coverage.payer, [answer], trace=trace))
    return PaymentAllocation.objects.get(posting__claim=claim)


@pytest.mark.parametrize(
    ("allowed", "flagged"), [("119.99", None), ("119.98", D("0.02")), ("120.00", None)]
)
def test_an_835_line_one_cent_over_the_tolerance_is_flagged_when_posted(coverage, allowed, flagged):
    rate(coverage.payer, "120.00")
    claim = make_claim(coverage, [Line(date=DAY)])
    allocation = post_allowed(coverage, claim, D(allowed))
    assert allocation.expected_allowed == D("120.00")
    assert allocation.underpaid_by == flagged


def test_without_amt_b6_the_allowed_is_paid_plus_the_clients_share(coverage):
    rate(coverage.payer, "120.00")
    claim = make_claim(coverage, [Line(date=DAY)])
    allocation = post_allowed(coverage, claim, D("110.00"), amt_b6=False)
    assert (allocation.allowed, allocation.underpaid_by) == (D("110.00"), D("10.00"))


def test_the_practice_tolerance_is_a_setting(coverage, practice_row):
    practice_row.underpayment_tolerance = D("5.00")
    practice_row.save()
    rate(coverage.payer, "120.00")
    claim = make_claim(coverage, [Line(date=DAY)])
    assert post_allowed(coverage, claim, D("115.00")).underpaid_by is None
    other = make_claim(coverage, [Line(date=DAY)])
    assert post_allowed(coverage, other, D("114.99"), trace="T2").underpaid_by == D("5.01")


def test_the_telehealth_rate_applies_to_a_line_with_its_modifier(coverage):
    rate(coverage.payer, "120.00")
    rate(coverage.payer, "110.00", modifier="95")
    claim = make_claim(coverage, [Line(date=DAY, modifiers=("95",))])
    allocation = post_allowed(coverage, claim, D("110.00"))
    assert (allocation.expected_allowed, allocation.underpaid_by) == (D("110.00"), None)


def test_a_denied_line_is_not_an_underpayment(coverage):
    rate(coverage.payer, "120.00")
    claim = make_claim(coverage, [Line(date=DAY)])
    (line,) = claim.lines.all()
    answer = ClaimAnswer(claim, [LineAnswer(line, D("0"), [("CO", "50", line.charge)])], status="4")
    remittance_post(text=build_835(coverage.payer, [answer]))
    allocation = PaymentAllocation.objects.get()
    assert (allocation.expected_allowed, allocation.underpaid_by) == (None, None)


def test_a_paper_eob_line_is_checked_too(client, biller_user, coverage):
    rate(coverage.payer, "120.00")
    claim = make_claim(coverage, [Line(date=DAY)])
    (line,) = claim.lines.all()
    client.force_login(biller_user)
    data = {"received_on": "2026-11-03", "check_number": "C1", "version": claim.version}
    values = {"paid": "80", "co": "60", "co_reason": "45", "pr": "20", "pr_reason": "3"}
    data.update({f"line-{line.pk}-{k}": v for k, v in values.items()})
    response = client.post(reverse("billing:claim_post_eob", args=[claim.pk]), data)
    assert response.status_code == 302
    allocation = PaymentAllocation.objects.get()
    assert (allocation.allowed, allocation.underpaid_by) == (D("100.00"), D("20.00"))


def test_the_claim_page_shows_an_underpaid_line(client, biller_user, coverage):
    rate(coverage.payer, "120.00")
    claim = make_claim(coverage, [Line(date=DAY)])
    post_allowed(coverage, claim, D("100.00"))
    client.force_login(biller_user)
    page = client.get(reverse("billing:claim_detail", args=[claim.pk])).content.decode()
    assert 'data-underpaid="1">Underpaid by $20.00: allowed $100.00, contract $120.00' in page
    assert "allowed $20.00 less than its contract" in page


def report_url(**query) -> str:
    from urllib.parse import urlencode

    query = {"date_from": "2026-01-01", "date_to": "2026-12-31", **query}
    return reverse("billing:report_underpayments") + "?" + urlencode(query)


def test_the_underpayments_report_totals_per_payer_and_leaves_out_reversed_lines(
    client, biller_user, coverage, django_assert_max_num_queries
):
    from tests.x835 import reversal_of

    other_payer = factories.PayerFactory(name="Zeta Health")
    rate(coverage.payer, "120.00")
    rate(other_payer, "100.00")
    for allowed, trace in (("100.00", "A1"), ("110.00", "A2"), ("120.00", "A3")):
        post_allowed(coverage, make_claim(coverage, [Line(date=DAY)]), D(allowed), trace=trace)
    zeta = factories.CoverageFactory(payer=other_payer)
    post_allowed(zeta, make_claim(zeta, [Line(date=DAY)]), D("99.00"), trace="Z1")
    # A payment taken back no longer counts.
    taken = make_claim(coverage, [Line(date=DAY)])
    (line,) = taken.lines.all()
    answer = ClaimAnswer(
        taken,
        [LineAnswer(line, D("50"), [("CO", "45", D("90")), ("PR", "3", D("20"))], allowed=D("70"))],
    )
    remittance_post(text=build_835(coverage.payer, [answer], trace="R1"))
    remittance_post(text=build_835(coverage.payer, [reversal_of(answer)], trace="R2"))

    client.force_login(biller_user)
    # session, user, roles, nav; payer choices; the two tables; the read audit (2)
    with django_assert_max_num_queries(14):
        response = client.get(report_url(format="csv", table="payers"))
    assert response.content.decode().splitlines() == [
        "Payer,Lines,Contract allows ($),Payer allowed ($),Short ($)",
        f"{coverage.payer.name},2,240.00,210.00,30.00",
        "Zeta Health,1,100.00,99.00,1.00",
        "Total,3,340.00,309.00,31.00",
    ]
    lines = client.get(report_url(format="csv", table="lines")).content.decode().splitlines()
    assert len(lines) == 4 and lines[1].endswith(",120.00,100.00,80.00,20.00,2026-11-02")
    page = client.get(report_url(payer=other_payer.pk))
    assert page.status_code == 200 and "Zeta Health" in page.content.decode()


def test_a_clinician_sees_only_the_underpaid_lines_of_their_own_sessions(
    client, clinician_user, other_clinician, coverage
):
    rate(coverage.payer, "120.00")
    mine = factories.CoverageFactory(
        payer=coverage.payer,
        client=factories.ClientFactory(primary_clinician=clinician_user.clinician),
    )
    theirs = factories.CoverageFactory(
        payer=coverage.payer, client=factories.ClientFactory(primary_clinician=other_clinician)
    )
    post_allowed(mine, make_claim(mine, [Line(date=DAY)]), D("100.00"), trace="M1")
    post_allowed(theirs, make_claim(theirs, [Line(date=DAY)]), D("90.00"), trace="T1")
    client.force_login(clinician_user)
    rows = client.get(report_url(format="csv", table="lines")).content.decode().splitlines()
    assert len(rows) == 2 and mine.client.last_name in rows[1]
