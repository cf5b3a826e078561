"""How dates and ZIP codes read for people: one convention for the whole app.

Django takes DATE_FORMAT and its kin from ``practice/formats/en/formats.py``
(``settings.FORMAT_MODULE_PATH``), so a template shows MM/DD/YYYY with a bare
``{{ day }}`` or ``{{ day|date }}``, and ``{{ moment|date:"SHORT_DATETIME_FORMAT" }}``
for a date and time. Python that puts a date into a sentence (a message, a PDF) calls
``us_date`` or ``us_datetime``, which read the same settings.

Machine formats stay as their standards say, never through these: CSV exports and file
names (ISO 8601), X12 (CCYYMMDD), iCalendar, and the values of ``<input type="date">``.
"""

from __future__ import annotations

import datetime

from django.utils import formats, timezone


def us_date(value: datetime.date | datetime.datetime | str | None) -> str:
    """MM/DD/YYYY: a date, an aware datetime (its local date) or an ISO date string (the
    claim snapshots keep dates as text); "" for none; text that is not a date as it is."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    return formats.date_format(value, "DATE_FORMAT")


def us_datetime(value: datetime.datetime | None) -> str:
    """MM/DD/YYYY HH:MM in the practice's time zone; "" for none."""
    if not value:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "SHORT_DATETIME_FORMAT")


def zip_plus4(code: str | None) -> str:
    """ZIP+4 with its hyphen ("627011234" -> "62701-1234"), as USPS writes it; stored as
    nine digits because the 837P sends it so. Anything else stays as typed."""
    code = (code or "").strip()
    return f"{code[:5]}-{code[5:]}" if len(code) == 9 and code.isdigit() else code
