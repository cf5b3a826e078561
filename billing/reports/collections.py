"""Collections: money received in the period, by payer and by clinician.

Cash basis: what arrived in the period (the payment's date: BPR16, the paper EOB's, the
day a client paid), whenever the service was. A payer's reversal in the period takes its
money back in the period; a client's refund counts less than nothing. Payer money is what
its answers posted to our claims (an 835's provider-level adjustments, PLB, and answers
still waiting for a claim to match are on the remittance, not here).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, Count, F, IntegerField, Sum, Value, When

from billing.models import Claim, ClaimPosting, Payment, PaymentAllocation
from billing.reports.common import MONEY, ZERO, Filters, _limit_claims, _name, _sessions

CLIENTS = "Clients (copays, self-pay, balances)"


def _signed_amount() -> Case:
    """A client payment's amount, negative for a refund."""
    return Case(
        When(kind=Payment.Kind.REFUND, then=-F("amount")),
        default=F("amount"),
        output_field=MONEY,
    )


@dataclass(frozen=True)
class CollectionRow:
    payer_id: int | None  # None: the clients row
    payer: str
    payments: int  # remittances, EOBs or client payments received
    claims: int | None  # claims paid (None on the clients row)
    amount: Decimal


def collections_by_payer(
    start: datetime.date, end: datetime.date, filters: Filters
) -> list[CollectionRow]:
    """Per payer: how many payments it sent in the period, the claims they paid and the
    amount posted to those claims; then one row for what clients paid (payments less
    refunds). A clinician (or the clinician filter) sees the payer money on claims for
    their own sessions and no clients row: a client's payment is not tied to one
    clinician.

    SQL: SELECT c.payer_id, p.name, COUNT(DISTINCT cp.payment_id), COUNT(DISTINCT
    cp.claim_id), SUM(cp.paid) FROM claimposting cp JOIN claim c JOIN payer p JOIN payment
    pay WHERE pay.received_on BETWEEN … GROUP BY 1, 2 UNION ALL SELECT NULL, 'Clients',
    COUNT(*), 0, SUM(CASE kind WHEN 'refund' THEN -amount ELSE amount END) FROM payment
    WHERE source = 'client' AND received_on BETWEEN …
    """
    insurers = (
        ClaimPosting.objects.filter(
            claim__in=_limit_claims(Claim.objects.all(), filters),
            payment__source=Payment.Source.PAYER,
            payment__received_on__range=(start, end),
        )
        .exclude(paid=0)  # a denial brings in nothing
        .values(group_id=F("claim__payer_id"), group_name=F("claim__payer__name"))
        .annotate(
            payments=Count("payment", distinct=True),
            claims=Count("claim", distinct=True),
            amount=Sum("paid"),
        )
        .order_by()
    )
    query = insurers
    if filters.payer is None and not filters.limited:
        clients = (
            Payment.objects.filter(source=Payment.Source.CLIENT, received_on__range=(start, end))
            .values(group_id=Value(None, output_field=IntegerField()), group_name=Value(CLIENTS))
            .annotate(payments=Count("pk"), claims=Value(0), amount=Sum(_signed_amount()))
            .order_by()
        )
        query = insurers.union(clients, all=True)
    rows = [
        CollectionRow(
            payer_id=row["group_id"],
            payer=row["group_name"],
            payments=row["payments"],
            claims=row["claims"] if row["group_id"] is not None else None,
            amount=row["amount"] or ZERO,
        )
        for row in query
        if row["payments"]  # the clients aggregate answers one empty row when there is none
    ]
    return sorted(rows, key=lambda r: (r.payer_id is None, r.payer.lower()))


@dataclass(frozen=True)
class ClinicianCollectionRow:
    clinician_id: int
    clinician: str
    lines: int  # service lines paid
    insurance: Decimal


def collections_by_clinician(
    start: datetime.date, end: datetime.date, filters: Filters
) -> list[ClinicianCollectionRow]:
    """Per clinician who saw the client: what payers paid in the period on the claim lines
    made from their sessions, and how many lines that was.

    SQL: SELECT s.clinician_id, …names, COUNT(DISTINCT a.claim_line_id), SUM(a.paid) FROM
    paymentallocation a JOIN claimline cl JOIN serviceline l JOIN session s JOIN
    claimposting cp JOIN payment pay WHERE pay.received_on BETWEEN … AND pay.source =
    'payer' GROUP BY s.clinician_id, …
    """
    person = "claim_line__service_line__session__clinician__"
    allocations = PaymentAllocation.objects.filter(
        claim_line__service_line__session__in=_sessions(filters),
        posting__payment__source=Payment.Source.PAYER,
        posting__payment__received_on__range=(start, end),
    ).exclude(paid=0)
    if filters.payer is not None:
        allocations = allocations.filter(posting__claim__payer=filters.payer)
    found = (
        allocations.values(
            clinician_id=F(f"{person}id"),
            first_name=F(f"{person}first_name"),
            last_name=F(f"{person}last_name"),
            credentials=F(f"{person}credentials"),
        )
        .annotate(lines=Count("claim_line", distinct=True), insurance=Sum("paid"))
        .order_by("last_name", "first_name", "clinician_id")
    )
    return [
        ClinicianCollectionRow(
            clinician_id=row["clinician_id"],
            clinician=_name(row, ""),
            lines=row["lines"],
            insurance=row["insurance"],
        )
        for row in found
    ]
