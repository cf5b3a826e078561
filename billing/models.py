"""The code catalog and payers: what a practice bills, to whom, and at what rate.

Catalog rows that a session or claim uses are deactivated, never deleted
(``on_delete=PROTECT`` on every reference), so history keeps its meaning.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import models
from django.db.models import Q

from billing.validators import (
    validate_icd10_format,
    validate_modifier,
    validate_procedure_code,
)

ZERO = Decimal("0.00")


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
                condition=Q(default_charge__gte=0), name="procedure_charge_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(min_minutes__isnull=True)
                | Q(max_minutes__isnull=True)
                | Q(max_minutes__gte=models.F("min_minutes")),
                name="procedure_minutes_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"

    @property
    def is_add_on(self) -> bool:
        return self.kind == self.Kind.ADD_ON


class Modifier(models.Model):
    """A two-character CPT/HCPCS modifier (DOMAIN.md §2)."""

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
    """A CMS place-of-service code (DOMAIN.md §3)."""

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
    """An ICD-10-CM code from the CDC's code set (public domain text, DOMAIN.md §4)."""

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


class Payer(models.Model):
    """An insurer, with the rules it applies to a therapy practice's claims."""

    class FilingIndicator(models.TextChoices):
        # DOMAIN.md §6: 837P SBR09.
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
        MOD_93 = "93", "93 (audio only)"
        FQ = "FQ", "FQ (Medicare audio only)"

    class SupervisionBilling(models.TextChoices):
        # DOMAIN.md §6a.
        SUPERVISOR_RENDERS = "supervisor", "Bill the supervisor as rendering provider"
        SUPERVISOR_DQ = "supervising_slot", "Associate renders; supervisor as supervising provider"
        ASSOCIATE = "associate", "Bill the associate directly"

    class ChargeBasis(models.TextChoices):
        STANDARD = "standard", "The practice's standard charge"
        CONTRACT_RATE = "rate", "This payer's contracted rate, where one is on file"

    name = models.CharField(max_length=120, unique=True)
    payer_id = models.CharField(
        "electronic payer id", max_length=20, blank=True, help_text="From the clearinghouse list."
    )
    address_line1 = models.CharField(max_length=100, blank=True)
    address_line2 = models.CharField(max_length=100, blank=True)
    city = models.CharField(max_length=60, blank=True)
    state = models.CharField(max_length=2, blank=True)
    zip_code = models.CharField(max_length=10, blank=True)
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
    charge_basis = models.CharField(
        "charge on claims", max_length=10, choices=ChargeBasis, default=ChargeBasis.STANDARD
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(timely_filing_days__gte=1), name="payer_timely_filing_positive"
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
    """A payer's fee schedule entry: the amount it is expected to allow for a code."""

    payer = models.ForeignKey(Payer, on_delete=models.CASCADE, related_name="rates")
    procedure = models.ForeignKey(ProcedureCode, on_delete=models.PROTECT, related_name="rates")
    allowed_amount = models.DecimalField(max_digits=10, decimal_places=2)
    effective_from = models.DateField(default=datetime.date(2000, 1, 1))
    effective_to = models.DateField(null=True, blank=True)

    objects = PayerRateQuerySet.as_manager()

    class Meta:
        ordering = ["payer__name", "procedure__code", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["payer", "procedure", "effective_from"],
                name="one_rate_per_payer_code_start",
            ),
            models.CheckConstraint(
                condition=Q(allowed_amount__gte=0), name="payer_rate_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="payer_rate_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payer} {self.procedure.code} {self.allowed_amount}"
