"""Claims: the snapshot of what was billed, its diagnoses and its lines."""

from __future__ import annotations

import datetime

from concurrency.fields import AutoIncVersionField
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from billing.models.payers import Payer
from billing.parties import Parties
from practice.common import ZERO, LineModifiers, pointer_letter


class ClaimQuerySet(models.QuerySet):
    def with_lines(self) -> ClaimQuerySet:
        """The claims' lines in box 24 order, in one more query."""
        return self.prefetch_related(
            models.Prefetch("lines", queryset=ClaimLine.objects.order_by("position"))
        )

    def with_line_list(self) -> ClaimQuerySet:
        """``with_lines`` as a plain list per claim (``Claim.lines_in_order``), without
        the queryset Django builds for each claim's ``lines``: a tenth of a second for
        the thousand claims an 835 answers."""
        return self.prefetch_related(
            models.Prefetch(
                "lines", queryset=ClaimLine.objects.order_by("position"), to_attr="line_list"
            )
        )

    def with_diagnoses(self) -> ClaimQuerySet:
        """The claims' diagnoses in box 21 order (A first), in one more query."""
        return self.prefetch_related(
            models.Prefetch("diagnoses", queryset=ClaimDiagnosis.objects.order_by("position"))
        )

    def live(self) -> ClaimQuerySet:
        """Claims that still count: not voided, replaced, discarded or being corrected."""
        return self.exclude(status__in=Claim.DEAD_STATUSES)

    def for_list(self) -> ClaimQuerySet:
        """What a claim list row shows, in a fixed number of queries: the claims with
        payer, client and rendering provider, then the page's lines' dates (prefetch).
        Aggregating the lines in the claims query would group every claim before the
        page is cut (seconds with a year of claims)."""
        return self.select_related("payer", "client", "rendering").prefetch_related(
            models.Prefetch(
                "lines",
                queryset=ClaimLine.objects.only("claim_id", "date_of_service", "position"),
            )
        )


class ClaimStatus(models.TextChoices):
    """A claim's status (``Claim.Status``): here so the model's indexes can name some."""

    DRAFT = "draft", "Draft"
    READY = "ready", "Ready to submit"
    SUBMITTED = "submitted", "Submitted"
    PAID = "paid", "Paid"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    DENIED = "denied", "Denied"
    # Turned back by the clearinghouse (999) or the payer's front end (277CA) before
    # adjudication: the payer holds no claim, so it is fixed and sent again as is.
    REJECTED = "rejected", "Rejected: fix and resend"
    CLOSED = "closed", "Closed (nothing owed)"
    CORRECTING = "correcting", "Being corrected"
    REPLACED = "replaced", "Replaced"
    VOID = "void", "Void"
    DISCARDED = "discarded", "Discarded (never sent)"


# Paid, closed or dead: history (reports), no longer work (the billing dashboard).
SETTLED_CLAIM_STATUSES = (
    ClaimStatus.PAID,
    ClaimStatus.CLOSED,
    ClaimStatus.VOID,
    ClaimStatus.REPLACED,
    ClaimStatus.DISCARDED,
)
# The rest, listed rather than said as NOT IN: an index reads a list of values (the
# partial index ``claim_open_status`` holds just these claims), while NOT IN reads every
# claim the practice ever made.
OPEN_CLAIM_STATUSES = tuple(s for s in ClaimStatus.values if s not in SETTLED_CLAIM_STATUSES)


