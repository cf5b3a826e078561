"""Services by CPT code: units, sessions and charges per code per month and over the
period against earlier periods."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Count,
    F,
    Q,
    Sum,
)
from django.db.models.functions import TruncMonth

from billing.periods import (
    months_in,
    previous_period,
    same_period_last_year,
)
from billing.reports.common import (
    ATTENDED,
    Filters,
    _limit_service_lines,
    change,
    share,
)
from practice.common import ZERO
from practice.models import ServiceLine


@dataclass(frozen=True)
class MonthCodeRow:
    month: datetime.date
    code: str
    sessions: int
    units: int
    charges: Decimal


def services_by_month(
    start: datetime.date, end: datetime.date, filters: Filters
) -> list[MonthCodeRow]:
    """Sessions, units and charges per CPT code per month, attended sessions only; every
    month of the period appears for every code used in it (zeros where none), so a chart
    drawn from it has no gaps.

    SQL: SELECT date_trunc('month', s.date), pc.code, COUNT(DISTINCT s.id), SUM(l.units),
    SUM(l.charge) FROM serviceline l JOIN session s JOIN procedurecode pc
    WHERE s.status IN (attended) AND s.date BETWEEN :start AND :end GROUP BY 1, 2
    """
    lines = _limit_service_lines(
        ServiceLine.objects.filter(session__status__in=ATTENDED, session__date__range=(start, end)),
        filters,
    )
    found = {
        (row["month"], row["code"]): row
        for row in lines.annotate(month=TruncMonth("session__date"))
        .values("month", code=F("procedure__code"))
        .annotate(
            sessions=Count("session", distinct=True),
            unit_sum=Sum("units"),
            charges=Sum("charge"),
        )
        .order_by()
    }
    codes = sorted({code for _, code in found})
    rows = []
    for month in months_in(start, end):
        for code in codes:
            row = found.get((month, code))
            rows.append(
                MonthCodeRow(
                    month=month,
                    code=code,
                    sessions=row["sessions"] if row else 0,
                    units=row["unit_sum"] if row else 0,
                    charges=row["charges"] if row else ZERO,
                )
            )
    return rows


@dataclass(frozen=True)
class CodeRow:
    code: str
    description: str
    sessions: int
    units: int
    charges: Decimal
    unit_share: Decimal | None
    previous_units: int
    change_previous: Decimal | None
    last_year_units: int
    change_last_year: Decimal | None


def services_by_code(start: datetime.date, end: datetime.date, filters: Filters) -> list[CodeRow]:
    """Per CPT code over the period: sessions, units, charges, share of the period's
    units, and units against the previous period of the same length and the same period
    last year (percent change; None when the earlier period had none). Codes used only
    in an earlier period appear with zeros now.

    SQL: SELECT pc.code, COUNT(DISTINCT s.id) FILTER (WHERE now), SUM(l.units) FILTER
    (WHERE now | previous | last year), SUM(l.charge) FILTER (WHERE now) FROM serviceline
    l JOIN session s JOIN procedurecode pc WHERE attended AND s.date IN any of the three
    periods GROUP BY pc.code
    """
    previous = previous_period(start, end)
    last_year = same_period_last_year(start, end)
    now_q = Q(session__date__range=(start, end))
    previous_q = Q(session__date__range=previous)
    last_year_q = Q(session__date__range=last_year)
    lines = _limit_service_lines(
        ServiceLine.objects.filter(session__status__in=ATTENDED).filter(
            now_q | previous_q | last_year_q
        ),
        filters,
    )
    found = list(
        lines.values(code=F("procedure__code"), description=F("procedure__description"))
        .annotate(
            sessions=Count("session", distinct=True, filter=now_q),
            unit_sum=Sum("units", filter=now_q, default=0),
            charges=Sum("charge", filter=now_q, default=ZERO),
            previous_units=Sum("units", filter=previous_q, default=0),
            last_year_units=Sum("units", filter=last_year_q, default=0),
        )
        .order_by()
    )
    total_units = sum(row["unit_sum"] for row in found)
    rows = [
        CodeRow(
            code=row["code"],
            description=row["description"],
            sessions=row["sessions"],
            units=row["unit_sum"],
            charges=row["charges"],
            unit_share=share(row["unit_sum"], total_units),
            previous_units=row["previous_units"],
            change_previous=change(row["unit_sum"], row["previous_units"]),
            last_year_units=row["last_year_units"],
            change_last_year=change(row["unit_sum"], row["last_year_units"]),
        )
        for row in found
    ]
    return sorted(rows, key=lambda r: (-r.units, -r.previous_units, r.code))
