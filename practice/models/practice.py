"""Who bills and who renders: the practice, its locations and its clinicians."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from billing.models import PlaceOfService
from billing.validators import (
    validate_npi,
    validate_street_address,
    validate_tax_id,
    validate_taxonomy,
    validate_zip_plus4,
)
from practice.common import ZERO, Address


class Practice(Address):
    """The billing provider (CMS-1500 box 33, 837P loop 2010AA)."""

    class TaxIdType(models.TextChoices):
        EIN = "EIN", "EIN (employer identification number)"
        SSN = "SSN", "SSN (prints on claims and superbills; prefer an EIN)"

    name = models.CharField("legal name", max_length=120)
    phone = models.CharField(max_length=20, blank=True)
    tax_id = models.CharField(max_length=11)
    tax_id_type = models.CharField(max_length=3, choices=TaxIdType, default=TaxIdType.EIN)
    npi = models.CharField(
        "group NPI (type 2)",
        max_length=10,
        blank=True,
        validators=[validate_npi],
        help_text="Leave empty for a solo practice billing under the clinician's own NPI.",
    )
    taxonomy = models.CharField(
        max_length=10, blank=True, validators=[validate_taxonomy], default="103T00000X"
    )
    # Missed-appointment policy (practice/appointments.py applies it; README "A clinician's
    # day"). The fees are charged to the client, never to an insurer.
    late_cancel_hours = models.PositiveSmallIntegerField(
        "late-cancellation window (hours)",
        default=24,
        help_text="A cancellation with less notice than this many hours is a late cancellation.",
    )
    no_show_fee = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        default=ZERO,
        help_text="Charged to the client for a no-show; 0.00 charges nothing.",
    )
    late_cancel_fee = models.DecimalField(
        "late-cancellation fee",
        max_digits=10,
        decimal_places=2,
        default=ZERO,
        help_text="Charged to the client for a late cancellation; 0.00 charges nothing.",
    )
    underpayment_tolerance = models.DecimalField(
        "underpayment tolerance",
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.01"),
        help_text="A paid line whose allowed amount is short of the contract rate by more "
        "than this is flagged as underpaid.",
    )
    missed_fees_for_all_clients = models.BooleanField(
        "missed-appointment fees apply to every client, Medicare clients included",
        default=False,
        help_text=(
            "Warning: Medicare allows a missed-appointment fee for its beneficiaries only "
            "when the practice charges every client alike under the same written policy, "
            "and the fee is never billed to Medicare (Medicare Claims Processing Manual, "
            "CMS Pub. 100-04, chapter 1, section 30.3.13). Leave this off unless your "
            "policy charges all clients: Medicare clients are then not charged."
        ),
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(underpayment_tolerance__gte=0),
                name="practice_underpayment_tolerance_not_negative",
                violation_error_message="The underpayment tolerance cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(tax_id_type__in=["EIN", "SSN"]),
                name="practice_tax_id_type_valid",
                violation_error_message="The tax id type is EIN or SSN.",
            ),
            models.CheckConstraint(
                condition=Q(no_show_fee__gte=0) & Q(late_cancel_fee__gte=0),
                name="practice_missed_fees_not_negative",
                violation_error_message="A missed-appointment fee cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        checks = {
            "tax_id": lambda value: validate_tax_id(value, self.tax_id_type),
            # docs/rules/claim-forms.md §10: the address prints in box 33 and loop 2010AA.
            "address_line1": validate_street_address,
            "address_line2": validate_street_address,
            "zip_code": validate_zip_plus4,
        }
        errors: dict[str, list[str]] = {}
        for name, check in checks.items():
            value = getattr(self, name)
            if not value:
                continue
            try:
                check(value)
            except ValidationError as error:
                errors[name] = error.messages
        if errors:
            raise ValidationError(errors)

    @classmethod
    def current(cls) -> Practice | None:
        """The practice this installation serves (one per installation)."""
        return cls.objects.order_by("pk").first()


class Location(Address):
    """A service facility (CMS-1500 box 32) with its usual place of service."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="locations")
    name = models.CharField(max_length=80)
    npi = models.CharField(max_length=10, blank=True, validators=[validate_npi])
    default_pos = models.ForeignKey(
        PlaceOfService, on_delete=models.PROTECT, related_name="+", verbose_name="place of service"
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ClinicianQuerySet(models.QuerySet):
    def active(self) -> ClinicianQuerySet:
        return self.filter(active=True)


class Clinician(models.Model):
    """A person who renders services: one per login (docs/rules/coding.md §6, §9)."""

    class LicenseLevel(models.TextChoices):
        # docs/rules/coding.md §7.2: level-of-license modifiers some Medicaid plans want.
        DOCTORAL = "HP", "Doctoral (HP)"
        PSYCHOLOGIST = "AH", "Clinical psychologist (AH)"
        SOCIAL_WORKER = "AJ", "Clinical social worker (AJ)"
        MASTERS = "HO", "Master's (HO)"
        BACHELORS = "HN", "Bachelor's (HN)"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="clinician"
    )
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="clinicians")
    first_name = models.CharField(max_length=35)
    last_name = models.CharField(max_length=60)
    credentials = models.CharField(max_length=30, help_text="PhD, PsyD, LCSW, LPC, LMFT…")
    npi = models.CharField("individual NPI", max_length=10, unique=True, validators=[validate_npi])
    taxonomy = models.CharField(max_length=10, validators=[validate_taxonomy])
    license_number = models.CharField(max_length=30, blank=True)
    license_state = models.CharField(max_length=2, blank=True)
    license_level = models.CharField(
        max_length=2,
        choices=LicenseLevel,
        blank=True,
        help_text="This clinician's own level (an associate's, never the supervisor's): the "
        "level-of-license modifier describes who saw the client.",
    )
    prescriber = models.BooleanField(
        default=False,
        help_text="Holds a prescribing license (MD/DO, psychiatric NP, PA): may bill E/M "
        "visits, 90792 and the E/M psychotherapy add-ons 90833/90836/90838.",
    )
    supervisor = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supervisees",
        help_text="For a pre-licensed clinician whose sessions bill under a supervisor.",
    )
    active = models.BooleanField(default=True)
    default_location = models.ForeignKey(
        Location,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="default office",
        help_text="Where this clinician's new sessions and appointments start.",
    )
    # SHA-256 of the secret in the clinician's calendar feed address (practice/calendar.py):
    # the address is shown once when made, and a stolen database does not reveal it.
    calendar_token_hash = models.CharField(max_length=64, blank=True, editable=False)

    objects = ClinicianQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(supervisor=models.F("pk")),
                name="clinician_not_own_supervisor",
                violation_error_message="A clinician cannot supervise themselves.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}, {self.credentials}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def is_pre_licensed(self) -> bool:
        return self.supervisor_id is not None

    def clean(self) -> None:
        if self.supervisor_id and self.supervisor_id == self.pk:
            raise ValidationError({"supervisor": "A clinician cannot supervise themselves."})
        if self.supervisor_id and self.supervisor.supervisor_id:
            raise ValidationError(
                {"supervisor": "The supervisor must be licensed (have no supervisor of their own)."}
            )
