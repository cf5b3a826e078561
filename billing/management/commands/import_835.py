"""``python manage.py import_835 FILE [--json]``: post an 835 remittance (ERA)."""

from __future__ import annotations

from billing.management.x12 import X12ImportCommand
from billing.posting import remittance_post
from billing.remittance import RemittanceError
from billing.templatetags.money import money


class Command(X12ImportCommand):
    help = (
        "Validate an 835 remittance (005010X221A1) and post it in one transaction: claims "
        "matched by our claim number (CLP01), lines by line control number (REF*6R) or code "
        "and date; amounts must balance. A malformed or unbalanced file posts nothing and "
        "names the segment. The same payer and trace number (TRN02) posts once. --json "
        "prints one object; 'adjustments' is the sum of every adjustment that is not the "
        "patient's (CO, OA, PI)."
    )
    file_kind = "835"
    refused = (RemittanceError,)
    nothing_done = "nothing was posted"

    def run(self, *, text: str, file_name: str):
        return remittance_post(text=text, file_name=file_name)

    def report(self, result) -> None:
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
