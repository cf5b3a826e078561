"""``python manage.py restore FILE [--into NAME]``: a backup, restored into a NEW database.

Restoring over the live database is deliberately not offered: it would destroy whatever
was billed since the backup, and app servers would read a half-restored database while it
ran. Instead the backup goes into a new database (PostgreSQL) or file (SQLite), is checked,
and the operator switches ``DATABASE_URL`` to it when ready; the old one stays until they
drop it. So there is nothing to confirm and no ``--yes``.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from practice.backups import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a file made by `manage.py backup` into a NEW database (PostgreSQL: a new "
        "database on the same server; SQLite: a new file). Never overwrites anything; prints "
        "the DATABASE_URL to switch to."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path, help="The backup file (.dump or .sqlite3).")
        parser.add_argument(
            "--into",
            metavar="NAME",
            help=(
                "PostgreSQL: the new database's name (default <live>_restored_<UTC time>). "
                "SQLite: the new file's path (default <live>-restored-<UTC time>.sqlite3 "
                "beside the live file). It must not exist yet."
            ),
        )

    def handle(self, *args, file: Path, into: str | None = None, **options) -> None:
        try:
            restored = backup_restore(path=file, into=into)
        except BackupError as error:
            raise CommandError(str(error)) from error
        kind = "database" if connection.vendor == "postgresql" else "file"
        rows = sum(restored.counts.values())
        self.stdout.write(
            self.style.SUCCESS(f"Restored {file} into the new {kind} {restored.target}: ")
            + f"{len(restored.counts)} tables, {rows:,} rows."
        )
        self.stdout.write(
            "The live database is unchanged. To switch, stop the app, set\n"
            f"  DATABASE_URL={restored.database_url}\n"
            "run `manage.py migrate` (a backup from an older release may need it) and start "
            "the app again."
        )
