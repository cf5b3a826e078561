"""``python manage.py import_999 FILE [--json]``: record a 999 implementation
acknowledgment of our 837P files."""

from __future__ import annotations

from billing.acknowledgments import AcknowledgmentError, acknowledgment_import
from billing.management.x12 import X12ImportCommand
from billing.models import Acknowledgment


class Command(X12ImportCommand):
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
    refused = (AcknowledgmentError,)

    @property
    def file_kind(self) -> str:
        return str(self.kind)

    def run(self, *, text: str, file_name: str):
        return acknowledgment_import(text=text, file_name=file_name, kind=self.kind)

    def report(self, result) -> None:
        if result.already_imported:
            self.stdout.write(result.summary())
        else:
            self.stdout.write(self.style.SUCCESS(result.summary()))
