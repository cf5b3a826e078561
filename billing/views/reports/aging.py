"""The A/R aging report page: what each payer (chart and table) and each client still
owes, by age, as of today. The client table names clients: the read audit records them.
It shows the CLIENT_ROWS largest balances and the total of all; its CSV lists every
client."""

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
)
from practice.formats import us_date

# The page's client table: the largest balances first, this many; its CSV has every one.
CLIENT_ROWS = 100


def _client_row(row: q.AgingRow) -> tuple:
    return (row.name, *row.buckets, row.total, row.credit)


def _bucket_columns() -> list[Column]:
    return [Column(f"{label} ($)", MONEY) for label in q.AGING_LABELS]


def build(start: datetime.date, end: datetime.date, filters: q.Filters) -> list[Section]:
    today = filters.today
    payers = q.ar_by_payer(start, end, filters)
    payer_table = Table(
        name="payers",
        caption=f"Owed by payers on sent claims, by days since the claim was sent, on "
        f"{us_date(today)}",
        columns=[
            Column("Payer"),
            *_bucket_columns(),
            Column("Total owed ($)", MONEY),
            Column("Open claims", INT),
        ],
        rows=[(r.name, *r.buckets, r.total, r.count) for r in payers],
        total=True,
        empty="No payer owes anything on a sent claim.",
    )
    chart = charts.bar_chart(
        chart_id="chart-aging",
        title=f"Owed by payers by age of the claim on {us_date(today)}",
        desc=(
            "One bar per payer split into what it owes on claims sent 0–30, 31–60, 61–90, "
            "91–120 and over 120 days ago, in dollars, with the payer's total at the end "
            f"of its bar. {len(payers)} payers; the table below lists every value."
        ),
        categories=[r.name for r in payers],
        series=[
            charts.Series(label, [max(r.buckets[i], q.ZERO) for r in payers])
            for i, label in enumerate(q.AGING_LABELS)
        ],
        x_label="Amount owed ($)",
        unit=charts.MONEY,
        stacked=True,
    )
    as_of = (
        f"As of today ({us_date(today)}), whatever the dates chosen. A payer's part ages "
        "from the day its claim was sent."
    )
    clients = q.ar_by_client(start, end, filters, limit=CLIENT_ROWS)
    caption = f"Owed by clients, by days since each charge became theirs, on {us_date(today)}"
    if clients.count > len(clients.rows):
        caption += (
            f": the {len(clients.rows):,} largest balances of {clients.count:,} clients "
            "(the total is theirs all; the CSV lists every one)"
        )

    def every_client() -> tuple[list, list[int]]:
        every = q.ar_by_client(start, end, filters).rows
        return [_client_row(r) for r in every], [r.key for r in every]

    client_table = Table(
        name="clients",
        caption=caption,
        columns=[
            Column("Client"),
            *_bucket_columns(),
            Column("Total owed ($)", MONEY),
            Column("Credit ($)", MONEY),
        ],
        rows=[_client_row(r) for r in clients.rows],
        footer=_client_row(clients.total) if clients.rows else None,
        empty="No client owes anything or has a credit.",
        client_ids=[r.key for r in clients.rows],
        every_row=every_client if clients.count > len(clients.rows) else None,
    )
    return [
        Section("Owed by payers", [payer_table], chart=chart, note=as_of),
        Section(
            "Owed by clients",
            [client_table],
            note=f"As of today ({us_date(today)}). A self-pay session is the client's from "
            "its date, their share after insurance from the payer's answer, a fee from its "
            "date; payments settle the oldest charges first, as on the client's statement.",
        ),
    ]


REPORT = Report(
    slug="aging",
    title="A/R aging",
    summary="What payers still owe on sent claims and what clients owe, by age: 0–30, "
    "31–60, 61–90, 91–120 and over 120 days.",
    default=last_full_month,
    build=build,
)
