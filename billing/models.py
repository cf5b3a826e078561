"""The code catalog and payers: what a practice bills, to whom, and at what rate.

Catalog rows that a session or claim uses are deactivated, never deleted
(``on_delete=PROTECT`` on every reference), so history keeps its meaning.
"""

from __future__ import annotations

import datetime

from concurrency.fields import AutoIncVersionField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from billing.validators import (
    validate_icd10_format,
    validate_modifier,
    validate_procedure_code,
    validate_x12_id,
)
from practice.common import ZERO, Address, LineModifiers, pointer_letter


class ProcedureCodeQuerySet(models.QuerySet):
    def active(self) -> ProcedureCodeQuerySet:
        """Codes a clinician may choose today."""
        return self.filter(active=True)


class ProcedureCode(models.Model):
    """A CPT or HCPCS code with a short description in our own words.

    The AMA's descriptors are copyrighted: ``official_descriptor`` stays empty unless a
    licensed practice imports it (see the CSV import in the admin).
    """

    class Kind(models.TextChoices):
        PSYCHOTHERAPY = "psychotherapy", "Time-based psychotherapy"
        EVALUATION = "evaluation", "Diagnostic evaluation"
        ADD_ON = "add_on", "Add-on"
        TESTING = "testing", "Testing and assessment"
        EM = "em", "Evaluation and management (E/M)"
        OTHER = "other", "Other"

    code = models.CharField(max_length=5, unique=True, validators=[validate_procedure_code])
    description = models.CharField("short description (ours)", max_length=120)
    official_descriptor = models.TextField(
        blank=True,
        help_text="Licensed descriptor text, imported by the practice if it holds a license.",
    )
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.OTHER)
    min_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    max_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Leave empty for 'or more'."
    )
    add_on_to = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="add_ons",
        help_text="For an add-on code: the primary codes it may accompany.",
    )
    default_charge = models.DecimalField(
        "standard charge", max_digits=10, decimal_places=2, default=ZERO
    )
    active = models.BooleanField(default=True)

    objects = ProcedureCodeQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(default_charge__gte=0),
                name="procedure_charge_not_negative",
                violation_error_message="A standard charge cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(min_minutes__isnull=True)
                | Q(max_minutes__isnull=True)
                | Q(max_minutes__gte=models.F("min_minutes")),
                name="procedure_minutes_range_ordered",
                violation_error_message="The longest time cannot be shorter than the shortest.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"

    @property
    def is_add_on(self) -> bool:
        return self.kind == self.Kind.ADD_ON


class Modifier(models.Model):
    """A two-character CPT/HCPCS modifier (docs/rules/identifiers.md §7)."""

    class Kind(models.TextChoices):
        TELEHEALTH = "telehealth", "Telehealth"
        LICENSE = "license", "Level of license"
        OTHER = "other", "Other"

    code = models.CharField(max_length=2, unique=True, validators=[validate_modifier])
    description = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.OTHER)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"


