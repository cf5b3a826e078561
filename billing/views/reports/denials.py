"""The denials report page: by reason (chart and table) and by payer."""

from __future__ import annotations

import datetime

from billing import charts
from billing import reports as q
from billing.views.reports.tables import (
    INT,
    MONEY,
    PERCENT,
    Column,
    Report,
    Section,
    Table,
    last_full_month,
    period_label,
)


def build(start: datetime.date, end: datetime.date, filters: q.Filters) -> list[Section]:
    reasons = q.denials_by_reason(start, end, filters)
    payers = q.denials_by_payer(start, end, filters)
    reason_table = Table(
        name="reasons",
        caption="Denied in the period, by the payer's reason (CARC)",
        columns=[
            Column("Code"),
            Column("Reason"),
            # A claim or line denied for two reasons counts under each: they do not add up.
            Column("Claims", INT, adds=False),
            Column("Lines", INT, adds=False),
            Column("Amount denied ($)", MONEY),
        ],
        rows=[(r.code, r.words, r.claims, r.lines, r.amount) for r in reasons],
        total=True,
        empty="No denials in this period.",
    )
    answered = sum(r.answered for r in payers)
    denied = sum(r.denied for r in payers)
    payer_table = Table(
        name="payers",
        caption="Claims answered in the period and those with a denial, by payer",
        columns=[
            Column("Payer"),
            Column("Claims answered", INT),
            Column("Claims with a denial", INT),
            Column("Denied (%)", PERCENT),
            Column("Amount denied ($)", MONEY),
        ],
        rows=[(r.payer, r.answered, r.denied, r.rate, r.amount) for r in payers],
        footer=(
            (
                "Total",
                answered,
                denied,
                q.share(denied, answered),
                sum((r.amount for r in payers), q.ZERO),
            )
            if payers
            else None
        ),
        empty="No payer answered a claim in this period.",
    )
    chart = charts.bar_chart(
        chart_id="chart-denials",
        title=f"Amount denied by reason, {period_label(start, end)}",
        desc=(
            "One bar per denial reason (adjustment group and CARC code) with the amount "
            f"denied in dollars at its end. {len(reasons)} reasons; the table below lists "
            "every value."
        ),
        categories=[f"{r.code} {r.words}" for r in reasons],
        series=[charts.Series("Amount denied", [r.amount for r in reasons])],
        x_label="Amount denied ($)",
        unit=charts.MONEY,
    )
    when = "Payers' answers dated in the period that count now (a reversal drops out)."
    return [
        Section("By reason", [reason_table], chart=chart, note=when),
        Section("By payer", [payer_table], note=when),
    ]


REPORT = Report(
    slug="denials",
    title="Denials",
    summary="What payers denied, by reason in our words and by payer, with each payer's "
    "share of claims denied.",
    default=last_full_month,
    build=build,
    with_payer=True,
)
