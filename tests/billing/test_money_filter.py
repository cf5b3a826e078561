"""The one way amounts are written for people (billing/templatetags/money.py)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.template import Context, Template

from billing.templatetags.money import dollars, money


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (D("1234.5"), "$1,234.50"),
        (D("1234567.89"), "$1,234,567.89"),
        (D("0.00"), "$0.00"),
        (D("-20.00"), "-$20.00"),
        (D("-0.001"), "$0.00"),  # no "minus nothing"
        (D("0.005"), "$0.00"),  # half a cent: to even
        (D("0.015"), "$0.02"),
        (D("160"), "$160.00"),
        (None, "$0.00"),
        (12, "$12.00"),
        (1234.5, "$1,234.50"),
        ("98.5", "$98.50"),
        ("not money", ""),
        (D("NaN"), ""),
        (D("Infinity"), ""),
        ([], ""),
    ],
)
def test_amounts_are_written_as_dollars(value, shown):
    assert dollars(value) == shown
    assert money(value) == shown


def test_the_filter_needs_no_escaping_and_is_the_templates_own():
    html = Template("{% load money %}<td>{{ amount|money }}</td>").render(
        Context({"amount": D("-1234.5")})
    )
    assert html == "<td>-$1,234.50</td>"
