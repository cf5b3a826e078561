"""Payers and the rates they pay: to whom a practice bills, and at what rate."""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q

from billing.models.catalog import PlaceOfService, ProcedureCode
from billing.validators import (
    validate_modifier,
)
from practice.common import Address


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
