"""Rules over a claim and the claims sent before it: already sent, box 22 reference."""

from __future__ import annotations

from collections.abc import Iterator

from billing.models import Claim, ClaimLine
from billing.scrubber.core import (
    CLAIM,
    ERROR,
    PAYER_NUMBER,
    ClaimContext,
    Fix,
    Problem,
    _line_label,
    rule,
)


@rule("already_sent")
def check_already_sent(ctx: ClaimContext) -> Iterator[Problem]:
    """An original claim (frequency 1) must not carry a service already sent on another
    claim that was not voided: the payer would deny it as a duplicate, and a correction
    goes as a replacement (frequency 7) of the claim the payer has (NUCC 1500 item 22;
    docs/rules/claims.md "Corrections"). The database refuses new cases; this reports
    claims made before it did."""
    if ctx.claim.frequency != Claim.Frequency.ORIGINAL:
        return
    by_service = {line.service_line_id: line for line in ctx.lines if line.service_line_id}
    sent = (
        ClaimLine.objects.filter(
            service_line__in=list(by_service), claim__status__in=Claim.SENT_STATUSES
        )
        .exclude(ctx.this_service)
        .values_list("service_line_id", "claim__control_number", "claim__status", "claim_id")
    )
    statuses = dict(Claim.Status.choices)
    for service_line_id, control_number, status, claim_id in sent:
        line = by_service[service_line_id]
        yield Problem(
            "already_sent",
            ERROR,
            f"{_line_label(line)} was already sent on claim {control_number} "
            f"({statuses[status].lower()}): correct or void that claim instead of billing "
            "the service again.",
            line.position,
            fix=Fix(CLAIM, claim_id),
        )


@rule("resubmission_reference", fix=PAYER_NUMBER)
def check_resubmission_reference(ctx: ClaimContext) -> Iterator[Problem]:
    """A replacement (7) or void (8) names the payer's own claim number in box 22
    (NUCC 1500 item 22; X12 837P loop 2300 REF*F8), never our control number."""
    if ctx.claim.frequency == Claim.Frequency.ORIGINAL or ctx.claim.payer_claim_number:
        return
    yield Problem(
        "resubmission_reference",
        ERROR,
        f"This {ctx.claim.get_frequency_display().lower()} needs the payer's claim number "
        "for box 22: enter it from the payer's remittance or portal.",
    )
