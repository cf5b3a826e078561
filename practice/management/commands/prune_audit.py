"""``python manage.py prune_audit [--dry-run]``: delete access audit records older than
the retention period (``AUDIT_RETENTION_DAYS``, six years by default). Schedule it daily
(cron or a systemd timer); it is the only way records leave the audit."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from practice.audit import prune_before
from practice.models import AccessEvent


class Command(BaseCommand):
    help = "Delete access audit records older than AUDIT_RETENTION_DAYS."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would go; delete nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        cutoff = prune_before()
        kept = f"kept {settings.AUDIT_RETENTION_DAYS} days: since {cutoff:%Y-%m-%d %H:%M %Z}"
        if options["dry_run"]:
            count = AccessEvent.objects.filter(at__lt=cutoff).count()
            self.stdout.write(f"Would delete {count:,} access records ({kept}).")
            return
        with transaction.atomic():
            count = AccessEvent.objects.prune(before=cutoff)
        self.stdout.write(f"Deleted {count:,} access records ({kept}).")
