"""Getting paid: remittances, payments, postings, allocations, adjustments, statements
and remittances waiting to be posted (docs/getting-paid.md).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from billing.models.claims import Claim, ClaimLine
from billing.models.payers import Payer
from practice.common import ZERO

# Getting paid: remittances (835), payments, what each paid per claim and line, and the
# adjustments that explain the rest. Every row here is append-only: a correction is a
# reversal (the same amounts negated, pointing at what it takes back) plus a new posting,
# never an edit, so the ledger can always be replayed (docs/getting-paid.md).


class Remittance(models.Model):
    """One 835 transaction (005010X221A1) as it was received: the payer's payment (BPR),
    its trace number (TRN02) and the exact file text. The same payer and trace number
    post once: the unique constraint is what stops a second import, even a concurrent
    one."""

    class Method(models.TextChoices):
        # BPR04 payment method codes.
        ACH = "ACH", "EFT (ACH)"
        CHECK = "CHK", "Check"
        WIRE = "FWT", "Wire transfer"
        BOP = "BOP", "Financial institution option"
        NONE = "NON", "No payment"

    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="remittances")
    trace_number = models.CharField("trace number (TRN02)", max_length=50)
    payment_method = models.CharField(max_length=3, choices=Method)
    payment_date = models.DateField("payment date (BPR16)")
    amount = models.DecimalField("total paid (BPR02)", max_digits=10, decimal_places=2)
    file_name = models.CharField(max_length=255, blank=True)
    text = models.TextField(help_text="The 835 file exactly as imported.")
    imported_at = models.DateTimeField()
    imported_by = models.ForeignKey(
        "auth.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-imported_at", "-pk"]
        # The remittance list's order (its keyset: billing/views/remittances.py).
        indexes = [models.Index(fields=["imported_at", "id"])]
        constraints = [
            models.UniqueConstraint(
                fields=["payer", "trace_number"],
                name="remittance_payer_trace_once",
                violation_error_message="This payer's payment with that trace number is "
                "already imported.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payer} {self.trace_number} {self.amount}"


class Payment(models.Model):
    """Money received from a payer or a client (or given back: a refund)."""

    class Source(models.TextChoices):
        PAYER = "payer", "Payer"
        CLIENT = "client", "Client"

    class Method(models.TextChoices):
        EFT = "eft", "EFT"
        CHECK = "check", "Check"
        CASH = "cash", "Cash"
        CARD = "card", "Card"
        NONE = "none", "No money moved"

    class Kind(models.TextChoices):
        PAYMENT = "payment", "Payment"
        REFUND = "refund", "Refund"

    source = models.CharField(max_length=6, choices=Source)
    payer = models.ForeignKey(
        Payer, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    client = models.ForeignKey(
        "practice.Client", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    remittance = models.OneToOneField(
        Remittance, on_delete=models.PROTECT, null=True, blank=True, related_name="payment"
    )
    method = models.CharField(max_length=5, choices=Method)
    kind = models.CharField(max_length=7, choices=Kind, default=Kind.PAYMENT)
    # Always ≥ 0; a refund is a kind, so a sum of money in is sum(payments) - sum(refunds).
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    received_on = models.DateField()
    reference = models.CharField("check or trace number", max_length=50, blank=True)
    # A client's refund names the payment it gives money back from (docs/getting-paid.md
    # "Client payments"); the payment itself is never edited.
    refund_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    # The session a client paid at (the copay), when taken there.
    session = models.ForeignKey(
        "practice.Session", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        "auth.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-received_on", "-pk"]
        indexes = [models.Index(fields=["client", "received_on"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="payment_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(kind="payment", refund_of__isnull=True)
                | Q(kind="refund", source="payer")
                | Q(kind="refund", refund_of__isnull=False),
                name="client_refund_names_its_payment",
            ),
            models.CheckConstraint(
                condition=(Q(source="payer") & Q(payer__isnull=False))
                | (Q(source="client") & Q(client__isnull=False)),
                name="payment_names_its_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.received_on}"


class ClaimPosting(models.Model):
    """What one payment says about one claim: an 835 CLP loop or a paper EOB's claim.

    ``claim`` is empty when our control number (CLP01) matched no claim: the posting is
    kept with its remittance for manual matching, never dropped. A reversal (CLP02 = 22)
    points at the posting it takes back and carries its amounts negated."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="postings")
    claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, null=True, blank=True, related_name="postings"
    )
    control_number = models.CharField("our claim number (CLP01)", max_length=38)
    status_code = models.CharField("claim status (CLP02)", max_length=2)
    charge = models.DecimalField(max_digits=10, decimal_places=2)
    paid = models.DecimalField(max_digits=10, decimal_places=2)
    patient_responsibility = models.DecimalField(max_digits=10, decimal_places=2, default=ZERO)
    payer_claim_number = models.CharField(max_length=50, blank=True)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    # A posting a biller matched by hand to one of our claims: the unmatched posting it
    # answers for (which is reversed by then, so the money counts once).
    matched_from = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="matched_to"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["control_number"]),
            # The remittance list's "claims matched" per remittance, counted from the index
            # alone (billing/views/remittances.py): a remittance pays hundreds of claims.
            models.Index(
                fields=["payment"],
                condition=Q(claim__isnull=False, reverses__isnull=True),
                name="claim_posting_matched",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.control_number} {self.status_code} {self.paid}"


