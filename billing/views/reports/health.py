"""The billing health report page: unbilled work, claims by status, days to claim,
timely-filing and prior-authorization warnings."""

from __future__ import annotations

import datetime

from billing import charts
from billing import reports as q
from billing.views.reports.tables import (
    DATE,
    INT,
    MONEY,
    NUMBER,
    Column,
    Report,
    Section,
    Table,
    last_full_month,
)
from practice.formats import us_date


def build(start: datetime.date, end: datetime.date, filters: q.Filters) -> list[Section]:
    ages = q.unbilled_by_age(start, end, filters)
    filing = q.timely_filing_risk(start, end, filters)
    auths = q.prior_auths_running_out(start, end, filters)
    statuses = q.claims_by_status(start, end, filters)
    lag = q.days_to_claim(start, end, filters)
    today = filters.today
    age_table = Table(
        name="unbilled",
        caption=f"Attended sessions not yet on a claim, by age on {us_date(today)}",
        columns=[
            Column("Age (days since the session)"),
            Column("Draft", INT),
            Column("Ready to bill", INT),
            Column("Sessions", INT),
            Column("Charges ($)", MONEY),
        ],
        rows=[(r.bucket, r.draft, r.ready, r.sessions, r.charges) for r in ages],
        total=True,  # one row per age, always
    )
    filing_table = Table(
        name="timely_filing",
        caption=(
            f"Unbilled sessions within {q.WARNING_DAYS} days of the payer's timely-filing "
            "limit, or past it"
        ),
        columns=[
            Column("Date of service", DATE),
            Column("Client"),
            Column("Clinician"),
            Column("Payer"),
            Column("Status"),
            Column("File by", DATE),
            Column("Days left", INT),
        ],
        rows=[
            (r.date, r.client, r.clinician, r.payer, r.status, r.deadline, r.days_left)
            for r in filing
        ],
        empty="No unbilled session is near a timely-filing limit.",
        client_ids=[r.client_id for r in filing],
    )
    auth_table = Table(
        name="prior_auths",
        caption=(
            f"Prior authorizations with {q.AUTH_VISITS_MARGIN} visits or fewer left, or "
            f"ending within {q.WARNING_DAYS} days"
        ),
        columns=[
            Column("Client"),
            Column("Payer"),
            Column("Authorization"),
            Column("Visits authorized", INT),
            Column("Visits used", INT),
            Column("Visits left", INT),
            Column("Ends", DATE),
            Column("Days left", INT),
        ],
        rows=[
            (r.client, r.payer, r.number, r.visits, r.used, r.remaining, r.valid_to, r.days_left)
            for r in auths
        ],
        empty="No prior authorization is running out.",
        client_ids=[r.client_id for r in auths],
    )
    status_table = Table(
        name="claims",
        caption="Claims built in the period, by status",
        columns=[Column("Status"), Column("Claims", INT), Column("Total charge ($)", MONEY)],
        rows=[(r.label, r.claims, r.charges) for r in statuses],
        total=True,  # one row per status, always
    )
    lag_table = Table(
        name="days_to_claim",
        caption="Days from the date of service to the claim, per claim line",
        columns=[Column("Days from service to claim"), Column("Claim lines", INT)],
        rows=[(r.bucket, r.lines) for r in lag.rows],
        footer=("Total", lag.lines),
    )
    lag_summary = Table(
        name="days_to_claim_summary",
        caption="Days from service to claim: average and median",
        columns=[
            Column("Claim lines", INT),
            Column("Average days", NUMBER),
            Column("Median days", NUMBER),
        ],
        rows=[(lag.lines, lag.average, lag.median)],
    )
    chart = charts.column_chart(
        chart_id="chart-health",
        title=f"Unbilled sessions by age on {us_date(today)}",
        desc=(
            "Stacked columns for 0–30, 31–60, 61–90 and over 90 days since the session, "
            "split into draft and ready-to-bill sessions, with each column's total on top: "
            + ", ".join(f"{r.bucket} {r.sessions}" for r in ages)
            + "."
        ),
        categories=[(r.bucket.removesuffix(" days"), "days") for r in ages],
        series=[
            charts.Series("Draft", [r.draft for r in ages]),
            charts.Series("Ready to bill", [r.ready for r in ages]),
        ],
        x_label="Age of the session",
        y_label="Sessions",
        unit=charts.COUNT,
    )
    as_of = f"As of today ({us_date(today)}), whatever the session's date."
    return [
        Section("Unbilled sessions", [age_table], chart=chart, note=as_of),
        Section("Nearing the timely-filing limit", [filing_table], note=as_of),
        Section("Prior authorizations running out", [auth_table], note=as_of),
        Section("Claims by status", [status_table], note="Claims built in the period."),
        Section(
            "Days from service to claim",
            [lag_summary, lag_table],
            note="Original claims built in the period; discarded drafts do not count.",
        ),
    ]


REPORT = Report(
    slug="health",
    title="Billing health",
    summary="Unbilled sessions by age, claims by status, days to claim, timely-filing "
    "deadlines and prior authorizations running out.",
    default=last_full_month,
    build=build,
    with_payer=True,
)