class Claim(models.Model):
    """One claim to one payer for one client under one coverage (docs/rules/claim-forms.md §1).

    Everything printed on a CMS-1500 or sent in an 837P is copied here when the claim is
    built (``parties``, the lines, the diagnoses), so a later change to a client, a
    clinician, the catalog or a fee never rewrites a claim. A submitted claim is never
    edited in place: it is voided (frequency 8) or replaced (frequency 7).
    """

    Status = ClaimStatus

    class Frequency(models.TextChoices):
        # docs/rules/claim-forms.md §2: CMS-1500 box 22 / 837P CLM05-3.
        ORIGINAL = "1", "Original"
        REPLACEMENT = "7", "Replacement of a prior claim"
        VOID = "8", "Void of a prior claim"

    # A claim in these states bills nothing: its lines are not live. A claim being
    # corrected waits for its replacement (docs/rules/claims.md "Corrections").
    DEAD_STATUSES = (Status.VOID, Status.REPLACED, Status.DISCARDED, Status.CORRECTING)
    # Still work for the biller (the billing dashboard); the rest is history.
    OPEN_STATUSES = OPEN_CLAIM_STATUSES
    # Not sent yet (or sent and rejected unread): see ``is_editable``.
    EDITABLE_STATUSES = frozenset({Status.DRAFT, Status.READY, Status.REJECTED})
    # Sent to the payer and not taken back: its services are billed.
    SENT_STATUSES = (
        Status.SUBMITTED,
        Status.PAID,
        Status.PARTIALLY_PAID,
        Status.DENIED,
        Status.CLOSED,
        Status.CORRECTING,
        Status.REPLACED,
    )

    control_number = models.CharField(max_length=20, unique=True)
    status = models.CharField(max_length=16, choices=Status, default=Status.DRAFT)
    frequency = models.CharField(max_length=1, choices=Frequency, default=Frequency.ORIGINAL)
    original = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        help_text="The claim this one replaces or voids.",
    )
    payer_claim_number = models.CharField(
        "payer's claim reference",
        max_length=50,
        blank=True,
        help_text="The payer's own number for this claim, from its remittance or portal; a "
        "replacement or void carries it (CMS-1500 box 22, 837P REF*F8).",
    )
    client = models.ForeignKey("practice.Client", on_delete=models.PROTECT, related_name="claims")
    coverage = models.ForeignKey(
        "practice.Coverage", on_delete=models.PROTECT, related_name="claims"
    )
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="claims")
    rendering = models.ForeignKey(
        "practice.Clinician",
        on_delete=models.PROTECT,
        related_name="claims_rendered",
        help_text="Rendering provider named on the claim (may be a supervisor).",
    )
    parties = models.JSONField(
        default=dict,
        help_text="Snapshot of billing provider, rendering, supervising, facility, "
        "subscriber, patient, payer and other insurance at build time.",
    )
    prior_auth_number = models.CharField(max_length=50, blank=True)
    # A secondary claim (coordination of benefits): the primary payer's claim it follows,
    # and that payer's decision as posted (paid, adjustments per line), copied here when
    # built so the 837P's loops 2320/2330/2430 and the CMS-1500 never change afterwards
    # (billing/secondary.py).
    primary_claim = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="secondary_claims",
    )
    primary_adjudication = models.JSONField(default=dict, blank=True)
    total_charge = models.DecimalField(max_digits=10, decimal_places=2, default=ZERO)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        "auth.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    status_note = models.CharField(max_length=200, blank=True)
    # Set by billing.scrubber.scrub, the one place that checks a claim, so the claim list
    # can count and filter errors without running the scrubber per row.
    scrub_errors = models.PositiveSmallIntegerField(
        "scrubber errors",
        null=True,
        blank=True,
        editable=False,
        help_text="Errors the scrubber found when it last checked this claim (before it was "
        "sent); empty until it has.",
    )
    # Optimistic lock: each action takes the next version; an action from a page read at
    # an older one is refused (docs/concurrent-edits.md).
    version = AutoIncVersionField()

    objects = ClaimQuerySet.as_manager()
    # Every status change (built, ready, submitted, answered, void, replaced) with who.
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["payer", "status"]),
            models.Index(fields=["status", "created_at"]),
            # The claim list's order, newest first (its keyset: billing/views/claims.py).
            models.Index(fields=["created_at", "id"]),
            # The billing dashboard's open claims by status with their charges, read from
            # the index alone (a claim row, with its parties, is ~4 kB).
            models.Index(
                fields=["status"],
                include=["total_charge"],
                condition=Q(status__in=OPEN_CLAIM_STATUSES),
                name="claim_open_status",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_charge__gte=0), name="claim_charge_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(frequency="1") | Q(original__isnull=False),
                name="claim_correction_names_original",
            ),
        ]

    def __str__(self) -> str:
        return f"Claim {self.control_number}"

    @property
    def party(self) -> Parties:
        """The parties snapshot, typed (``billing/parties.py``): read the JSON here, never
        with ``.get`` at each use. Built on each access (a reader takes it once), so an
        instance whose ``parties`` changed reads the change."""
        return Parties.from_json(self.parties)

    @property
    def is_live(self) -> bool:
        return self.status not in self.DEAD_STATUSES

    @property
    def lines_in_order(self) -> list[ClaimLine]:
        """The lines in box 24 order: the list read by ``with_line_list``, else ``lines``
        (prefetched by ``with_lines``, or one query)."""
        found = self.__dict__.get("line_list")
        return found if found is not None else list(self.lines.all())

    @property
    def line_count(self) -> int:
        return len(self.lines.all())

    @property
    def first_date_of_service(self) -> datetime.date | None:
        return min((line.date_of_service for line in self.lines.all()), default=None)

    @property
    def last_date_of_service(self) -> datetime.date | None:
        return max((line.date_of_service for line in self.lines.all()), default=None)

    @property
    def is_editable(self) -> bool:
        """Only a claim not yet sent (or sent and rejected unread, see ``Status.REJECTED``)
        may change status freely or be discarded."""
        return self.status in self.EDITABLE_STATUSES