class PaymentAllocation(models.Model):
    """What a payment did for one service line (835 SVC loop): allowed, paid and the
    patient's share. ``claim_line`` is empty for a line we could not match; the line's
    own identity (code, date, control number, charge) is kept so it can be matched by
    hand."""

    posting = models.ForeignKey(ClaimPosting, on_delete=models.PROTECT, related_name="allocations")
    claim_line = models.ForeignKey(
        ClaimLine, on_delete=models.PROTECT, null=True, blank=True, related_name="allocations"
    )
    line_control_number = models.CharField(max_length=50, blank=True)
    procedure_code = models.CharField(max_length=5)
    modifiers = models.CharField(max_length=11, blank=True)
    date_of_service = models.DateField(null=True, blank=True)
    units = models.PositiveSmallIntegerField(default=1)
    charge = models.DecimalField(max_digits=10, decimal_places=2)
    allowed = models.DecimalField(max_digits=10, decimal_places=2)
    paid = models.DecimalField(max_digits=10, decimal_places=2)
    patient_responsibility = models.DecimalField(max_digits=10, decimal_places=2, default=ZERO)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    # Set when posted (billing/contracts.py), never recomputed: the contract rate in force
    # for the line and how far the payer's allowed amount fell short of it, when it fell
    # short by more than the practice's tolerance. The basis for an appeal.
    expected_allowed = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    underpaid_by = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [
            models.Index(
                fields=["underpaid_by"],
                condition=Q(underpaid_by__isnull=False),
                name="allocation_underpaid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.procedure_code} {self.date_of_service} {self.paid}"


class Adjustment(models.Model):
    """One CAS amount: why part of a charge was not paid (X12 claim adjustment group and
    reason codes; remark codes RARC). On a line when ``allocation`` is set, else on the
    claim."""

    class Group(models.TextChoices):
        CO = "CO", "Contractual obligation"
        PR = "PR", "Patient responsibility"
        OA = "OA", "Other adjustment"
        PI = "PI", "Payer initiated reduction"

    posting = models.ForeignKey(ClaimPosting, on_delete=models.PROTECT, related_name="adjustments")
    allocation = models.ForeignKey(
        PaymentAllocation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="adjustments",
    )
    group = models.CharField(max_length=2, choices=Group)
    reason_code = models.CharField("reason code (CARC)", max_length=5)
    remark_codes = models.CharField("remark codes (RARC)", max_length=100, blank=True)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    quantity = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.group}-{self.reason_code} {self.amount}"


class ProviderAdjustment(models.Model):
    """A provider-level adjustment (835 PLB): money the payer holds back (positive) or
    adds (negative) that belongs to no claim, e.g. an interest payment or a recovered
    overpayment. BPR02 = sum of the claims' paid amounts − sum of these."""

    remittance = models.ForeignKey(
        Remittance, on_delete=models.PROTECT, related_name="provider_adjustments"
    )
    provider_id = models.CharField(max_length=50)
    fiscal_period_end = models.DateField()
    reason_code = models.CharField(max_length=2)
    reference = models.CharField(max_length=50, blank=True)
    amount = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"PLB {self.reason_code} {self.amount}"


class ClientAllocation(models.Model):
    """What part of a client's payment went to which of their charges: a self-pay
    service line, the client's share of a claim line (patient responsibility from the
    payer's posting) or a missed-appointment fee. Made oldest charge first when the
    payment is recorded (``billing.ledger.client_payment_record``); what is not applied
    is the client's credit. A refund adds negative rows taking back what its payment had
    applied. Append-only; a charge that disappears (a fee undone, a service line
    removed from a session) leaves its rows without a target: that money is credit again.
    """

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    service_line = models.ForeignKey(
        "practice.ServiceLine",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="client_allocations",
    )
    claim_line = models.ForeignKey(
        ClaimLine,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="client_allocations",
    )
    client_charge = models.ForeignKey(
        "practice.ClientCharge",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="allocations",
    )
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="client_allocation_not_zero"),
            models.CheckConstraint(
                condition=Q(service_line__isnull=True, claim_line__isnull=True)
                | Q(service_line__isnull=True, client_charge__isnull=True)
                | Q(claim_line__isnull=True, client_charge__isnull=True),
                name="client_allocation_one_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.amount}"


class Statement(models.Model):
    """A client's statement as it was sent: its date, balance, aging and lines, kept
    exactly (``data`` holds everything the PDF prints, ``billing.outputs.statement``
    renders it the same way every time). Never edited or deleted; a later statement is
    a new row. One per client and month: the monthly batch run twice sends nothing new.
    """

    client = models.ForeignKey("practice.Client", on_delete=models.PROTECT, related_name="+")
    month = models.DateField(
        null=True,
        blank=True,
        help_text="First day of the month of a monthly statement; empty for one printed on demand.",
    )
    statement_date = models.DateField()
    period_start = models.DateField(
        null=True, blank=True, help_text="The day after the previous statement; empty for a first."
    )
    previous_balance = models.DecimalField(max_digits=10, decimal_places=2)
    balance = models.DecimalField(max_digits=10, decimal_places=2)
    data = models.JSONField(help_text="Everything the statement printed.")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        "auth.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-statement_date", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "month"],
                name="one_statement_per_client_month",
                violation_error_message="This client already has a statement for that month.",
            ),
        ]

    def __str__(self) -> str:
        return f"Statement {self.number}"

    def save(self, *args, **kwargs):
        # What a client was sent is evidence: refuse rewrites (like Batch).
        if not self._state.adding:
            raise ValueError("A statement is kept as it was sent; it cannot change.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("A statement is kept as it was sent; it cannot be deleted.")

    @property
    def number(self) -> str:
        return f"ST-{self.pk:06d}" if self.pk else "ST (new)"


class PendingRemittance(models.Model):
    """An 835 file uploaded in the biller's screens and previewed, not yet posted. The
    text waits here, keyed by its SHA-256, so that Post posts exactly the file that was
    previewed (billing/views/remittances.py); the posted ``Remittance`` keeps its own
    copy. Uploading the same file again finds this row."""

    sha256 = models.CharField(max_length=64, unique=True)
    file_name = models.CharField(max_length=255, blank=True)
    text = models.TextField()
    uploaded_at = models.DateTimeField()
    uploaded_by = models.ForeignKey(
        "auth.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.file_name or 'upload'} {self.sha256[:12]}"
