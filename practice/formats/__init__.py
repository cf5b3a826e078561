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
import functools
from collections.abc import Callable

from django.dispatch import receiver
from django.test.signals import setting_changed
from django.utils import formats, timezone, translation

# The format characters our formats use, each as Python writes it (as Django's
# ``dateformat`` does: zero-padded month, day, 24-hour hour and minute, four-digit year).
_FIELDS = {
    "m": "{0.month:02d}",
    "d": "{0.day:02d}",
    "Y": "{0.year:04d}",
    "H": "{0.hour:02d}",
    "i": "{0.minute:02d}",
}


@functools.cache
def _writer(name: str, language: str | None) -> Callable[[datetime.date], str]:
    """``value -> text`` for the format setting ``name``: one ``str.format`` when the
    format uses only the characters of ``_FIELDS`` and punctuation (ours do), else
    Django's ``date_format``. Django parses the format on every call; a list page writes
    50 to 150 dates (issue 14), so the format is read once per process and language."""
    parts = []
    for char in formats.get_format(name):
        if char in _FIELDS:
            parts.append(_FIELDS[char])
        elif char.isalpha() or char == "\\":
            return functools.partial(formats.date_format, format=name)
        else:
            parts.append(char.replace("{", "{{").replace("}", "}}"))
    return "".join(parts).format


@receiver(setting_changed, dispatch_uid="practice.formats.settings_changed")
def _forget_writers(*, setting: str, **kwargs) -> None:
    if setting in {"FORMAT_MODULE_PATH", "LANGUAGE_CODE", "DATE_FORMAT", "SHORT_DATETIME_FORMAT"}:
        _writer.cache_clear()


def date_writer() -> Callable[[datetime.date | None], str]:
    """``us_date`` for the many dates of one page (a list's rows): the format and
    language are read once, not per date (each read is a context-local lookup)."""
    write = _writer("DATE_FORMAT", translation.get_language())
    return lambda value: write(value) if value else ""


def datetime_writer() -> Callable[[datetime.datetime | None], str]:
    """``us_datetime`` for the many moments of one page: format, language and time zone
    read once."""
    write = _writer("SHORT_DATETIME_FORMAT", translation.get_language())
    zone = timezone.get_current_timezone()

    def written(value: datetime.datetime | None) -> str:
        if not value:
            return ""
        return write(value.astimezone(zone) if timezone.is_aware(value) else value)

    return written


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
    return _writer("DATE_FORMAT", translation.get_language())(value)


def us_datetime(value: datetime.datetime | None) -> str:
    """MM/DD/YYYY HH:MM in the practice's time zone; "" for none."""
    if not value:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return _writer("SHORT_DATETIME_FORMAT", translation.get_language())(value)


def zip_plus4(code: str | None) -> str:
    """ZIP+4 with its hyphen ("627011234" -> "62701-1234"), as USPS writes it; stored as
    nine digits because the 837P sends it so. Anything else stays as typed."""
    code = (code or "").strip()
    return f"{code[:5]}-{code[5:]}" if len(code) == 9 and code.isdigit() else code
