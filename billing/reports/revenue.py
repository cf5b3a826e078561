"""Revenue: charged, expected and paid per payer, per clinician and per payer and code."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Count,
    F,
    IntegerField,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Cast

from billing.reports.common import (
    Filters,
    _clinician_values,
    _live_claim_lines,
    _minus,
    _name,
    _self_pay_lines,
    claim_line_paid,
    service_line_paid,
)
from practice.common import MONEY, ZERO

SELF_PAY = "Self-pay"


@dataclass(frozen=True)
class PayerRevenueRow:
    payer_id: int | None  # None: the self-pay row
    payer: str
    lines: int
    lines_without_rate: int
    charged: Decimal
    expected: Decimal | None
    paid: Decimal | None

    @property
    def gap(self) -> Decimal | None:
        """Expected minus paid; None until both are known."""
        return _minus(self.expected, self.paid)


def revenue_by_payer(
    start: datetime.date, end: datetime.date, filters: Filters
) -> list[PayerRevenueRow]:
    """Charged, expected (the fee schedule amount copied onto each claim line) and paid,
    per payer, from the lines of live claims with a date of service in the period; plus a
    "Self-pay" row from the attended sessions of self-pay clients (no claim, no expected
    amount). Insured sessions not yet on a claim are not revenue yet: see billing health.

    SQL: SELECT c.payer_id, p.name, COUNT(*), SUM(cl.charge), SUM(cl.expected_allowed),
    SUM(paid) FROM claimline cl JOIN claim c JOIN payer p WHERE cl.live AND date BETWEEN …
    GROUP BY c.payer_id, p.name UNION ALL SELECT NULL, 'Self-pay', COUNT(*),
    SUM(l.charge), NULL, SUM(paid) FROM serviceline l … WHERE client.self_pay
    """
    claimed = (
        _live_claim_lines(start, end, filters)
        .values(group_id=F("claim__payer_id"), group_name=F("claim__payer__name"))
        .annotate(
            lines=Count("pk"),
            lines_without_rate=Count("pk", filter=Q(expected_allowed__isnull=True)),
            charged=Sum("charge"),
            expected=Sum("expected_allowed"),
            paid=Sum(claim_line_paid()),
        )
        .order_by()
    )
    query = claimed
    if filters.payer is None:
        self_pay = (
            _self_pay_lines(start, end, filters)
            .values(
                group_id=Value(None, output_field=IntegerField()),
                group_name=Value(SELF_PAY),
            )
            .annotate(
                lines=Count("pk"),
                lines_without_rate=Value(0),
                charged=Sum("charge"),
                expected=Sum(Cast(Value(None), output_field=MONEY)),
                paid=Sum(service_line_paid()),
            )
            .order_by()
        )
        query = claimed.union(self_pay, all=True)
    rows = [
        PayerRevenueRow(
            payer_id=row["group_id"],
            payer=row["group_name"],
            lines=row["lines"],
            lines_without_rate=row["lines_without_rate"],
            charged=row["charged"],
            expected=row["expected"],
            paid=row["paid"],
        )
        for row in query
        if row["lines"]  # the self-pay aggregate answers one empty row when there is none
    ]
    return sorted(rows, key=lambda r: (r.payer_id is None, r.payer.lower()))


@dataclass(frozen=True)
class ClinicianRevenueRow:
    clinician_id: int
    clinician: str
    insured_charged: Decimal
    self_pay_charged: Decimal
    expected: Decimal | None
    paid: Decimal | None

    @property
    def charged(self) -> Decimal:
        return self.insured_charged + self.self_pay_charged


def revenue_by_clinician(
    start: datetime.date, end: datetime.date, filters: Filters
) -> list[ClinicianRevenueRow]:
    """Charged (to insurers, on live claims, and to self-pay clients), expected and paid
    per clinician who saw the client (the session's clinician, not a supervisor named as
    rendering provider), same sources and period as ``revenue_by_payer``.

    SQL: SELECT s.clinician_id, 'insured', SUM(cl.charge), SUM(cl.expected_allowed),
    SUM(paid) FROM claimline cl JOIN serviceline JOIN session s … GROUP BY s.clinician_id
    UNION ALL SELECT s.clinician_id, 'self-pay', SUM(l.charge), NULL, SUM(paid) FROM
    serviceline l JOIN session s … WHERE client.self_pay GROUP BY s.clinician_id
    """
    claimed = (
        _live_claim_lines(start, end, filters)
        .values(**_clinician_values("service_line__session__clinician__"), self_pay=Value(False))
        .annotate(
            charged=Sum("charge"),
            expected=Sum("expected_allowed"),
            paid=Sum(claim_line_paid()),
        )
        .order_by()
    )
    query = claimed
    if filters.payer is None:
        self_pay = (
            _self_pay_lines(start, end, filters)
            .values(**_clinician_values("session__clinician__"), self_pay=Value(True))
            .annotate(
                charged=Sum("charge"),
                expected=Sum(Cast(Value(None), output_field=MONEY)),
                paid=Sum(service_line_paid()),
            )
            .order_by()
        )
        query = claimed.union(self_pay, all=True)
    merged: dict[int, dict] = {}
    for row in query:
        entry = merged.setdefault(
            row["clinician_id"],
            {
                "name": _name(row, ""),
                "last": (row["last_name"], row["first_name"]),
                "insured": ZERO,
                "self_pay": ZERO,
                "expected": None,
                "paid": None,
            },
        )
        entry["self_pay" if row["self_pay"] else "insured"] += row["charged"] or ZERO
        for key in ("expected", "paid"):
            if row[key] is not None:
                entry[key] = (entry[key] or ZERO) + row[key]
    return [
        ClinicianRevenueRow(
            clinician_id=pk,
            clinician=entry["name"],
            insured_charged=entry["insured"],
            self_pay_charged=entry["self_pay"],
            expected=entry["expected"],
            paid=entry["paid"],
        )
        for pk, entry in sorted(merged.items(), key=lambda item: item[1]["last"])
    ]


@dataclass(frozen=True)
class GapRow:
    payer: str
    code: str
    lines: int
    units: int
    charged: Decimal
    expected: Decimal | None
    paid: Decimal | None

    @property
    def gap(self) -> Decimal | None:
        return _minus(self.expected, self.paid)


def expected_vs_paid(start: datetime.date, end: datetime.date, filters: Filters) -> list[GapRow]:
    """Per payer and CPT code on live claims: charged, expected, paid and the gap between
    expected and paid (None where no line has an expected amount).

    SQL: SELECT p.name, cl.procedure_code, COUNT(*), SUM(cl.units), SUM(cl.charge),
    SUM(cl.expected_allowed), SUM(paid) FROM claimline cl JOIN claim c JOIN payer p
    WHERE cl.live AND date BETWEEN … GROUP BY p.name, cl.procedure_code
    """
    found = (
        _live_claim_lines(start, end, filters)
        .values("procedure_code", payer_name=F("claim__payer__name"))
        .annotate(
            lines=Count("pk"),
            unit_sum=Sum("units"),
            charged=Sum("charge"),
            expected=Sum("expected_allowed"),
            paid=Sum(claim_line_paid()),
        )
        .order_by("payer_name", "procedure_code")
    )
    return [
        GapRow(
            payer=row["payer_name"],
            code=row["procedure_code"],
            lines=row["lines"],
            units=row["unit_sum"],
            charged=row["charged"],
            expected=row["expected"],
            paid=row["paid"],
        )
        for row in found
    ]
