"""The bench's hand-written SQL for the billing health report (bench/measure.py) reads the
same rows as the report's own statements, on a small demo practice and on PostgreSQL (the
SQL is PostgreSQL's): the page-to-SQL ratio of `make bench` would otherwise compare
different work. No timings here."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from billing import reports as q
from practice.models import Session

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the bench SQL is PostgreSQL's"),
]

UNTIL = datetime.date(2026, 10, 31)
DEMO = ["--clinicians", "4", "--clients", "60", "--months", "3", "--seed", "3"]
DEMO += ["--until", UNTIL.isoformat()]
START, END = datetime.date(2026, 10, 1), UNTIL


def _sql(name: str, today: datetime.date) -> list[tuple]:
    from bench.measure import SQL

    params = {"today": today, "tz": settings.TIME_ZONE, "start": START, "end": END}
    with connection.cursor() as cursor:
        cursor.execute(SQL[name], params)
        return cursor.fetchall()


def _edges() -> list[datetime.date]:
    """Days to be "today" on: a few days after the demo's last session (every age bucket
    but the oldest), months later (old unbilled work near its timely-filing limits), the
    day an unbilled session is exactly 30 days old (the edge of the first bucket), and the
    day an unbilled session's timely-filing deadline is exactly 14 days away (the last one
    flagged)."""
    unbilled = sorted(Session.objects.filter(status__in=q.UNBILLED).values_list("date", flat=True))
    late = q.timely_filing_risk(START, END, q.Filters(today=UNTIL + datetime.timedelta(days=400)))
    deadlines = sorted({row.deadline for row in late})
    assert len(unbilled) > 10 and len(deadlines) > 2
    return [
        UNTIL + datetime.timedelta(days=5),
        UNTIL + datetime.timedelta(days=100),
        unbilled[len(unbilled) // 2] + datetime.timedelta(days=30),
        deadlines[len(deadlines) // 2] - datetime.timedelta(days=q.WARNING_DAYS),
    ]


def test_the_health_reports_sql_twin_reads_the_reports_rows():
    call_command("demo", *DEMO, stdout=StringIO())
    for today in _edges():
        _compare(today)


def _compare(today: datetime.date) -> None:
    filters = q.Filters(today=today)

    ages = {row[0]: row[1:] for row in _sql("unbilled sessions by age", today)}
    report_ages = q.unbilled_by_age(START, END, filters)
    assert sum(row.sessions for row in report_ages) > 0
    assert {r.bucket: (r.draft, r.ready, r.charges) for r in report_ages if r.sessions} == ages

    filing = _sql("timely-filing risk", today)
    report_filing = q.timely_filing_risk(START, END, filters)
    assert [(r[0], r[3], r[4]) for r in filing] == [
        (r.session_id, r.payer, r.deadline) for r in report_filing
    ], today

    auths = _sql("prior authorizations running out", today)
    report_auths = q.prior_auths_running_out(START, END, filters)
    assert len(report_auths) > 0
    assert [(r[0], r[8]) for r in auths] == [(r.coverage_id, r.used) for r in report_auths]

    statuses = {row[0]: row[1:] for row in _sql("claims by status, one month", today)}
    report_statuses = q.claims_by_status(START, END, filters)
    assert sum(r.claims for r in report_statuses) > 0
    assert {r.status: (r.claims, r.charges) for r in report_statuses if r.claims} == statuses

    lags = sorted(_sql("days to claim, one month", today))
    report_lag = q.days_to_claim(START, END, filters)
    assert report_lag.lines > 0
    assert sum(count for _, count in lags) == report_lag.lines
    assert q._median(lags, report_lag.lines) == report_lag.median
