"""Posting a payer's paper EOB by hand (``eob_post``), from the claim page's form
(docs/getting-paid.md "Paper EOBs").

The biller types per line what the EOB says; the amounts are checked with the 835's
rules (charge − adjustments = paid; allowed = paid + the client's share) and posted as
an 835 posts them (billing/posting.py): one payment, one claim posting with its line
allocations and adjustments, the contract check, then the claim's status follows the
money and a copay already taken pays the client's share. Nothing is posted when a line
does not add up (``EobError``). The claim's status and the copay are the 835's own steps
(``billing.posting._follow_the_money``, ``_client_credit``), so the two ways in agree.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from billing.contracts import contract_check
from billing.models import Adjustment, Claim, ClaimLine, ClaimPosting, Payment, PaymentAllocation
from billing.posting import ANSWERABLE, _client_credit, _follow_the_money
from billing.remittance import STATUS_DENIED
from practice.common import ZERO
from practice.history import acting_user


class EobError(Exception):
    """A paper EOB that does not add up: nothing was posted. ``field`` names the form
    field the message belongs beside (``line-<id>-paid``), or is empty."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class EobLine:
    """One line of a paper EOB as the biller reads it: allowed (optional), paid and the
    adjustments (group, CARC reason, amount) that explain the rest of the charge."""

    claim_line: ClaimLine
    paid: Decimal
    adjustments: tuple[tuple[str, str, Decimal], ...] = ()
    allowed: Decimal | None = None


def eob_post(
    *,
    claim: Claim,
    received_on: datetime.date,
    check_number: str,
    lines: list[EobLine],
    user=None,
) -> ClaimPosting:
    """Post a payer's paper EOB per line, with the 835's rules: per line, charge − Σ
    adjustments = paid, and allowed (when given) = paid + the client's share (PR); the
    claim's status follows the money. Raises EobError (nothing posted) otherwise."""
    from billing.services import _locked

    if not lines:
        raise EobError("Enter at least one line.")
    with transaction.atomic():
        claim = _locked(claim)
        if claim.status not in ANSWERABLE:
            raise EobError(
                f"A {claim.get_status_display().lower()} claim takes no payment; only a "
                "submitted claim is answered by its payer."
            )
        ours = {line.pk: line for line in claim.lines.all()}
        for line in lines:
            key = f"line-{line.claim_line.pk}"
            if line.claim_line.pk not in ours:
                raise EobError("That line is not on this claim.", field=f"{key}-paid")
            if line.paid < 0 or any(a < 0 for _g, _r, a in line.adjustments):
                raise EobError("Amounts on a paper EOB are not negative.", field=f"{key}-paid")
            adjusted = sum((a for _g, _r, a in line.adjustments), ZERO)
            if line.claim_line.charge - adjusted != line.paid:
                raise EobError(
                    f"Charge {line.claim_line.charge:.2f} − adjustments {adjusted:.2f} is "
                    f"{line.claim_line.charge - adjusted:.2f}, not the {line.paid:.2f} paid.",
                    field=f"{key}-paid",
                )
            patient = sum((a for g, _r, a in line.adjustments if g == "PR"), ZERO)
            if line.allowed is not None and line.allowed != line.paid + patient:
                raise EobError(
                    f"Allowed {line.allowed:.2f} is not paid {line.paid:.2f} + the client's "
                    f"share {patient:.2f}.",
                    field=f"{key}-allowed",
                )
        now = timezone.now()
        paid = sum((line.paid for line in lines), ZERO)
        patient = sum((a for line in lines for g, _r, a in line.adjustments if g == "PR"), ZERO)
        payment = Payment.objects.create(
            source=Payment.Source.PAYER,
            payer=claim.payer,
            method=Payment.Method.CHECK if paid else Payment.Method.NONE,
            amount=paid,
            received_on=received_on,
            reference=check_number[:50],
            created_at=now,
            created_by=acting_user(user),
        )
        denied = paid == 0 and patient == 0
        posting = ClaimPosting.objects.create(
            payment=payment,
            claim=claim,
            control_number=claim.control_number,
            status_code=STATUS_DENIED if denied else "1",
            charge=sum((line.claim_line.charge for line in lines), ZERO),
            paid=paid,
            patient_responsibility=patient,
            created_at=now,
        )
        allocations = [
            PaymentAllocation(
                posting=posting,
                claim_line=line.claim_line,
                line_control_number=line.claim_line.line_control_number,
                procedure_code=line.claim_line.procedure_code,
                modifiers=":".join(line.claim_line.modifiers),
                date_of_service=line.claim_line.date_of_service,
                units=line.claim_line.units,
                charge=line.claim_line.charge,
                allowed=line.paid + sum((a for g, _r, a in line.adjustments if g == "PR"), ZERO),
                paid=line.paid,
                patient_responsibility=sum((a for g, _r, a in line.adjustments if g == "PR"), ZERO),
            )
            for line in lines
        ]
        contract_check(payer_id=claim.payer_id, allocations=[(claim, a) for a in allocations])
        PaymentAllocation.objects.bulk_create(allocations)
        Adjustment.objects.bulk_create(
            Adjustment(posting=posting, allocation=allocation, group=g, reason_code=r, amount=a)
            for allocation, line in zip(allocations, lines, strict=True)
            for g, r, a in line.adjustments
            if a
        )
        posting.new_allocations = allocations
        _follow_the_money([claim], {claim.pk: posting}, {}, user=user, reason="Paper EOB posted")
        _client_credit({claim.client_id}, user=user)
    return posting
