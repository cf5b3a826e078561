"""``python manage.py export_837p --out DIR [--payer ID] [--include-clean-drafts] [--dry-run]``:
837P files for every claim ready to send, the same as the "Send claims" page."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from billing.models import Payer
from billing.submission import SubmissionError, claims_send, sendable_claims
from billing.templatetags.money import money


class Command(BaseCommand):
    help = (
        "Write one 837P (005010X222A1) file per clearinghouse and payer into DIR for every "
        "Ready claim to a payer that takes electronic claims, keep each file as a batch and "
        "mark its claims Submitted. Claims with scrubber errors are never exported: they are "
        "listed with their errors. Exits non-zero when errors kept every claim back."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--out", required=True, metavar="DIR", help="Folder for the files.")
        parser.add_argument(
            "--payer", type=int, metavar="ID", help="Only this payer (its id in the admin)."
        )
        parser.add_argument(
            "--include-clean-drafts",
            action="store_true",
            help="Also send draft claims that have no scrubber error.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Write the files but record nothing: no batch, claims stay as they are. "
            "Dry-run files are previews; send only files from a real run.",
        )

    def handle(self, *args, out: str, payer=None, include_clean_drafts=False, dry_run=False, **o):
        chosen = None
        if payer is not None:
            chosen = Payer.objects.filter(pk=payer).first()
            if chosen is None:
                known = ", ".join(f"{p.pk} ({p.name})" for p in Payer.objects.order_by("pk"))
                raise CommandError(f"No payer with id {payer}. Payers: {known or 'none'}.")
        folder = Path(out)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CommandError(f"Cannot create {folder}: {error.strerror}.") from error
        claims = sendable_claims(payer=chosen, include_drafts=include_clean_drafts)
        try:
            plan = claims_send(claims=claims, dry_run=dry_run)
        except SubmissionError as error:
            raise CommandError(str(error)) from error
        for planned in plan.files:
            path = folder / planned.file_name
            path.write_text(planned.text, encoding="ascii")
            count = len(planned.claims)
            self.stdout.write(
                f"{path}  {count} claim{'' if count == 1 else 's'}  {money(planned.total_charge)}"
            )
        if plan.held:
            self.stdout.write(f"Held back {len(plan.held)} claim(s) with errors:")
            for claim, errors in plan.held:
                self.stdout.write(
                    f"  {claim.control_number}  {claim.client}  {claim.payer.name}: "
                    + "; ".join(error.message for error in errors)
                )
        if not plan.files:
            if plan.held:
                raise CommandError("Nothing was exported: every claim has errors (listed above).")
            self.stdout.write("Nothing to export: no claim is ready to send.")
            return
        verb = "Would send" if dry_run else "Sent"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {plan.claim_count} claim(s) in {len(plan.files)} file(s)"
                + (" (dry run: nothing recorded)." if dry_run else ".")
            )
        )
