"""``python manage.py demo``: a realistic, deterministic demo practice.

Without flags it is idempotent: when the demo practice exists it prints the logins and
changes nothing, so ``make run`` may call it every time. With size flags it builds a
practice of that size (``--clinicians 400 --clients 40000 --months 24`` is about a
million sessions, used by the benchmarks), refusing a database that already holds
practice data unless ``--reset`` is given.

The building lives in ``practice.demo`` (one module per topic: practice set-up,
clients, sessions, writing, claims, remittances, reset, output); this command reads the
flags and says what it did.

Service lines come from ``practice.services.session_proposal`` with the client's payer,
the service the session form's plan (``session_plan``) codes with, E/M visits included,
so the demo shows every payer rule at work. Rows are
written with ``bulk_create`` or COPY per batch of clients (no ``save()`` in the loop);
their creation records in the change history are written afterwards, one
``INSERT … SELECT`` per table (``practice.history.snapshot_history``).
"""

from __future__ import annotations

import argparse
import datetime
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from billing.models import DiagnosisCode, ProcedureCode
from practice.demo import data
from practice.demo.builder import DemoBuilder, demo_build, plan_appointments
from practice.demo.output import demo_url, logins_text, summary_text
from practice.demo.reset import demo_exists, practice_data_held

DEFAULTS = {"clinicians": 6, "clients": 60, "months": 6, "seed": 1}
SIZE_OPTIONS = ("clinicians", "clients", "months", "seed", "until")


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def _not_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return number


def _months(value: str) -> int:
    number = int(value)
    if not 1 <= number <= 120:
        raise argparse.ArgumentTypeError("must be between 1 and 120")
    return number


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError("expected a date as YYYY-MM-DD") from error


class Command(BaseCommand):
    help = (
        "Create a realistic demo practice (clinicians, payers, clients, sessions with "
        "service lines). Without flags: create it once, then only print the logins. "
        "With flags: build that size; on a database with practice data add --reset."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--clinicians", type=_positive, help="default 6")
        parser.add_argument("--clients", type=_not_negative, help="default 60")
        parser.add_argument("--months", type=_months, help="months of sessions, default 6")
        parser.add_argument("--seed", type=int, help="random seed, default 1")
        parser.add_argument(
            "--until", type=_date, help="last date of service, YYYY-MM-DD (default today)"
        )
        parser.add_argument(
            "--serve",
            default="",
            metavar="HOST",
            help="the address runserver will serve (make run's HOST, e.g. 0.0.0.0:8080); "
            f"the logins name it (default {data.DEMO_URL})",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help=(
                "Delete all practice data first: sessions, claims, clients, clinicians, "
                "the demo's users and payers. The code catalog is kept."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = options["verbosity"]
        progress = self.stdout.write if verbosity >= 1 else None
        sized = any(options[name] is not None for name in SIZE_OPTIONS)
        if not ProcedureCode.objects.exists() or not DiagnosisCode.objects.exists():
            call_command("load_catalog", verbosity=0)
        if not options["reset"] and not self.may_build(sized=sized, options=options):
            return

        until = options["until"] or timezone.localdate()
        if until > timezone.localdate():
            raise CommandError(
                "--until cannot be in the future: sessions are logged after they happen."
            )
        builder = DemoBuilder(
            clinicians=options["clinicians"] or DEFAULTS["clinicians"],
            clients=(DEFAULTS["clients"] if options["clients"] is None else options["clients"]),
            months=options["months"] or DEFAULTS["months"],
            seed=DEFAULTS["seed"] if options["seed"] is None else options["seed"],
            until=until,
            progress=progress,
        )
        started = time.monotonic()
        demo_build(builder=builder, reset=options["reset"], progress=progress)
        if verbosity >= 1:
            self.stdout.write(
                f"Demo practice built in {time.monotonic() - started:.1f} s "
                f"(seed {builder.seed}, sessions {builder.start:%Y-%m-%d} to {until:%Y-%m-%d})."
            )
            self.stdout.write(summary_text())
        self.stdout.write(logins_text(url=demo_url(options["serve"])))

    def may_build(self, *, sized: bool, options: dict[str, Any]) -> bool:
        """Without --reset: whether to build. An existing demo only gets this week's
        appointments and its logins printed; other practice data is never mixed with a
        new demo."""
        if demo_exists() and not sized:
            self.stdout.write("The demo practice is already set up.")
            plan_appointments(
                timezone.localdate(),
                progress=self.stdout.write if options["verbosity"] >= 1 else None,
            )
            self.stdout.write(logins_text(url=demo_url(options["serve"])))
            return False
        held = practice_data_held()
        if held and sized:
            raise CommandError(
                f"The database already holds practice data ({held}). Add --reset to "
                "delete it and build a new demo (the code catalog is kept)."
            )
        if held:
            self.stdout.write(
                f"The database already holds practice data ({held}); no demo added. "
                "Run `manage.py demo --reset` to replace it with the demo."
            )
            return False
        return True
