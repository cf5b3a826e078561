"""An 835 uploaded in the biller's screens: kept, previewed, then posted as previewed.

There is one way to post an 835, ``billing.posting.remittance_post`` (``import_835`` uses
it too). The preview runs that very posting inside a transaction and rolls it back,
describing what it wrote — the same approach as a dry-run import: what the preview shows
is what the code does, never a second copy of the matching rules. Post runs it again for
real and compares the description with the one the biller saw (``digest``): if a claim
changed in between, nothing is posted and the new preview is shown.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from billing.models import (
    Adjustment,
    Claim,
    ClaimPosting,
    PaymentAllocation,
    PendingRemittance,
    Remittance,
)
from billing.posting import PostingResult, remittance_post
from billing.remittance import (
    STATUS_DENIED,
    STATUS_REVERSAL,
    RemittanceError,
    parse_835,
    read_835,
    reason_words,
)
from practice.common import ZERO
from practice.history import acting_user

GROUP_WORDS = {
    "CO": "written off (contract)",
    "PR": "client's share",
    "OA": "other adjustment",
    "PI": "payer's reduction",
}
# An 835 for a small practice is tens of kilobytes; a thousand claims is about 400 KB.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class PreviewChanged(Exception):
    """Posting now would do something other than the preview showed: nothing posted."""


@dataclass(frozen=True)
class AdjustmentView:
    group: str
    reason_code: str
    amount: Decimal

    @property
    def words(self) -> str:
        return f"{reason_words(self.reason_code)} ({GROUP_WORDS.get(self.group, self.group)})"


@dataclass(frozen=True)
class LineView:
    procedure_code: str
    modifiers: str
    date_of_service: datetime.date | None
    charge: Decimal
    allowed: Decimal
    paid: Decimal
    line_control_number: str
    matched: bool
    expected_allowed: Decimal | None = None
    underpaid_by: Decimal | None = None


@dataclass
class ClaimView:
    """What one CLP loop does to one of our claims (or to none: unmatched)."""

    control_number: str
    claim: Claim | None
    status_code: str
    charge: Decimal
    allowed: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    adjustments: list[AdjustmentView]
    lines: list[LineView]
    status_before: str = ""
    status_after: str = ""
    number_before: str = ""
    number_after: str = ""
    secondary_payer: str = ""  # a secondary claim this answer drafts (billing/secondary.py)

    @property
    def is_reversal(self) -> bool:
        return self.status_code == STATUS_REVERSAL

    @property
    def is_denial(self) -> bool:
        return self.status_code == STATUS_DENIED

    @property
    def status_changes(self) -> bool:
        return self.status_before != self.status_after

    @property
    def number_changes(self) -> bool:
        return self.number_before != self.number_after

    @property
    def unmatched_lines(self) -> list[LineView]:
        return [line for line in self.lines if not line.matched]

    @property
    def underpaid_lines(self) -> list[LineView]:
        return [line for line in self.lines if line.underpaid_by is not None]

    @property
    def status_before_label(self) -> str:
        return Claim.Status(self.status_before).label if self.status_before else ""

    @property
    def status_after_label(self) -> str:
        return Claim.Status(self.status_after).label if self.status_after else ""


@dataclass
class PaymentView:
    """One 835 transaction: the payer's payment and its claims."""

    payer_name: str
    trace_number: str
    payment_date: datetime.date | None
    amount: Decimal
    method: str
    claims: list[ClaimView] = field(default_factory=list)
    already_imported: bool = False
    remittance_pk: int | None = None

    @property
    def matched(self) -> list[ClaimView]:
        return [c for c in self.claims if c.claim is not None]

    @property
    def unmatched(self) -> list[ClaimView]:
        return [c for c in self.claims if c.claim is None]

    @property
    def lines_unmatched(self) -> int:
        return sum(len(c.unmatched_lines) for c in self.matched)


@dataclass
class Preview:
    payments: list[PaymentView]
    result: PostingResult

    @property
    def posts_anything(self) -> bool:
        return any(not p.already_imported for p in self.payments)

    @property
    def client_ids(self) -> set[int]:
        return {c.claim.client_id for p in self.payments for c in p.claims if c.claim}

    @property
    def claims(self) -> list[Claim]:
        return [c.claim for p in self.payments for c in p.claims if c.claim]

    @property
    def digest(self) -> str:
        """A fingerprint of what posting would do: claims, amounts, lines, changes."""
        rows = [
            [
                p.trace_number,
                p.already_imported,
                [
                    [
                        c.control_number,
                        c.claim.pk if c.claim else None,
                        c.status_code,
                        str(c.paid),
                        str(c.patient_responsibility),
                        c.status_before,
                        c.status_after,
                        c.number_after,
                        c.secondary_payer,
                        [[str(a.amount), a.group, a.reason_code] for a in c.adjustments],
                        [[line.line_control_number, line.matched] for line in c.lines],
                    ]
                    for c in p.claims
                ],
            ]
            for p in self.payments
        ]
        return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


class _DryRun(Exception):
    pass


def upload_keep(*, text: str, file_name: str, user) -> PendingRemittance:
    """Check the file (pyx12 and the 835's balancing rules, ``parse_835``) and keep it
    until it is posted; the same file uploaded again finds the row kept before. Raises
    RemittanceError naming the first wrong segment (nothing kept)."""
    parse_835(text)
    digest = hashlib.sha256(text.encode("ascii")).hexdigest()
    pending, _created = PendingRemittance.objects.get_or_create(
        sha256=digest,
        defaults={
            "text": text,
            "file_name": file_name[:255],
            "uploaded_at": timezone.now(),
            "uploaded_by": acting_user(user),
        },
    )
    return pending


