"""``python manage.py build_claims [--payer ID] [--through YYYY-MM-DD]``: draft claims for
every ready session, the same as the "Build claims" button."""

from __future__ import annotations

import argparse
import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from billing.models import ClaimLine, Payer
from billing.services import ClaimError, claims_build, claims_check
from billing.templatetags.money import money


def iso_date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD).") from error


class Command(BaseCommand):
    help = (
        "Build draft claims from ready sessions of insured clients: one claim per client, "
        "coverage and rendering provider (at most 50 lines and 12 diagnoses). Prints one line "
        "per claim, then the sessions skipped and why."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--payer",
            type=int,
            metavar="ID",
            help="Only sessions whose primary coverage is with this payer (its id in the admin).",
        )
        parser.add_argument(
            "--through",
            type=iso_date,
            metavar="YYYY-MM-DD",
            help="Only sessions on or before this date.",
        )

    def handle(self, *args, payer: int | None = None, through=None, **options) -> None:
        chosen = None
        if payer is not None:
            chosen = Payer.objects.filter(pk=payer).first()
            if chosen is None:
                known = ", ".join(f"{p.pk} ({p.name})" for p in Payer.objects.order_by("pk"))
                raise CommandError(f"No payer with id {payer}. Payers: {known or 'none'}.")
        try:
            result = claims_build(payer=chosen, through=through)
        except ClaimError as error:
            raise CommandError(str(error)) from error
        claims_check(claims=result.claims)
        counts = dict(
            ClaimLine.objects.filter(claim__in=result.claims)
            .values("claim_id")
            .annotate(n=Count("pk"))
            .values_list("claim_id", "n")
        )
        for claim in result.claims:
            lines = counts.get(claim.pk, 0)
            self.stdout.write(
                f"{claim.control_number}  {claim.payer.name}  {claim.client}  "
                f"{lines} line{'' if lines == 1 else 's'}  {money(claim.total_charge)}"
            )
        built = len(result.claims)
        self.stdout.write(
            self.style.SUCCESS(f"Built {built} claim{'' if built == 1 else 's'}.")
            if built
            else "No claims built: no ready session was left to bill."
        )
        if result.skipped:
            self.stdout.write(f"Skipped {len(result.skipped)} session(s):")
            for session, reason in result.skipped:
                self.stdout.write(f"  session {session.pk}  {session}: {reason}")
