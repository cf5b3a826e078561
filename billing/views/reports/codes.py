"""The services-by-CPT-code report page: units per month (chart and table) and each
code over the period against earlier periods."""

from __future__ import annotations

import datetime

from billing import charts
from billing import reports as q
from billing.views.reports.tables import (
    CHANGE,
    INT,
    MONEY,
    MONTH,
    PERCENT,
    Column,
    Report,
    Section,
    Table,
    last_twelve_months,
    period_label,
)

TOP_CODES = 5  # the services chart stacks the five busiest codes; the rest are "Other"


def build(start: datetime.date, end: datetime.date, filters: q.Filters) -> list[Section]:
    monthly = q.services_by_month(start, end, filters)
    codes = q.services_by_code(start, end, filters)
    months = q.months_in(start, end)
    month_table = Table(
        name="monthly",
        caption="Attended sessions per CPT code per month",
        columns=[
            Column("Month", MONTH),
            Column("CPT code"),
            # A session with two codes counts under each: sessions do not add up.
            Column("Sessions", INT, adds=False),
            Column("Units", INT),
            Column("Charges ($)", MONEY),
        ],
        rows=[(r.month, r.code, r.sessions, r.units, r.charges) for r in monthly],
        total=True,
        empty="No attended sessions in this period.",
    )
    previous, last_year = q.previous_period(start, end), q.same_period_last_year(start, end)
    code_table = Table(
        name="codes",
        caption=(
            f"Each code over the period, against {period_label(*previous)} (previous period) "
            f"and {period_label(*last_year)} (same period last year)"
        ),
        columns=[
            Column("CPT code"),
            Column("Description"),
            Column("Sessions", INT),
            Column("Units", INT),
            Column("Charges ($)", MONEY),
            Column("Share of units (%)", PERCENT),
            Column("Units, previous period", INT),
            Column("Change vs previous period (%)", CHANGE),
            Column("Units, same period last year", INT),
            Column("Change vs last year (%)", CHANGE),
        ],
        rows=[
            (
                r.code,
                r.description,
                r.sessions,
                r.units,
                r.charges,
                r.unit_share,
                r.previous_units,
                r.change_previous,
                r.last_year_units,
                r.change_last_year,
            )
            for r in codes
        ],
        empty="No attended sessions in this period or the two it is compared with.",
    )
    if codes:
        units = sum(r.units for r in codes)
        before = sum(r.previous_units for r in codes)
        year_ago = sum(r.last_year_units for r in codes)
        code_table.footer = (
            "Total",
            "",
            None,
            units,
            sum((r.charges for r in codes), q.ZERO),
            q.share(units, units),
            before,
            q.change(units, before),
            year_ago,
            q.change(units, year_ago),
        )
    return [
        Section(
            "Units per month", [month_table], chart=_services_chart(start, end, months, monthly)
        ),
        Section("Codes over the period", [code_table]),
    ]


def _services_chart(start, end, months, monthly) -> charts.Chart:
    by_code: dict[str, dict[datetime.date, int]] = {}
    for row in monthly:
        by_code.setdefault(row.code, {})[row.month] = row.units
    busiest = sorted(by_code, key=lambda code: (-sum(by_code[code].values()), code))
    series = [
        charts.Series(code, [by_code[code].get(m, 0) for m in months])
        for code in busiest[:TOP_CODES]
    ]
    if len(busiest) > TOP_CODES:
        rest = busiest[TOP_CODES:]
        series.append(
            charts.Series("Other", [sum(by_code[c].get(m, 0) for c in rest) for m in months])
        )
    totals = [sum(s.values[i] for s in series) for i in range(len(months))]
    peak = max(range(len(months)), key=lambda i: totals[i]) if any(totals) else None
    desc = (
        f"Stacked columns, one per month from {months[0]:%B %Y} to {months[-1]:%B %Y}, "
        "showing units billed for each CPT code"
        + (
            f"; the busiest month is {months[peak]:%B %Y} with {totals[peak]} units"
            if peak is not None
            else "; there are none"
        )
        + ". The table below lists every value."
    )
    return charts.column_chart(
        chart_id="chart-services",
        title=f"Units billed per month by CPT code, {period_label(start, end)}",
        desc=desc,
        categories=[
            (f"{m:%b}", f"{m:%Y}" if i == 0 or m.month == 1 else "") for i, m in enumerate(months)
        ],
        series=series,
        x_label="Month",
        y_label="Units billed",
        unit=charts.COUNT,
    )


REPORT = Report(
    slug="services",
    title="Services by CPT code",
    summary="Sessions, units and charges per code per month; each code's share and "
    "change against the previous period and last year.",
    default=last_twelve_months,
    build=build,
)
