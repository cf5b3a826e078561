"""Rules over what is billed and when: zero charges, duplicate lines, timely filing."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterator

from django.db.models import Count

from billing.models import ClaimLine
from billing.scrubber.core import ERROR, SESSION, WARNING, ClaimContext, Problem, _line_label, rule
from practice.formats import us_date

TIMELY_FILING_WARNING_DAYS = 14


@rule("zero_charge", fix=SESSION)
def check_zero_charge(ctx: ClaimContext) -> Iterator[Problem]:
    """A line with no charge is rejected by payers; set a fee in the catalog."""
    for line in ctx.lines:
        if line.charge <= 0:
            yield Problem(
                "zero_charge", ERROR, f"{_line_label(line)} has a charge of $0.00.", line.position
            )


@rule("duplicates")
def check_duplicates(ctx: ClaimContext) -> Iterator[Problem]:
    """The same code twice on one date, here or on another live claim, is likely a duplicate."""
    keys = Counter(
        (line.date_of_service, line.procedure_code, tuple(line.modifiers)) for line in ctx.lines
    )
    for (day, code, _), count in keys.items():
        if count > 1:
            yield Problem("duplicates", WARNING, f"{code} appears {count} times on {us_date(day)}.")
    elsewhere = (
        ClaimLine.objects.filter(
            live=True,
            claim__client_id=ctx.claim.client_id,
            date_of_service__in={line.date_of_service for line in ctx.lines},
            procedure_code__in={line.procedure_code for line in ctx.lines},
        )
        .exclude(ctx.this_service)
        .values("date_of_service", "procedure_code", "claim__control_number")
        .annotate(n=Count("pk"))
    )
    here = {(line.date_of_service, line.procedure_code) for line in ctx.lines}
    for row in elsewhere:
        # The query pairs every date with every code; keep the pairs this claim has.
        if (row["date_of_service"], row["procedure_code"]) not in here:
            continue
        yield Problem(
            "duplicates",
            WARNING,
            f"{row['procedure_code']} on {us_date(row['date_of_service'])} is also on claim "
            f"{row['claim__control_number']}.",
        )


@rule("timely_filing")
def check_timely_filing(ctx: ClaimContext) -> Iterator[Problem]:
    """docs/rules/claim-forms.md §5: the payer's timely-filing limit from the date of service."""
    if not ctx.claim.is_editable:  # not yet sent, or rejected and to be sent again
        return
    limit_days = ctx.payer.timely_filing_days
    for line in ctx.lines:
        deadline = line.date_of_service + datetime.timedelta(days=limit_days)
        left = (deadline - ctx.today).days
        if left < 0:
            yield Problem(
                "timely_filing",
                ERROR,
                f"{_line_label(line)}: the {limit_days}-day filing limit passed on "
                f"{us_date(deadline)}.",
                line.position,
            )
        elif left <= TIMELY_FILING_WARNING_DAYS:
            yield Problem(
                "timely_filing",
                WARNING,
                f"{_line_label(line)}: file by {us_date(deadline)} ({left} days left).",
                line.position,
            )
