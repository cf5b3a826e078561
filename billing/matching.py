"""Matching by hand a claim payment the 835 import could not match (docs/getting-paid.md).

Append-only like every posting: the unmatched posting is taken back by a reversal
(its amounts negated, ``reverses`` pointing at it) and a new posting for the chosen claim
carries the same amounts, its lines matched to the claim's lines by the import's own rule
(``billing.posting._match_line``), ``matched_from`` naming the posting it answers for. The
claim's status follows the money as after an import.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from billing.contracts import contract_check
from billing.models import Adjustment, Claim, ClaimPosting, PaymentAllocation
from billing.posting import (
    ANSWERABLE,
    _follow_the_money,
    _match_line,
    _negated,
    _negated_adjustment,
)
from billing.remittance import STATUS_REVERSAL, ServiceLine


class MatchError(Exception):
    """The match cannot be made: nothing was posted. The message says why."""


def unmatched_postings(remittance) -> list[ClaimPosting]:
    """The remittance's claim payments still waiting for a person: matched to no claim,
    not a reversal, not taken back (one query, with their lines)."""
    return list(
        ClaimPosting.objects.filter(
            payment__remittance=remittance,
            claim__isnull=True,
            reverses__isnull=True,
            reversed_by__isnull=True,
        )
        .prefetch_related("allocations")
        .order_by("pk")
    )


def posting_match(*, posting: ClaimPosting, control_number: str, user=None) -> ClaimPosting:
    """Post an unmatched claim payment onto our claim ``control_number`` (the payer's own
    claim, answerable: submitted or already answered). Raises MatchError otherwise."""
    with transaction.atomic():
        posting = (
            ClaimPosting.objects.select_for_update(of=("self",))
            .select_related("payment__remittance")
            .get(pk=posting.pk)
        )
        if (
            posting.claim_id is not None
            or posting.reverses_id is not None
            or ClaimPosting.objects.filter(reverses=posting).exists()
        ):
            raise MatchError("This claim payment is matched already; nothing was posted.")
        if posting.status_code == STATUS_REVERSAL:
            raise MatchError("A reversal takes back an earlier posting; it is not matched.")
        payer_id = posting.payment.payer_id
        claim = (
            Claim.objects.select_for_update()
            .filter(control_number=control_number.strip(), payer_id=payer_id)
            .with_lines()
            .first()
        )
        if claim is None:
            raise MatchError(
                f"No claim {control_number.strip()!r} to {posting.payment.payer} was found; "
                "type our claim number as it shows on the claim page."
            )
        if claim.status not in ANSWERABLE:
            raise MatchError(
                f"Claim {claim.control_number} is {claim.get_status_display().lower()}: only "
                "a submitted or answered claim takes a payment."
            )
        now = timezone.now()
        earlier_adjustments = list(posting.adjustments.all())
        reversal = ClaimPosting.objects.create(
            payment=posting.payment,
            claim=None,
            control_number=posting.control_number,
            status_code=STATUS_REVERSAL,
            charge=-posting.charge,
            paid=-posting.paid,
            patient_responsibility=-posting.patient_responsibility,
            payer_claim_number=posting.payer_claim_number,
            reverses=posting,
            created_at=now,
        )
        matched = ClaimPosting.objects.create(
            payment=posting.payment,
            claim=claim,
            control_number=claim.control_number,
            status_code=posting.status_code,
            charge=posting.charge,
            paid=posting.paid,
            patient_responsibility=posting.patient_responsibility,
            payer_claim_number=posting.payer_claim_number,
            matched_from=posting,
            created_at=now,
        )
        # Take back the unmatched lines and their adjustments …
        taken_back = list(_negated(posting, reversal))
        for _p, allocation, _adjustments in taken_back:
            allocation.posting = reversal
        PaymentAllocation.objects.bulk_create([a for _p, a, _adj in taken_back])
        rows = [adj for _p, _a, adjustments in taken_back for adj in adjustments]
        rows += [
            _negated_adjustment(a, reversal, None)
            for a in earlier_adjustments
            if a.allocation_id is None
        ]
        # … and post them again on the claim's lines.
        unmatched_lines = list(claim.lines.all())
        allocations = []
        for old in posting.allocations.all():
            line = ServiceLine(
                segment="",
                procedure_code=old.procedure_code,
                modifiers=old.modifiers.split(":") if old.modifiers else [],
                charge=old.charge,
                paid=old.paid,
                units=old.units,
                date_of_service=old.date_of_service,
                line_control_number=old.line_control_number,
            )
            allocation = PaymentAllocation(
                posting=matched,
                claim_line=_match_line(line, unmatched_lines),
                line_control_number=old.line_control_number,
                procedure_code=old.procedure_code,
                modifiers=old.modifiers,
                date_of_service=old.date_of_service,
                units=old.units,
                charge=old.charge,
                allowed=old.allowed,
                paid=old.paid,
                patient_responsibility=old.patient_responsibility,
            )
            allocation.was = old.pk
            allocations.append(allocation)
        contract_check(payer_id=payer_id, allocations=[(claim, a) for a in allocations])
        PaymentAllocation.objects.bulk_create(allocations)
        new_of = {a.was: a for a in allocations}
        rows += [
            Adjustment(
                posting=matched,
                allocation=new_of.get(a.allocation_id),
                group=a.group,
                reason_code=a.reason_code,
                remark_codes=a.remark_codes,
                amount=a.amount,
                quantity=a.quantity,
            )
            for a in earlier_adjustments
        ]
        Adjustment.objects.bulk_create(rows)
        matched.new_allocations = allocations
        _follow_the_money(
            [claim],
            {claim.pk: matched},
            {claim.control_number: posting.payer_claim_number}
            if posting.payer_claim_number
            else {},
            user=user,
            reason="Remittance matched by hand",
        )
    return matched
