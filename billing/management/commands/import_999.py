"""``python manage.py import_999 FILE [--json]``: record a 999 implementation
acknowledgment of our 837P files."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from billing.acknowledgments import AcknowledgmentError, acknowledgment_import
from billing.models import Acknowledgment


class Command(BaseCommand):
    kind = Acknowledgment.Kind.FILE
    help = (
        "Record a 999 (005010X231A1) in one transaction: each 837P transaction set it "
        "answers is matched to our batch by its group and transaction control numbers "
        "(AK102, AK202) and marked accepted, accepted with errors or rejected with the "
        "segment errors (IK3/IK4) in plain words; the claims of a rejected file go back to "
        "the work queue as 'Rejected: fix and resend'. A malformed file, or one that answers "
        "nothing we sent, changes nothing and names the segment. The same sender and "
        "interchange number import once. --json prints one object."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", metavar="FILE", help=f"The {self.kind} file.")
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="Print one JSON object."
        )

    def handle(self, *args, file: str, as_json: bool = False, **options) -> None:
        path = Path(file)
        try:
            text = path.read_text(encoding="ascii")
        except FileNotFoundError:
            raise CommandError(f"No such file: {path}.") from None
        except UnicodeDecodeError as error:
            raise CommandError(
                f"{path} is not an X12 file: byte {error.start} is not ASCII."
            ) from None
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        try:
            result = acknowledgment_import(text=text, file_name=path.name, kind=self.kind)
        except AcknowledgmentError as error:
            raise CommandError(f"{path.name} was refused, nothing changed. {error}") from None
        if as_json:
            self.stdout.write(json.dumps(result.as_json()))
        elif result.already_imported:
            self.stdout.write(result.summary())
        else:
            self.stdout.write(self.style.SUCCESS(result.summary()))