class PlaceOfService(models.Model):
    """A CMS place-of-service code (docs/rules/coding.md §8)."""

    code = models.CharField(max_length=2, unique=True)
    name = models.CharField(max_length=80)
    is_telehealth = models.BooleanField(default=False)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "place of service"
        verbose_name_plural = "places of service"
        constraints = [
            models.CheckConstraint(
                condition=~Q(code=""),
                name="pos_code_not_empty",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class DiagnosisCodeQuerySet(models.QuerySet):
    def billable(self) -> DiagnosisCodeQuerySet:
        """Codes a claim may carry: the most specific level, still valid."""
        return self.filter(billable=True, active=True)

    def search(self, term: str) -> DiagnosisCodeQuerySet:
        """Codes whose code starts with ``term`` or whose description contains every word.

        Ranked: exact code first, then code prefixes, then description matches; shorter
        codes before longer ones within each group.
        """
        term = (term or "").strip()
        if not term:
            return self.none()
        code_term = term.upper()
        by_code = Q(code__istartswith=code_term)
        by_words = Q()
        for word in term.split():
            by_words &= Q(description__icontains=word)
        return (
            self.filter(by_code | by_words)
            .annotate(
                rank=models.Case(
                    models.When(code=code_term, then=0),
                    models.When(code__istartswith=code_term, then=1),
                    default=2,
                    output_field=models.IntegerField(),
                ),
                code_length=models.functions.Length("code"),
            )
            .order_by("rank", "code_length", "code")
        )


class DiagnosisCode(models.Model):
    """An ICD-10-CM code from the CDC's code set (public domain text, docs/rules/identifiers.md
    §9)."""

    code = models.CharField(max_length=8, unique=True, validators=[validate_icd10_format])
    description = models.CharField(max_length=300)
    billable = models.BooleanField(
        default=True, help_text="Only the most specific codes may go on a claim."
    )
    active = models.BooleanField(default=True)

    objects = DiagnosisCodeQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = "ICD-10-CM code"

    def __str__(self) -> str:
        return f"{self.code} {self.description}"


def validate_icd10_billable(value: str) -> None:
    """docs/rules/identifiers.md §5: only the most specific codes are billable; check against the
    catalog."""
    validate_icd10_format(value)
    row = DiagnosisCode.objects.filter(code=value).only("billable", "active").first()
    if row is None:
        raise ValidationError(f"{value} is not in the ICD-10-CM catalog.", code="icd10_unknown")
    if not row.billable:
        raise ValidationError(
            f"{value} is a category, not a billable code; choose a more specific code "
            f"under {value}.",
            code="icd10_not_billable",
        )
    if not row.active:
        raise ValidationError(f"{value} is no longer a valid code.", code="icd10_inactive")


class Payer(Address):
    """An insurer, with the rules it applies to a therapy practice's claims."""

    class FilingIndicator(models.TextChoices):
        # docs/rules/claim-forms.md §3: 837P SBR09.
        COMMERCIAL = "CI", "Commercial insurance"
        BCBS = "BL", "Blue Cross / Blue Shield"
        HMO = "HM", "HMO"
        MEDICARE_B = "MB", "Medicare Part B"
        MEDICAID = "MC", "Medicaid"
        TRICARE = "CH", "TRICARE (CHAMPUS)"
        VA = "VA", "Veterans Affairs plan"
        WORKERS_COMP = "WC", "Workers' compensation"
        OTHER_NON_FEDERAL = "11", "Other non-federal program"
        UNKNOWN = "ZZ", "Mutually defined / unknown"

    class TelehealthModifier(models.TextChoices):
        NONE = "", "No modifier"
        MOD_95 = "95", "95 (synchronous audio-video)"
        GT = "GT", "GT (legacy telehealth)"
        # docs/rules/coding.md §7.1: 93 is audio only, Medicare included. FQ is for rural
        # health clinics and FQHCs, never a private practice's claims: not offered.
        MOD_93 = "93", "93 (audio only)"

    class SupervisionBilling(models.TextChoices):
        # docs/rules/coding.md §9.
        SUPERVISOR_RENDERS = "supervisor", "Bill the supervisor as rendering provider"
        SUPERVISOR_DQ = "supervising_slot", "Associate renders; supervisor as supervising provider"
        ASSOCIATE = "associate", "Bill the associate directly"

    class AmountPaidBox(models.TextChoices):
        # CMS-1500 box 29 (NUCC 1500 instructions, item 29: what the patient and/or
        # other payers paid on the covered services; docs/rules/claim-forms.md).
        OTHER_PAYERS = "payers", "What earlier payers paid (on secondary claims)"
        CLIENT_AND_PAYERS = "all", "What the client and earlier payers paid"
        NONE = "none", "Leave it empty"

    class ChargeBasis(models.TextChoices):
        STANDARD = "standard", "The practice's standard charge"
        CONTRACT_RATE = "rate", "This payer's contracted rate, where one is on file"

    name = models.CharField(max_length=120, unique=True)
    payer_id = models.CharField(
        "electronic payer id", max_length=20, blank=True, help_text="From the clearinghouse list."
    )
    # Wider than Address's (the 837P's N3 55 / N4 30): the columns were made so, and
    # narrowing them would need a data migration. state and zip_code come from Address.
    address_line1 = models.CharField(max_length=100, blank=True)
    address_line2 = models.CharField(max_length=100, blank=True)
    city = models.CharField(max_length=60, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    filing_indicator = models.CharField(
        max_length=2, choices=FilingIndicator, default=FilingIndicator.COMMERCIAL
    )
    telehealth_home_pos = models.ForeignKey(
        PlaceOfService,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text="POS for a video session with the client at home (often 10; some want 11).",
    )
    telehealth_other_pos = models.ForeignKey(
        PlaceOfService,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text="POS for a video session with the client elsewhere (often 02).",
    )
    telehealth_modifier = models.CharField(
        "video modifier", max_length=2, choices=TelehealthModifier, default="95", blank=True
    )
    audio_only_modifier = models.CharField(
        max_length=2, choices=TelehealthModifier, default="93", blank=True
    )
    audio_only_allowed = models.BooleanField(default=True)
    timely_filing_days = models.PositiveSmallIntegerField(default=90)
    supervision_billing = models.CharField(
        max_length=20, choices=SupervisionBilling, default=SupervisionBilling.SUPERVISOR_RENDERS
    )
    wants_license_modifier = models.BooleanField(
        "wants level-of-license modifier",
        default=False,
        help_text="Add the clinician's level-of-license modifier (HO, HP, AJ…) to each line.",
    )
    requires_prior_authorization = models.BooleanField(default=False)
    requires_referring_provider = models.BooleanField(
        "requires a referring provider",
        default=False,
        help_text="Claims must name the provider who referred the client, with NPI (box 17, "
        "qualifier DN): many HMOs, EAPs, TRICARE and Medicaid plans. Record it on the "
        "client's coverage.",
    )
    accepts_electronic_claims = models.BooleanField(
        default=True,
        help_text="Send this payer's claims as 837P files; untick for payers that take paper only.",
    )
    clearinghouse = models.ForeignKey(
        "Clearinghouse",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payers",
        help_text="Leave empty to use the default clearinghouse.",
    )
    charge_basis = models.CharField(
        "charge on claims", max_length=10, choices=ChargeBasis, default=ChargeBasis.STANDARD
    )
    box_29 = models.CharField(
        "CMS-1500 box 29 (amount paid)",
        max_length=6,
        choices=AmountPaidBox,
        default=AmountPaidBox.OTHER_PAYERS,
        help_text="Some payers want the client's copay there too; many take it off "
        "their payment when it is.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(timely_filing_days__gte=1),
                name="payer_timely_filing_positive",
                violation_error_message="The timely-filing limit is at least one day.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class PayerRateQuerySet(models.QuerySet):
    def in_force(self, on: datetime.date) -> PayerRateQuerySet:
        """Rates effective on the given date."""
        return self.filter(effective_from__lte=on).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=on)
        )


class PayerRate(models.Model):
    """A payer's fee schedule entry: the amount it is expected to allow for a code, per
    unit. A contract may pay a code differently with a modifier (a telehealth rate for 95
    or 93) or by the level of licence of whoever saw the client (a master's-level rate):
    ``modifier`` and ``license_level`` narrow a rate, and the most specific rate in force
    wins (``billing.contracts.expected_allowed`` holds the precedence)."""

    payer = models.ForeignKey(Payer, on_delete=models.CASCADE, related_name="rates")
    procedure = models.ForeignKey(ProcedureCode, on_delete=models.PROTECT, related_name="rates")
    modifier = models.CharField(
        max_length=2,
        blank=True,
        validators=[validate_modifier],
        help_text="Only for lines carrying this modifier (e.g. 95 for video); empty: any line.",
    )
    license_level = models.CharField(
        "level of licence",
        max_length=2,
        blank=True,
        help_text="Only for services by a clinician at this level (HP, AH, AJ, HO, HN); "
        "empty: any clinician.",
    )
    allowed_amount = models.DecimalField(max_digits=10, decimal_places=2)
    effective_from = models.DateField(default=datetime.date(2000, 1, 1))
    effective_to = models.DateField(null=True, blank=True)

    objects = PayerRateQuerySet.as_manager()

    class Meta:
        ordering = ["payer__name", "procedure__code", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["payer", "procedure", "modifier", "license_level", "effective_from"],
                name="one_rate_per_payer_code_start",
                violation_error_message="This payer has a rate for this code, modifier and "
                "level of licence from that day.",
            ),
            models.CheckConstraint(
                condition=Q(allowed_amount__gte=0),
                name="payer_rate_not_negative",
                violation_error_message="An allowed amount cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="payer_rate_dates_ordered",
                violation_error_message="A rate cannot end before it starts.",
            ),
        ]

    def __str__(self) -> str:
        narrowed = " ".join(part for part in (self.modifier, self.license_level) if part)
        return f"{self.payer} {self.procedure.code} {narrowed} {self.allowed_amount}".replace(
            "  ", " "
        )

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from practice.models import Clinician

        if self.license_level and self.license_level not in Clinician.LicenseLevel.values:
            raise ValidationError(
                {"license_level": "Choose a level of licence: HP, AH, AJ, HO or HN, or none."}
            )


class ClaimQuerySet(models.QuerySet):
    def with_lines(self) -> ClaimQuerySet:
        """The claims' lines in box 24 order, in one more query."""
        return self.prefetch_related(
            models.Prefetch("lines", queryset=ClaimLine.objects.order_by("position"))
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


class Claim(models.Model):
    """One claim to one payer for one client under one coverage (docs/rules/claim-forms.md §1).

    Everything printed on a CMS-1500 or sent in an 837P is copied here when the claim is
    built (``parties``, the lines, the diagnoses), so a later change to a client, a
    clinician, the catalog or a fee never rewrites a claim. A submitted claim is never
    edited in place: it is voided (frequency 8) or replaced (frequency 7).
    """

    class Status(models.TextChoices):
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

    class Frequency(models.TextChoices):
        # docs/rules/claim-forms.md §2: CMS-1500 box 22 / 837P CLM05-3.
        ORIGINAL = "1", "Original"
        REPLACEMENT = "7", "Replacement of a prior claim"
        VOID = "8", "Void of a prior claim"

    # A claim in these states bills nothing: its lines are not live. A claim being
    # corrected waits for its replacement (docs/rules/claims.md "Corrections").
    DEAD_STATUSES = (Status.VOID, Status.REPLACED, Status.DISCARDED, Status.CORRECTING)
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
    patient_paid = models.DecimalField(
        "amount paid by the patient (box 29)", max_digits=10, decimal_places=2, default=ZERO
    )
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
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_charge__gte=0) & Q(patient_paid__gte=0),
                name="claim_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(frequency="1") | Q(original__isnull=False),
                name="claim_correction_names_original",
            ),
        ]

    def __str__(self) -> str:
        return f"Claim {self.control_number}"

    @property
    def is_live(self) -> bool:
        return self.status not in self.DEAD_STATUSES

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
        return self.status in {self.Status.DRAFT, self.Status.READY, self.Status.REJECTED}


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


