"""The read audit: who looked at which client's records, append-only."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef
from django.utils import timezone

from practice.formats import us_datetime
from practice.models.clients import Client

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
