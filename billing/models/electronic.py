"""Electronic claims: clearinghouses, control numbers, 837P batches and the 999/277CA
acknowledgments that answer them (docs/837p.md).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from billing.models.claims import Claim
from billing.models.payers import Payer
from billing.validators import (
    validate_x12_id,
)


class Clearinghouse(models.Model):
    """Where 837P files go and how their envelope names both sides: the interchange
    (X12 ISA05–ISA08, ISA15), the functional group (GS02/GS03), the submitter (837P loop
    1000A) and the receiver (loop 1000B). Values come from the clearinghouse's enrollment
    letter or companion guide."""

    class Usage(models.TextChoices):
        TEST = "T", "Test (the clearinghouse checks the file but sends nothing on)"
        PRODUCTION = "P", "Production"

    class Qualifier(models.TextChoices):
        # X12 ISA05/ISA07 interchange id qualifiers a clearinghouse uses.
        MUTUALLY_DEFINED = "ZZ", "ZZ mutually defined"
        DUNS = "01", "01 D-U-N-S number"
        TAX_ID = "30", "30 federal tax id"
        HIN = "33", "33 NAIC code"

    name = models.CharField("receiver name", max_length=60, help_text="Loop 1000B NM103.")
    receiver_id = models.CharField(
        "receiver id", max_length=80, validators=[validate_x12_id], help_text="Loop 1000B NM109."
    )
    submitter_id = models.CharField(
        "submitter id",
        max_length=80,
        validators=[validate_x12_id],
        help_text="Your id at the clearinghouse (loop 1000A NM109).",
    )
    submitter_name = models.CharField(max_length=60, help_text="Loop 1000A NM103.")
    contact_name = models.CharField(max_length=60, help_text="Who the clearinghouse calls.")
    contact_phone = models.CharField(max_length=10, help_text="Ten digits.")
    contact_email = models.EmailField(max_length=80, blank=True)
    sender_qualifier = models.CharField(
        "ISA sender qualifier", max_length=2, choices=Qualifier, default=Qualifier.MUTUALLY_DEFINED
    )
    sender_id = models.CharField(
        "ISA sender id", max_length=15, validators=[validate_x12_id], help_text="ISA06."
    )
    receiver_qualifier = models.CharField(
        "ISA receiver qualifier",
        max_length=2,
        choices=Qualifier,
        default=Qualifier.MUTUALLY_DEFINED,
    )
    isa_receiver_id = models.CharField(
        "ISA receiver id", max_length=15, validators=[validate_x12_id], help_text="ISA08."
    )
    gs_sender_code = models.CharField(
        "GS sender code",
        max_length=15,
        blank=True,
        validators=[validate_x12_id],
        help_text="GS02; empty means the ISA sender id.",
    )
    gs_receiver_code = models.CharField(
        "GS receiver code",
        max_length=15,
        blank=True,
        validators=[validate_x12_id],
        help_text="GS03; empty means the ISA receiver id.",
    )
    usage = models.CharField(max_length=1, choices=Usage, default=Usage.TEST)
    is_default = models.BooleanField(
        "default clearinghouse",
        default=False,
        help_text="Used for every payer that does not name its own clearinghouse.",
    )

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="one_default_clearinghouse",
                violation_error_message="Only one clearinghouse can be the default.",
            ),
            models.CheckConstraint(
                condition=Q(contact_phone__regex=r"^[0-9]{10}$"),
                name="clearinghouse_phone_ten_digits",
                violation_error_message="The contact phone is ten digits.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_usage_display().split(' ')[0].lower()})"

    @classmethod
    def default(cls) -> Clearinghouse | None:
        """The default clearinghouse, or the only one when none is marked default."""
        rows = list(cls.objects.order_by("-is_default", "pk")[:2])
        if rows and (rows[0].is_default or len(rows) == 1):
            return rows[0]
        return None


class ControlCounter(models.Model):
    """The last interchange, group or transaction control number used (X12 ISA13, GS06,
    ST02). One row per kind, moved on by ``UPDATE … SET value = value + 1`` inside the
    batch's transaction, so two exports at once wait for each other and never share a
    number; see ``billing.services.control_numbers_next``."""

    name = models.CharField(max_length=12, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} {self.value}"


class Batch(models.Model):
    """One 837P file as it was sent: the exact text, its control numbers and its claims.

    A batch is the record of what left the practice; it never changes. Acknowledgments
    that arrive later are stored beside it, not in it.
    """

    clearinghouse = models.ForeignKey(Clearinghouse, on_delete=models.PROTECT, related_name="+")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="batches")
    interchange_control_number = models.PositiveIntegerField(unique=True)
    group_control_number = models.PositiveIntegerField(unique=True)
    transaction_control_number = models.PositiveIntegerField(unique=True)
    usage = models.CharField(max_length=1, choices=Clearinghouse.Usage)
    file_name = models.CharField(max_length=100, unique=True)
    text = models.TextField()
    claim_count = models.PositiveIntegerField()
    total_charge = models.DecimalField(max_digits=12, decimal_places=2)
    claims = models.ManyToManyField(Claim, related_name="batches")
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        "auth.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "batches"
        constraints = [
            models.CheckConstraint(
                condition=Q(total_charge__gte=0), name="batch_total_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.file_name

    def save(self, *args, **kwargs):
        # The file as sent is evidence of what the practice billed: refuse rewrites.
        if not self._state.adding:
            raise ValueError("A batch is the record of a file as sent; it cannot change.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("A batch is the record of a file as sent; it cannot be deleted.")


class Acknowledgment(models.Model):
    """One acknowledgment file as received: a 999 (005010X231A1, the clearinghouse read
    the 837P file) or a 277CA (005010X214, the claims were taken in or turned back).
    The sender (ISA06) and interchange number (ISA13) import once: the unique constraint
    is what stops a second import, even a concurrent one. What the file said is kept
    per batch (``BatchAcknowledgment``) and per claim (``ClaimAcknowledgment``)."""

    class Kind(models.TextChoices):
        FILE = "999", "999 (file check)"
        CLAIMS = "277CA", "277CA (claims)"

    kind = models.CharField(max_length=5, choices=Kind)
    sender_id = models.CharField("sender (ISA06)", max_length=15)
    interchange_control_number = models.CharField("interchange (ISA13)", max_length=9)
    file_name = models.CharField(max_length=255, blank=True)
    text = models.TextField(help_text="The file exactly as imported.")
    unmatched = models.JSONField(
        default=list, blank=True, help_text="What the file answered that is not ours."
    )
    imported_at = models.DateTimeField()
    imported_by = models.ForeignKey(
        "auth.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-imported_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "sender_id", "interchange_control_number"],
                name="acknowledgment_imported_once",
                violation_error_message="This acknowledgment file is already imported.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.sender_id} {self.interchange_control_number}"


class BatchAcknowledgment(models.Model):
    """What a 999 says about one of our 837P transaction sets (AK2 … IK5): accepted,
    accepted with errors noted, or rejected, with the segment errors (IK3/IK4)."""

    class Result(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        ACCEPTED_WITH_ERRORS = "accepted_with_errors", "Accepted with errors noted"
        REJECTED = "rejected", "Rejected"

    acknowledgment = models.ForeignKey(
        Acknowledgment, on_delete=models.PROTECT, related_name="batch_results"
    )
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="acknowledgments")
    result = models.CharField(max_length=20, choices=Result)
    code = models.CharField("IK501", max_length=1)
    group_code = models.CharField("AK901", max_length=1, blank=True)
    reason = models.TextField(blank=True, help_text="In our words.")
    errors = models.JSONField(
        default=list, blank=True, help_text="One entry per IK3 segment error with its IK4s."
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.batch} {self.result}"

    @property
    def summary(self) -> str:
        """The verdict and every segment error, in our words (the batch list's tooltip)."""
        return " ".join([self.reason, *(f"{e.get('words', '')}." for e in self.errors)])


class ClaimAcknowledgment(models.Model):
    """What an acknowledgment says about one claim: a 277CA's claim status (STC) or a
    999 that rejected the file the claim was in. Reasons are kept in our own words
    with the codes they come from."""

    class Result(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    acknowledgment = models.ForeignKey(
        Acknowledgment, on_delete=models.PROTECT, related_name="claim_results"
    )
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="acknowledgments")
    batch = models.ForeignKey(
        Batch, on_delete=models.PROTECT, null=True, blank=True, related_name="claim_results"
    )
    result = models.CharField(max_length=8, choices=Result)
    codes = models.CharField(
        "status codes", max_length=200, blank=True, help_text="STC01/10/11: category:status:entity."
    )
    reason = models.TextField(blank=True, help_text="In our words.")
    payer_claim_number = models.CharField(
        "payer's claim number (REF*1K)", max_length=50, blank=True
    )
    effective_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["batch", "result"])]

    def __str__(self) -> str:
        return f"{self.claim} {self.result}"
