"""Billing health: unbilled sessions, timely filing, prior authorizations, claims by
status and days to claim.

"Today" is frozen at 15 February 2026 (America/New_York) by ``conftest.py``."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from billing import reports
from billing.reports import Filters
from billing.services import claim_discard, claims_build
from practice.models import Session
from tests import factories
from tests.billing.reports.helpers import (
    NEW_YORK,
    D,
    csv_of,
    session,
)
from tests.billing.test_services import ready_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def unbilled_data(practice_row, clinician, other_clinician):
    acme = factories.PayerFactory(name="Acme Health", timely_filing_days=90)
    slow = factories.PayerFactory(name="Slow Mutual", timely_filing_days=365)
    a = factories.CoverageFactory(client__primary_clinician=clinician, payer=acme).client
    b = factories.CoverageFactory(client__primary_clinician=other_clinician, payer=acme).client
    c = factories.CoverageFactory(client__primary_clinician=other_clinician, payer=slow).client
    DRAFT, READY = Session.Status.DRAFT, Session.Status.READY
    line = ("90837", 1, "160")
    session(a, D(2026, 2, 10), line, status=DRAFT)  # 5 days: 0–30
    session(a, D(2026, 1, 16), line, status=READY)  # 30 days: 0–30
    session(a, D(2026, 1, 15), line, status=READY)  # 31 days: 31–60
    session(b, D(2025, 11, 17), line, status=READY)  # 90 days: 61–90; file by 2026-02-15
    session(b, D(2025, 11, 16), status=DRAFT)  # 91 days: 90+; file by 2026-02-14 (past)
    session(c, D(2025, 3, 1), line, status=READY)  # 90+; file by 2026-03-01 (14 days left)
    session(c, D(2025, 3, 3), line, status=READY)  # 90+; file by 2026-03-03: not yet
    session(a, D(2026, 2, 1), status=Session.Status.NO_SHOW)  # not unbilled work
    session(a, D(2026, 1, 5), line, status=Session.Status.BILLED)  # already billed
    return acme, slow


def test_unbilled_sessions_by_age_on_today(unbilled_data):
    rows = reports.unbilled_by_age(D(2026, 1, 1), D(2026, 1, 31), Filters())
    assert [(r.bucket, r.draft, r.ready, r.sessions, r.charges) for r in rows] == [
        ("0–30 days", 1, 1, 2, Decimal("320.00")),
        ("31–60 days", 0, 1, 1, Decimal("160.00")),
        ("61–90 days", 0, 1, 1, Decimal("160.00")),
        ("90+ days", 1, 2, 3, Decimal("320.00")),
    ]


def test_sessions_near_or_past_the_timely_filing_limit(unbilled_data):
    rows = reports.timely_filing_risk(D(2026, 1, 1), D(2026, 1, 31), Filters())
    assert [(r.date, r.payer, r.deadline, r.days_left) for r in rows] == [
        (D(2025, 11, 16), "Acme Health", D(2026, 2, 14), -1),
        (D(2025, 11, 17), "Acme Health", D(2026, 2, 15), 0),
        (D(2025, 3, 1), "Slow Mutual", D(2026, 3, 1), 14),
    ]
    _, slow = unbilled_data
    only_slow = reports.timely_filing_risk(D(2026, 1, 1), D(2026, 1, 31), Filters(payer=slow))
    assert [r.date for r in only_slow] == [D(2025, 3, 1)]


def test_a_session_of_the_shortest_limit_is_flagged_from_exactly_14_days_before(
    unbilled_data,
):
    """The date bound said for the index (the cutoff less the shortest limit, 90 days
    here) keeps the session due exactly on the cutoff and leaves out the one a day later."""
    acme, _ = unbilled_data
    b = factories.CoverageFactory(payer=acme).client
    session(b, D(2025, 12, 1), ("90837", 1, "160"), status=Session.Status.READY)
    session(b, D(2025, 12, 2), ("90837", 1, "160"), status=Session.Status.DRAFT)
    rows = reports.timely_filing_risk(D(2026, 1, 1), D(2026, 1, 31), Filters())
    mine = [(r.date, r.deadline, r.days_left) for r in rows if r.client_id == b.pk]
    assert mine == [(D(2025, 12, 1), D(2026, 3, 1), 14)]


def test_a_clinician_health_page_shows_only_their_unbilled_sessions(
    client, clinician_user, unbilled_data
):
    client.force_login(clinician_user)
    url = reverse("billing:report_health")
    ages = csv_of(client.get(url, {"format": "csv", "table": "unbilled"}))
    assert ages[1:] == [
        ["0–30 days", "1", "1", "2", "320.00"],
        ["31–60 days", "0", "1", "1", "160.00"],
        ["61–90 days", "0", "0", "0", "0.00"],
        ["90+ days", "0", "0", "0", "0.00"],
        ["Total", "1", "2", "3", "480.00"],
    ]
    filing = csv_of(client.get(url, {"format": "csv", "table": "timely_filing"}))
    assert filing == [filing[0]]  # B's and C's sessions are not A's


def test_health_chart_and_tables_render(client, owner_user, unbilled_data):
    client.force_login(owner_user)
    page = client.get(reverse("billing:report_health"))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'aria-label="Unbilled sessions by age on 02/15/2026"' in html
    assert ">Sessions</text>" in html and ">Age of the session</text>" in html
    assert "Slow Mutual" in html and "03/01/2026" in html


@pytest.fixture
def claim_data(practice_row, clinician, time_machine):
    """Claims built on known local dates: lags 15 and 8 days (one claim), 21 days (another),
    and a draft discarded on 2026-01-25 (void, never sent)."""
    acme = factories.PayerFactory(name="Acme Health")
    one = factories.CoverageFactory(client__primary_clinician=clinician, payer=acme).client
    two = factories.CoverageFactory(client__primary_clinician=clinician, payer=acme).client
    three = factories.CoverageFactory(client__primary_clinician=clinician, payer=acme).client
    ready_session(two, date=D(2025, 12, 20))
    time_machine.move_to(datetime.datetime(2026, 1, 10, 23, 30, tzinfo=NEW_YORK), tick=False)
    claims_build()  # 23:30 in New York is already 11 January in UTC: the local date counts
    ready_session(one, date=D(2026, 1, 5))
    ready_session(one, date=D(2026, 1, 12))
    time_machine.move_to(datetime.datetime(2026, 1, 20, 9, 0, tzinfo=NEW_YORK), tick=False)
    claims_build()
    ready_session(three, date=D(2026, 1, 22))
    time_machine.move_to(datetime.datetime(2026, 1, 25, 9, 0, tzinfo=NEW_YORK), tick=False)
    (discarded,) = claims_build().claims
    claim_discard(claim=discarded, reason="built too early")
    time_machine.move_to(datetime.datetime(2026, 2, 15, 12, 0, tzinfo=NEW_YORK), tick=False)


def test_claims_by_status_in_the_period(claim_data):
    rows = reports.claims_by_status(D(2026, 1, 1), D(2026, 1, 31), Filters())
    counts = {r.status: (r.claims, r.charges) for r in rows}
    assert counts["draft"] == (2, Decimal("480.00"))
    assert counts["discarded"] == (1, Decimal("160.00"))
    assert counts["paid"] == (0, Decimal("0.00"))
    assert [r.status for r in rows][:3] == ["draft", "ready", "submitted"]


def test_days_from_service_to_claim_average_and_median(claim_data):
    lag = reports.days_to_claim(D(2026, 1, 1), D(2026, 1, 31), Filters())
    # Lines: 21 days (Dec 20 → Jan 10), 15 (Jan 5 → Jan 20), 8 (Jan 12 → Jan 20).
    assert lag.lines == 3
    assert lag.average == Decimal("14.7")
    assert lag.median == Decimal("15.0")
    assert [(r.bucket, r.lines) for r in lag.rows] == [
        ("0–7 days", 0),
        ("8–14 days", 1),
        ("15–30 days", 2),
        ("31–60 days", 0),
        ("61–90 days", 0),
        ("91+ days", 0),
    ]


def test_a_claim_counts_in_the_period_of_its_local_date_to_the_last_instant(
    practice_row, clinician, time_machine
):
    """The period's first and last local instants count; the instants either side do not
    (New York midnight is 05:00 UTC: a claim built at 23:59:59 on 31 January is already in
    February in UTC)."""
    client = factories.CoverageFactory(client__primary_clinician=clinician).client
    edges = [
        (datetime.datetime(2025, 12, 31, 23, 59, 59), D(2025, 12, 30)),  # before
        (datetime.datetime(2026, 1, 1, 0, 0), D(2025, 12, 31)),  # the first instant
        (datetime.datetime(2026, 1, 31, 23, 59, 59), D(2026, 1, 30)),  # the last one
        (datetime.datetime(2026, 2, 1, 0, 0), D(2026, 1, 31)),  # after
    ]
    for built, service in edges:
        ready_session(client, date=service)
        time_machine.move_to(built.replace(tzinfo=NEW_YORK), tick=False)
        claims_build()
    time_machine.move_to(datetime.datetime(2026, 2, 15, 12, 0, tzinfo=NEW_YORK), tick=False)

    rows = reports.claims_by_status(D(2026, 1, 1), D(2026, 1, 31), Filters())
    assert {r.status: r.claims for r in rows if r.claims} == {"draft": 2}
    lag = reports.days_to_claim(D(2026, 1, 1), D(2026, 1, 31), Filters())
    assert (lag.lines, lag.average) == (2, Decimal("1.0"))
    one_day = reports.claims_by_status(D(2026, 1, 31), D(2026, 1, 31), Filters())
    assert sum(r.claims for r in one_day) == 1


def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two():
    assert reports._median([(2, 1), (5, 1), (9, 2)], 4) == Decimal("7.0")
    assert reports._median([(3, 4)], 4) == Decimal("3.0")
    assert reports._median([], 0) is None


@pytest.fixture
def auth_data(practice_row, clinician, other_clinician):
    acme = factories.PayerFactory(name="Acme Health")

    def covered(who, **auth):
        return factories.CoverageFactory(
            client__primary_clinician=who, payer=acme, prior_auth_number="PA1", **auth
        ).client

    window = {"prior_auth_from": D(2026, 1, 1), "prior_auth_to": D(2026, 6, 30)}
    nearly_used = covered(clinician, prior_auth_visits=10, **window)
    plenty = covered(clinician, prior_auth_visits=10, **window)
    ending = covered(
        clinician, prior_auth_visits=20, prior_auth_from=D(2026, 1, 1), prior_auth_to=D(2026, 2, 28)
    )
    covered(
        clinician, prior_auth_visits=1, prior_auth_from=D(2025, 1, 1), prior_auth_to=D(2026, 2, 10)
    )  # already over: not listed
    others = covered(other_clinician, prior_auth_visits=10, **window)
    for n in range(8):
        session(nearly_used, D(2026, 1, 2) + datetime.timedelta(days=4 * n))
    session(nearly_used, D(2026, 2, 3), status=Session.Status.NO_SHOW)  # not a visit used
    session(nearly_used, D(2025, 12, 20))  # before the authorization
    for n in range(7):
        session(plenty, D(2026, 1, 2) + datetime.timedelta(days=4 * n))
    session(ending, D(2026, 1, 9))
    for n in range(9):
        session(others, D(2026, 1, 2) + datetime.timedelta(days=4 * n))
    return nearly_used, ending, others


def test_prior_authorizations_nearly_used_or_ending(auth_data):
    nearly_used, ending, others = auth_data
    rows = reports.prior_auths_running_out(D(2026, 1, 1), D(2026, 1, 31), Filters())
    got = {r.client: (r.visits, r.used, r.remaining, r.valid_to, r.days_left) for r in rows}
    assert got == {
        str(ending): (20, 1, 19, D(2026, 2, 28), 13),
        str(nearly_used): (10, 8, 2, D(2026, 6, 30), 135),
        str(others): (10, 9, 1, D(2026, 6, 30), 135),
    }
    assert rows[0].client == str(ending)  # the soonest end first


def test_a_clinician_sees_the_authorizations_of_their_own_clients(auth_data, clinician):
    nearly_used, ending, _ = auth_data
    rows = reports.prior_auths_running_out(
        D(2026, 1, 1), D(2026, 1, 31), Filters(user=clinician.user)
    )
    assert {r.client for r in rows} == {str(nearly_used), str(ending)}
