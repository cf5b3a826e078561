"""Good Faith Estimate rules (No Surprises Act, 45 CFR 149.610 and 149.620), no database.

Who gets one, by when, and when a bill is far enough above it that the client may
dispute it. The estimate itself, its lines and the fees are in ``billing/estimates.py``
(workflows) and ``billing.models.GoodFaithEstimate``; the PDF in
``billing/outputs/gfe.py``. docs/rules/good-faith-estimates.md explains the rules.
"""

from __future__ import annotations

import datetime
import functools
from decimal import Decimal

import holidays

from billing.periods import add_months

# 45 CFR 149.610(b)(1)(vi): the lead times (in business days between scheduling and the
# service) that start a delivery clock, and how many business days the clock gives.
# (lead at least, business days to deliver): the longer lead is checked first.
SCHEDULED_DEADLINES: tuple[tuple[int, int], ...] = ((10, 3), (3, 1))
# 45 CFR 149.610(b)(1)(vi)(C): an estimate asked for, with or without scheduling.
REQUESTED_DEADLINE_DAYS = 3
# 45 CFR 149.610 (recurring items or services): one estimate covers at most 12 months of
# recurring care; a longer course gets a new estimate.
MAX_PERIOD_MONTHS = 12
# 45 CFR 149.620: billed charges "substantially in excess" of the estimate = at least $400
# above the expected charges, which lets the client start a dispute.
DISPUTE_THRESHOLD = Decimal("400.00")
# 45 CFR 149.620: the client must start a dispute within 120 calendar days of
# receiving the bill.
DISPUTE_WINDOW_DAYS = 120
CMS_CONTACT = "www.cms.gov/nosurprises or 1-800-985-3059"

# How often a recurring service is expected; weeks between visits where it is weekly-based.
FREQUENCIES = {
    "weekly": "Weekly",
    "every_two_weeks": "Every two weeks",
    "monthly": "Monthly",
    "once": "Once",
}
FREQUENCY_WEEKS = {"weekly": 1, "every_two_weeks": 2}

DISCLAIMERS: tuple[str, ...] = (
    # 45 CFR 149.610, required disclaimers: an estimate only; not a contract; other items
    # billed separately; the right to dispute; keep a copy.
    "This is an estimate of the charges for the services we expect to provide, made from "
    "what we know when it is issued. The services and charges you are actually billed may "
    "differ.",
    "This estimate is not a contract. It does not oblige you to receive these services "
    "from us or from anyone named here.",
    "Other items or services that your clinician recommends, or that must be scheduled or "
    "requested separately, are not included here and may be billed separately; you will "
    "receive a separate estimate for them when they are scheduled or when you ask.",
    f"If you are billed ${DISPUTE_THRESHOLD:,.0f} or more above this estimate, you have the "
    "right to dispute the bill through the federal patient-provider dispute resolution "
    f"process. You must start the dispute within {DISPUTE_WINDOW_DAYS} calendar days of "
    f"the date on the bill. For information and to start a dispute: {CMS_CONTACT}.",
    "Keep a copy of this estimate: you will need it if you dispute a bill.",
)


@functools.cache
def _federal_holidays(year: int) -> frozenset[datetime.date]:
    # US federal holidays with their observed days (5 U.S.C. 6103), e.g. July 3, 2026.
    return frozenset(holidays.country_holidays("US", years=year))


def is_business_day(day: datetime.date) -> bool:
    """Monday to Friday, except US federal holidays (as observed)."""
    return day.weekday() < 5 and day not in _federal_holidays(day.year)


def add_business_days(start: datetime.date, days: int) -> datetime.date:
    """The ``days``-th business day after ``start`` (``start`` itself never counts):
    one business day after a Friday is the Monday, or the Tuesday when Monday is a
    federal holiday."""
    day = start
    remaining = days
    while remaining > 0:
        day += datetime.timedelta(days=1)
        if is_business_day(day):
            remaining -= 1
    return day


def business_days_between(start: datetime.date, end: datetime.date) -> int:
    """Business days after ``start`` up to and including ``end`` (0 when end <= start):
    scheduled on a Monday for the Thursday is 3 business days ahead."""
    count = 0
    day = start
    while day < end:
        day += datetime.timedelta(days=1)
        if is_business_day(day):
            count += 1
    return count


def delivery_deadline(
    *,
    scheduled_on: datetime.date | None,
    service_date: datetime.date | None,
    requested_on: datetime.date | None = None,
) -> datetime.date | None:
    """The last day to give the client the estimate (45 CFR 149.610(b)(1)(vi)), or None
    when the rule sets no deadline.

    - Scheduled at least 10 business days ahead: 3 business days after scheduling.
    - Scheduled at least 3 business days ahead: 1 business day after scheduling.
    - Scheduled fewer than 3 business days ahead: the rule sets no deadline.
    - Asked for by the client: 3 business days after the request.
    When both a scheduling and a request start a clock, the earlier deadline binds.
    """
    deadlines: list[datetime.date] = []
    if scheduled_on is not None and service_date is not None:
        lead = business_days_between(scheduled_on, service_date)
        for at_least, days in SCHEDULED_DEADLINES:
            if lead >= at_least:
                deadlines.append(add_business_days(scheduled_on, days))
                break
    if requested_on is not None:
        deadlines.append(add_business_days(requested_on, REQUESTED_DEADLINE_DAYS))
    return min(deadlines) if deadlines else None


def period_end_for(start: datetime.date, months: int = MAX_PERIOD_MONTHS) -> datetime.date:
    """The last day of a period of ``months`` starting ``start`` (12 months from
    03/01/2027 ends 02/29/2028)."""
    return add_months(start, months) - datetime.timedelta(days=1)


def period_too_long(start: datetime.date, end: datetime.date) -> bool:
    """True when ``start``–``end`` is longer than the 12 months one estimate may cover."""
    return end > period_end_for(start)


def visits_in_period(start: datetime.date, end: datetime.date, frequency: str) -> int:
    """How many visits a frequency gives from ``start`` to ``end`` (both included), the
    first on ``start``: weekly over 12 months is 53 when the 53rd week starts inside the
    period, 52 otherwise; monthly counts the same day each month."""
    if end < start:
        return 0
    if frequency == "once":
        return 1
    if frequency == "monthly":
        count = 0
        while add_months(start, count) <= end:
            count += 1
        return count
    step = FREQUENCY_WEEKS[frequency] * 7
    return (end - start).days // step + 1


def dispute_alert(*, billed: Decimal, estimated: Decimal) -> bool:
    """True when billed charges are $400.00 or more above the estimate: the client may
    then dispute the bill (45 CFR 149.620). $399.99 above is not enough."""
    return billed - estimated >= DISPUTE_THRESHOLD
