"""Session mix per clinician.

"Today" is frozen at 15 February 2026 (America/New_York) by ``conftest.py``."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from billing import reports
from billing.reports import Filters
from tests.billing.reports.helpers import (
    NOV_TO_JAN,
    D,
    csv_of,
    table_of,
)

pytestmark = pytest.mark.django_db


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
