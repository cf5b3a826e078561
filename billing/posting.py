"""Posting what payers paid: an 835 remittance (``remittance_post``) onto our claims.

Append-only (docs/getting-paid.md): every amount is a new row; a reversal (CLP02 = 22)
adds the earlier posting's amounts negated, pointing at it, and a later CLP re-posts.
The claim's status follows the money. The statement count does not grow with the
number of claims: claims and lines are read with one query each (and the postings a
reversal takes back with theirs), the new rows are built as plain values and written
with one statement per table (``practice.bulk.insert_rows``: COPY on PostgreSQL for a
large file), and the secondary claims and copays that follow are built and applied in
batches (billing/secondary.py, billing/payments.py).

What follows a payer's answer is here for every way one is posted: the claim's status
(``status_from_postings``, ``_follow_the_money``) and a copay applied to the client's
share (``_client_credit``); a paper EOB (billing/eob.py) and a match by hand
(billing/matching.py) call them too. What the postings add up to per line and per claim
is read in billing/payer_money.py.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from billing.contracts import contract_check
from billing.ledger import owed_on_claims, settled_status
from billing.models import (
    Adjustment,
    Claim,
    ClaimLine,
    ClaimPosting,
    Payer,
    Payment,
    PaymentAllocation,
    ProviderAdjustment,
    Remittance,
)
from billing.payments import credit_apply_for
from billing.remittance import (
    STATUS_DENIED,
    STATUS_REVERSAL,
    ClaimPayment,
    RemittanceError,
    ServiceLine,
    Transaction,
    parse_835,
)
from billing.secondary import secondary_claims_build, secondary_drafts_discard
from practice.bulk import insert_rows
from practice.collector import fewer_collections
from practice.common import ZERO
from practice.history import acting_user, snapshot_history

# Claims whose status the money may move; a draft, void or replaced claim keeps its own.
# A claim the clearinghouse or the payer's front end rejected (999, 277CA) is answered
# too when a payment for it comes: the payer adjudicated it after all (a rejection
# withdrawn, or the claim taken by another route), and once paid it must not be resent.
ANSWERABLE = {
    Claim.Status.SUBMITTED,
    Claim.Status.REJECTED,
    Claim.Status.PAID,
    Claim.Status.PARTIALLY_PAID,
    Claim.Status.DENIED,
    Claim.Status.CLOSED,  # a reversal reopens it (billing.ledger.claims_settle)
}
PAYMENT_METHODS = {
    "ACH": Payment.Method.EFT,
    "CHK": Payment.Method.CHECK,
    "FWT": Payment.Method.EFT,
}


@dataclass
class PostingResult:
    """What an import did, as ``import_835 --json`` prints it."""

    claims_matched: int = 0
    claims_unmatched: int = 0
    lines_unmatched: int = 0
    paid: Decimal = ZERO
    patient_responsibility: Decimal = ZERO
    adjustments: Decimal = ZERO
    denied_claims: int = 0
    already_imported: bool = False
    remittances: list[Remittance] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "claims_matched": self.claims_matched,
            "claims_unmatched": self.claims_unmatched,
            "lines_unmatched": self.lines_unmatched,
            "paid": f"{self.paid:.2f}",
            "patient_responsibility": f"{self.patient_responsibility:.2f}",
            "adjustments": f"{self.adjustments:.2f}",
            "denied_claims": self.denied_claims,
            "already_imported": self.already_imported,
        }


def _payer_for(transaction_: Transaction, payers: list[Payer]) -> Payer:
    """The payer by its electronic id (REF*2U, else TRN03), else by its name (N1*PR)."""
    for key in (transaction_.payer_id, transaction_.payer_identifier):
        for payer in payers:
            if key and payer.payer_id == key:
                return payer
    for payer in payers:
        if payer.name.upper() == transaction_.payer_name.upper():
            return payer
    raise RemittanceError(
        f"Segment N1*PR*{transaction_.payer_name}: no payer in SessionLedger has the "
        f"electronic payer id {transaction_.payer_id or transaction_.payer_identifier!r} "
        "or this name; add it (or its payer id) in the admin first."
    )


def remittance_post(
    *, text: str, file_name: str = "", user=None, parsed: list[Transaction] | None = None
) -> PostingResult:
    """Validate, parse and post an 835 file, all of it or nothing (one transaction).

    Raises RemittanceError (nothing posted) for a malformed or unbalanced file. A
    payment already imported (same payer and trace number, TRN02) posts nothing and
    reports ``already_imported``; the database's unique constraint decides, so two
    imports of one file at the same time post it once. ``parsed`` is ``parse_835(text)``
    when the caller has read the file already (the upload's preview)."""
    with fewer_collections():  # the file's objects live till the end: practice/collector.py
        parsed = parse_835(text) if parsed is None else parsed
        result = PostingResult()
        now = timezone.now()
        with transaction.atomic():
            payers = list(Payer.objects.all())
            for transaction_ in parsed:
                payer = _payer_for(transaction_, payers)
                try:
                    with transaction.atomic():  # a savepoint: a duplicate undoes only itself
                        remittance = Remittance.objects.create(
                            payer=payer,
                            trace_number=transaction_.trace_number,
                            payment_method=transaction_.method,
                            payment_date=transaction_.payment_date,
                            amount=transaction_.amount,
                            file_name=file_name[:255],
                            text=text,
                            imported_at=now,
                            imported_by=acting_user(user),
                        )
                except IntegrityError:
                    result.already_imported = True
                    continue
                result.remittances.append(remittance)
                _post_transaction(transaction_, remittance=remittance, result=result, user=user)
    return result


def _post_transaction(
    parsed: Transaction, *, remittance: Remittance, result: PostingResult, user
) -> None:
    now = remittance.imported_at
    payment = Payment.objects.create(
        source=Payment.Source.PAYER,
        payer=remittance.payer,
        remittance=remittance,
        method=PAYMENT_METHODS.get(parsed.method, Payment.Method.NONE),
        amount=max(parsed.amount, ZERO),
        received_on=parsed.payment_date or timezone.localdate(),
        reference=parsed.trace_number,
        created_at=now,
        created_by=acting_user(user),
    )
    numbers = {c.control_number for c in parsed.claims}
    claims = {
        claim.control_number: claim
        for claim in Claim.objects.select_for_update()
        .filter(control_number__in=numbers, payer=remittance.payer)
        .with_line_list()
    }
    taken_back = {
        claims[c.control_number].pk
        for c in parsed.claims
        if c.status_code == STATUS_REVERSAL and c.control_number in claims
    }
    live_postings: dict[int, ClaimPosting | _NewPosting] = _live_postings(
        [c for c in claims.values() if c.pk in taken_back]
    )
    postings: list[_NewPosting] = []
    for answer in parsed.claims:
        claim = claims.get(answer.control_number)
        posting = _NewPosting(claim, answer)
        if answer.status_code == STATUS_REVERSAL:
            earlier = live_postings.get(claim.pk) if claim else None
            if earlier is None:
                posting.claim = None  # nothing of ours to take back: kept for a person
                claim = None
            else:
                _check_reversal(answer, earlier)
                posting.reverses_id = earlier.pk
                for _p, allocation, adjustments in _negated(earlier, None):
                    posting.new_allocations.append(_NewAllocation.copy_of(allocation, adjustments))
                posting.adjustments = [
                    _adjustment_row(_negated_adjustment(a, None, None))
                    for a in earlier.adjustments.all()
                    if a.allocation_id is None
                ]
                del live_postings[claim.pk]
        else:
            unmatched = list(claim.lines_in_order) if claim else []
            for line in answer.lines:
                allocation = _NewAllocation.of_line(line, _match_line(line, unmatched))
                posting.new_allocations.append(allocation)
                if allocation.claim_line is None:
                    result.lines_unmatched += 1
            posting.adjustments = [
                (cas.group, cas.reason_code[:5], "", cas.amount, cas.quantity)
                for cas in answer.adjustments
            ]
            if claim is not None:
                live_postings[claim.pk] = posting
        postings.append(posting)
        _count(answer, claim, result)

    contract_check(
        payer_id=remittance.payer_id,
        allocations=[
            (p.claim, a) for p in postings if p.reverses_id is None for a in p.new_allocations
        ],
    )
    _postings_write(postings, payment=payment, now=now)
    ProviderAdjustment.objects.bulk_create(
        ProviderAdjustment(
            remittance=remittance,
            provider_id=plb.provider_id[:50],
            fiscal_period_end=plb.fiscal_period_end,
            reason_code=plb.reason_code[:2],
            reference=plb.reference[:50],
            amount=plb.amount,
        )
        for plb in parsed.provider_adjustments
    )
    _follow_the_money(list(claims.values()), live_postings, payer_numbers(parsed), user=user)
    answered = {p.claim.pk for p in postings if p.claim and p.status_code != STATUS_REVERSAL}
    taken_back = [p.claim.pk for p in postings if p.claim and p.status_code == STATUS_REVERSAL]
    if taken_back:
        secondary_drafts_discard(primaries=taken_back, user=user)
    secondary_claims_build(claims=[c for c in claims.values() if c.pk in answered], user=user)
    _client_credit({c.client_id for c in claims.values()}, user=user)


# The columns an import writes, in the order of the rows ``_postings_write`` builds.
POSTING_COLUMNS = (
    "payment_id",
    "claim_id",
    "control_number",
    "status_code",
    "charge",
    "paid",
    "patient_responsibility",
    "payer_claim_number",
    "reverses_id",
    "created_at",
)
ALLOCATION_COLUMNS = (
    "posting_id",
    "claim_line_id",
    "line_control_number",
    "procedure_code",
    "modifiers",
    "date_of_service",
    "units",
    "charge",
    "allowed",
    "paid",
    "patient_responsibility",
    "reverses_id",
    "expected_allowed",
    "underpaid_by",
)
# An adjustment's own columns after its posting and allocation (``_NewPosting.adjustments``
# and ``_NewAllocation.adjustments`` hold these).
ADJUSTMENT_COLUMNS = ("group", "reason_code", "remark_codes", "amount", "quantity")


class _NewPosting:
    """A claim payment (``ClaimPosting``) this import writes, with its lines and claim
    adjustments: plain values, not a model instance per row (a 1,000-claim file writes
    some 4,500 rows). ``status_from_postings`` reads it like a saved posting."""

    __slots__ = ("adjustments", "answer", "claim", "new_allocations", "pk", "reverses_id")

    def __init__(self, claim: Claim | None, answer: ClaimPayment) -> None:
        self.claim = claim
        self.answer = answer
        self.reverses_id: int | None = None
        self.new_allocations: list[_NewAllocation] = []
        self.adjustments: list[tuple] = []  # on the claim: ADJUSTMENT_COLUMNS
        self.pk: int | None = None

    @property
    def status_code(self) -> str:
        return self.answer.status_code

    def row(self, payment_id: int, now: datetime.datetime) -> tuple:
        answer = self.answer
        return (
            payment_id,
            self.claim.pk if self.claim else None,
            answer.control_number,
            answer.status_code,
            answer.charge,
            answer.paid,
            answer.patient_responsibility,
            answer.payer_claim_number,
            self.reverses_id,
            now,
        )


class _NewAllocation:
    """A service line's allocation (``PaymentAllocation``) this import writes, in
    ALLOCATION_COLUMNS after its posting; ``contract_check`` sets its contract fields
    as on a model instance."""

    __slots__ = ("adjustments", "claim_line", *ALLOCATION_COLUMNS[1:])

    def __init__(self, claim_line: ClaimLine | None, **values) -> None:
        self.claim_line = claim_line
        self.claim_line_id = claim_line.pk if claim_line is not None else None
        self.reverses_id = self.expected_allowed = self.underpaid_by = None
        self.adjustments: list[tuple] = []  # ADJUSTMENT_COLUMNS
        for name, value in values.items():
            setattr(self, name, value)

    @classmethod
    def of_line(cls, line: ServiceLine, claim_line: ClaimLine | None) -> _NewAllocation:
        allocation = cls(
            claim_line,
            line_control_number=line.line_control_number,
            procedure_code=line.procedure_code[:5],
            modifiers=":".join(line.modifiers)[:11],
            date_of_service=line.date_of_service,
            units=line.units,
            charge=line.charge,
            allowed=line.allowed_amount,
            paid=line.paid,
            patient_responsibility=line.patient_responsibility,
        )
        remarks = " ".join(line.remarks)[:100]
        allocation.adjustments = [
            (cas.group, cas.reason_code[:5], remarks, cas.amount, cas.quantity)
            for cas in line.adjustments
        ]
        return allocation

    @classmethod
    def copy_of(cls, allocation: PaymentAllocation, adjustments: list[Adjustment]):
        """A reversal's line as ``_negated`` made it (unsaved instances)."""
        names = ALLOCATION_COLUMNS[1:-2]  # not its posting; no contract check on a reversal
        copy = cls(None, **{name: getattr(allocation, name) for name in names})
        copy.adjustments = [_adjustment_row(a) for a in adjustments]
        return copy

    def row(self, posting_id: int) -> tuple:
        return (posting_id, *(getattr(self, name) for name in ALLOCATION_COLUMNS[1:]))


def _adjustment_row(adjustment: Adjustment) -> tuple:
    return tuple(getattr(adjustment, name) for name in ADJUSTMENT_COLUMNS)


def _postings_write(postings: list[_NewPosting], *, payment: Payment, now) -> None:
    """Write the postings, then their allocations, then the adjustments of both: one
    statement per table (``practice.bulk.insert_rows``: COPY on PostgreSQL from 100
    rows, after one more for the ids of the rows others point at)."""
    ids = insert_rows(ClaimPosting, POSTING_COLUMNS, [p.row(payment.pk, now) for p in postings])
    for posting, pk in zip(postings, ids, strict=True):
        posting.pk = pk
    lines = [(p.pk, a) for p in postings for a in p.new_allocations]
    ids = insert_rows(
        PaymentAllocation, ALLOCATION_COLUMNS, [a.row(posting) for posting, a in lines]
    )
    adjustments = [
        (posting, pk, *adjustment)
        for (posting, allocation), pk in zip(lines, ids, strict=True)
        for adjustment in allocation.adjustments
    ]
    adjustments += [(p.pk, None, *adjustment) for p in postings for adjustment in p.adjustments]
    insert_rows(
        Adjustment, ("posting_id", "allocation_id", *ADJUSTMENT_COLUMNS), adjustments, ids=False
    )


def payer_numbers(parsed: Transaction) -> dict[str, str]:
    """CLP07 per our control number, from the claims the payer processed (not reversals)."""
    return {
        c.control_number: c.payer_claim_number
        for c in parsed.claims
        if c.payer_claim_number and c.status_code != STATUS_REVERSAL
    }


def _live_postings(claims: list[Claim]) -> dict[int, ClaimPosting]:
    """Each claim's posting that counts now (the latest one neither reversed nor itself a
    reversal), with its allocations and adjustments, which a reversal negates: ``claims``
    are those the file takes back (a new answer replaces the others unread). Three
    queries, none without claims."""
    if not claims:
        return {}
    found: dict[int, ClaimPosting] = {}
    for posting in ClaimPosting.objects.filter(
        claim__in=claims, reverses__isnull=True, reversed_by__isnull=True
    ).order_by("pk"):
        found[posting.claim_id] = posting
    prefetch_related_objects(list(found.values()), "allocations", "adjustments")
    return found


def _check_reversal(answer: ClaimPayment, earlier: ClaimPosting) -> None:
    """A reversal must take back exactly what was posted (X12 835 TR3 §1.10.2.8)."""
    if (answer.charge, answer.paid) != (-earlier.charge, -earlier.paid):
        raise RemittanceError(
            f"Segment {answer.segment}: the reversal does not match the earlier posting "
            f"(charge {earlier.charge}, paid {earlier.paid}); its amounts must be those "
            "negated."
        )


def _negated(earlier: ClaimPosting, posting: ClaimPosting):
    for old in earlier.allocations.all():
        allocation = PaymentAllocation(
            claim_line_id=old.claim_line_id,
            line_control_number=old.line_control_number,
            procedure_code=old.procedure_code,
            modifiers=old.modifiers,
            date_of_service=old.date_of_service,
            units=old.units,
            charge=-old.charge,
            allowed=-old.allowed,
            paid=-old.paid,
            patient_responsibility=-old.patient_responsibility,
            reverses=old,
        )
        adjustments = [
            _negated_adjustment(a, posting, allocation)
            for a in earlier.adjustments.all()
            if a.allocation_id == old.pk
        ]
        yield posting, allocation, adjustments


def _negated_adjustment(old: Adjustment, posting, allocation) -> Adjustment:
    return Adjustment(
        posting=posting,
        allocation=allocation,
        group=old.group,
        reason_code=old.reason_code,
        remark_codes=old.remark_codes,
        amount=-old.amount,
        quantity=old.quantity,
    )


def _match_line(line: ServiceLine, unmatched: list[ClaimLine]) -> ClaimLine | None:
    """Our line by its control number (REF*6R), else by code and date of service (and
    the charge when two lines share both); each of our lines matches once."""
    chosen = None
    if line.line_control_number:
        chosen = next(
            (c for c in unmatched if c.line_control_number == line.line_control_number), None
        )
    if chosen is None:
        same = [
            c
            for c in unmatched
            if c.procedure_code == line.procedure_code
            and (line.date_of_service is None or c.date_of_service == line.date_of_service)
        ]
        chosen = next((c for c in same if c.charge == line.charge), same[0] if same else None)
    if chosen is not None:
        unmatched.remove(chosen)
    return chosen


def _count(answer: ClaimPayment, claim: Claim | None, result: PostingResult) -> None:
    if claim is None:
        result.claims_unmatched += 1
        return
    result.claims_matched += 1
    result.paid += answer.paid
    result.patient_responsibility += answer.patient_responsibility
    result.adjustments += sum((a.amount for a in answer.all_adjustments() if a.group != "PR"), ZERO)
    if answer.status_code == STATUS_DENIED:
        result.denied_claims += 1


def status_from_postings(claim: Claim, posting: ClaimPosting | None) -> str:
    """Claim status from the posting that counts now: none → submitted; the payer's
    denial (CLP02 = 4), or no line paid or owed by the client → denied; every line
    paid or owed → paid; else partially paid (a line denied or not answered)."""
    if posting is None:
        return Claim.Status.SUBMITTED
    if posting.status_code == STATUS_DENIED:
        return Claim.Status.DENIED
    answered = {
        a.claim_line_id
        for a in _allocations_of(posting)
        if a.claim_line_id and (a.paid > 0 or a.patient_responsibility > 0)
    }
    lines = [line.pk for line in claim.lines_in_order]
    if not answered:
        return Claim.Status.DENIED
    if all(pk in answered for pk in lines):
        return Claim.Status.PAID
    return Claim.Status.PARTIALLY_PAID


def _allocations_of(posting: ClaimPosting) -> list[PaymentAllocation]:
    new = getattr(posting, "new_allocations", None)  # made by this import: no query
    return new if new is not None else list(posting.allocations.all())


def _follow_the_money(
    claims: list[Claim],
    live: dict[int, ClaimPosting],
    numbers: dict[str, str],
    *,
    user,
    reason: str = "Remittance posted",
) -> None:
    """Set each answered claim's status and the payer's claim number (CLP07) in one
    UPDATE per batch, with a history record each (who, and why: the remittance). A paid
    claim on which nothing more is owed, by the payer or the client, is Closed
    (``billing.ledger.claims_settle``'s rule; three grouped queries for the batch)."""
    statuses = {
        claim.pk: status_from_postings(claim, live.get(claim.pk))
        for claim in claims
        if claim.status in ANSWERABLE
    }
    paid = [claim for claim in claims if statuses.get(claim.pk) == Claim.Status.PAID]
    if paid:
        owed = owed_on_claims(
            [(line.pk, claim.pk, line.charge) for claim in paid for line in claim.lines_in_order]
        )
        statuses.update({claim.pk: settled_status(owed[claim.pk]) for claim in paid})
    changed = []
    for claim in claims:
        status = statuses.get(claim.pk, claim.status)
        number = numbers.get(claim.control_number, claim.payer_claim_number)[:50]
        if (status, number) != (claim.status, claim.payer_claim_number):
            claim.status, claim.payer_claim_number = status, number
            claim.version += 1
            changed.append(claim)
    if changed:
        _claims_update(changed)
        snapshot_history(
            Claim.objects.filter(pk__in=[claim.pk for claim in changed]),
            history_type="~",
            user=user,
            reason=reason,
        )


def _claims_update(claims: list[Claim], batch: int = 2000) -> None:
    """Write each claim's new status and payer's claim number, and take the next version,
    in one ``UPDATE … FROM (VALUES …)`` per ``batch`` claims: a bulk_update's CASE per
    column costs seconds to build for a 1,000-claim file. The claims are locked."""
    table = connection.ops.quote_name(Claim._meta.db_table)
    for start in range(0, len(claims), batch):
        chunk = claims[start : start + batch]
        rows = ", ".join(["(%s, %s, %s)"] * len(chunk))
        params = [v for c in chunk for v in (c.pk, c.status, c.payer_claim_number)]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET status = v.column2, payer_claim_number = v.column3, "
                f"version = {table}.version + 1 FROM (VALUES {rows}) AS v "
                f"WHERE {table}.id = v.column1",
                params,
            )


def _client_credit(client_ids: set[int], *, user) -> None:
    """A copay taken before the payer answered now pays the share the payer named (after
    any secondary claim is built: a share billed on is not the client's yet); a claim
    whose share that pays is Closed (``billing.ledger.claims_settle``)."""
    credit_apply_for(client_ids, user=user)
