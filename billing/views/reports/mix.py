"""The session mix report page: code shares, telehealth and no-shows per clinician."""

from __future__ import annotations

import datetime
from decimal import Decimal

from billing import charts
from billing import reports as q
from billing.views.reports.tables import (
    INT,
    PERCENT,
    Column,
    Report,
    Section,
    Table,
    last_full_month,
    period_label,
)


def build(start: datetime.date, end: datetime.date, filters: q.Filters) -> list[Section]:
    rows = q.session_mix(start, end, filters)
    code_columns = []
    for code in q.INDIVIDUAL_CODES:
        code_columns += [Column(f"{code} sessions", INT), Column(f"{code} share (%)", PERCENT)]

    def cells(r: q.MixRow) -> tuple:
        codes = []
        for count, part in zip(r.code_counts, r.code_shares, strict=True):
            codes += [count, part]
        return (
            r.clinician,
            r.individual,
            *codes,
            r.attended,
            r.telehealth_share,
            r.in_office_share,
            r.scheduled,
            r.no_shows,
            r.no_show_rate,
            r.late_cancels,
            r.late_cancel_rate,
        )

    table = Table(
        name="mix",
        caption="Per clinician: individual psychotherapy codes, telehealth, no-shows",
        columns=[
            Column("Clinician"),
            Column("Individual sessions (90832/4/7)", INT),
            *code_columns,
            Column("Attended sessions", INT),
            Column("Telehealth (%)", PERCENT),
            Column("In office (%)", PERCENT),
            Column("Scheduled, not cancelled", INT),
            Column("No-shows", INT),
            Column("No-show rate (%)", PERCENT),
            Column("Late cancellations", INT),
            Column("Late-cancel rate (%)", PERCENT),
        ],
        rows=[cells(r) for r in rows],
        footer=cells(q.mix_total(rows)) if rows else None,
        empty="No sessions in this period.",
    )
    chart = charts.bar_chart(
        chart_id="chart-mix",
        title=f"Individual psychotherapy codes per clinician, {period_label(start, end)}",
        desc=(
            "One bar per clinician split into the shares of 90832 (about 30 minutes), "
            "90834 (45) and 90837 (60) among their individual sessions, in percent, with "
            "the number of sessions at the end of the bar. The table below lists every value."
        ),
        categories=[r.clinician for r in rows],
        series=[
            charts.Series(code, [r.code_shares[i] or 0 for r in rows])
            for i, code in enumerate(q.INDIVIDUAL_CODES)
        ],
        x_label="Share of individual sessions (%)",
        unit=charts.PERCENT,
        stacked=True,
        axis_max=Decimal(100),
        end_labels=[f"n={r.individual}" if r.individual else "none" for r in rows],
    )
    return [Section("Session mix", [table], chart=chart)]


REPORT = Report(
    slug="mix",
    title="Session mix",
    summary="Per clinician: 90832/90834/90837 shares, telehealth share, no-show and "
    "late-cancel rates.",
    default=last_full_month,
    build=build,
)
