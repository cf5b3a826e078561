"""The practice domain: who bills, who renders, who is seen, and each session.

Rules the database can hold are constraints here; rules that need the catalog or the
payer live in forms and ``billing/coding.py``.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from concurrency.fields import AutoIncVersionField
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from simple_history.models import HistoricalRecords

from billing import coding
from billing.models import DiagnosisCode, Payer, PlaceOfService, ProcedureCode
from billing.validators import (
    validate_member_id,
    validate_npi,
    validate_street_address,
    validate_tax_id,
    validate_taxonomy,
    validate_zip_plus4,
)
from practice.common import ZERO, Address, LineModifiers
from practice.formats import us_date, us_datetime

ADULT_AGE = 18  # docs/rules/claim-forms.md §8: a parent or guardian signs for a younger client


def age_on(date_of_birth: datetime.date, day: datetime.date) -> int:
    """Whole years of age on ``day``: the birthday itself counts (someone born on
    29 February is a year older on 1 March of a common year)."""
    years = day.year - date_of_birth.year
    if (day.month, day.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


class Sex(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    UNKNOWN = "U", "Unknown"


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


class ClientQuerySet(models.QuerySet):
    def active(self) -> ClientQuerySet:
        return self.filter(active=True)

    def for_user(self, user) -> ClientQuerySet:
        """Clients a user may see: all for billing staff, a clinician's own otherwise.

        A clinician's own clients are those they are primary clinician for, have seen, or
        have an appointment with.
        """
        from practice.roles import sees_all_clients

        if sees_all_clients(user):
            return self
        clinician = getattr(user, "clinician", None)
        if clinician is None:
            return self.none()
        seen = Session.objects.filter(client=OuterRef("pk"), clinician=clinician)
        planned = Appointment.objects.filter(client=OuterRef("pk"), clinician=clinician)
        return self.filter(Q(primary_clinician=clinician) | Exists(seen) | Exists(planned))


class SignerRelation(models.TextChoices):
    """Who signed a client's release or assignment (docs/rules/claim-forms.md §8)."""

    SELF = "self", "The client"
    PARENT = "parent", "Parent"
    GUARDIAN = "guardian", "Legal guardian"
    REPRESENTATIVE = "representative", "Other legal representative"


# The two signatures a claim relies on (docs/rules/claim-forms.md §8): field prefix, what
# it authorizes, the CMS-1500 box that says it is on file.
SIGNATURES = (
    ("release", "release of information", "box 12"),
    ("assignment", "assignment of benefits", "box 13"),
)


