"""Good Faith Estimate rules without a database (billing/gfe.py, 45 CFR 149.610/149.620):
business days, the delivery deadline, the 12-month period, visits, the $400 alert."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from billing import gfe

D = datetime.date


def deadline(scheduled_on=None, service_date=None, requested_on=None):
    return gfe.delivery_deadline(
        scheduled_on=scheduled_on, service_date=service_date, requested_on=requested_on
    )


def test_weekends_and_federal_holidays_are_not_business_days():
    assert gfe.is_business_day(D(2026, 12, 4))  # Friday
    assert not gfe.is_business_day(D(2026, 12, 5))  # Saturday
    assert not gfe.is_business_day(D(2026, 12, 6))  # Sunday
    assert not gfe.is_business_day(D(2026, 11, 26))  # Thanksgiving
    assert not gfe.is_business_day(D(2026, 7, 3))  # July 4th observed on the Friday


def test_one_business_day_after_a_friday_is_the_monday():
    assert gfe.add_business_days(D(2026, 12, 4), 1) == D(2026, 12, 7)


def test_one_business_day_after_a_friday_before_a_monday_holiday_is_the_tuesday():
    # Martin Luther King Jr. Day, Monday 01/18/2027.
    assert gfe.add_business_days(D(2027, 1, 15), 1) == D(2027, 1, 19)


def test_scheduled_three_business_days_ahead_is_due_one_business_day_after_scheduling():
    # Monday for Thursday: Tue, Wed, Thu = 3 business days ahead.
    assert deadline(D(2026, 11, 2), D(2026, 11, 5)) == D(2026, 11, 3)


def test_scheduled_two_business_days_ahead_sets_no_deadline():
    assert deadline(D(2026, 11, 2), D(2026, 11, 4)) is None


def test_a_weekend_does_not_count_towards_the_three_business_days():
    # Thursday for the next Monday: Fri, Mon = 2 business days ahead.
    assert deadline(D(2026, 12, 3), D(2026, 12, 7)) is None
    # Friday for Wednesday: Mon, Tue, Wed = 3; due the Monday after the weekend.
    assert deadline(D(2026, 10, 30), D(2026, 11, 4)) == D(2026, 11, 2)


def test_thanksgiving_is_skipped_both_in_the_lead_and_in_the_deadline():
    # Wednesday 11/25 for Tuesday 12/01: Fri, Mon, Tue = 3 (Thursday is Thanksgiving).
    assert deadline(D(2026, 11, 25), D(2026, 12, 1)) == D(2026, 11, 27)
    # Wednesday 11/25 for Monday 11/30: Fri, Mon = 2, no deadline.
    assert deadline(D(2026, 11, 25), D(2026, 11, 30)) is None


def test_nine_business_days_ahead_is_still_due_in_one_business_day():
    assert deadline(D(2026, 12, 7), D(2026, 12, 18)) == D(2026, 12, 8)


def test_ten_business_days_ahead_is_due_in_three_business_days():
    assert deadline(D(2026, 12, 7), D(2026, 12, 21)) == D(2026, 12, 10)


def test_a_federal_holiday_inside_the_lead_keeps_it_under_ten_business_days():
    # Monday 11/02 for Monday 11/16 is 9 business days: Veterans Day (11/11) is not one.
    assert deadline(D(2026, 11, 2), D(2026, 11, 16)) == D(2026, 11, 3)
    assert deadline(D(2026, 11, 2), D(2026, 11, 17)) == D(2026, 11, 5)


def test_an_estimate_asked_for_is_due_three_business_days_after_the_request():
    # Wednesday 12/23: Thu 12/24, (Christmas Friday skipped), Mon 12/28, Tue 12/29.
    assert deadline(requested_on=D(2026, 12, 23)) == D(2026, 12, 29)


def test_a_request_over_new_year_skips_the_holiday():
    assert deadline(requested_on=D(2026, 12, 31)) == D(2027, 1, 6)


def test_the_earlier_of_the_scheduling_and_the_request_deadline_binds():
    # Asked on Monday (due Thursday), then scheduled Wednesday 3 days ahead (due Thursday
    # too); scheduled 10+ ahead on Monday and asked on Monday: 3 business days either way.
    assert deadline(D(2026, 12, 7), D(2026, 12, 10), D(2026, 12, 2)) == D(2026, 12, 7)
    assert deadline(D(2026, 12, 7), D(2026, 12, 21), D(2026, 12, 7)) == D(2026, 12, 10)


def test_scheduled_for_a_date_before_scheduling_sets_no_deadline():
    assert deadline(D(2026, 12, 7), D(2026, 12, 1)) is None


def test_twelve_months_from_march_first_ends_on_the_leap_day():
    assert gfe.period_end_for(D(2027, 3, 1)) == D(2028, 2, 29)
    assert not gfe.period_too_long(D(2027, 3, 1), D(2028, 2, 29))
    assert gfe.period_too_long(D(2027, 3, 1), D(2028, 3, 1))


def test_a_month_later_than_january_31_is_the_last_day_of_february():
    assert gfe.add_months(D(2027, 1, 31), 1) == D(2027, 2, 28)
    assert gfe.add_months(D(2028, 1, 31), 1) == D(2028, 2, 29)


@pytest.mark.parametrize(
    ("frequency", "end", "visits"),
    [
        # 12 months from Wednesday 12/02/2026 end on Wednesday 12/01/2027: 53 Wednesdays.
        ("weekly", D(2027, 12, 1), 53),
        ("weekly", D(2027, 11, 30), 52),
        ("every_two_weeks", D(2027, 12, 1), 27),
        ("monthly", D(2027, 12, 1), 12),
        ("once", D(2027, 12, 1), 1),
    ],
)
def test_visits_over_a_period_follow_the_frequency(frequency, end, visits):
    assert gfe.visits_in_period(D(2026, 12, 2), end, frequency) == visits


@pytest.mark.parametrize(
    ("billed", "alert"),
    [("1399.99", False), ("1400.00", True), ("1400.01", True), ("900.00", False)],
)
def test_the_dispute_alert_starts_at_exactly_400_dollars_above_the_estimate(billed, alert):
    assert gfe.dispute_alert(billed=Decimal(billed), estimated=Decimal("1000.00")) is alert


def test_the_disclaimers_say_estimate_not_contract_separate_items_dispute_and_copy():
    text = " ".join(gfe.DISCLAIMERS)
    for words in (
        "estimate",
        "not a contract",
        "billed separately",
        "$400 or more",
        "120 calendar days",
        "1-800-985-3059",
        "Keep a copy",
    ):
        assert words in text
