"""The underpayments report page: lines a payer allowed less for than its contract rate,
with the shortfall per payer (docs/getting-paid.md "Contract rates and underpayments")."""

from __future__ import annotations

import datetime

from billing import reports as q
from billing.reports import underpayments as u
from billing.views.reports.tables import (
    DATE,
    INT,
    MONEY,
    Column,
    Report,
    Section,
    Table,
    last_twelve_months,
)


def build(start: datetime.date, end: datetime.date, filters: q.Filters) -> list[Section]:
    payers = u.underpayments_by_payer(start, end, filters)
    lines = u.underpaid_lines(start, end, filters)
    by_payer = Table(
        name="payers",
        caption="Underpaid lines per payer, by date of service in the period",
        columns=[
            Column("Payer"),
            Column("Lines", INT),
            Column("Contract allows ($)", MONEY),
            Column("Payer allowed ($)", MONEY),
            Column("Short ($)", MONEY),
        ],
        rows=[(r.payer, r.lines, r.expected, r.allowed, r.short) for r in payers],
        total=True,
        empty="No underpaid line in this period.",
    )
    line_table = Table(
        name="lines",
        caption="Each underpaid line: the basis for an appeal",
        columns=[
            Column("Payer"),
            Column("Claim"),
            Column("Payer's claim number"),
            Column("Client"),
            Column("Date of service", DATE),
            Column("Code"),
            Column("Modifiers"),
            Column("Contract allows ($)", MONEY),
            Column("Payer allowed ($)", MONEY),
            Column("Paid ($)", MONEY),
            Column("Short ($)", MONEY),
            Column("Paid on", DATE),
        ],
        rows=[
            (
                r.payer,
                r.claim,
                r.payer_claim_number,
                r.client,
                r.date,
                r.code,
                r.modifiers,
                r.expected,
                r.allowed,
                r.paid,
                r.short,
                r.received_on,
            )
            for r in lines
        ],
        empty="No underpaid line in this period.",
        client_ids=[r.client_id for r in lines],
    )
    return [
        Section(
            "Underpayments",
            [by_payer, line_table],
            note="A line is underpaid when the payer's allowed amount falls short of the "
            "contract rate in force by more than the practice's tolerance (set on the "
            "practice in the admin). Flagged when the payment is posted.",
        )
    ]


REPORT = Report(
    slug="underpayments",
    title="Underpayments",
    summary="Paid lines the payer allowed less for than its contract rate, with the total "
    "short per payer.",
    default=last_twelve_months,
    build=build,
    with_payer=True,
)
