"""Services by CPT code: numbers against hand counts (practice_data in conftest.py), the
page, its CSV and chart, and who sees what.

"Today" is frozen at 15 February 2026 (America/New_York) by ``conftest.py``."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from billing import reports
from billing.models import ProcedureCode
from billing.reports import Filters
from tests.billing.reports.helpers import (
    NOV_TO_JAN,
    D,
    csv_of,
    table_of,
)

pytestmark = pytest.mark.django_db


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
