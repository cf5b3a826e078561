"""Denials: what payers refused to pay in the period, by reason and by payer.

A denial here is a payer's answer that pays nothing and leaves nothing to the client: a
whole claim denied (CLP02 = 4), or a line of an answered claim with nothing paid and no
client share (the rule ``billing.posting.status_from_postings`` uses to call a claim
denied). Its adjustments other than the client's share (PR) say why, with their CARC
reason codes, worded by ``billing.remittance.reason_words``. Only answers that count
now: a reversal and the posting it took back both drop out. Answers dated (the
payment's date: BPR16 or the paper EOB's) in the period; answers still waiting for a
claim to match are on the remittance, not here.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from billing.models import Adjustment, Claim, ClaimPosting, Payer
from billing.remittance import STATUS_DENIED, reason_words
from billing.reports.common import Filters, _limit_claims, share
from practice.common import MONEY, ZERO


def _answers(start: datetime.date, end: datetime.date, filters: Filters) -> QuerySet:
    """Postings that count now, matched to a claim the user may see, paid in the period."""
    return ClaimPosting.objects.filter(
        claim__in=_limit_claims(Claim.objects.all(), filters),
        payment__received_on__range=(start, end),
        reverses__isnull=True,
        reversed_by__isnull=True,
    )


def denial_adjustments(start: datetime.date, end: datetime.date, filters: Filters) -> QuerySet:
    """The adjustments that explain denials (see the module docstring)."""
    return (
        Adjustment.objects.filter(posting__in=_answers(start, end, filters))
        .exclude(group=Adjustment.Group.PR)
        .filter(
            Q(posting__status_code=STATUS_DENIED)
            | Q(allocation__paid=0, allocation__patient_responsibility=0)
        )
    )


@dataclass(frozen=True)
class ReasonRow:
    group: str
    reason_code: str
    claims: int
    lines: int
    amount: Decimal

    @property
    def code(self) -> str:
        return f"{self.group}-{self.reason_code}"

    @property
    def words(self) -> str:
        return reason_words(self.reason_code)


def denials_by_reason(
    start: datetime.date, end: datetime.date, filters: Filters
) -> list[ReasonRow]:
    """Per adjustment group and CARC reason: claims and lines denied for it and the amount
    denied; largest amount first. A line denied for two reasons counts under each.

    SQL: SELECT a.grp, a.reason_code, COUNT(DISTINCT p.claim_id), COUNT(DISTINCT
    a.allocation_id), SUM(a.amount) FROM adjustment a JOIN claimposting p LEFT JOIN
    paymentallocation l JOIN payment pay WHERE pay.received_on BETWEEN … AND a.grp <> 'PR'
    AND (p.status_code = '4' OR (l.paid = 0 AND l.patient_responsibility = 0)) AND p counts
    now GROUP BY 1, 2
    """
    found = (
        denial_adjustments(start, end, filters)
        .values("group", "reason_code")
        .annotate(
            claims=Count("posting__claim", distinct=True),
            lines=Count("allocation", distinct=True),
            total=Sum("amount"),
        )
        .order_by("-total", "group", "reason_code")
    )
    return [
        ReasonRow(
            group=row["group"],
            reason_code=row["reason_code"],
            claims=row["claims"],
            lines=row["lines"],
            amount=row["total"],
        )
        for row in found
    ]


@dataclass(frozen=True)
class PayerDenialRow:
    payer_id: int
    payer: str
    answered: int  # claims the payer answered in the period
    denied: int  # of which with a denial (whole claim or a line)
    amount: Decimal

    @property
    def rate(self) -> Decimal | None:
        return share(self.denied, self.answered)


def denials_by_payer(
    start: datetime.date, end: datetime.date, filters: Filters
) -> list[PayerDenialRow]:
    """Per payer that answered claims in the period: claims answered, claims with a
    denial, the share denied and the amount denied.

    SQL: SELECT p.id, p.name, (SELECT COUNT(DISTINCT claim_id) FROM claimposting … WHERE
    payer = p.id) AS answered, (SELECT COUNT(DISTINCT claim_id) FROM adjustment … denials
    … WHERE payer = p.id), (SELECT SUM(amount) …) FROM payer p WHERE answered > 0
    """
    answers = _answers(start, end, filters).filter(claim__payer=OuterRef("pk"))
    denials = denial_adjustments(start, end, filters).filter(posting__claim__payer=OuterRef("pk"))
    payers = Payer.objects.all()
    if filters.payer is not None:
        payers = payers.filter(pk=filters.payer.pk)
    found = (
        payers.annotate(
            answered=Subquery(
                answers.values("claim__payer").annotate(n=Count("claim", distinct=True)).values("n")
            ),
            denied=Coalesce(
                Subquery(
                    denials.values("posting__claim__payer")
                    .annotate(n=Count("posting__claim", distinct=True))
                    .values("n")
                ),
                Value(0),
            ),
            denied_amount=Coalesce(
                Subquery(
                    denials.values("posting__claim__payer")
                    .annotate(total=Sum("amount"))
                    .values("total"),
                    output_field=MONEY,
                ),
                Value(ZERO),
                output_field=MONEY,
            ),
        )
        .filter(answered__gt=0)
        .values("pk", "answered", "denied", "denied_amount", payer_name=F("name"))
        .order_by("name", "pk")
    )
    return [
        PayerDenialRow(
            payer_id=row["pk"],
            payer=row["payer_name"],
            answered=row["answered"],
            denied=row["denied"],
            amount=row["denied_amount"],
        )
        for row in found
    ]
