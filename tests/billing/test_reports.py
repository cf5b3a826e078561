"""Reports: numbers against hand-computed expectations, CSV = table, charts, query counts,
access, and bad input.

"Today" is frozen at 15 February 2026 (America/New_York), so the default periods are
February 2025 – January 2026 (services) and January 2026 (the others).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import charts, reports
from billing.models import ProcedureCode
from billing.reports import Filters
from billing.services import claim_discard, claims_build
from billing.views.reports import Column, ReportForm, Table
from practice.models import Session
from tests import factories
from tests.billing.test_services import ready_session

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
TODAY = datetime.date(2026, 2, 15)
D = datetime.date
REPORT_URLS = [
    "billing:reports",
    "billing:report_services",
    "billing:report_revenue",
    "billing:report_mix",
    "billing:report_health",
]


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(datetime.datetime(2026, 2, 15, 12, 0, tzinfo=NEW_YORK), tick=False)


def session(client, day, *lines, clinician=None, status=Session.Status.BILLED, **kw):
    """A session with service lines given as (code, units, charge) tuples."""
    made = factories.SessionFactory(
        client=client,
        clinician=clinician or client.primary_clinician,
        date=day,
        status=status,
        **kw,
    )
    for position, (code, units, charge) in enumerate(lines, start=1):
        factories.ServiceLineFactory(
            session=made,
            position=position,
            procedure=ProcedureCode.objects.get(code=code),
            units=units,
            charge=Decimal(charge),
        )
    return made


def csv_of(response) -> list[list[str]]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def table_of(response, name: str) -> Table:
    for section in response.context["sections"]:
        for table in section.tables:
            if table.name == name:
                return table
    raise AssertionError(f"no table {name}")


# --- The services data set -----------------------------------------------------------
#
# Clinician A ("clinician") and B ("other_clinician"). Period under test: November 2025 –
# January 2026 (three whole months, across the year end). December has only no-shows.
#
#   date        who  status       lines
#   2024-12-20  A    billed       90837                  (same period last year)
#   2025-01-08  A    billed       90837                  (same period last year)
#   2025-01-15  B    billed       90834                  (same period last year)
#   2025-01-22  B    billed       90834                  (same period last year)
#   2025-09-10  B    billed       90834                  (previous period)
#   2025-10-01  A    billed       90837                  (previous period)
#   2025-11-05  A    billed       90837 $160
#   2025-11-12  A    ready        90834 $140
#   2025-11-19  A    no-show
#   2025-11-20  B    closed       90837 $160
#   2025-12-03  A    no-show
#   2025-12-10  A    no-show
#   2026-01-07  A    draft        90837 $160
#   2026-01-07  A    billed       90791 $200 + 96127 ×2 $20   (intake)
#   2026-01-14  B    billed       90832 $100, video telehealth
#   2026-01-21  B    cancelled
#   2026-01-28  B    late cancel


@pytest.fixture
def practice_data(clinician, other_clinician):
    a = factories.ClientFactory(primary_clinician=clinician)
    b = factories.ClientFactory(primary_clinician=other_clinician)
    NO_SHOW, CANCELLED = Session.Status.NO_SHOW, Session.Status.CANCELLED
    session(a, D(2024, 12, 20), ("90837", 1, "160"))
    session(a, D(2025, 1, 8), ("90837", 1, "160"))
    session(b, D(2025, 1, 15), ("90834", 1, "140"))
    session(b, D(2025, 1, 22), ("90834", 1, "140"))
    session(b, D(2025, 9, 10), ("90834", 1, "140"))
    session(a, D(2025, 10, 1), ("90837", 1, "160"))
    session(a, D(2025, 11, 5), ("90837", 1, "160"))
    session(a, D(2025, 11, 12), ("90834", 1, "140"), status=Session.Status.READY, minutes=45)
    session(a, D(2025, 11, 19), status=NO_SHOW)
    session(b, D(2025, 11, 20), ("90837", 1, "160"), status=Session.Status.CLOSED)
    session(a, D(2025, 12, 3), status=NO_SHOW)
    session(a, D(2025, 12, 10), status=NO_SHOW)
    session(a, D(2026, 1, 7), ("90837", 1, "160"), status=Session.Status.DRAFT)
    session(a, D(2026, 1, 7), ("90791", 1, "200"), ("96127", 2, "20"), service="intake")
    session(b, D(2026, 1, 14), ("90832", 1, "100"), telehealth="video", minutes=30)
    session(b, D(2026, 1, 21), status=CANCELLED)
    session(b, D(2026, 1, 28), status=Session.Status.LATE_CANCEL)
    return a, b


NOV_TO_JAN = {"date_from": "2025-11-01", "date_to": "2026-01-31"}


def test_periods_shift_whole_months_by_months_and_other_ranges_by_days():
    assert reports.previous_period(D(2025, 11, 1), D(2026, 1, 31)) == (
        D(2025, 8, 1),
        D(2025, 10, 31),
    )
    assert reports.same_period_last_year(D(2025, 11, 1), D(2026, 1, 31)) == (
        D(2024, 11, 1),
        D(2025, 1, 31),
    )
    assert reports.previous_period(D(2026, 1, 10), D(2026, 1, 19)) == (
        D(2025, 12, 31),
        D(2026, 1, 9),
    )
    # A whole February a year after a leap year keeps the leap day.
    assert reports.same_period_last_year(D(2025, 2, 1), D(2025, 2, 28)) == (
        D(2024, 2, 1),
        D(2024, 2, 29),
    )
    assert reports.same_period_last_year(D(2024, 2, 29), D(2024, 3, 5)) == (
        D(2023, 2, 28),
        D(2023, 3, 5),
    )
    assert reports.last_full_months(TODAY, 12) == (D(2025, 2, 1), D(2026, 1, 31))
    assert reports.last_full_months(D(2026, 1, 3), 1) == (D(2025, 12, 1), D(2025, 12, 31))


def test_percent_change_is_none_when_the_base_is_zero():
    assert reports.change(3, 1) == Decimal("200.0")
    assert reports.change(1, 2) == Decimal("-50.0")
    assert reports.change(5, 0) is None
    assert reports.share(1, 3) == Decimal("33.3")
    assert reports.share(2, 3) == Decimal("66.7")
    assert reports.share(1, 0) is None


def test_services_by_month_has_a_zero_row_for_every_code_in_a_month_with_only_no_shows(
    practice_data,
):
    rows = reports.services_by_month(D(2025, 11, 1), D(2026, 1, 31), Filters())
    table = {(r.month, r.code): (r.sessions, r.units, r.charges) for r in rows}
    codes = ["90791", "90832", "90834", "90837", "96127"]
    assert [(r.month, r.code) for r in rows] == [
        (month, code) for month in (D(2025, 11, 1), D(2025, 12, 1), D(2026, 1, 1)) for code in codes
    ]
    assert table[(D(2025, 11, 1), "90837")] == (2, 2, Decimal("320.00"))
    assert table[(D(2025, 11, 1), "90834")] == (1, 1, Decimal("140.00"))
    assert table[(D(2025, 11, 1), "90832")] == (0, 0, Decimal("0.00"))
    assert {table[(D(2025, 12, 1), code)] for code in codes} == {(0, 0, Decimal("0.00"))}
    assert table[(D(2026, 1, 1), "90837")] == (1, 1, Decimal("160.00"))
    assert table[(D(2026, 1, 1), "96127")] == (1, 2, Decimal("20.00"))
    assert table[(D(2026, 1, 1), "90791")] == (1, 1, Decimal("200.00"))
    assert table[(D(2026, 1, 1), "90832")] == (1, 1, Decimal("100.00"))


def test_services_by_code_shares_and_changes_across_the_year_end(practice_data):
    rows = reports.services_by_code(D(2025, 11, 1), D(2026, 1, 31), Filters())
    got = [
        (
            r.code,
            r.sessions,
            r.units,
            r.charges,
            r.unit_share,
            r.previous_units,
            r.change_previous,
            r.last_year_units,
            r.change_last_year,
        )
        for r in rows
    ]
    assert got == [
        (
            "90837",
            3,
            3,
            Decimal("480.00"),
            Decimal("37.5"),
            1,
            Decimal("200.0"),
            2,
            Decimal("50.0"),
        ),
        ("96127", 1, 2, Decimal("20.00"), Decimal("25.0"), 0, None, 0, None),
        ("90834", 1, 1, Decimal("140.00"), Decimal("12.5"), 1, Decimal("0.0"), 2, Decimal("-50.0")),
        ("90791", 1, 1, Decimal("200.00"), Decimal("12.5"), 0, None, 0, None),
        ("90832", 1, 1, Decimal("100.00"), Decimal("12.5"), 0, None, 0, None),
    ]


def test_a_code_used_only_last_year_shows_a_100_percent_drop(practice_data):
    rows = reports.services_by_code(D(2026, 1, 1), D(2026, 1, 31), Filters())
    by_code = {r.code: r for r in rows}
    # January 2025 had two 90834 and one 90837; January 2026 has no 90834 at all.
    assert by_code["90834"].units == 0
    assert by_code["90834"].change_last_year == Decimal("-100.0")
    assert by_code["90837"].last_year_units == 1
    assert by_code["90837"].change_last_year == Decimal("0.0")


def test_services_page_csv_equals_the_table_and_the_hand_counts(client, owner_user, practice_data):
    client.force_login(owner_user)
    url = reverse("billing:report_services")
    page = client.get(url, NOV_TO_JAN)
    assert page.status_code == 200
    monthly = table_of(page, "monthly")
    rows = csv_of(client.get(url, {**NOV_TO_JAN, "format": "csv", "table": "monthly"}))
    assert rows == monthly.csv_rows()
    assert rows[0] == ["Month", "CPT code", "Sessions", "Units", "Charges ($)"]
    assert ["2025-12", "90837", "0", "0", "0.00"] in rows
    # Sessions do not add up across codes (the intake session has two), so no total.
    assert rows[-1] == ["", "Total", "", "8", "940.00"]
    assert len(rows) == 1 + 15 + 1
    # The page shows the same rows: 15 body rows and the total.
    html = page.content.decode()
    assert html.count("<tr>") >= 17
    codes = csv_of(client.get(url, {**NOV_TO_JAN, "format": "csv", "table": "codes"}))
    assert codes == table_of(page, "codes").csv_rows()
    assert codes[1] == [
        "90837",
        ProcedureCode.objects.get(code="90837").description,
        "3",
        "3",
        "480.00",
        "37.5",
        "1",
        "200.0",
        "2",
        "50.0",
    ]
    assert codes[-1] == ["Total", "", "", "8", "940.00", "100.0", "2", "300.0", "4", "100.0"]


def test_services_default_period_is_the_last_twelve_full_months(client, owner_user, practice_data):
    client.force_login(owner_user)
    rows = csv_of(client.get(reverse("billing:report_services"), {"format": "csv"}))
    months = [row[0] for row in rows[1:-1]]
    assert months[0] == "2025-02" and months[-1] == "2026-01"
    assert len(set(months)) == 12


def test_services_chart_is_an_accessible_svg_with_axis_labels(client, owner_user, practice_data):
    client.force_login(owner_user)
    html = client.get(reverse("billing:report_services"), NOV_TO_JAN).content.decode()
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'role="img"' in svg and 'aria-label="Units billed per month by CPT code' in svg
    assert "<title" in svg and "<desc" in svg
    assert 'viewBox="0 0 420 ' in svg and 'width="100%"' in svg
    assert ">Month</text>" in svg and ">Units billed</text>" in svg
    assert ">Nov</text>" in svg and ">Dec</text>" in svg and ">Jan</text>" in svg
    # Totals printed on the columns: 3 units in November, 5 in January; patterns, not colour alone.
    assert ">3</text>" in svg and ">5</text>" in svg
    assert 'fill="url(#chart-services-p0)"' in svg
    assert "e+" not in svg.lower().replace("e+0", "")  # no exponent coordinates


def test_a_clinician_sees_only_their_own_services(
    client, clinician_user, other_clinician, practice_data
):
    client.force_login(clinician_user)
    url = reverse("billing:report_services")
    # Asking for the other clinician changes nothing: the field is not there for a clinician.
    query = {**NOV_TO_JAN, "format": "csv", "table": "codes", "clinician": other_clinician.pk}
    rows = csv_of(client.get(url, query))
    by_code = {row[0]: row for row in rows[1:-1]}
    assert set(by_code) == {"90837", "90834", "90791", "96127"}  # no 90832: that was B's
    assert by_code["90837"][2:] == ["2", "2", "320.00", "33.3", "1", "100.0", "2", "0.0"]
    assert by_code["90834"][2:] == ["1", "1", "140.00", "16.7", "0", "", "0", ""]
    assert rows[-1][:5] == ["Total", "", "", "6", "680.00"]


def test_billing_staff_may_narrow_to_one_clinician(
    client, biller_user, other_clinician, practice_data
):
    client.force_login(biller_user)
    query = {**NOV_TO_JAN, "format": "csv", "table": "codes", "clinician": other_clinician.pk}
    rows = csv_of(client.get(reverse("billing:report_services"), query))
    # B's 90834 was last used in September 2025: a row with no units now, and a -100% change.
    assert {row[0]: row[3] for row in rows[1:-1]} == {"90837": "1", "90832": "1", "90834": "0"}


# --- Session mix ---------------------------------------------------------------------


def test_session_mix_per_clinician_with_rates(practice_data, clinician, other_clinician):
    rows = reports.session_mix(D(2025, 11, 1), D(2026, 1, 31), Filters())
    by_id = {r.clinician_id: r for r in rows}
    a, b = by_id[clinician.pk], by_id[other_clinician.pk]
    assert (a.individual, a.code_counts) == (3, (0, 1, 2))
    assert a.code_shares == (Decimal("0.0"), Decimal("33.3"), Decimal("66.7"))
    assert (a.attended, a.telehealth_share, a.in_office_share) == (
        4,
        Decimal("0.0"),
        Decimal("100.0"),
    )
    assert (a.scheduled, a.no_shows, a.no_show_rate) == (7, 3, Decimal("42.9"))
    assert (a.late_cancels, a.late_cancel_rate) == (0, Decimal("0.0"))
    assert (b.individual, b.code_counts) == (2, (1, 0, 1))
    assert b.telehealth_share == Decimal("50.0")
    # The cancelled session is not "scheduled"; the late cancellation is.
    assert (b.scheduled, b.no_show_rate, b.late_cancel_rate) == (3, Decimal("0.0"), Decimal("33.3"))
    total = reports.mix_total(rows)
    assert total.code_shares == (Decimal("20.0"), Decimal("20.0"), Decimal("60.0"))
    assert (total.telehealth_share, total.no_show_rate) == (Decimal("16.7"), Decimal("30.0"))


def test_a_month_with_only_no_shows_has_a_full_no_show_rate_and_no_shares(practice_data, clinician):
    (row,) = reports.session_mix(D(2025, 12, 1), D(2025, 12, 31), Filters())
    assert row.clinician_id == clinician.pk
    assert (row.individual, row.attended, row.scheduled, row.no_shows) == (0, 0, 2, 2)
    assert row.code_shares == (None, None, None)
    assert row.telehealth_share is None
    assert row.no_show_rate == Decimal("100.0")


def test_mix_page_shows_dashes_for_no_base_and_csv_leaves_them_empty(
    client, owner_user, practice_data
):
    client.force_login(owner_user)
    url = reverse("billing:report_mix")
    december = {"date_from": "2025-12-01", "date_to": "2025-12-31"}
    page = client.get(url, december)
    assert "—" in page.content.decode()
    rows = csv_of(client.get(url, {**december, "format": "csv"}))
    assert rows == table_of(page, "mix").csv_rows()
    assert rows[1][1:8] == ["0", "0", "", "0", "", "0", ""]
    assert 'aria-label="Individual psychotherapy codes per clinician' in page.content.decode()


def test_a_clinician_mix_excludes_the_other_clinician(client, other_clinician_user, practice_data):
    client.force_login(other_clinician_user)
    rows = csv_of(client.get(reverse("billing:report_mix"), {**NOV_TO_JAN, "format": "csv"}))
    assert len(rows) == 3  # header, B's row, total
    assert rows[1][0].startswith("Other ")
    assert rows[1][1] == "2"


# --- Revenue -------------------------------------------------------------------------
#
# Acme (90837 expected $120) and Beta (no rates). In January 2026:
#   client 1 (A, Acme): ready 2025-12-29, 2026-01-05, 2026-01-12, 90837 $160 → one claim
#   client 2 (B, Beta): ready 2026-01-06 90834 $160 → one claim, no expected amount
#   client 3 (A, self-pay): 2026-01-09 90837 $150
#   client 4 (B, Acme): ready 2026-01-20 90834 $160 → claim discarded (void): not revenue


@pytest.fixture
def revenue_data(practice_row, clinician, other_clinician):
    acme = factories.PayerFactory(name="Acme Health")
    beta = factories.PayerFactory(name="Beta Care")
    factories.PayerRateFactory(
        payer=acme,
        procedure=ProcedureCode.objects.get(code="90837"),
        allowed_amount=Decimal("120.00"),
    )
    one = factories.CoverageFactory(client__primary_clinician=clinician, payer=acme).client
    two = factories.CoverageFactory(client__primary_clinician=other_clinician, payer=beta).client
    three = factories.ClientFactory(primary_clinician=clinician, self_pay=True)
    four = factories.CoverageFactory(client__primary_clinician=other_clinician, payer=acme).client
    for day in (D(2025, 12, 29), D(2026, 1, 5), D(2026, 1, 12)):
        ready_session(one, date=day)
    ready_session(two, date=D(2026, 1, 6), code="90834")
    session(three, D(2026, 1, 9), ("90837", 1, "150"), status=Session.Status.READY)
    ready_session(four, date=D(2026, 1, 20), code="90834")
    claims = {c.client_id: c for c in claims_build().claims}
    claim_discard(claim=claims[four.pk], reason="wrong client")
    return acme, beta


def test_revenue_by_payer_from_live_claim_lines_and_self_pay(revenue_data):
    rows = reports.revenue_by_payer(D(2026, 1, 1), D(2026, 1, 31), Filters())
    assert [
        (r.payer, r.lines, r.lines_without_rate, r.charged, r.expected, r.paid, r.gap) for r in rows
    ] == [
        ("Acme Health", 2, 0, Decimal("320.00"), Decimal("240.00"), None, None),
        ("Beta Care", 1, 1, Decimal("160.00"), None, None, None),
        ("Self-pay", 1, 0, Decimal("150.00"), None, None, None),
    ]


def test_revenue_by_clinician_adds_claimed_and_self_pay(revenue_data, clinician, other_clinician):
    rows = {
        r.clinician_id: r
        for r in reports.revenue_by_clinician(D(2026, 1, 1), D(2026, 1, 31), Filters())
    }
    a, b = rows[clinician.pk], rows[other_clinician.pk]
    assert (a.insured_charged, a.self_pay_charged, a.charged, a.expected, a.paid) == (
        Decimal("320.00"),
        Decimal("150.00"),
        Decimal("470.00"),
        Decimal("240.00"),
        None,
    )
    assert (b.insured_charged, b.self_pay_charged, b.charged, b.expected) == (
        Decimal("160.00"),
        Decimal("0.00"),
        Decimal("160.00"),
        None,
    )


def test_expected_vs_paid_per_payer_and_code(revenue_data):
    rows = reports.expected_vs_paid(D(2026, 1, 1), D(2026, 1, 31), Filters())
    assert [(r.payer, r.code, r.lines, r.units, r.charged, r.expected, r.gap) for r in rows] == [
        ("Acme Health", "90837", 2, 2, Decimal("320.00"), Decimal("240.00"), None),
        ("Beta Care", "90834", 1, 1, Decimal("160.00"), None, None),
    ]


def test_a_payer_filter_leaves_out_the_self_pay_row(revenue_data):
    acme, _ = revenue_data
    rows = reports.revenue_by_payer(D(2026, 1, 1), D(2026, 1, 31), Filters(payer=acme))
    assert [(r.payer, r.charged) for r in rows] == [("Acme Health", Decimal("320.00"))]


def test_revenue_page_csv_has_dashes_for_paid_as_empty_cells(client, owner_user, revenue_data):
    client.force_login(owner_user)
    url = reverse("billing:report_revenue")
    page = client.get(url)  # default: January 2026
    assert page.status_code == 200
    rows = csv_of(client.get(url, {"format": "csv"}))
    assert rows == table_of(page, "payers").csv_rows()
    assert rows == [
        [
            "Payer",
            "Lines",
            "Lines without a fee schedule rate",
            "Charged ($)",
            "Expected ($)",
            "Paid ($)",
            "Expected minus paid ($)",
        ],
        ["Acme Health", "2", "0", "320.00", "240.00", "", ""],
        ["Beta Care", "1", "1", "160.00", "", "", ""],
        ["Self-pay", "1", "0", "150.00", "", "", ""],
        ["Total", "4", "1", "630.00", "240.00", "", ""],
    ]
    html = page.content.decode()
    assert "$320.00" in html and 'aria-label="Charged and expected by payer' in html
    assert ">Amount ($)</text>" in html


def test_a_clinician_revenue_counts_only_the_sessions_they_saw(
    client, clinician_user, revenue_data
):
    client.force_login(clinician_user)
    url = reverse("billing:report_revenue")
    payers = csv_of(client.get(url, {"format": "csv", "table": "payers"}))
    assert [row[0] for row in payers[1:]] == ["Acme Health", "Self-pay", "Total"]
    assert payers[-1][3] == "470.00"
    people = csv_of(client.get(url, {"format": "csv", "table": "clinicians"}))
    assert len(people) == 2 and people[1][1:5] == ["320.00", "150.00", "470.00", "240.00"]


# --- Billing health ------------------------------------------------------------------


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


# --- Charts --------------------------------------------------------------------------


def test_axis_steps_are_one_two_or_five_times_a_power_of_ten():
    assert charts.nice_axis(Decimal("7"), charts.COUNT) == (Decimal(8), Decimal(2))
    assert charts.nice_axis(Decimal("1234.50"), charts.MONEY) == (Decimal(1500), Decimal(500))
    assert charts.nice_axis(0, charts.COUNT) == (Decimal(4), Decimal(1))
    assert charts.nice_axis(Decimal("3"), charts.COUNT) == (Decimal(3), Decimal(1))


def test_chart_values_are_labelled_in_their_unit():
    assert charts.format_value(Decimal("1234.50"), charts.MONEY) == "$1,234.50"
    assert charts.format_value(Decimal("1500"), charts.MONEY, compact=True) == "$1.5k"
    assert charts.format_value(Decimal("33.30"), charts.PERCENT) == "33.3%"
    assert charts.format_value(12, charts.COUNT) == "12"


def test_a_chart_without_data_says_so(client, owner_user):
    client.force_login(owner_user)
    html = client.get(reverse("billing:report_services")).content.decode()
    assert "No data in this period" in html
    assert "No attended sessions in this period." in html


def test_chart_coordinates_are_plain_decimals():
    chart = charts.column_chart(
        chart_id="c",
        title="t",
        desc="d",
        categories=[("Jan", "2026"), ("Feb", "")],
        series=[charts.Series("90837", [Decimal("1"), Decimal("2")])],
        x_label="Month",
        y_label="Units",
    )
    numbers = [v for r in chart.rects for v in (r.x, r.y, r.width, r.height)]
    assert numbers and all(re.fullmatch(r"-?\d+(\.\d)?", v) for v in numbers)


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
# filing, prior authorizations, claims by status, days to claim).
QUERY_BOUNDS = {
    "billing:report_services": 10 + 2,
    "billing:report_revenue": 11 + 3,
    "billing:report_mix": 10 + 1,
    "billing:report_health": 11 + 5 + 2,  # + the read audit: access, clients shown
}


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
    if "payer" in query and name in {"billing:report_services", "billing:report_mix"}:
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