class Client(Address):
    """A person the practice sees. Billing facts only; no clinical narrative."""

    first_name = models.CharField(max_length=35)
    last_name = models.CharField(max_length=60)
    date_of_birth = models.DateField()
    sex = models.CharField("sex on claims", max_length=1, choices=Sex, default=Sex.UNKNOWN)
    phone = models.CharField(max_length=20, blank=True)
    email = models.EmailField(blank=True)
    primary_clinician = models.ForeignKey(
        Clinician, on_delete=models.PROTECT, related_name="clients"
    )
    self_pay = models.BooleanField(
        default=False, help_text="Pays out of pocket; gets superbills, not claims."
    )
    active = models.BooleanField(default=True)
    # docs/rules/claim-forms.md §8: the signed statements boxes 12 and 13 say are on file.
    release_signed_on = models.DateField(
        "release of information signed on",
        null=True,
        blank=True,
        help_text="The date on the signed release (authorization to release information "
        "to insurers). Claims print SIGNATURE ON FILE in box 12 only when it is recorded.",
    )
    release_signer = models.CharField("release signed by", max_length=70, blank=True)
    release_signer_relation = models.CharField(
        "release signer is", max_length=14, choices=SignerRelation, blank=True
    )
    assignment_signed_on = models.DateField(
        "assignment of benefits signed on",
        null=True,
        blank=True,
        help_text="The date on the signed assignment (insurer pays the practice). Claims "
        "print SIGNATURE ON FILE in box 13 only when it is recorded.",
    )
    assignment_signer = models.CharField("assignment signed by", max_length=70, blank=True)
    assignment_signer_relation = models.CharField(
        "assignment signer is", max_length=14, choices=SignerRelation, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Optimistic lock (docs/concurrent-edits.md): every save bumps it; a form saved at an
    # older version is refused instead of overwriting the newer row.
    version = AutoIncVersionField()

    objects = ClientQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["last_name", "first_name", "pk"]
        indexes = [models.Index(fields=["last_name", "first_name"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_of_birth__gte=datetime.date(1900, 1, 1)),
                name="client_birth_date_plausible",
                violation_error_message="A date of birth before 1900 is not possible here.",
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{kind}_signed_on__isnull": True})
                    | ~Q(**{f"{kind}_signer": ""}),
                    name=f"client_{kind}_signer_named",
                    violation_error_message=f"Say who signed the {what}.",
                )
                for kind, what, _ in SIGNATURES
            ),
        ]

    def __str__(self) -> str:
        return f"{self.last_name}, {self.first_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def account_number(self) -> str:
        """Patient account number (CMS-1500 box 26)."""
        return f"C{self.pk:06d}"

    def coverages_on(self, on: datetime.date) -> list[Coverage]:
        """The client's coverages in force on a date, the payer responsible first
        (docs/rules/claims.md "Coverage in force"). Served from a prefetch of
        ``coverages`` when there is one (the claim builder), otherwise one query."""
        cache = getattr(self, "_prefetched_objects_cache", {})
        if "coverages" in cache:
            return sorted(
                (c for c in cache["coverages"] if c.is_effective(on)),
                key=Coverage.responsibility_key,
            )
        return list(
            self.coverages.in_force(on)
            .responsible_first()
            .select_related("payer__telehealth_home_pos", "payer__telehealth_other_pos")
        )

    def coverage_on(self, on: datetime.date) -> Coverage | None:
        """The coverage billed for a date of service: the highest-priority coverage in
        force that day, or None for a self-pay client or one with no coverage in force.

        A coverage recorded as secondary is billed when it is the only one in force: a
        plan pays second only while another plan pays first (NAIC coordination of
        benefits model rule; docs/rules/claims.md "Coverage in force").
        """
        if self.self_pay:
            return None
        coverages = self.coverages_on(on)
        return coverages[0] if coverages else None

    def is_minor_on(self, day: datetime.date) -> bool:
        return age_on(self.date_of_birth, day) < ADULT_AGE

    def signature(self, kind: str) -> dict[str, str] | None:
        """The recorded ``"release"`` or ``"assignment"`` signature as a claim snapshots it
        (docs/rules/claim-forms.md §8), or None when none is on file."""
        signed_on = getattr(self, f"{kind}_signed_on")
        if signed_on is None:
            return None
        return {
            "signed_on": signed_on.isoformat(),
            "signer": getattr(self, f"{kind}_signer"),
            "relation": getattr(self, f"{kind}_signer_relation"),
        }

    def clean(self) -> None:
        if self.date_of_birth and self.date_of_birth > timezone.localdate():
            raise ValidationError({"date_of_birth": "A date of birth cannot be in the future."})
        errors: dict[str, str] = {}
        for kind, what, _ in SIGNATURES:
            signed_on = getattr(self, f"{kind}_signed_on")
            signer = getattr(self, f"{kind}_signer").strip()
            relation = getattr(self, f"{kind}_signer_relation")
            if signed_on is None:
                if signer or relation:
                    errors[f"{kind}_signed_on"] = f"Enter the date the {what} was signed."
                continue
            if signed_on > timezone.localdate():
                errors[f"{kind}_signed_on"] = "A signature cannot be dated in the future."
            elif self.date_of_birth and signed_on < self.date_of_birth:
                errors[f"{kind}_signed_on"] = "This date is before the client was born."
            if not signer:
                errors[f"{kind}_signer"] = f"Enter the name of who signed the {what}."
            if not relation:
                errors[f"{kind}_signer_relation"] = (
                    "Say who the signer is: the client, a parent, a legal guardian or another "
                    "legal representative."
                )
            elif (
                relation == SignerRelation.SELF
                and self.date_of_birth
                and f"{kind}_signed_on" not in errors
                and self.is_minor_on(signed_on)
            ):
                errors[f"{kind}_signer_relation"] = (
                    f"The client was {age_on(self.date_of_birth, signed_on)} on that date: a "
                    "parent or legal guardian signs for a client under 18."
                )
        if errors:
            raise ValidationError(errors)


