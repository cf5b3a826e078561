"""Fees a client owes the practice for a missed appointment."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from practice.formats import us_date
from practice.models.appointments import Appointment
from practice.models.clients import Client


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
