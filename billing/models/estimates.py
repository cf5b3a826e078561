"""Good Faith Estimates and their lines (the workflows are ``billing/estimates.py``)."""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q

from billing.models.catalog import ProcedureCode
from practice.common import ZERO


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
