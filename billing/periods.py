"""Report periods: whole months, the previous period and the same period last year."""

from __future__ import annotations

import datetime


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (or earlier), clipped to the month's end."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return datetime.date(year, month + 1, min(day.day, _month_length(year, month + 1)))


def _month_length(year: int, month: int) -> int:
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return (following - datetime.timedelta(days=1)).day


def month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=_month_length(day.year, day.month))


def _whole_months(start: datetime.date, end: datetime.date) -> int | None:
    """Number of calendar months when the period is whole months, else None."""
    if start.day != 1 or end != month_end(end):
        return None
    return (end.year - start.year) * 12 + end.month - start.month + 1


def previous_period(start: datetime.date, end: datetime.date) -> tuple[datetime.date, ...]:
    """The period of the same length just before: whole months shift by months (Jan–Mar
    → Oct–Dec), any other range by its number of days."""
    months = _whole_months(start, end)
    if months is not None:
        return add_months(start, -months), start - datetime.timedelta(days=1)
    days = (end - start).days + 1
    return start - datetime.timedelta(days=days), start - datetime.timedelta(days=1)


def same_period_last_year(start: datetime.date, end: datetime.date) -> tuple[datetime.date, ...]:
    """The same dates a year earlier (29 February → 28 February; a whole February stays
    whole, leap day included)."""
    last_start, last_end = add_months(start, -12), add_months(end, -12)
    if _whole_months(start, end) is not None:
        last_end = month_end(last_end)
    return last_start, last_end


def months_in(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """First days of every month the period touches, in order."""
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = add_months(month, 1)
    return months


def last_full_months(today: datetime.date, count: int) -> tuple[datetime.date, datetime.date]:
    """The ``count`` whole months before the current one."""
    end = today.replace(day=1) - datetime.timedelta(days=1)
    return add_months(end.replace(day=1), -(count - 1)), end
