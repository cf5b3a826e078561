"""The SVG charts of the reports (billing/charts.py).

"Today" is frozen at 15 February 2026 (America/New_York) by ``conftest.py``."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from billing import charts

pytestmark = pytest.mark.django_db


def test_axis_steps_are_one_two_or_five_times_a_power_of_ten():
    assert charts.nice_axis(Decimal("7"), charts.COUNT) == (Decimal(8), Decimal(2))
    assert charts.nice_axis(Decimal("1234.50"), charts.MONEY) == (Decimal(1500), Decimal(500))
    assert charts.nice_axis(0, charts.COUNT) == (Decimal(4), Decimal(1))
    assert charts.nice_axis(Decimal("3"), charts.COUNT) == (Decimal(3), Decimal(1))


def test_chart_values_are_labelled_in_their_unit():
    assert charts.format_value(Decimal("1234.50"), charts.MONEY) == "$1,234.50"
    assert charts.format_value(Decimal("1500"), charts.MONEY, compact=True) == "$1.5k"
    assert charts.format_value(Decimal("33.30"), charts.PERCENT) == "33.3%"
    assert charts.format_value(12, charts.COUNT) == "12"


def test_a_chart_without_data_says_so(client, owner_user):
    client.force_login(owner_user)
    html = client.get(reverse("billing:report_services")).content.decode()
    assert "No data in this period" in html
    assert "No attended sessions in this period." in html


def test_chart_coordinates_are_plain_decimals():
    chart = charts.column_chart(
        chart_id="c",
        title="t",
        desc="d",
        categories=[("Jan", "2026"), ("Feb", "")],
        series=[charts.Series("90837", [Decimal("1"), Decimal("2")])],
        x_label="Month",
        y_label="Units",
    )
    numbers = [v for r in chart.rects for v in (r.x, r.y, r.width, r.height)]
    assert numbers and all(re.fullmatch(r"-?\d+(\.\d)?", v) for v in numbers)
