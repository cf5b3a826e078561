"""The revenue report page: by payer (chart and table), by clinician, expected against
paid."""

from __future__ import annotations

import datetime
from decimal import Decimal

from billing import charts
from billing import reports as q
from billing.views.reports.tables import (
    INT,
    MONEY,
    Column,
    Report,
    Section,
    Table,
    last_full_month,
    period_label,
)


def build(start: datetime.date, end: datetime.date, filters: q.Filters) -> list[Section]:
    payers = q.revenue_by_payer(start, end, filters)
    clinicians = q.revenue_by_clinician(start, end, filters)
    gaps = q.expected_vs_paid(start, end, filters)
    payer_table = Table(
        name="payers",
        caption="By payer: live claim lines with a date of service in the period, "
        "and self-pay sessions",
        columns=[
            Column("Payer"),
            Column("Lines", INT),
            Column("Lines without a fee schedule rate", INT),
            Column("Charged ($)", MONEY),
            Column("Expected ($)", MONEY),
            Column("Paid ($)", MONEY),
            Column("Expected minus paid ($)", MONEY),
        ],
        rows=[
            (r.payer, r.lines, r.lines_without_rate, r.charged, r.expected, r.paid, r.gap)
            for r in payers
        ],
        footer=_revenue_total(payers) if payers else None,
        empty="No claimed or self-pay services in this period.",
    )
    clinician_table = Table(
        name="clinicians",
        caption="By clinician who saw the client",
        columns=[
            Column("Clinician"),
            Column("Charged to insurers ($)", MONEY),
            Column("Charged to self-pay clients ($)", MONEY),
            Column("Charged in all ($)", MONEY),
            Column("Expected from insurers ($)", MONEY),
            Column("Paid ($)", MONEY),
        ],
        rows=[
            (r.clinician, r.insured_charged, r.self_pay_charged, r.charged, r.expected, r.paid)
            for r in clinicians
        ],
        empty="No claimed or self-pay services in this period.",
    )
    gap_table = Table(
        name="gap",
        caption="Expected against paid, by payer and CPT code",
        columns=[
            Column("Payer"),
            Column("CPT code"),
            Column("Lines", INT),
            Column("Units", INT),
            Column("Charged ($)", MONEY),
            Column("Expected ($)", MONEY),
            Column("Paid ($)", MONEY),
            Column("Expected minus paid ($)", MONEY),
        ],
        rows=[
            (r.payer, r.code, r.lines, r.units, r.charged, r.expected, r.paid, r.gap) for r in gaps
        ],
        empty="No claim lines in this period.",
    )
    return [
        Section("By payer", [payer_table], chart=_revenue_chart(start, end, payers)),
        Section("By clinician", [clinician_table]),
        Section(
            "Expected against paid",
            [gap_table],
            note="Paid is what payers paid on the lines (0.00 before any answer); the gap shows "
            "“—” only where no fee schedule rate gives an expected amount.",
        ),
    ]


def _sum_known(values) -> Decimal | None:
    known = [v for v in values if v is not None]
    return sum(known, q.ZERO) if known else None


def _revenue_total(rows: list[q.PayerRevenueRow]) -> tuple:
    expected = _sum_known(r.expected for r in rows)
    paid = _sum_known(r.paid for r in rows)
    return (
        "Total",
        sum(r.lines for r in rows),
        sum(r.lines_without_rate for r in rows),
        sum((r.charged for r in rows), q.ZERO),
        expected,
        paid,
        None if expected is None or paid is None else expected - paid,
    )


def _revenue_chart(start, end, rows: list[q.PayerRevenueRow]) -> charts.Chart:
    series = [
        charts.Series("Charged", [r.charged for r in rows]),
        charts.Series("Expected", [r.expected for r in rows]),
    ]
    if any(r.paid is not None for r in rows):
        series.append(charts.Series("Paid", [r.paid for r in rows]))
    return charts.bar_chart(
        chart_id="chart-revenue",
        title=f"Charged and expected by payer, {period_label(start, end)}",
        desc=(
            "Horizontal bars per payer: amount charged and amount expected from the fee "
            "schedule, in dollars, with each value printed at the end of its bar. "
            f"{len(rows)} payer rows; the table below lists every value."
        ),
        categories=[r.payer for r in rows],
        series=series,
        x_label="Amount ($)",
        unit=charts.MONEY,
    )


REPORT = Report(
    slug="revenue",
    title="Revenue by payer and clinician",
    summary="Charged, expected and paid per payer and per clinician; expected against "
    "paid per code.",
    default=last_full_month,
    build=build,
    with_payer=True,
)
