"""What payers have paid and written off, per claim line and per claim: the read side of
the postings (``billing.posting`` writes them from an 835, ``billing.eob`` from a paper
EOB).

One definition each, so every page agrees: the claim page's Paid and Balance
(``claim_money``), the claim summary and a claim's closing per batch of lines
(``billing.ledger.claim_lines_money``, from ``paid_per_line`` / ``written_off_per_line``)
and the reports per line in SQL (``line_paid``, ``line_written_off``). Reversals count:
their rows are the earlier amounts negated, so a reversed payment adds up to zero. What
a client paid is the ledger's (billing/ledger.py), not a payer's. Apart from the posting
code so that the ledger, the reports and the pages read the money without the write side.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from billing.models import Adjustment, Claim, ClaimPosting, PaymentAllocation
from practice.common import MONEY, ZERO


@dataclass(frozen=True)
class ClaimMoney:
    """What a claim has brought in so far, from its postings (reversals included, so a
    reversed payment counts zero)."""

    paid: Decimal
    adjustments: Decimal  # written off: CO, OA, PI
    patient_responsibility: Decimal
    balance: Decimal  # charge − paid − written off: still owed by the payer or the client
    posted: bool


# What a claim line has been paid and written off: the one definition. The claim
# summary and closing read it per batch of lines (``billing.ledger.claim_lines_money``),
# the reports per line in SQL (``line_paid``); both are these querysets.


def paid_per_line(lines=None) -> QuerySet:
    """What payers paid per claim line (``claim_line``, ``total``): the sum of what their
    postings allocated to it, a reversal's negated rows included, so a reversed payment
    counts zero. A client's payment is not a payer's (``ClientAllocation``, the ledger).
    ``lines``: a queryset or ids to narrow to; None for every line."""
    rows = PaymentAllocation.objects.filter(claim_line__isnull=False)
    if lines is not None:
        rows = rows.filter(claim_line__in=lines)
    return rows.order_by().values("claim_line").annotate(total=Sum("paid"))


def written_off_per_line(lines=None) -> QuerySet:
    """What payers wrote off per claim line (``claim_line``, ``total``): its adjustments
    other than the client's share (CO, OA, PI), a reversal's included."""
    rows = Adjustment.objects.filter(allocation__claim_line__isnull=False).exclude(group="PR")
    if lines is not None:
        rows = rows.filter(allocation__claim_line__in=lines)
    return (
        rows.order_by().values(claim_line=F("allocation__claim_line")).annotate(total=Sum("amount"))
    )


def line_paid(line: str = "pk") -> Coalesce:
    """``paid_per_line`` for one claim line, as SQL (a correlated subquery on the claim
    line's ``line`` column); 0.00 before any posting. A claim's lines add up to its
    ``claim_money`` Paid whenever the payer answered every line we sent (each line
    matched, no claim-level adjustment)."""
    total = paid_per_line().filter(claim_line=OuterRef(line)).values("total")
    return Coalesce(Subquery(total, output_field=MONEY), Value(ZERO), output_field=MONEY)


def line_written_off(line: str = "pk") -> Coalesce:
    """``claim_money``'s written off for one claim line, as SQL beside ``line_paid``: the
    line's adjustments other than the patient's share (CO, OA, PI), reversals included;
    0.00 before any. Charge − ``line_paid`` − this is what is still owed on the line
    (``billing.ledger.LineMoney.balance``)."""
    written_off = (
        Adjustment.objects.filter(allocation__claim_line=OuterRef(line))
        .exclude(group="PR")
        .order_by()
        .values("allocation__claim_line")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(written_off, output_field=MONEY), Value(ZERO), output_field=MONEY)


def claim_money(claim: Claim) -> ClaimMoney:
    """Paid and Balance for the claim page: two aggregate queries, whatever the number of
    postings."""
    totals = ClaimPosting.objects.filter(claim=claim).aggregate(
        paid=Sum("paid"), patient=Sum("patient_responsibility"), count=Count("pk")
    )
    written_off = (
        Adjustment.objects.filter(posting__claim=claim)
        .exclude(group="PR")
        .aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    paid = totals["paid"] or ZERO
    return ClaimMoney(
        paid=paid,
        adjustments=written_off,
        patient_responsibility=totals["patient"] or ZERO,
        balance=claim.total_charge - paid - written_off,
        posted=bool(totals["count"]),
    )
