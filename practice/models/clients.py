"""Who is seen: clients, their diagnoses and their coverages."""

from __future__ import annotations

import datetime

from concurrency.fields import AutoIncVersionField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from simple_history.models import HistoricalRecords

from billing.models import DiagnosisCode, Payer
from billing.validators import (
    validate_member_id,
    validate_npi,
)
from practice.common import ZERO, Address
from practice.models.practice import Clinician

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


class ClientQuerySet(models.QuerySet):
    def active(self) -> ClientQuerySet:
        return self.filter(active=True)

    def for_user(self, user) -> ClientQuerySet:
        """Clients a user may see: all for billing staff, a clinician's own otherwise.

        A clinician's own clients are those they are primary clinician for, have seen, or
        have an appointment with.
        """
        from practice.models.appointments import Appointment
        from practice.models.sessions import Session
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
        indexes = [
            models.Index(fields=["last_name", "first_name"]),
            # The client list counts the active clients (its default) from this index
            # alone: a fifth of the table's pages (a client row is wide).
            models.Index(fields=["id"], condition=Q(active=True), name="client_active"),
        ]
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
        from practice.models.sessions import Session

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