def upload_preview(*, pending: PendingRemittance, user) -> Preview:
    """What posting the file would do now, written and rolled back."""
    preview: Preview | None = None
    try:
        with transaction.atomic():
            preview = _post_and_describe(pending, user=user)
            raise _DryRun
    except _DryRun:
        pass
    assert preview is not None
    return preview


def upload_post(*, pending: PendingRemittance, digest: str, user) -> Preview:
    """Post the kept file, all or nothing, if it does what the preview showed (``digest``);
    else raise PreviewChanged and post nothing. A file already imported posts nothing and
    says so (``Preview.posts_anything`` is false)."""
    with transaction.atomic():
        preview = _post_and_describe(pending, user=user)
        if preview.posts_anything and preview.digest != digest:
            raise PreviewChanged(
                "The claims in this file changed since the preview (another posting or a "
                "correction): nothing was posted. Check the new preview and post again."
            )
        if preview.posts_anything:
            PendingRemittance.objects.filter(pk=pending.pk).update(posted_at=timezone.now())
    return preview


def _post_and_describe(pending: PendingRemittance, *, user) -> Preview:
    # pyx12 accepted this very text when it was kept (``upload_keep``, the only writer of
    # pending files, found again by the text's SHA-256): the preview and the post read it
    # without validating it again, and still check that it balances.
    parsed = read_835(pending.text)
    numbers = {c.control_number for t in parsed for c in t.claims}
    before = {
        (row["payer_id"], row["control_number"]): row
        for row in Claim.objects.filter(control_number__in=numbers).values(
            "payer_id", "control_number", "status", "payer_claim_number"
        )
    }
    followers = Claim.objects.filter(primary_claim__control_number__in=numbers)
    had = set(followers.values_list("pk", flat=True))
    result = remittance_post(
        text=pending.text, file_name=pending.file_name, user=user, parsed=parsed
    )
    posted = {r.trace_number: r for r in result.remittances}
    drafted = dict(
        followers.exclude(pk__in=had).values_list("primary_claim_id", "payer__name")
        if result.remittances
        else []
    )
    described = _describe(list(posted.values()), before, drafted)
    payments = []
    for transaction_ in parsed:
        remittance = posted.get(transaction_.trace_number)
        payments.append(
            PaymentView(
                payer_name=remittance.payer.name if remittance else transaction_.payer_name,
                trace_number=transaction_.trace_number,
                payment_date=transaction_.payment_date,
                amount=transaction_.amount,
                method=Remittance.Method(transaction_.method).label
                if transaction_.method in Remittance.Method.values
                else transaction_.method,
                claims=described.get(remittance.pk, []) if remittance else [],
                already_imported=remittance is None,
                remittance_pk=remittance.pk if remittance else None,
            )
        )
    return Preview(payments=payments, result=result)


def _describe(
    remittances: list[Remittance], before: dict, drafted: dict[int, str]
) -> dict[int, list[ClaimView]]:
    """The claims each remittance posted, from the rows written (four queries)."""
    if not remittances:
        return {}
    postings = (
        ClaimPosting.objects.filter(payment__remittance__in=remittances)
        .select_related("claim__client", "payment")
        .prefetch_related(
            Prefetch("allocations", queryset=PaymentAllocation.objects.order_by("pk")),
            Prefetch("adjustments", queryset=Adjustment.objects.order_by("pk")),
        )
        .order_by("pk")
    )
    found: dict[int, list[ClaimView]] = {}
    for posting in postings:
        claim = posting.claim
        allocations = list(posting.allocations.all())
        earlier = before.get((claim.payer_id, claim.control_number), {}) if claim else {}
        view = ClaimView(
            control_number=posting.control_number,
            claim=claim,
            status_code=posting.status_code,
            charge=posting.charge,
            allowed=sum((a.allowed for a in allocations), ZERO),
            paid=posting.paid,
            patient_responsibility=posting.patient_responsibility,
            adjustments=[
                AdjustmentView(a.group, a.reason_code, a.amount) for a in posting.adjustments.all()
            ],
            lines=[
                LineView(
                    procedure_code=a.procedure_code,
                    modifiers=a.modifiers,
                    date_of_service=a.date_of_service,
                    charge=a.charge,
                    allowed=a.allowed,
                    paid=a.paid,
                    line_control_number=a.line_control_number,
                    matched=a.claim_line_id is not None,
                    expected_allowed=a.expected_allowed,
                    underpaid_by=a.underpaid_by,
                )
                for a in allocations
            ],
            status_before=earlier.get("status", ""),
            status_after=claim.status if claim else "",
            number_before=earlier.get("payer_claim_number", ""),
            number_after=claim.payer_claim_number if claim else "",
            secondary_payer=drafted.get(claim.pk, "") if claim else "",
        )
        found.setdefault(posting.payment.remittance_id, []).append(view)
    return found


__all__ = [
    "MAX_UPLOAD_BYTES",
    "Preview",
    "PreviewChanged",
    "RemittanceError",
    "upload_keep",
    "upload_post",
    "upload_preview",
]