class Diagnosis(models.Model):
    """An ICD-10-CM diagnosis on a client's record, ranked (1 = primary)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="diagnoses")
    code = models.ForeignKey(DiagnosisCode, on_delete=models.PROTECT, related_name="+")
    rank = models.PositiveSmallIntegerField(default=1)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True, help_text="When resolved.")
    version = AutoIncVersionField()

    history = HistoricalRecords()

    class Meta:
        ordering = ["rank", "pk"]
        verbose_name_plural = "diagnoses"
        constraints = [
            models.UniqueConstraint(
                fields=["client", "code"],
                name="one_diagnosis_code_per_client",
                violation_error_message="This client already has this diagnosis.",
            ),
            models.CheckConstraint(
                condition=Q(rank__gte=1),
                name="diagnosis_rank_positive",
                violation_error_message="The rank starts at 1.",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="diagnosis_dates_ordered",
                violation_error_message="A diagnosis cannot be resolved before it starts.",
            ),
        ]

    def __str__(self) -> str:
        return str(self.code)

    def clean(self) -> None:
        if self.code_id and not self.code.billable:
            raise ValidationError(
                {"code": f"{self.code.code} is a category; choose a billable code under it."}
            )


class CoverageQuerySet(models.QuerySet):
    def in_force(self, on) -> CoverageQuerySet:
        """Coverages in force on a date: started on or before it and not ended before
        it (both ends count). ``on`` may be an expression, e.g. ``OuterRef("date")``."""
        return self.in_force_during(on, on)

    def in_force_during(self, start, end) -> CoverageQuerySet:
        """Coverages in force on at least one day from ``start`` to ``end``."""
        return self.filter(effective_from__lte=end).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=start)
        )

    def responsible_first(self) -> CoverageQuerySet:
        """Order of payment responsibility: priority, then the newest policy."""
        return self.order_by(*Coverage.RESPONSIBILITY_ORDER)

    def with_auth_visits_used(self, *, excluding: int | None = None) -> CoverageQuerySet:
        """Annotate ``auth_visits_used``: the client's attended sessions (whoever saw the
        client: an authorization is the client's) dated inside the authorization's
        window — from ``prior_auth_from`` (else the coverage's start) through
        ``prior_auth_to`` (else the coverage's end, else open). ``excluding`` leaves one
        session out (the one being logged). One correlated subquery, whatever the rows.
        """
        sessions = Session.objects.filter(
            client=OuterRef("client_id"),
            status__in=Session.ATTENDED_STATUSES,
            date__gte=Coalesce(
                OuterRef("prior_auth_from"),
                OuterRef("effective_from"),
                output_field=models.DateField(),
            ),
            date__lte=Coalesce(
                OuterRef("prior_auth_to"),
                OuterRef("effective_to"),
                Value(datetime.date.max),
                output_field=models.DateField(),
            ),
        )
        if excluding is not None:
            sessions = sessions.exclude(pk=excluding)
        counted = sessions.order_by().values("client_id").annotate(n=Count("pk")).values("n")
        return self.annotate(auth_visits_used=Coalesce(Subquery(counted), 0))


class Coverage(Address):
    """A client's insurance policy with one payer (docs/rules/claims.md "Coverage in force")."""

    # Payment responsibility among coverages in force on one date.
    RESPONSIBILITY_ORDER = ("priority", "-effective_from", "pk")

    class Priority(models.IntegerChoices):
        PRIMARY = 1, "Primary"
        SECONDARY = 2, "Secondary"
        TERTIARY = 3, "Tertiary"

    class Relationship(models.TextChoices):
        # docs/rules/claim-forms.md §4: patient relationship to subscriber (837P SBR02/PAT01).
        SELF = "18", "Self"
        SPOUSE = "01", "Spouse"
        CHILD = "19", "Child"
        EMPLOYEE = "20", "Employee"
        UNKNOWN = "21", "Unknown"
        OTHER = "G8", "Other relationship"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="coverages")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="coverages")
    member_id = models.CharField(max_length=80, validators=[validate_member_id])
    group_number = models.CharField(max_length=50, blank=True)
    plan_name = models.CharField(max_length=60, blank=True)
    priority = models.PositiveSmallIntegerField(choices=Priority, default=Priority.PRIMARY)
    relationship = models.CharField(
        "client is the subscriber's", max_length=2, choices=Relationship, default=Relationship.SELF
    )
    subscriber_first_name = models.CharField(max_length=35, blank=True)
    subscriber_last_name = models.CharField(max_length=60, blank=True)
    subscriber_date_of_birth = models.DateField(null=True, blank=True)
    subscriber_sex = models.CharField(max_length=1, choices=Sex, blank=True)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    copay = models.DecimalField(max_digits=10, decimal_places=2, default=ZERO)
    prior_auth_number = models.CharField("prior authorization number", max_length=50, blank=True)
    prior_auth_visits = models.PositiveSmallIntegerField("authorized visits", null=True, blank=True)
    prior_auth_from = models.DateField(null=True, blank=True)
    prior_auth_to = models.DateField(null=True, blank=True)
    # docs/rules/claim-forms.md §9: who referred the client to this plan's care (box 17,
    # loop 2310A). Kept per coverage: a referral is the plan's requirement and names
    # the plan's primary care provider, so a new plan needs its own.
    referring_first_name = models.CharField(
        "referring provider first name", max_length=35, blank=True
    )
    referring_last_name = models.CharField(
        "referring provider last name", max_length=60, blank=True
    )
    referring_npi = models.CharField(
        "referring provider NPI", max_length=10, blank=True, validators=[validate_npi]
    )
    version = AutoIncVersionField()

    objects = CoverageQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["priority", "-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_to__gte=models.F("effective_from")),
                name="coverage_dates_ordered",
                violation_error_message="The coverage cannot end before it starts.",
            ),
            models.CheckConstraint(
                condition=Q(prior_auth_to__isnull=True)
                | Q(prior_auth_from__isnull=True)
                | Q(prior_auth_to__gte=models.F("prior_auth_from")),
                name="coverage_prior_auth_dates_ordered",
                violation_error_message="The authorization cannot end before it starts.",
            ),
            models.CheckConstraint(
                condition=Q(copay__gte=0),
                name="coverage_copay_not_negative",
                violation_error_message="A copay cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(relationship="18")
                | (~Q(subscriber_first_name="") & ~Q(subscriber_last_name="")),
                name="coverage_subscriber_named_when_not_self",
                violation_error_message="Name the subscriber when it is not the client.",
            ),
            models.CheckConstraint(
                condition=Q(referring_npi="")
                | (~Q(referring_last_name="") & ~Q(referring_first_name="")),
                name="coverage_referring_provider_named",
                violation_error_message="Name the referring provider whose NPI is recorded.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payer} ({self.get_priority_display().lower()}) {self.member_id}"

    def is_effective(self, on: datetime.date) -> bool:
        """This row's answer to ``CoverageQuerySet.in_force``, for rows already loaded."""
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def responsibility_key(self) -> tuple:
        """``RESPONSIBILITY_ORDER`` for rows already loaded."""
        return (self.priority, -self.effective_from.toordinal(), self.pk or 0)

    def auth_visits_used(self, *, excluding: int | None = None) -> int:
        """Visits used against this coverage's prior authorization (one query); see
        ``CoverageQuerySet.with_auth_visits_used``."""
        return (
            Coverage.objects.filter(pk=self.pk)
            .with_auth_visits_used(excluding=excluding)
            .values_list("auth_visits_used", flat=True)
            .get()
        )

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.effective_to and self.effective_from and self.effective_to < self.effective_from:
            errors["effective_to"] = "The coverage cannot end before it starts."
        if (
            self.prior_auth_to
            and self.prior_auth_from
            and self.prior_auth_to < self.prior_auth_from
        ):
            errors["prior_auth_to"] = "The authorization cannot end before it starts."
        if self.relationship != self.Relationship.SELF:
            if not self.subscriber_first_name:
                errors["subscriber_first_name"] = "Enter the subscriber's first name."
            if not self.subscriber_last_name:
                errors["subscriber_last_name"] = "Enter the subscriber's last name."
            if not self.subscriber_date_of_birth:
                errors["subscriber_date_of_birth"] = "Enter the subscriber's date of birth."
        if self.referring_first_name or self.referring_last_name or self.referring_npi:
            for name, label in [
                ("referring_first_name", "first name"),
                ("referring_last_name", "last name"),
                ("referring_npi", "NPI"),
            ]:
                if not getattr(self, name):
                    errors[name] = f"Enter the referring provider's {label} too."
        if errors:
            raise ValidationError(errors)

    def referring(self) -> dict[str, str] | None:
        """The referring provider as a claim snapshots it (docs/rules/claim-forms.md §9)."""
        if not self.referring_npi:
            return None
        return {
            "first_name": self.referring_first_name,
            "last_name": self.referring_last_name,
            "npi": self.referring_npi,
        }

    @property
    def subscriber_is_client(self) -> bool:
        return self.relationship == self.Relationship.SELF


SESSION_STATUSES = ["draft", "ready", "billed", "closed", "no_show", "late_cancel", "cancelled"]


class SessionQuerySet(models.QuerySet):
    def with_lines(self) -> SessionQuerySet:
        """The sessions' service lines with their procedure codes, in one more query."""
        return self.prefetch_related(
            models.Prefetch("lines", queryset=ServiceLine.objects.select_related("procedure"))
        )

    def for_user(self, user) -> SessionQuerySet:
        """Sessions a user may see: all for billing staff, a clinician's own otherwise."""
        from practice.roles import sees_all_clients

        if sees_all_clients(user):
            return self
        clinician = getattr(user, "clinician", None)
        if clinician is None:
            return self.none()
        return self.filter(clinician=clinician)

    def billable(self) -> SessionQuerySet:
        """Sessions ready to go on a claim or superbill."""
        return self.filter(status=Session.Status.READY)


class Session(models.Model):
    """One encounter between a clinician and a client (billing facts, not notes)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        READY = "ready", "Ready to bill"
        BILLED = "billed", "Billed"
        CLOSED = "closed", "Closed"
        NO_SHOW = "no_show", "No-show"
        LATE_CANCEL = "late_cancel", "Late cancellation"
        CANCELLED = "cancelled", "Cancelled"

    class Service(models.TextChoices):
        # Mirrors billing.coding.SERVICES.
        INDIVIDUAL = "individual", "Individual psychotherapy"
        FAMILY = "family", "Family psychotherapy (client present)"
        FAMILY_WITHOUT_CLIENT = "family_without_client", "Family psychotherapy (without client)"
        GROUP = "group", "Group psychotherapy"
        MULTI_FAMILY_GROUP = "multi_family_group", "Multiple-family group psychotherapy"
        CRISIS = "crisis", "Crisis psychotherapy"
        INTAKE = "intake", "Diagnostic evaluation (intake)"
        INTAKE_MEDICAL = "intake_medical", "Diagnostic evaluation with medical services"
        TESTING_EVALUATION = "testing_evaluation", "Psychological testing evaluation"
        TESTING_ADMINISTRATION = "testing_administration", "Test administration by the clinician"
        TESTING_TECHNICIAN = "testing_technician", "Test administration by a technician"

    class Telehealth(models.TextChoices):
        NONE = "", "In person"
        VIDEO = "video", "Telehealth, audio and video"
        AUDIO = "audio", "Telehealth, audio only"

    BILLED_STATUSES = frozenset({Status.BILLED, Status.CLOSED})
    ATTENDED_STATUSES = frozenset({Status.DRAFT, Status.READY, Status.BILLED, Status.CLOSED})

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="sessions")
    clinician = models.ForeignKey(Clinician, on_delete=models.PROTECT, related_name="sessions")
    date = models.DateField("date of service")
    start_time = models.TimeField(null=True, blank=True)
    end_time = models.TimeField(null=True, blank=True)
    minutes = models.PositiveSmallIntegerField(help_text="Face-to-face minutes.")
    psychotherapy_minutes = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="With an E/M visit: the psychotherapy minutes alone, not counting the E/M "
        "service (docs/rules/coding.md §5).",
    )
    service = models.CharField(max_length=25, choices=Service, default=Service.INDIVIDUAL)
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, null=True, blank=True, related_name="sessions"
    )
    place_of_service = models.ForeignKey(PlaceOfService, on_delete=models.PROTECT, related_name="+")
    telehealth = models.CharField(max_length=5, choices=Telehealth, blank=True, default="")
    client_at_home = models.BooleanField(
        default=True, help_text="For telehealth: was the client at home?"
    )
    interactive_complexity = models.BooleanField(default=False)
    group_size = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Participants in a group session."
    )
    status = models.CharField(max_length=12, choices=Status, default=Status.DRAFT)
    note = models.CharField(
        max_length=500, blank=True, help_text="A billing note, not a clinical note."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = AutoIncVersionField()

    objects = SessionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-date", "-start_time", "-pk"]
        indexes = [
            models.Index(fields=["date", "status"]),
            models.Index(fields=["clinician", "date"]),
            models.Index(fields=["client", "date"]),
            models.Index(fields=["status", "date"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gte=1) & Q(minutes__lte=480),
                name="session_minutes_1_to_480",
                violation_error_message="A session lasts from 1 minute to 8 hours.",
            ),
            models.CheckConstraint(
                condition=Q(psychotherapy_minutes__isnull=True)
                | Q(psychotherapy_minutes__lte=models.F("minutes")),
                name="session_psychotherapy_within_minutes",
                violation_error_message="The psychotherapy minutes cannot exceed the "
                "session's minutes.",
            ),
            models.CheckConstraint(
                condition=Q(start_time__isnull=True)
                | Q(end_time__isnull=True)
                | Q(end_time__gt=models.F("start_time")),
                name="session_ends_after_start",
                violation_error_message="The session ends before it starts.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=SESSION_STATUSES), name="session_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(telehealth__in=["", "video", "audio"]), name="session_telehealth_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{us_date(self.date)} {self.client} ({self.get_service_display()})"

    @property
    def is_billed(self) -> bool:
        return self.status in self.BILLED_STATUSES

    @property
    def is_telehealth(self) -> bool:
        return bool(self.telehealth)

    def minutes_for(self, code: str) -> int:
        """The minutes a line's code is coded from: at an E/M visit the psychotherapy
        minutes alone, except for the E/M code (docs/rules/coding.md §5)."""
        return coding.minutes_for(
            code, minutes=self.minutes, psychotherapy_minutes=self.psychotherapy_minutes
        )

    @property
    def total_charge(self) -> Decimal:
        """The session's charges, over ``lines.all()`` so a prefetch serves a whole page."""
        return sum((line.charge for line in self.lines.all()), ZERO)


class SessionDiagnosis(models.Model):
    """A diagnosis a session addressed, in claim order (position 1 = A on the CMS-1500)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="session_diagnoses")
    diagnosis = models.ForeignKey(Diagnosis, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]
        verbose_name_plural = "session diagnoses"
        constraints = [
            models.UniqueConstraint(
                fields=["session", "position"], name="session_diagnosis_position_unique"
            ),
            models.UniqueConstraint(fields=["session", "diagnosis"], name="session_diagnosis_once"),
            models.CheckConstraint(
                condition=Q(position__gte=1) & Q(position__lte=12),
                name="session_diagnosis_position_1_to_12",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}: {self.diagnosis}"


class ServiceLine(LineModifiers):
    """One coded service in a session (docs/rules/coding.md §2–7): code, modifiers, units, charge.

    The charge is copied from the fee schedule when the session is logged, so a later fee
    change never rewrites what was billed.
    """

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=1)
    procedure = models.ForeignKey(ProcedureCode, on_delete=models.PROTECT, related_name="+")
    units = models.PositiveSmallIntegerField(default=1)
    charge = models.DecimalField(max_digits=10, decimal_places=2)
    diagnosis_pointers = models.CharField(
        max_length=4, default="A", help_text="Letters of the session's diagnoses, e.g. AB."
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "position"], name="service_line_position_unique"
            ),
            models.CheckConstraint(condition=Q(units__gte=1), name="service_line_units_positive"),
            models.CheckConstraint(
                condition=Q(charge__gte=0), name="service_line_charge_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(diagnosis_pointers=""), name="service_line_has_pointer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.procedure.code} {' '.join(self.modifiers)}".strip()


# --- read audit (HIPAA 45 CFR 164.312(b), audit controls) ------------------------------


class AccessKind(models.TextChoices):
    VIEW = "view", "View"
    EXPORT = "export", "Export"
    PRINT = "print", "Print"
    ADMIN = "admin", "Admin"


class AppendOnlyError(Exception):
    """The access audit only grows: its rows are never changed, and deleted only by
    ``AccessEvent.objects.prune`` once older than the retention period."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Access audit records cannot be changed.")

    def bulk_update(self, *args, **kwargs):
        raise AppendOnlyError("Access audit records cannot be changed.")

    def delete(self):
        raise AppendOnlyError(
            "Access audit records cannot be deleted; the prune_audit command removes those "
            "older than AUDIT_RETENTION_DAYS."
        )


