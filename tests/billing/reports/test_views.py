"""The report pages as a whole: query counts, access, bad input, the form and the table
framework's CSV (billing/views/reports/).

"Today" is frozen at 15 February 2026 (America/New_York) by ``conftest.py``."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import reports
from billing.services import claims_build
from billing.views.reports import ReportForm
from billing.views.reports.tables import INT, MONEY, MONTH, PERCENT, Column, Table
from practice.models import Session
from tests import factories
from tests.billing.reports.helpers import (
    REPORT_URLS,
    D,
    session,
)
from tests.billing.test_services import ready_session

pytestmark = pytest.mark.django_db


# --- Query counts --------------------------------------------------------------------


@pytest.fixture
def busy_practice(practice_row, clinician, other_clinician):
    def make(n: int) -> None:
        acme = factories.PayerFactory(name="Acme Health")
        for i in range(n):
            who = clinician if i % 2 else other_clinician
            coverage = factories.CoverageFactory(
                client__primary_clinician=who,
                payer=acme,
                prior_auth_visits=3,
                prior_auth_from=D(2025, 1, 1),
                prior_auth_to=D(2026, 3, 1),
            )
            ready_session(coverage.client, date=D(2026, 1, 1) + datetime.timedelta(days=i % 28))
            session(
                coverage.client, D(2025, 6, 1) + datetime.timedelta(days=i), ("90834", 1, "140")
            )
            session(coverage.client, D(2025, 11, 1), status=Session.Status.NO_SHOW)
        claims_build(through=D(2026, 1, 14))

    return make


# Every page, before its tables: the login session and the user (2); the request's
# savepoint and release (ATOMIC_REQUESTS, 2); the user's role groups (1); the clinician row
# for the menu (1); the form's clinician choices (1) and, where there is one, its payer
# choices (1); the idle-logout session save (savepoint, update, release: 3). That is 10,
# or 11 with a payer filter. Then one query per table: services 2 (months, codes) ·
# revenue 3 (payers, clinicians, expected vs paid) · mix 1 · health 5 (age buckets, timely
# filing, prior authorizations, claims by status, days to claim) · aging 2 (payers; clients,
# billing/ledger.py's rule in one statement with their names and totals) · denials 2
# (reasons, payers) · collections 2 (payers, clinicians).
QUERY_BOUNDS = {
    "billing:report_services": 10 + 2,
    "billing:report_revenue": 11 + 3,
    "billing:report_mix": 10 + 1,
    "billing:report_health": 11 + 5 + 2,  # + the read audit: access, clients shown
    "billing:report_aging": 10 + 2 + 2,  # + the read audit: access, clients shown
    "billing:report_denials": 11 + 2,
    "billing:report_collections": 11 + 2,
}
MONEY_REPORTS = ["billing:report_aging", "billing:report_denials", "billing:report_collections"]


@pytest.mark.parametrize("sessions", [3, 40])
@pytest.mark.parametrize("name", sorted(QUERY_BOUNDS))
def test_each_report_takes_the_same_few_queries_for_3_or_40_sessions(
    client, owner_user, busy_practice, django_assert_max_num_queries, name, sessions
):
    busy_practice(sessions)
    client.force_login(owner_user)
    query = {"date_from": "2025-01-01", "date_to": "2026-01-31"}
    with django_assert_max_num_queries(QUERY_BOUNDS[name]):
        response = client.get(reverse(name), query)
    assert response.status_code == 200


@pytest.mark.parametrize("name", sorted(QUERY_BOUNDS))
def test_a_clinicians_report_takes_the_same_few_queries(
    client, clinician_user, busy_practice, django_assert_max_num_queries, name
):
    busy_practice(12)
    client.force_login(clinician_user)
    with django_assert_max_num_queries(QUERY_BOUNDS[name]):
        response = client.get(reverse(name), {"format": "csv"})
    assert response.status_code == 200


@pytest.mark.parametrize("name", MONEY_REPORTS)
@pytest.mark.parametrize("who", ["owner_user", "clinician_user"])
def test_the_money_reports_take_the_same_few_queries_with_postings(
    client, request, money_data, ascii_claim, self_pay, django_assert_max_num_queries, name, who
):
    client.force_login(request.getfixturevalue(who))
    query = {"date_from": "2025-01-01", "date_to": "2026-01-31"}
    with django_assert_max_num_queries(QUERY_BOUNDS[name]):
        response = client.get(reverse(name), query)
    assert response.status_code == 200
    with django_assert_max_num_queries(QUERY_BOUNDS[name]):
        response = client.get(reverse(name), {**query, "format": "csv"})
    assert response.status_code == 200


# --- Access and bad input ------------------------------------------------------------


@pytest.mark.parametrize("name", REPORT_URLS)
def test_a_user_without_a_role_gets_403(client, name):
    client.force_login(factories.UserFactory(username="nobody"))
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", REPORT_URLS)
@pytest.mark.parametrize("who", ["owner_user", "biller_user", "clinician_user"])
def test_every_role_opens_every_report_on_an_empty_practice(client, request, who, name):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse(name)).status_code == 200


def test_the_index_links_every_report(client, biller_user):
    client.force_login(biller_user)
    html = client.get(reverse("billing:reports")).content.decode()
    for name in REPORT_URLS[1:]:
        assert reverse(name) in html


def test_a_clinician_form_has_no_clinician_filter(client, clinician_user, owner_user):
    client.force_login(clinician_user)
    assert 'name="clinician"' not in client.get(reverse("billing:report_mix")).content.decode()
    client.force_login(owner_user)
    assert 'name="clinician"' in client.get(reverse("billing:report_mix")).content.decode()


NO_PAYER_FILTER = {"billing:report_services", "billing:report_mix", "billing:report_aging"}
BAD_QUERIES = [
    {"date_from": "2026-13-01"},
    {"date_from": "yesterday"},
    {"date_from": "2026-02-01", "date_to": "2026-01-01"},
    {"date_from": "0001-01-01", "date_to": "0001-12-31"},
    {"date_from": "1990-01-01", "date_to": "2026-01-31"},
    {"date_to": "9999-12-31"},
    {"clinician": "not-a-number"},
    {"payer": "999999"},
]


@pytest.mark.parametrize(
    "query", BAD_QUERIES, ids=lambda q: "&".join(f"{k}={v}" for k, v in q.items())
)
@pytest.mark.parametrize("name", REPORT_URLS[1:])
def test_bad_input_is_a_message_on_the_page_and_a_400_for_csv(client, owner_user, name, query):
    client.force_login(owner_user)
    page = client.get(reverse(name), query)
    download = client.get(reverse(name), {**query, "format": "csv"})
    if "payer" in query and name in NO_PAYER_FILTER:
        # These reports have no payer filter: the parameter is ignored.
        assert (page.status_code, download.status_code) == (200, 200)
        return
    assert page.status_code == 200
    assert 'class="alert alert-danger"' in page.content.decode()
    assert "Showing the default period" in page.content.decode()
    assert download.status_code == 400


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.dictionaries(
        st.sampled_from(["date_from", "date_to", "clinician", "payer"]),
        st.one_of(st.text(max_size=12), st.dates().map(str), st.integers().map(str)),
    )
)
def test_the_report_form_never_raises_on_any_input(owner_user, data):
    form = ReportForm(data, user=owner_user, default=(D(2026, 1, 1), D(2026, 1, 31)),
                      with_clinician=True, with_payer=True)  # fmt: skip
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        assert start <= end and (end - start).days <= 3660
        # The periods compared with it can be computed too.
        reports.previous_period(start, end), reports.same_period_last_year(start, end)
    else:
        assert form.problems()


def test_an_unknown_table_is_a_400(client, owner_user):
    client.force_login(owner_user)
    response = client.get(reverse("billing:report_health"), {"format": "csv", "table": "nope"})
    assert response.status_code == 400


def test_a_formula_looking_name_is_defused_in_the_csv():
    table = Table(name="t", caption="", columns=[Column("Client")], rows=[("=SUM(A1)",)])
    assert table.csv_rows()[1] == ["'=SUM(A1)"]


def test_a_total_row_adds_counts_and_money_and_leaves_the_rest_blank():
    columns = [
        Column("Month", MONTH),
        Column("Code"),
        Column("Note"),
        Column("Sessions", INT, adds=False),
        Column("Claims", INT),
        Column("Share (%)", PERCENT),
        Column("Paid ($)", MONEY),
    ]
    rows = [
        (None, "90834", "a", 3, 2, Decimal("10.0"), Decimal("100.00")),
        (None, "90837", "b", 4, None, Decimal("20.0"), Decimal("0.50")),
    ]
    table = Table(name="t", caption="", columns=columns, rows=rows, total=True)
    assert table.footer == (None, "Total", "", None, 2, None, Decimal("100.50"))
    assert Table(name="t", caption="", columns=columns, rows=[], total=True).footer is None
