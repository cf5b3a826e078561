"""Template filters for values people read (the rules live in practice/formats)."""

from __future__ import annotations

from django import template

from practice import formats

register = template.Library()


@register.filter
def us_date(value) -> str:
    """MM/DD/YYYY for a date or a snapshot's ISO date text: ``{{ patient.date_of_birth|us_date }}``.
    A date object needs no filter: ``{{ day }}`` already reads MM/DD/YYYY."""
    return formats.us_date(value)


@register.filter
def zip_plus4(value) -> str:
    """ZIP+4 with its hyphen: ``{{ party.zip_code|zip_plus4 }}``."""
    return formats.zip_plus4(value)
