"""``python manage.py backup [--out DIR] [--no-verify]``: a verified copy of the database."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat

from practice.backups import BackupError, backup_create

NBSP = "\xa0"  # filesizeformat keeps number and unit together for HTML


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump on PostgreSQL, the SQLite backup API on SQLite) into "
        "a file named with the UTC time, readable by its owner only, then restore it into a "
        "scratch database and compare every table's row count with the live database. "
        "Exits non-zero if the backup or its verification fails."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--out",
            type=Path,
            metavar="DIR",
            help=f"Folder for the backup file (default: BACKUP_DIR, {settings.BACKUP_DIR}).",
        )
        parser.add_argument(
            "--verify",
            action="store_true",
            default=True,
            help="Restore the copy into a scratch database and compare row counts (default).",
        )
        parser.add_argument(
            "--no-verify", dest="verify", action="store_false", help="Skip the verification."
        )

    def handle(self, *args, out: Path | None = None, verify: bool = True, **options) -> None:
        try:
            backup = backup_create(out_dir=out or settings.BACKUP_DIR, verify=verify)
        except BackupError as error:
            raise CommandError(str(error)) from error
        rows = sum(backup.counts.values())
        self.stdout.write(f"Backup:   {backup.path}")
        self.stdout.write(
            f"Size:     {filesizeformat(backup.size).replace(NBSP, ' ')} ({backup.size:,} bytes), "
            f"mode {backup.path.stat().st_mode & 0o777:04o}"
        )
        self.stdout.write(f"Tables:   {len(backup.counts)} ({rows:,} rows)")
        if backup.verification is None:
            self.stdout.write(self.style.WARNING("Verified: no (--no-verify)"))
            return
        if not backup.verification.ok:
            raise CommandError(f"Verification FAILED: {backup.verification.detail}")
        self.stdout.write(self.style.SUCCESS(f"Verified: OK, {backup.verification.detail}"))
