"""Report periods and percentages (billing/periods.py, billing/reports/common.py).

"Today" is frozen at 15 February 2026 (America/New_York) by ``conftest.py``."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing import reports
from tests.billing.reports.helpers import (
    TODAY,
    D,
)

pytestmark = pytest.mark.django_db


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
