"""Coverage in force on a date and prior-authorization visits used: one rule each, read
by the session form, the claim builder, the scrubber, the superbill and the reports
(docs/rules/claims.md "Coverage in force", "Prior authorization")."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import Exists, OuterRef

from billing import reports
from billing.outputs.superbill import superbill_for
from billing.scrubber import scrub
from billing.services import claims_build
from practice import services
from practice.models import Coverage, Session
from tests import factories
from tests.billing.test_services import ready_session

pytestmark = pytest.mark.django_db

D = datetime.date
DAY = D(2026, 10, 5)


@pytest.fixture
def primary_ended(practice_row):
    """A client whose primary coverage ended on 09/30; the secondary goes on."""
    primary = factories.CoverageFactory(
        payer=factories.PayerFactory(name="First Health"),
        effective_from=D(2025, 1, 1),
        effective_to=D(2026, 9, 30),
    )
    secondary = factories.CoverageFactory(
        client=primary.client,
        payer=factories.PayerFactory(name="Second Health"),
        priority=Coverage.Priority.SECONDARY,
        effective_from=D(2025, 1, 1),
    )
    return primary, secondary


def test_a_coverage_is_in_force_on_its_first_and_last_day(practice_row):
    coverage = factories.CoverageFactory(effective_from=D(2026, 1, 1), effective_to=D(2026, 6, 30))
    in_force = Coverage.objects.in_force
    assert list(in_force(D(2026, 1, 1))) == [coverage]
    assert list(in_force(D(2026, 6, 30))) == [coverage]
    assert not in_force(D(2025, 12, 31)).exists()
    assert not in_force(D(2026, 7, 1)).exists()


def test_an_open_ended_coverage_is_in_force_for_ever_after_it_starts(practice_row):
    coverage = factories.CoverageFactory(effective_from=D(2026, 1, 1))
    assert list(Coverage.objects.in_force(D(2099, 12, 31))) == [coverage]


def test_in_force_takes_an_outer_reference_for_a_subquery(practice_row):
    coverage = factories.CoverageFactory(effective_to=D(2026, 9, 30))
    inside = factories.SessionFactory(client=coverage.client, date=D(2026, 9, 30))
    after = factories.SessionFactory(client=coverage.client, date=D(2026, 10, 1))
    found = Coverage.objects.filter(client=OuterRef("client_id")).in_force(OuterRef("date"))
    covered = set(Session.objects.filter(Exists(found)).values_list("pk", flat=True))
    assert covered == {inside.pk}
    assert after.pk not in covered


def test_the_primary_is_billed_while_both_coverages_are_in_force(primary_ended):
    primary, secondary = primary_ended
    assert primary.client.coverage_on(D(2026, 9, 30)) == primary
    assert primary.client.coverages_on(D(2026, 9, 30)) == [primary, secondary]


def test_a_secondary_alone_in_force_is_the_payer_responsible(primary_ended):
    primary, secondary = primary_ended
    assert primary.client.coverage_on(DAY) == secondary


def test_a_self_pay_client_is_billed_to_no_coverage(practice_row):
    coverage = factories.CoverageFactory(client=factories.ClientFactory(self_pay=True))
    assert coverage.client.coverage_on(DAY) is None


def test_the_prefetched_and_queried_answers_agree(primary_ended):
    primary, _ = primary_ended
    client = type(primary.client).objects.prefetch_related("coverages").get(pk=primary.client_id)
    for day in (D(2024, 12, 31), D(2025, 1, 1), D(2026, 9, 30), DAY):
        assert client.coverages_on(day) == primary.client.coverages_on(day)


def test_the_session_form_codes_for_the_payer_the_claim_is_billed_to(primary_ended):
    """The divergence: the session form used self-pay rules for a client whose only
    coverage in force was secondary, and the claim builder then billed that payer."""
    primary, secondary = primary_ended
    client = primary.client
    session = ready_session(client, date=DAY)

    coverage = client.coverage_on(DAY)
    warnings = services.session_warnings(session=session, coverage=coverage, codes=["90837"])
    claim = claims_build().claims[0]

    assert coverage == secondary
    assert claim.coverage == secondary
    assert not [w for w in warnings if "self-pay" in w]
    assert (
        "Second Health is billed as the payer responsible on 10/05/2026: it is recorded as "
        "secondary and no primary coverage is in force. Record the new primary coverage "
        "if there is one."
    ) in warnings


def test_the_superbill_prints_the_coverage_in_force_during_its_period(primary_ended):
    primary, secondary = primary_ended
    ready_session(primary.client, date=DAY)
    bill = superbill_for(client=primary.client, start=D(2026, 10, 1), end=D(2026, 10, 31))
    assert bill.coverage == secondary


def test_the_filing_report_takes_the_payer_the_claim_would_go_to(primary_ended):
    primary, _ = primary_ended
    session = ready_session(primary.client, date=DAY)
    found = (
        Session.objects.filter(pk=session.pk)
        .annotate(payer_name=reports._coverage_on_date("payer__name"))
        .get()
    )
    assert found.payer_name == "Second Health"


# --- prior authorization: visits used ------------------------------------------------


@pytest.fixture
def authorized(practice_row):
    """A coverage from 01/01/2026 with 3 authorized visits and no authorization dates."""
    return factories.CoverageFactory(
        effective_from=D(2026, 1, 1), prior_auth_number="PA-9", prior_auth_visits=3
    )


def _attended(client, *days, status=Session.Status.BILLED):
    return [factories.SessionFactory(client=client, date=day, status=status) for day in days]


def test_visits_before_the_coverage_began_do_not_count_against_its_authorization(authorized):
    _attended(authorized.client, D(2025, 11, 3), D(2025, 11, 10), D(2025, 11, 17))
    _attended(authorized.client, D(2026, 1, 5))
    assert authorized.auth_visits_used() == 1


def test_visits_are_counted_through_the_authorizations_last_day(authorized):
    authorized.prior_auth_from, authorized.prior_auth_to = D(2026, 2, 1), D(2026, 2, 28)
    authorized.save()
    _attended(authorized.client, D(2026, 1, 31), D(2026, 2, 1), D(2026, 2, 28), D(2026, 3, 1))
    assert authorized.auth_visits_used() == 2


def test_no_shows_and_cancellations_use_no_visit(authorized):
    _attended(authorized.client, D(2026, 1, 5), status=Session.Status.NO_SHOW)
    _attended(authorized.client, D(2026, 1, 6), status=Session.Status.CANCELLED)
    _attended(authorized.client, D(2026, 1, 7), status=Session.Status.DRAFT)
    assert authorized.auth_visits_used() == 1


def test_the_session_being_logged_is_left_out_of_its_own_count(authorized):
    (session,) = _attended(authorized.client, D(2026, 1, 5))
    assert authorized.auth_visits_used(excluding=session.pk) == 0


def test_the_scrubber_counts_from_the_coverages_start_not_from_all_time(authorized):
    """The divergence: the scrubber counted every visit ever when the authorization had
    no start date, so a claim was refused for visits under an earlier policy."""
    _attended(authorized.client, D(2025, 11, 3), D(2025, 11, 10), D(2025, 11, 17))
    ready_session(authorized.client, date=D(2026, 1, 5))
    claim = claims_build().claims[0]
    assert not [p for p in scrub(claim, today=D(2026, 1, 6)) if p.rule == "prior_authorization"]


def test_the_report_and_the_scrubber_count_the_same_visits(authorized):
    authorized.prior_auth_visits = 2
    authorized.save()
    _attended(authorized.client, D(2025, 12, 1), D(2026, 1, 5))
    ready_session(authorized.client, date=D(2026, 1, 12))
    claim = claims_build().claims[0]
    filters = reports.Filters(today=D(2026, 1, 13))
    (row,) = reports.prior_auths_running_out(D(2026, 1, 1), D(2026, 1, 31), filters)
    assert row.used == 2 == authorized.auth_visits_used()
    messages = [p.message for p in scrub(claim, today=D(2026, 1, 13))]
    assert "The authorization is nearly used up: 2 of 2 visits." in messages
