"""Money as the pages show it: ``{{ amount|money }}`` in templates, ``dollars(amount)`` in
Python (messages, chart labels): "$1,234.50", "-$20.00", "$0.00" for None. The one way
amounts are written for people; files for machines (CSV, 837P, 835) write plain decimals.

Called for every amount cell of every list, so it does as little as it can: amounts read
from the database are already Decimals with two places, formatted as they come.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.safestring import SafeString

register = template.Library()


def dollars(value) -> str:
    """Format an amount as dollars: 1234.5 -> "$1,234.50", -20 -> "-$20.00", None ->
    "$0.00"; half a cent rounds to even (Decimal's default). Not a number: ""."""
    if type(value) is not Decimal:
        try:
            value = Decimal(value if value is not None else 0)
        except (InvalidOperation, TypeError, ValueError):
            return ""
    if not value.is_finite():
        return ""
    if value < 0:
        text = f"{-value:,.2f}"
        return "$" + text if text == "0.00" else "-$" + text
    return f"${value:,.2f}"


@register.filter(is_safe=True)
def money(value) -> SafeString:
    """``dollars`` as a template filter (digits, "$", "-", "," and "." need no escaping)."""
    return SafeString(dollars(value))
