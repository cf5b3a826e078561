"""Secondary claims (coordination of benefits): when the primary payer's answer to a claim
is posted and the client has a second coverage in force on the date of service, a draft
claim to that payer is built with the primary's decision (docs/getting-paid.md
"Secondary claims"; X12 837P loops 2320/2330A/2330B/2430; NUCC 1500 items 9–9d, 11d).

The secondary claim copies the primary's lines (same services, charges, codes, control
numbers of its own) as lines that do not bill the services again: ``live`` and
``original_billing`` are false, so the service stays billed once (the primary) and the
reports count its charge once. The primary's decision is copied into
``Claim.primary_adjudication`` and read back by ``adjudication_of`` for the 837P.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import prefetch_related_objects
from django.utils import timezone

from billing.models import Claim, ClaimDiagnosis, ClaimLine, ClaimPosting
from billing.outputs.x837 import Adjustment, LineAdjudication, OtherPayerAdjudication
from billing.remittance import STATUS_REVERSAL
from practice.history import acting_user, create_with_history, update_with_history
from practice.models import Clinician, Coverage, Practice

# Answered by the primary payer (Closed: paid with nothing more owed; a secondary payer
# may still want the claim to close its own books on the service).
ANSWERED = {
    Claim.Status.PAID,
    Claim.Status.PARTIALLY_PAID,
    Claim.Status.DENIED,
    Claim.Status.CLOSED,
}


def secondary_claims_build(*, claims: list[Claim], user=None) -> list[Claim]:
    """Draft secondary claims for those of ``claims`` the primary payer has just answered
    (paid, partly paid or denied), whose client has another coverage in force on the first
    date of service, and that have no secondary claim yet. A fixed number of queries
    whatever the number of claims: the clients' coverages and existing secondary claims,
    then, when some are built, what they copy (one query each: lines, diagnoses, people,
    the primaries' answers) and their rows with history."""
    candidates = [
        c
        for c in claims
        if c.status in ANSWERED and c.primary_claim_id is None and c.frequency != "8"
    ]
    if not candidates:
        return []
    coverages: dict[int, list[Coverage]] = defaultdict(list)
    for coverage in Coverage.objects.filter(
        client_id__in={c.client_id for c in candidates}
    ).select_related("payer"):
        coverages[coverage.client_id].append(coverage)
    already = set(
        Claim.objects.filter(primary_claim__in=candidates)
        .exclude(status__in=Claim.DEAD_STATUSES)
        .values_list("primary_claim_id", flat=True)
    )
    chosen: list[tuple[Claim, Coverage]] = []
    for claim in candidates:
        if claim.pk in already:
            continue
        first_day = min(line.date_of_service for line in claim.lines_in_order)
        in_force = sorted(
            (c for c in coverages[claim.client_id] if c.is_effective(first_day)),
            key=Coverage.responsibility_key,
        )
        if not in_force or in_force[0].pk != claim.coverage_id:
            continue  # the claim went to a payer that is not first: nothing follows it
        secondary = next((c for c in in_force[1:] if c.payer_id != claim.payer_id), None)
        if secondary is not None:
            chosen.append((claim, secondary))
    return _build(chosen, user=user) if chosen else []


def secondary_drafts_discard(*, primaries: list[int], user=None) -> list[Claim]:
    """The primary payer took back its answer (a reversal): the secondary claims drafted
    from that answer and not sent yet (draft or ready) are discarded, since the decision
    they copy no longer holds; the primary's next answer drafts a new one. Their lines
    never billed the sessions, so nothing else changes. A secondary claim already sent is
    left for a person: its payer has it. One query, and two when some are discarded."""
    drafts = list(
        Claim.objects.select_for_update().filter(
            primary_claim__in=primaries, status__in=[Claim.Status.DRAFT, Claim.Status.READY]
        )
    )
    if drafts:
        update_with_history(
            drafts,
            user=user,
            reason="The primary payer took back its answer",
            status=Claim.Status.DISCARDED,
            status_note="The primary payer took back the answer this claim copied.",
            closed_at=timezone.now(),
        )
    return drafts


def _build(chosen: list[tuple[Claim, Coverage]], *, user) -> list[Claim]:
    from billing.parties import claim_parties
    from billing.services import line_copy, new_control_number

    primaries = [primary for primary, _coverage in chosen]
    prefetch_related_objects(primaries, "client", "rendering", "payer", "coverage__payer")
    lines: dict[int, list[ClaimLine]] = defaultdict(list)
    for line in (
        ClaimLine.objects.filter(claim__in=primaries)
        .select_related("service_line__session__location")
        .order_by("claim_id", "position")
    ):
        lines[line.claim_id].append(line)
    diagnoses: dict[int, list[ClaimDiagnosis]] = defaultdict(list)
    for diagnosis in ClaimDiagnosis.objects.filter(claim__in=primaries).order_by("pk"):
        diagnoses[diagnosis.claim_id].append(diagnosis)
    npis = {
        primary.party.value(key, "npi")
        for primary in primaries
        for key in ("supervising", "seen_by")
    } - {""}
    people = {c.npi: c for c in Clinician.objects.filter(npi__in=npis)} if npis else {}
    answers = _answers(primaries)
    practice = Practice.current()
    built: list[Claim] = []
    copies: list[list[ClaimLine]] = []
    for primary, coverage in chosen:
        primary_lines = lines[primary.pk]
        session = next(
            (line.service_line.session for line in primary_lines if line.service_line_id), None
        )
        parties = primary.party
        supervising = people.get(parties.value("supervising", "npi"))
        seen_by = people.get(parties.value("seen_by", "npi")) or primary.rendering
        new_parties = (
            claim_parties(
                practice=practice,
                client=primary.client,
                coverage=coverage,
                rendering=primary.rendering,
                supervising=supervising,
                seen_by=seen_by,
                session=session,
                other=primary.coverage,
            )
            if practice is not None and session is not None
            else {**primary.parties}
        )
        claim = Claim(
            control_number=new_control_number(),
            client=primary.client,
            coverage=coverage,
            payer=coverage.payer,
            rendering=primary.rendering,
            parties=new_parties,
            prior_auth_number=coverage.prior_auth_number,
            primary_claim=primary,
            total_charge=primary.total_charge,
            created_by=acting_user(user),
        )
        claim_copies = [
            line_copy(line, control_number=claim.control_number, service_line=line.service_line)
            for line in primary_lines
        ]
        claim.primary_adjudication = _adjudication_snapshot(
            primary, claim_copies, answers.get(primary.pk)
        )
        built.append(claim)
        copies.append(claim_copies)
    reason = "Secondary claim built from the primary's answer"
    built = create_with_history(Claim, built, user=user, reason=reason)
    ClaimDiagnosis.objects.bulk_create(
        ClaimDiagnosis(claim=claim, position=d.position, code=d.code)
        for claim, (primary, _coverage) in zip(built, chosen, strict=True)
        for d in diagnoses[primary.pk]
    )
    for claim, claim_copies in zip(built, copies, strict=True):
        for line in claim_copies:
            line.claim = claim
    create_with_history(
        ClaimLine,
        [line for claim_copies in copies for line in claim_copies],
        user=user,
        reason=reason,
    )
    return built


def _answers(primaries: list[Claim]) -> dict[int, ClaimPosting]:
    """Each primary's answer that counts now: its latest posting neither reversed nor a
    reversal, with its payment, allocations (and their lines) and adjustments."""
    found: dict[int, ClaimPosting] = {}
    for posting in (
        ClaimPosting.objects.filter(
            claim__in=primaries, reverses__isnull=True, reversed_by__isnull=True
        )
        .exclude(status_code=STATUS_REVERSAL)
        .select_related("payment")
        .prefetch_related("allocations__claim_line", "adjustments")
        .order_by("pk")
    ):
        found[posting.claim_id] = posting  # the latest wins
    return found


def _adjudication_snapshot(
    primary: Claim, copies: list[ClaimLine], posting: ClaimPosting | None
) -> dict:
    """The primary payer's decision that counts now (its live posting), in plain JSON:
    paid, claim-level and per-line adjustments, keyed by the secondary's own lines."""
    by_position = {line.position: line for line in copies}
    coverage = primary.coverage
    subscriber = primary.party.subscriber
    adjustments = list(posting.adjustments.all()) if posting else []
    lines = []
    for allocation in posting.allocations.all() if posting else []:
        if allocation.claim_line is None or allocation.reverses_id is not None:
            continue
        copy = by_position.get(allocation.claim_line.position)
        if copy is None:
            continue
        lines.append(
            {
                "line_control_number": copy.line_control_number,
                "paid": str(allocation.paid),
                "adjustments": [
                    [a.group, a.reason_code, str(a.amount)]
                    for a in adjustments
                    if a.allocation_id == allocation.pk
                ],
            }
        )
    return {
        "payer_name": primary.payer.name,
        "payer_id": primary.payer.payer_id,
        "filing_indicator": primary.payer.filing_indicator,
        "member_id": coverage.member_id,
        "group_number": coverage.group_number,
        "relationship": coverage.relationship,
        "subscriber_last_name": subscriber.last_name or primary.client.last_name,
        "subscriber_first_name": subscriber.first_name or primary.client.first_name,
        "payer_claim_number": posting.payer_claim_number if posting else "",
        "paid": str(posting.paid if posting else Decimal("0.00")),
        "adjudicated_on": (
            posting.payment.received_on if posting else primary.created_at.date()
        ).isoformat(),
        "claim_adjustments": [
            [a.group, a.reason_code, str(a.amount)] for a in adjustments if a.allocation_id is None
        ],
        "lines": lines,
    }


def adjudication_of(claim: Claim) -> OtherPayerAdjudication | None:
    """The 837P's other-payer loops for a secondary claim, from its snapshot; None for a
    claim that follows no other payer."""
    data = claim.primary_adjudication
    if not data:
        return None

    def adjustments(rows) -> tuple[Adjustment, ...]:
        return tuple(Adjustment(g, r, Decimal(a)) for g, r, a in rows)

    return OtherPayerAdjudication(
        payer_name=data["payer_name"],
        payer_id=data["payer_id"],
        member_id=data["member_id"],
        subscriber_last_name=data["subscriber_last_name"],
        subscriber_first_name=data["subscriber_first_name"],
        paid=Decimal(data["paid"]),
        adjudicated_on=datetime.date.fromisoformat(data["adjudicated_on"]),
        filing_indicator=data.get("filing_indicator") or "CI",
        relationship=data.get("relationship") or "18",
        group_number=data.get("group_number", ""),
        claim_adjustments=adjustments(data.get("claim_adjustments", [])),
        lines=tuple(
            LineAdjudication(
                line_control_number=line["line_control_number"],
                paid=Decimal(line["paid"]),
                adjustments=adjustments(line["adjustments"]),
            )
            for line in data.get("lines", [])
        ),
    )


def adjudications_for(claims) -> dict[int, OtherPayerAdjudication]:
    """``render_837p``'s ``adjudications`` for the secondary claims among ``claims``."""
    found = {}
    for claim in claims:
        other = adjudication_of(claim)
        if other is not None:
            found[claim.pk] = other
    return found