class AccessEventQuerySet(AppendOnlyQuerySet):
    def for_client(self, client_ids) -> AccessEventQuerySet:
        """Accesses that touched any of these clients (ids or a queryset of ids)."""
        return self.filter(
            Exists(AccessEventClient.objects.filter(event=OuterRef("pk"), client__in=client_ids))
        )

    def prune(self, *, before) -> int:
        """Delete the accesses recorded before ``before`` (and their client links): the one
        way rows leave the audit. Returns the number of accesses deleted."""
        old = AccessEvent.objects.filter(at__lt=before)
        links = AccessEventClient.objects.filter(event__in=old.values("pk"))
        models.QuerySet.delete(links)
        deleted, _ = models.QuerySet.delete(old)
        return deleted


class AccessEvent(models.Model):
    """One view, print or export of client information: who, what, when, from where.

    The clients it touched are ``AccessEventClient`` rows (one bulk insert), so the
    owner can ask "who saw this client?" with an index, however many clients an export
    held. Users and clients are referenced without database constraints: the record of an
    access outlives the user account and the client record.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    username = models.CharField(max_length=150)
    kind = models.CharField(max_length=8, choices=AccessKind)
    what = models.CharField(max_length=100, help_text="The page or export, e.g. 'Claim page'.")
    object_type = models.CharField(max_length=40, blank=True)
    object_ids = models.JSONField(default=list, blank=True)
    path = models.CharField(max_length=500, help_text="The address asked for, with its query.")
    address = models.GenericIPAddressField("IP address", null=True, blank=True)
    client_count = models.PositiveIntegerField(default=0)

    objects = AccessEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["user", "at"]),
            models.Index(fields=["kind", "at"]),
        ]

    def __str__(self) -> str:
        return f"{us_datetime(self.at)} {self.username} {self.get_kind_display()} {self.what}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Access audit records cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Access audit records cannot be deleted.")


class AccessEventClient(models.Model):
    """A client whose information an access showed."""

    event = models.ForeignKey(AccessEvent, on_delete=models.CASCADE, related_name="client_links")
    client = models.ForeignKey(
        Client, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "client"], name="access_event_client_once")
        ]
        indexes = [models.Index(fields=["client", "event"])]

    def __str__(self) -> str:
        return f"access {self.event_id}: client {self.client_id}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Access audit records cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Access audit records cannot be deleted.")


# --- A clinician's day: appointments (practice/appointments.py holds the workflows) ---


class AppointmentSeries(models.Model):
    """A recurring plan: the same slot every week or every two weeks, until a date or for
    a number of occurrences. Each occurrence is its own Appointment row."""

    class Every(models.IntegerChoices):
        WEEK = 1, "Every week"
        TWO_WEEKS = 2, "Every two weeks"

    every_weeks = models.PositiveSmallIntegerField(choices=Every, default=Every.WEEK)
    until = models.DateField(null=True, blank=True)
    count = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "appointment series"
        constraints = [
            models.CheckConstraint(
                condition=Q(every_weeks__in=[1, 2]),
                name="appointment_series_every_1_or_2_weeks",
                violation_error_message="A series repeats every week or every two weeks.",
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=False) | Q(count__isnull=False),
                name="appointment_series_has_an_end",
                violation_error_message="A series ends on a date or after a number of times.",
            ),
        ]

    def __str__(self) -> str:
        end = f"until {us_date(self.until)}" if self.until else f"{self.count} times"
        return f"{self.get_every_weeks_display()}, {end}"


class AppointmentQuerySet(models.QuerySet):
    def for_user(self, user) -> AppointmentQuerySet:
        """Appointments a user may see: all for billing staff, a clinician's own otherwise."""
        from practice.roles import sees_all_clients

        if sees_all_clients(user):
            return self
        clinician = getattr(user, "clinician", None)
        if clinician is None:
            return self.none()
        return self.filter(clinician=clinician)

    def holding_time(self) -> AppointmentQuerySet:
        """Appointments that keep their slot taken: planned or attended."""
        return self.filter(status__in=Appointment.HOLDING_STATUSES)

    def unlogged(self, *, before: datetime.date) -> AppointmentQuerySet:
        """Planned appointments dated before a day: nobody said yet what happened."""
        return self.filter(status=Appointment.Status.PLANNED, date__lt=before)


