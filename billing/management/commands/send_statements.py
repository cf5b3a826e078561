"""``python manage.py send_statements [--month YYYY-MM]``: the month's statements for
every client with a balance, the same as the billers' "Send statements" button. Without
``--month``: the last complete month. Run twice, it sends nothing new."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from billing.forms import StatementMonthForm
from billing.statements import statements_send
from practice.formats import us_date


class Command(BaseCommand):
    help = (
        "Make the month's statements for every client whose balance is above zero, dated "
        "the month's last day (today for the month under way), each kept as sent."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--month", metavar="YYYY-MM", help="Default: last month.")

    def handle(self, *args, month: str | None = None, **options) -> None:
        if month is None:
            last = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
            month = f"{last:%Y-%m}"
        form = StatementMonthForm({"month": month})
        if not form.is_valid():
            raise CommandError(f"--month {month!r}: {' '.join(form.errors['month'])}")
        run = statements_send(month=form.cleaned_data["month"])
        made = len(run.created)
        self.stdout.write(
            f"{made} statement{'s' if made != 1 else ''} made for {run.month:%B %Y} "
            f"(dated {us_date(run.statement_date)})"
            + (f"; {run.already_sent} already sent before." if run.already_sent else ".")
        )
