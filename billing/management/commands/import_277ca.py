"""``python manage.py import_277ca FILE [--json]``: record a 277CA claim acknowledgment."""

from __future__ import annotations

from billing.management.commands.import_999 import Command as Import999
from billing.models import Acknowledgment


class Command(Import999):
    kind = Acknowledgment.Kind.CLAIMS
    help = (
        "Record a 277CA (005010X214) in one transaction: each claim it answers (loop 2200D, "
        "TRN02 = our claim number) is marked accepted or rejected with its status codes in "
        "plain words; a rejected claim goes back to the work queue as 'Rejected: fix and "
        "resend', an accepted one keeps the payer's claim number (REF*1K) when given. A "
        "malformed file, or one that answers no claim of ours, changes nothing and names "
        "the segment. The same sender and interchange number import once. --json prints "
        "one object."
    )
