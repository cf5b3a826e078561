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

from billing.models import Claim, ClaimPosting, ClientAllocation, Payment, PaymentAllocation
from billing.reports.common import (
    Filters,
    _clinician_values,
    _limit_claims,
    _name,
    _sessions,
)
from practice.common import MONEY, ZERO
from practice.models import Appointment

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
    insurance: Decimal  # paid by payers on their claim lines
    clients: Decimal  # paid by clients toward their sessions, shares and fees

    @property
    def total(self) -> Decimal:
        return self.insurance + self.clients


def _by_clinician(rows, path: str, source: str):
    """``rows`` grouped by the clinician at ``path`` with their summed ``amount``."""
    return (
        rows.values(**_clinician_values(path), source=Value(source))
        .annotate(total=Sum("amount"))
        .order_by()
    )


def collections_by_clinician(
    start: datetime.date, end: datetime.date, filters: Filters
) -> list[ClinicianCollectionRow]:
    """Per clinician who saw the client, money received in the period for their work:
    what payers paid on the claim lines made from their sessions, and what clients paid
    toward their self-pay sessions, their share of those claim lines and the fees of
    appointments with them (``ClientAllocation``: a client payment applied oldest charge
    first, dated by the payment; a credit not yet applied is no clinician's). With the
    payer filter, payer money only.

    SQL: SELECT s.clinician_id, …names, 'payer', SUM(a.paid) FROM paymentallocation a
    JOIN claimline JOIN serviceline JOIN session s JOIN claimposting JOIN payment p WHERE
    p.received_on BETWEEN … GROUP BY … UNION ALL the same over clientallocation by its
    service line's session, by its claim line's session and by its fee's appointment.
    """
    sessions = _sessions(filters)
    insurers = (
        PaymentAllocation.objects.filter(
            claim_line__service_line__session__in=sessions,
            posting__payment__source=Payment.Source.PAYER,
            posting__payment__received_on__range=(start, end),
        )
        .exclude(paid=0)
        .annotate(amount=F("paid"))
    )
    if filters.payer is not None:
        insurers = insurers.filter(posting__claim__payer=filters.payer)
    query = _by_clinician(insurers, "claim_line__service_line__session__clinician__", "payer")
    if filters.payer is None:
        paid = ClientAllocation.objects.filter(payment__received_on__range=(start, end))
        appointments = Appointment.objects.all()
        if filters.user is not None:
            appointments = appointments.for_user(filters.user)
        if filters.clinician is not None:
            appointments = appointments.filter(clinician=filters.clinician)
        query = query.union(
            _by_clinician(
                paid.filter(service_line__session__in=sessions),
                "service_line__session__clinician__",
                "client",
            ),
            _by_clinician(
                paid.filter(claim_line__service_line__session__in=sessions),
                "claim_line__service_line__session__clinician__",
                "client",
            ),
            _by_clinician(
                paid.filter(client_charge__appointment__in=appointments),
                "client_charge__appointment__clinician__",
                "client",
            ),
            all=True,
        )
    merged: dict[int, dict] = {}
    for row in query:
        entry = merged.setdefault(
            row["clinician_id"],
            {
                "name": _name(row, ""),
                "last": (row["last_name"], row["first_name"], row["clinician_id"]),
                "payer": ZERO,
                "client": ZERO,
            },
        )
        entry[row["source"]] += row["total"] or ZERO
    return [
        ClinicianCollectionRow(
            clinician_id=pk,
            clinician=entry["name"],
            insurance=entry["payer"],
            clients=entry["client"],
        )
        for pk, entry in sorted(merged.items(), key=lambda item: item[1]["last"])
    ]
