"""The collections report page: money received in the period by payer (chart and table)
and by clinician."""

from __future__ import annotations

import datetime

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
    payers = q.collections_by_payer(start, end, filters)
    clinicians = q.collections_by_clinician(start, end, filters)
    payer_table = Table(
        name="payers",
        caption="Received in the period, by payer, and from clients",
        columns=[
            Column("From"),
            Column("Payments", INT),
            Column("Claims paid", INT),
            Column("Received ($)", MONEY),
        ],
        rows=[(r.payer, r.payments, r.claims, r.amount) for r in payers],
        total=True,
        empty="Nothing received in this period.",
    )
    clinician_table = Table(
        name="clinicians",
        caption="Received in the period for each clinician's work (the clinician who saw "
        "the client)",
        columns=[
            Column("Clinician"),
            Column("From payers ($)", MONEY),
            Column("From clients ($)", MONEY),
            Column("Received ($)", MONEY),
        ],
        rows=[(r.clinician, r.insurance, r.clients, r.total) for r in clinicians],
        total=True,
        empty="Nothing received for a clinician's work in this period.",
    )
    chart = charts.bar_chart(
        chart_id="chart-collections",
        title=f"Received by payer, {period_label(start, end)}",
        desc=(
            "One bar per payer, and one for clients, with the amount received in the "
            f"period in dollars at its end. {len(payers)} rows; the table below lists "
            "every value."
        ),
        categories=[r.payer for r in payers],
        series=[charts.Series("Received", [max(r.amount, q.ZERO) for r in payers])],
        x_label="Amount received ($)",
        unit=charts.MONEY,
    )
    return [
        Section(
            "By payer",
            [payer_table],
            chart=chart,
            note="Money dated in the period, whatever the date of service; a reversal or "
            "a refund counts against the period it happens in.",
        ),
        Section(
            "By clinician",
            [clinician_table],
            note="A client's payment counts for the sessions, shares and fees it settled "
            "(oldest first); money not yet applied to a charge is in the clients row above "
            "only.",
        ),
    ]


REPORT = Report(
    slug="collections",
    title="Collections",
    summary="Money received in the period: per payer and from clients, and what payers "
    "paid for each clinician's services.",
    default=last_full_month,
    build=build,
    with_payer=True,
)