class GoodFaithEstimateQuerySet(models.QuerySet):
    def for_user(self, user) -> GoodFaithEstimateQuerySet:
        """Estimates of the clients a user may see (``ClientQuerySet.for_user``)."""
        from practice.models import Client

        return self.filter(client__in=Client.objects.for_user(user))

    def current(self, on: datetime.date) -> GoodFaithEstimateQuerySet:
        """Estimates still in use on a date: not replaced, period not over."""
        return self.filter(replacement__isnull=True, period_end__gte=on)


class GoodFaithEstimate(models.Model):
    """An estimate of expected charges for an uninsured or self-pay client (No Surprises
    Act, 45 CFR 149.610; rules in ``billing/gfe.py``).

    Who and where are copied here when it is issued (client, clinician, practice,
    location), like a claim's parties: the client keeps what they were given, so a later
    change to a fee, a name or an address must not rewrite it. Once delivered it never
    changes; a new estimate replaces it (``replaces``).
    """

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", "Weekly"
        EVERY_TWO_WEEKS = "every_two_weeks", "Every two weeks"
        MONTHLY = "monthly", "Monthly"
        ONCE = "once", "Once"

    class Delivery(models.TextChoices):
        PAPER = "paper", "On paper"
        EMAIL = "email", "By email"
        PORTAL = "portal", "Through the client portal"

    client = models.ForeignKey(
        "practice.Client", on_delete=models.PROTECT, related_name="estimates"
    )
    clinician = models.ForeignKey(
        "practice.Clinician", on_delete=models.PROTECT, related_name="estimates"
    )
    location = models.ForeignKey(
        "practice.Location", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replacement",
        help_text="The estimate this one replaces.",
    )
    # Snapshots (45 CFR 149.610: client name and birth date; each provider's name, NPI and
    # tax id; where the services are expected to be given).
    client_name = models.CharField(max_length=100)
    client_birth_date = models.DateField()
    clinician_name = models.CharField(max_length=100)
    clinician_credentials = models.CharField(max_length=30, blank=True)
    clinician_npi = models.CharField(max_length=10)
    practice_name = models.CharField(max_length=120)
    practice_tax_id = models.CharField(max_length=11)
    practice_npi = models.CharField(max_length=10, blank=True)
    practice_phone = models.CharField(max_length=20, blank=True)
    practice_address = models.CharField(max_length=200, blank=True)
    location_name = models.CharField(max_length=80, blank=True)
    location_address = models.CharField(max_length=200, blank=True)
    diagnosis_codes = models.CharField(
        max_length=120, blank=True, help_text="ICD-10-CM codes when known, e.g. F41.1, F32.A."
    )
    frequency = models.CharField(max_length=16, choices=Frequency, default=Frequency.WEEKLY)
    period_start = models.DateField()
    period_end = models.DateField()
    service_date = models.DateField(
        "first service scheduled for", null=True, blank=True, help_text="Empty when only asked."
    )
    scheduled_on = models.DateField("scheduled on", null=True, blank=True)
    requested_on = models.DateField("client asked on", null=True, blank=True)
    deadline = models.DateField(
        null=True, blank=True, help_text="Last day to give it to the client (45 CFR 149.610)."
    )
    total = models.DecimalField(max_digits=10, decimal_places=2, default=ZERO)
    issued_by = models.ForeignKey("auth.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    delivered_by = models.ForeignKey(
        "auth.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    delivery_method = models.CharField(max_length=6, choices=Delivery, blank=True)

    objects = GoodFaithEstimateQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["client", "period_end"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="estimate_period_ordered",
                violation_error_message="The period cannot end before it starts.",
            ),
            models.CheckConstraint(condition=Q(total__gte=0), name="estimate_total_not_negative"),
            models.CheckConstraint(
                condition=(Q(delivered_at__isnull=True) & Q(delivery_method=""))
                | (Q(delivered_at__isnull=False) & ~Q(delivery_method="")),
                name="estimate_delivery_says_how",
                violation_error_message="A delivered estimate records how it was given.",
            ),
        ]

    def __str__(self) -> str:
        return f"Good Faith Estimate {self.number} for {self.client_name}"

    @property
    def number(self) -> str:
        return f"GFE-{self.pk:06d}" if self.pk else "GFE (new)"

    @property
    def is_delivered(self) -> bool:
        return self.delivered_at is not None

    @property
    def delivered_late(self) -> bool:
        if self.delivered_at is None or self.deadline is None:
            return False
        from django.utils import timezone

        return timezone.localtime(self.delivered_at).date() > self.deadline


class GoodFaithEstimateLine(models.Model):
    """One expected service: code and our description, diagnoses, how many, the fee."""

    estimate = models.ForeignKey(GoodFaithEstimate, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=1)
    procedure = models.ForeignKey(ProcedureCode, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(max_length=5)
    description = models.CharField(max_length=120)
    diagnosis_codes = models.CharField(max_length=120, blank=True)
    units = models.PositiveSmallIntegerField(default=1, help_text="Units each visit.")
    visits = models.PositiveSmallIntegerField(help_text="Visits expected over the period.")
    unit_fee = models.DecimalField(max_digits=10, decimal_places=2)
    total = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["estimate", "position"], name="estimate_line_position"),
            models.CheckConstraint(
                condition=Q(units__gte=1) & Q(visits__gte=1), name="estimate_line_counts_positive"
            ),
            models.CheckConstraint(
                condition=Q(unit_fee__gte=0) & Q(total__gte=0),
                name="estimate_line_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} x{self.visits}"


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
        indexes = [models.Index(fields=["control_number"])]

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