class ClaimDiagnosis(models.Model):
    """A claim's diagnosis codes in order: position 1 prints as A (box 21), up to 12 (L)."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="diagnoses")
    position = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=8)

    class Meta:
        ordering = ["position"]
        verbose_name_plural = "claim diagnoses"
        constraints = [
            models.UniqueConstraint(fields=["claim", "position"], name="claim_diagnosis_position"),
            models.UniqueConstraint(fields=["claim", "code"], name="claim_diagnosis_once"),
            models.CheckConstraint(
                condition=Q(position__gte=1) & Q(position__lte=12),
                name="claim_diagnosis_position_1_to_12",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.letter}. {self.code}"

    @property
    def letter(self) -> str:
        return pointer_letter(self.position)


class ClaimLine(LineModifiers):
    """A snapshot of one service line on a claim (CMS-1500 box 24, 837P loop 2400).

    ``live`` is true while the claim counts; the partial unique index on it is what keeps
    a service line on at most one live claim, even with two billers building at once.

    ``original_billing`` is true on a line of an original claim (frequency 1) that was not
    discarded before sending nor voided at the payer. Its partial unique index is what
    keeps a service that was sent from ever going out again on a new original claim:
    it may only be corrected by a replacement (frequency 7) or voided (frequency 8)
    first (docs/rules/claims.md "Corrections").
    """

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="lines")
    service_line = models.ForeignKey(
        "practice.ServiceLine",
        on_delete=models.PROTECT,
        related_name="claim_lines",
        null=True,
        blank=True,
        help_text="Cleared only on a dead (void or replaced) claim when the session is later "
        "corrected; the line keeps its own copy of what was billed.",
    )
    live = models.BooleanField(default=True)
    original_billing = models.BooleanField(
        default=True,
        help_text="On an original claim not discarded or voided: the service's one first billing.",
    )
    position = models.PositiveSmallIntegerField()
    line_control_number = models.CharField(max_length=30, unique=True)
    date_of_service = models.DateField()
    place_of_service = models.CharField(max_length=2)
    procedure_code = models.CharField(max_length=5)
    units = models.PositiveSmallIntegerField(default=1)
    minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    charge = models.DecimalField(max_digits=10, decimal_places=2)
    expected_allowed = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="The payer's fee schedule amount when the claim was built.",
    )
    diagnosis_pointers = models.CharField(max_length=4)
    rendering_npi = models.CharField(max_length=10)

    history = HistoricalRecords()

    class Meta:
        ordering = ["position"]
        indexes = [models.Index(fields=["date_of_service"])]
        constraints = [
            models.UniqueConstraint(
                fields=["service_line"],
                condition=Q(live=True),
                name="service_line_on_one_live_claim",
            ),
            models.UniqueConstraint(
                fields=["service_line"],
                condition=Q(original_billing=True),
                name="service_line_on_one_original_claim",
                violation_error_message="This service was already billed on an original "
                "claim; correct (frequency 7) or void (frequency 8) that claim instead.",
            ),
            models.UniqueConstraint(fields=["claim", "position"], name="claim_line_position"),
            models.CheckConstraint(
                condition=Q(position__gte=1) & Q(position__lte=50),
                name="claim_line_position_1_to_50",
            ),
            models.CheckConstraint(condition=Q(units__gte=1), name="claim_line_units_positive"),
            models.CheckConstraint(
                condition=Q(charge__gte=0), name="claim_line_charge_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(diagnosis_pointers=""), name="claim_line_has_pointer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date_of_service} {self.procedure_code} {' '.join(self.modifiers)}".strip()
