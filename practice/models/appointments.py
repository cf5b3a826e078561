"""A clinician's day: appointments and their series (``practice/appointments.py``
holds the workflows).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q

from practice.formats import us_date
from practice.models.clients import Client
from practice.models.practice import Clinician, Location
from practice.models.sessions import Session

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
