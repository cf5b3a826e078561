"""Each session: its status, its diagnoses and its service lines."""

from __future__ import annotations

from decimal import Decimal

from concurrency.fields import AutoIncVersionField
from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from billing import coding
from billing.models import PlaceOfService, ProcedureCode
from practice.common import ZERO, LineModifiers
from practice.formats import us_date
from practice.models.clients import Client, Diagnosis
from practice.models.practice import Clinician, Location

SESSION_STATUSES = ["draft", "ready", "billed", "closed", "no_show", "late_cancel", "cancelled"]
# Attended and not yet on a claim: the billing dashboard's and health report's work.
UNBILLED_SESSION_STATUSES = ["draft", "ready"]


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
    # The sum of the session's service lines' charges, None without lines (what
    # SUM(charge) over them gives), for the billing dashboard to read from its index
    # instead of the lines of ~25,000 open sessions at the large demo. The database keeps
    # it, not this model: triggers (migration practice 0015) compute it when a session is
    # inserted, changes status or has the column set (every full save(), so a stale copy
    # in memory is never written), and when a line is added, changed, moved or deleted,
    # whatever writes it (forms, admin, bulk inserts, SQL); the migration filled every
    # session written before it. The demo writes with triggers off and gives each
    # session its sum itself.
    line_charges = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, editable=False
    )

    objects = SessionQuerySet.as_manager()
    # A figure the database derives is no edit of the session's: not in its history.
    history = HistoricalRecords(excluded_fields=["line_charges"])

    class Meta:
        ordering = ["-date", "-start_time", "-pk"]
        indexes = [
            models.Index(fields=["date", "status"]),
            models.Index(fields=["clinician", "date"]),
            # A client's sessions in a window with their status, read from the index alone:
            # the prior authorizations' visits used (``with_auth_visits_used``), counted for
            # every authorization in force by the billing health report.
            models.Index(
                fields=["client", "date"], include=["status", "id"], name="session_client_date"
            ),
            models.Index(fields=["status", "date"]),
            # The session list's order, read backwards (its keyset: practice/views/sessions.py).
            models.Index(fields=["date", "start_time", "id"]),
            # The unbilled sessions alone (a few weeks' work in a history of years), with
            # what the billing dashboard counts and sums them by: read from the index alone.
            models.Index(
                fields=["status"],
                include=["id", "client", "line_charges"],
                condition=Q(status__in=UNBILLED_SESSION_STATUSES),
                name="session_unbilled",
            ),
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

    # Indexed by ``service_line_session`` below (and ``service_line_position_unique``),
    # not by an index of its own.
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="lines", db_index=False
    )
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
        indexes = [
            # A session's lines with their charges and ids, read from the index alone: the
            # billing dashboard sums the charges of every unbilled session and looks for
            # their lines on claims, one index lookup each.
            models.Index(fields=["session"], include=["charge", "id"], name="service_line_session"),
        ]
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
