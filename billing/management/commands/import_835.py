"""``python manage.py import_835 FILE [--json]``: post an 835 remittance (ERA)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from billing.posting import remittance_post
from billing.remittance import RemittanceError
from billing.templatetags.money import money


class Command(BaseCommand):
    help = (
        "Validate an 835 remittance (005010X221A1) and post it in one transaction: claims "
        "matched by our claim number (CLP01), lines by line control number (REF*6R) or code "
        "and date; amounts must balance. A malformed or unbalanced file posts nothing and "
        "names the segment. The same payer and trace number (TRN02) posts once. --json "
        "prints one object; 'adjustments' is the sum of every adjustment that is not the "
        "patient's (CO, OA, PI)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", metavar="FILE", help="The 835 file.")
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
            result = remittance_post(text=text, file_name=path.name)
        except RemittanceError as error:
            raise CommandError(f"{path.name} was refused, nothing was posted. {error}") from None
        if as_json:
            self.stdout.write(json.dumps(result.as_json()))
            return
        if result.already_imported and not result.remittances:
            self.stdout.write(
                "Already imported: this payer's payment with that trace number "
                "was posted before. Nothing was posted."
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Posted {result.claims_matched} claim(s): paid {money(result.paid)}, "
                f"patient responsibility {money(result.patient_responsibility)}, "
                f"adjustments {money(result.adjustments)}; {result.denied_claims} denied."
            )
        )
        if result.claims_unmatched or result.lines_unmatched:
            self.stdout.write(
                f"Kept for matching by hand: {result.claims_unmatched} claim(s) and "
                f"{result.lines_unmatched} line(s) that match nothing of ours."
            )