class Appointment(models.Model):
    """A planned session. Attended, it links the Session logged for it; missed, it links
    a no-show or late-cancellation Session (so reports count it) and any fee charged."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        ATTENDED = "attended", "Attended"
        NO_SHOW = "no_show", "No-show"
        LATE_CANCEL = "late_cancel", "Late cancellation"
        CANCELLED = "cancelled", "Cancelled"

    HOLDING_STATUSES = frozenset({Status.PLANNED, Status.ATTENDED})

    clinician = models.ForeignKey(Clinician, on_delete=models.PROTECT, related_name="appointments")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="appointments")
    series = models.ForeignKey(
        AppointmentSeries,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
    )
    date = models.DateField()
    start_time = models.TimeField("start")
    # Derived from start + minutes (practice/appointments.py); stored for overlap queries.
    end_time = models.TimeField(editable=False)
    minutes = models.PositiveSmallIntegerField("planned minutes")
    service = models.CharField(
        max_length=25, choices=Session.Service, default=Session.Service.INDIVIDUAL
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    telehealth = models.CharField(max_length=5, choices=Session.Telehealth, blank=True, default="")
    status = models.CharField(max_length=12, choices=Status, default=Status.PLANNED)
    session = models.OneToOneField(
        Session,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointment",
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["date", "start_time", "pk"]
        indexes = [models.Index(fields=["clinician", "date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gte=1) & Q(minutes__lte=480),
                name="appointment_minutes_1_to_480",
                violation_error_message="An appointment lasts from 1 minute to 8 hours.",
            ),
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")),
                name="appointment_ends_after_start",
                violation_error_message="The appointment must end by midnight.",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=["planned", "attended", "no_show", "late_cancel", "cancelled"]
                ),
                name="appointment_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(telehealth__in=["", "video", "audio"]),
                name="appointment_telehealth_valid",
            ),
            models.CheckConstraint(
                condition=~Q(telehealth="") | Q(location__isnull=False),
                name="appointment_in_person_has_location",
                violation_error_message="Choose the location, or telehealth.",
            ),
            # The database's share of "no double booking": one live appointment per
            # clinician and start (groups meet once per member at the same time). The
            # full overlap rule is in practice/appointments.py, under a row lock.
            models.UniqueConstraint(
                fields=["clinician", "date", "start_time"],
                condition=Q(status__in=["planned", "attended"])
                & ~Q(service__in=["group", "multi_family_group"]),
                name="appointment_one_live_per_clinician_start",
                violation_error_message="The clinician already has an appointment at this time.",
            ),
        ]

    def __str__(self) -> str:
        return f"{us_date(self.date)} {self.start_time:%H:%M} {self.client}"

    @property
    def is_telehealth(self) -> bool:
        return bool(self.telehealth)

    @property
    def starts_at(self) -> datetime.datetime:
        """The start as an aware moment in the practice's time zone (settings.TIME_ZONE)."""
        from django.utils import timezone

        return timezone.make_aware(datetime.datetime.combine(self.date, self.start_time))

    @property
    def ends_at(self) -> datetime.datetime:
        from django.utils import timezone

        return timezone.make_aware(datetime.datetime.combine(self.date, self.end_time))

    @property
    def place_label(self) -> str:
        if self.telehealth:
            return self.get_telehealth_display()
        return self.location.name if self.location_id else ""


class ClientCharge(models.Model):
    """A fee the client owes the practice for a missed appointment. Never a service line,
    so never on a claim: an insurer does not pay for a session that did not happen."""

    class Kind(models.TextChoices):
        NO_SHOW = "no_show", "No-show fee"
        LATE_CANCEL = "late_cancel", "Late-cancellation fee"

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="charges")
    appointment = models.OneToOneField(Appointment, on_delete=models.PROTECT, related_name="charge")
    kind = models.CharField(max_length=12, choices=Kind)
    date = models.DateField(help_text="The date of the missed appointment.")
    # Copied from the practice's policy when charged: a later fee change does not
    # rewrite what the client was charged.
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="client_charge_amount_positive",
                violation_error_message="A charge is more than zero.",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["no_show", "late_cancel"]), name="client_charge_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {us_date(self.date)} {self.amount}"
