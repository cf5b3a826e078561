"""Underpayments: paid lines the payer allowed less for than the contract, per payer.

The flag is set when a payment is posted (``billing/contracts.py``) and stored on the
allocation, so this report reads rows, it does not price anything again."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum

from billing.models import ClaimLine, PaymentAllocation
from billing.reports.common import Filters, _limit_claim_lines
from practice.common import ZERO


@dataclass(frozen=True)
class UnderpaidLine:
    client_id: int
    client: str
    payer: str
    claim: str
    payer_claim_number: str
    date: datetime.date
    code: str
    modifiers: str
    expected: Decimal
    allowed: Decimal
    paid: Decimal
    short: Decimal
    received_on: datetime.date


@dataclass(frozen=True)
class PayerShortfall:
    payer: str
    lines: int
    expected: Decimal
    allowed: Decimal
    short: Decimal


def _underpaid(start: datetime.date, end: datetime.date, filters: Filters):
    """Allocations flagged underpaid on lines dated in the period, still counting: not
    taken back by a reversal, not a reversal themselves."""
    lines = _limit_claim_lines(ClaimLine.objects.all(), filters)
    return PaymentAllocation.objects.filter(
        underpaid_by__isnull=False,
        reverses__isnull=True,
        reversed_by__isnull=True,
        claim_line__in=lines,
        claim_line__date_of_service__range=(start, end),
    )


def underpaid_lines(start: datetime.date, end: datetime.date, filters: Filters) -> list:
    """Each underpaid line, by payer then date: the basis of an appeal.

    SQL: SELECT … FROM paymentallocation a JOIN claimline l JOIN claim c JOIN payer p JOIN
    client cl JOIN claimposting cp JOIN payment pm WHERE a.underpaid_by IS NOT NULL AND
    a.reverses_id IS NULL AND NOT EXISTS (reversal) AND l.date_of_service BETWEEN …
    """
    rows = (
        _underpaid(start, end, filters)
        .order_by("claim_line__claim__payer__name", "claim_line__date_of_service", "pk")
        .values(
            "claim_line__claim__client_id",
            "claim_line__claim__client__first_name",
            "claim_line__claim__client__last_name",
            "claim_line__claim__payer__name",
            "claim_line__claim__control_number",
            "claim_line__claim__payer_claim_number",
            "claim_line__date_of_service",
            "procedure_code",
            "modifiers",
            "expected_allowed",
            "allowed",
            "paid",
            "underpaid_by",
            "posting__payment__received_on",
        )
    )
    return [
        UnderpaidLine(
            client_id=r["claim_line__claim__client_id"],
            client=f"{r['claim_line__claim__client__last_name']}, "
            f"{r['claim_line__claim__client__first_name']}",
            payer=r["claim_line__claim__payer__name"],
            claim=r["claim_line__claim__control_number"],
            payer_claim_number=r["claim_line__claim__payer_claim_number"],
            date=r["claim_line__date_of_service"],
            code=r["procedure_code"],
            modifiers=r["modifiers"],
            expected=r["expected_allowed"],
            allowed=r["allowed"],
            paid=r["paid"],
            short=r["underpaid_by"],
            received_on=r["posting__payment__received_on"],
        )
        for r in rows
    ]


def underpayments_by_payer(
    start: datetime.date, end: datetime.date, filters: Filters
) -> list[PayerShortfall]:
    """Per payer: underpaid lines, the contract's total, what it allowed, the shortfall.

    SQL: SELECT p.name, COUNT(*), SUM(a.expected_allowed), SUM(a.allowed),
    SUM(a.underpaid_by) FROM paymentallocation a JOIN claimline l JOIN claim c JOIN payer p
    WHERE (as underpaid_lines) GROUP BY p.name ORDER BY p.name
    """
    rows = (
        _underpaid(start, end, filters)
        .values("claim_line__claim__payer__name")
        .annotate(
            lines=Count("pk"),
            expected=Sum("expected_allowed"),
            allowed=Sum("allowed"),
            short=Sum("underpaid_by"),
        )
        .order_by("claim_line__claim__payer__name")
    )
    return [
        PayerShortfall(
            payer=r["claim_line__claim__payer__name"],
            lines=r["lines"],
            expected=r["expected"] or ZERO,
            allowed=r["allowed"] or ZERO,
            short=r["short"] or ZERO,
        )
        for r in rows
    ]


__all__ = [
    "PayerShortfall",
    "UnderpaidLine",
    "underpaid_lines",
    "underpayments_by_payer",
]
