"""``python manage.py demo``: a realistic, deterministic demo practice.

Without flags it is idempotent: when the demo practice exists it prints the logins and
changes nothing, so ``make run`` may call it every time. With size flags it builds a
practice of that size (``--clinicians 400 --clients 40000 --months 24`` is about a
million sessions, used by the benchmarks), refusing a database that already holds
practice data unless ``--reset`` is given.

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
import math
import random
import time
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.utils import timezone

from billing import demo_remittance as eras
from billing import rules
from billing.models import (
    Claim,
    ClaimDiagnosis,
    ClaimLine,
    ClaimPosting,
    Clearinghouse,
    ControlCounter,
    DiagnosisCode,
    Modifier,
    Payer,
    PayerRate,
    PlaceOfService,
    ProcedureCode,
    Remittance,
)
from billing.posting import remittance_post
from billing.services import claims_build
from billing.validators import npi_check_digit
from practice import demo_data as data
from practice import roles
from practice.demo_appointments import plan_demo_appointments
from practice.history import snapshot_history
from practice.models import (
    ADULT_AGE,
    Client,
    Clinician,
    Coverage,
    Diagnosis,
    Location,
    Practice,
    ServiceLine,
    Session,
    SessionDiagnosis,
    SignerRelation,
    age_on,
)
from practice.services import session_proposal

BATCH_SIZE = 5000  # rows per INSERT
CLIENT_BATCH = 1000  # clients planned, written and forgotten together

DEFAULTS = {"clinicians": 6, "clients": 60, "months": 6, "seed": 1}
SIZE_OPTIONS = ("clinicians", "clients", "months", "seed", "until")

# Sessions are on the hour between 08:00 and 19:00: eleven one-hour slots per day.
FIRST_HOUR = 8
SLOTS_PER_DAY = 11
GROUP_SLOT = 9  # 17:00-18:30, two slots
# Recent sessions are a mix of draft and ready; older ones are ready to bill.
RECENT_DAYS = 10

Status = Session.Status


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
        sized = any(options[name] is not None for name in SIZE_OPTIONS)
        if not ProcedureCode.objects.exists() or not DiagnosisCode.objects.exists():
            call_command("load_catalog", verbosity=0)

        if not options["reset"]:
            if demo_exists() and not sized:
                self.stdout.write("The demo practice is already set up.")
                self.plan_appointments(timezone.localdate(), verbosity)
                self.stdout.write(logins_text(url=demo_url(options["serve"])))
                return
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
            progress=self.stdout.write if verbosity >= 1 else None,
        )
        started = time.monotonic()
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # Check foreign keys per statement, not all at commit: a million-row
                # transaction would otherwise queue millions of checks in server memory.
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            if options["reset"]:
                deleted = reset_practice_data()
                if verbosity >= 1:
                    self.stdout.write(f"Deleted the practice data ({deleted}).")
            builder.build()
            self.plan_appointments(until, verbosity)
            record_creation()
            claim_history(until=until, progress=self.stdout.write if verbosity >= 1 else None)
        if connection.vendor == "postgresql":
            # Fresh planner statistics, so the first queries on a million new rows (and
            # benchmarks run straight after) do not plan as if the tables were empty.
            with connection.cursor() as cursor:
                quote = connection.ops.quote_name
                tables = (
                    Client,
                    Coverage,
                    Session,
                    SessionDiagnosis,
                    ServiceLine,
                    Claim,
                    ClaimLine,
                    ClaimDiagnosis,
                )
                # VACUUM too: the claim history rewrote most sessions' status, and until
                # the dead rows go, index scans on status wade through them.
                # (VACUUM cannot run inside a transaction, e.g. a test's: ANALYZE then.)
                verb = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
                cursor.execute(
                    f"{verb} " + ", ".join(quote(model._meta.db_table) for model in tables)
                )
        if verbosity >= 1:
            self.stdout.write(
                f"Demo practice built in {time.monotonic() - started:.1f} s "
                f"(seed {builder.seed}, sessions {builder.start:%Y-%m-%d} to {until:%Y-%m-%d})."
            )
            self.stdout.write(summary_text())
        self.stdout.write(logins_text(url=demo_url(options["serve"])))

    def plan_appointments(self, today: datetime.date, verbosity: int) -> None:
        """This week's and next week's appointments (practice/demo_appointments.py)."""
        practice = Practice.objects.filter(name=data.PRACTICE["name"]).first()
        if practice is None:
            return
        with transaction.atomic():
            made = plan_demo_appointments(practice=practice, today=today)
        if made and verbosity >= 1:
            self.stdout.write(f"Planned {made} appointments from {today:%Y-%m-%d}.")


# --- claim history -------------------------------------------------------------------

UNBILLED_DAYS = 21  # the last three weeks stay ready (or draft) for the biller to build
SETTLED_DAYS = 45  # claims built longer ago than this have been answered by the payer
# Claims go back a year; older sessions were billed before the practice moved to
# SessionLedger (closed, without claims here). Building claims costs about a millisecond
# a session, so this keeps the million-session benchmark practice to minutes.
CLAIM_HISTORY_MONTHS = 12


def _month_ends(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    ends = []
    day = first
    while day <= last:
        following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        ends.append(min(following - datetime.timedelta(days=1), last))
        day = following
    return ends


def claim_history(*, until: datetime.date, progress=None) -> None:
    """Bill the demo's past like a practice would: claims built by the biller a few days
    after each month ends, submitted the next day, and answered by the payer — mostly
    paid, some partly paid, a few denied — while the last three weeks stay unbilled.

    Uses billing.services.claims_build, so the history is exactly what the app builds.
    """
    first = Session.objects.order_by("date").values_list("date", flat=True).first()
    cutoff = until - datetime.timedelta(days=UNBILLED_DAYS)
    if first is None or first > cutoff:
        return
    history_start = add_months(cutoff.replace(day=1), 1 - CLAIM_HISTORY_MONTHS)
    if first < history_start:
        Session.objects.filter(
            status__in=[Session.Status.READY, Session.Status.DRAFT], date__lt=history_start
        ).update(status=Session.Status.CLOSED)
        first = history_start
    biller = User.objects.filter(username="biller").first()
    zone = timezone.get_current_timezone()
    answered = (
        [Claim.Status.PAID] * 16
        + [Claim.Status.PARTIALLY_PAID] * 2
        + [
            Claim.Status.DENIED,
            Claim.Status.SUBMITTED,
        ]
    )
    eras = DemoRemittances(biller=biller)
    for month_end in _month_ends(first, cutoff):
        built = claims_build(through=month_end, user=biller)
        built_on = month_end + datetime.timedelta(days=3)
        at = datetime.datetime.combine(built_on, datetime.time(9, 30), tzinfo=zone)
        ids = [claim.pk for claim in built.claims]
        for start in range(0, len(ids), BATCH_SIZE):
            Claim.objects.filter(pk__in=ids[start : start + BATCH_SIZE]).update(
                status=Claim.Status.SUBMITTED,
                created_at=at,
                submitted_at=at + datetime.timedelta(days=1),
            )
        if (until - built_on).days > SETTLED_DAYS:
            # The payers answer with 835 files; past a few hundred claims a payer a month
            # (the benchmark practice) the rest are marked answered without postings, so
            # building a million sessions stays a matter of minutes.
            rest = eras.answer(ids, paid_on=built_on + datetime.timedelta(days=24))
            by_status: dict[str, list[int]] = {}
            for claim_id in rest:
                by_status.setdefault(answered[claim_id % len(answered)], []).append(claim_id)
            for status, chosen in by_status.items():
                for start in range(0, len(chosen), BATCH_SIZE):
                    Claim.objects.filter(pk__in=chosen[start : start + BATCH_SIZE]).update(
                        status=status
                    )
        if progress:
            progress(f"  claims through {month_end:%Y-%m-%d}: {len(ids):,}")
    eras.reverse_one()
    # A claim the payer answered was closed when its answer came.
    for paid_on, chosen in eras.closed_on.items():
        Claim.objects.filter(
            pk__in=chosen, status__in=[Claim.Status.PAID, Claim.Status.DENIED]
        ).update(closed_at=datetime.datetime.combine(paid_on, datetime.time(9, 0), tzinfo=zone))
    paid_sessions = Session.objects.filter(
        status=Session.Status.BILLED,
        lines__claim_lines__live=True,
        lines__claim_lines__claim__status=Claim.Status.PAID,
    )
    Session.objects.filter(pk__in=paid_sessions.values("pk")).update(status=Session.Status.CLOSED)
    # Self-pay clients paid at the time; their superbills were handed over.
    Session.objects.filter(
        client__self_pay=True, status=Session.Status.READY, date__lte=cutoff
    ).update(status=Session.Status.CLOSED)
    # The history shows where the demo moved things on (claims_build recorded the builds):
    # every claim was sent and most answered, and closed sessions were closed here.
    snapshot_history(Claim.objects.all(), history_type="~", reason=DEMO_ANSWERED)
    snapshot_history(
        Session.objects.filter(status=Session.Status.CLOSED), history_type="~", reason=DEMO_ANSWERED
    )


class DemoRemittances:
    """The demo's payers answering its claims with 835 files (billing/demo_remittance.py),
    imported by ``remittance_post`` like ``import_835``: one file a payer a month."""

    PER_FILE = 300  # claims a payer answers by file in one month; the rest without postings

    def __init__(self, *, biller) -> None:
        self.biller = biller
        self.files = 0
        self.answered = 0  # claims answered by file so far: what each answer is
        self.underpaid = False
        self.closed_on: dict[datetime.date, list[int]] = {}
        practice = Practice.objects.order_by("pk").first()
        self.payee = practice.name if practice else "PRACTICE"
        npi = practice.npi if practice else ""
        self.npi = npi or Clinician.objects.order_by("pk").values_list("npi", flat=True).first()

    def answer(self, ids: list[int], *, paid_on: datetime.date) -> list[int]:
        """Post each payer's answer to these claims; return the ids left to answer by
        status only (over ``PER_FILE`` a payer)."""
        claims = (
            Claim.objects.filter(pk__in=ids)
            .select_related("payer", "coverage", "client")
            .prefetch_related(models.Prefetch("lines", ClaimLine.objects.order_by("position")))
            .order_by("payer_id", "pk")
        )
        by_payer: dict[int, list[Claim]] = {}
        for claim in claims:
            by_payer.setdefault(claim.payer_id, []).append(claim)
        rest: list[int] = []
        for chosen in by_payer.values():
            rest += [claim.pk for claim in chosen[self.PER_FILE :]]
            answers = []
            for claim in chosen[: self.PER_FILE]:
                ordinal, self.answered = self.answered, self.answered + 1
                underpay = not self.underpaid and eras.answer_kind(ordinal) == eras.PAID
                answer = eras.answer_for(claim, ordinal=ordinal, underpay=underpay)
                if answer is None:
                    continue
                self.underpaid = self.underpaid or underpay
                answers.append(answer)
            if answers:
                self.post(chosen[0].payer, answers, paid_on=paid_on)
                self.closed_on.setdefault(paid_on, []).extend(a.claim.pk for a in answers)
        return rest

    def post(self, payer: Payer, answers: list, *, paid_on: datetime.date) -> None:
        self.files += 1
        trace = f"DEMO{paid_on:%Y%m%d}{payer.pk:03d}{self.files:04d}"
        text = eras.render_835(
            payer,
            answers,
            paid_on=paid_on,
            trace=trace,
            payee_name=self.payee,
            payee_npi=self.npi,
            control=self.files,
        )
        remittance_post(text=text, file_name=f"{trace}.835", user=self.biller)
        # Imported when it came, not when the demo was built.
        Remittance.objects.filter(trace_number=trace).update(
            imported_at=datetime.datetime.combine(
                paid_on, datetime.time(8, 0), tzinfo=timezone.get_current_timezone()
            )
        )

    def reverse_one(self) -> None:
        """The oldest paid claim's payment is taken back and paid again $10 less."""
        posting = (
            ClaimPosting.objects.filter(
                claim__status=Claim.Status.PAID,
                status_code="1",
                reverses__isnull=True,
                reversed_by__isnull=True,
                paid__gte=10,
            )
            .select_related("claim__payer", "claim__coverage", "claim__client", "payment")
            .prefetch_related("allocations", "adjustments", "claim__lines")
            .order_by("pk")
            .first()
        )
        if posting is None:
            return
        paid_on = posting.payment.received_on + datetime.timedelta(days=30)
        self.post(posting.claim.payer, eras.reversal_and_repayment(posting), paid_on=paid_on)


DEMO_CREATED = "Demo practice"
DEMO_ANSWERED = "Demo practice: its past billed and answered"


def record_creation() -> None:
    """A creation record in the change history for every row the demo wrote, one
    ``INSERT … SELECT`` per table (the rows went in without ``save()``)."""
    for model in (Client, Diagnosis, Coverage, Session, ServiceLine):
        snapshot_history(model.objects.all(), reason=DEMO_CREATED)


# --- what is in the database ---------------------------------------------------------


def demo_exists() -> bool:
    return Practice.objects.filter(name=data.PRACTICE["name"]).exists()


def demo_payer_names() -> list[str]:
    return [payer.fields["name"] for payer in data.PAYERS]


def practice_data_held() -> str:
    """What practice data the database holds, in words, or "" when it holds none."""
    held = [
        f"{model._meta.verbose_name_plural} {count:,}"
        for model in (Practice, Clinician, Client, Session)
        if (count := model.objects.count())
    ]
    if Payer.objects.filter(name__in=demo_payer_names()).exists():
        held.append("the demo payers")
    if demo_users().exists():
        held.append("the demo users")
    return ", ".join(held)


def demo_users():
    return User.objects.filter(email__iendswith="@" + data.DEMO_EMAIL_DOMAIN)


def _catalog_models() -> set[type[models.Model]]:
    """Setup data a reset keeps: the code catalog and payers (demo payers go apart), the
    clearinghouse settings, and the control-number counters (an 837P control number must
    never repeat, even after a reset)."""
    return {
        Clearinghouse,
        ControlCounter,
        ProcedureCode,
        ProcedureCode.add_on_to.through,
        Modifier,
        PlaceOfService,
        DiagnosisCode,
        Payer,
        PayerRate,
    }


def practice_data_models() -> list[type[models.Model]]:
    """Every model holding practice data: all of ``practice``, everything in ``billing``
    but the catalog and payers (claims, payments…), their history tables, and any other
    model whose rows point at those (so a later app's rows do not block the reset)."""
    keep = _catalog_models()
    chosen: set[type[models.Model]] = set()
    for label in ("practice", "billing"):
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if getattr(model, "instance_type", model) not in keep and model not in keep:
                chosen.add(model)
    grew = True
    while grew:
        grew = False
        for model in apps.get_models(include_auto_created=True):
            if model in chosen or model in keep:
                continue
            if any(
                field.related_model in chosen
                for field in model._meta.concrete_fields
                if field.many_to_one or field.one_to_one
            ):
                chosen.add(model)
                grew = True
    return sorted(
        (m for m in chosen if m._meta.managed and not m._meta.proxy),
        key=lambda m: m._meta.db_table,
    )


def reset_practice_data() -> str:
    """Delete all practice data, the demo's payers and the demo's users; keep the catalog.

    Runs inside the caller's transaction. PostgreSQL truncates the tables in one
    statement (a million-row DELETE takes minutes); SQLite deletes them in any order, its
    foreign keys being checked at commit. No ``Model.delete()`` on the big tables: it
    would load every row to send signals. The few demo users go through the ORM, so
    their admin log entries and history references are handled as Django does.
    """
    tables = [model._meta.db_table for model in practice_data_models()]
    counts = {Session: Session.objects.count(), Client: Client.objects.count()}
    with connection.cursor() as cursor:
        quote = connection.ops.quote_name
        if connection.vendor == "postgresql":
            cursor.execute("TRUNCATE " + ", ".join(quote(table) for table in tables))
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {quote(table)}")
    names = demo_payer_names()
    PayerRate.objects.filter(payer__name__in=names).delete()
    Payer.objects.filter(name__in=names).delete()
    demo_users().delete()
    return (
        f"sessions {counts[Session]:,}, clients {counts[Client]:,}, "
        f"{len(tables)} tables emptied, demo payers and users removed"
    )


def summary_text() -> str:
    rows = [
        ("practices", Practice.objects.count()),
        ("locations", Location.objects.count()),
        ("clinicians", Clinician.objects.count()),
        ("users (demo logins)", demo_users().count()),
        ("payers", Payer.objects.count()),
        ("payer rates", PayerRate.objects.count()),
        ("clients", Client.objects.count()),
        ("diagnoses", Diagnosis.objects.count()),
        ("coverages", Coverage.objects.count()),
        ("sessions", Session.objects.count()),
        ("session diagnoses", SessionDiagnosis.objects.count()),
        ("service lines", ServiceLine.objects.count()),
    ]
    by_status = dict(
        Session.objects.order_by().values_list("status").annotate(n=models.Count("pk"))
    )
    lines = ["Rows:"] + [f"  {label:<22}{count:>12,}" for label, count in rows]
    lines.append(
        "  sessions by status: "
        + ", ".join(
            f"{label.lower()} {by_status[value]:,}"
            for value, label in Status.choices
            if by_status.get(value)
        )
    )
    return "\n".join(lines)


def demo_url(serve: str) -> str:
    """The address to sign in at for runserver's ``addrport`` (make run's HOST): "8080"
    alone is a port on 127.0.0.1, as runserver reads it; empty is the default address."""
    serve = serve.strip()
    if not serve:
        return data.DEMO_URL
    if serve.isdigit():
        serve = f"127.0.0.1:{serve}"
    return f"http://{serve}"


def logins_text(*, url: str = data.DEMO_URL) -> str:
    users = {
        user.username: user
        for user in demo_users().select_related("clinician").order_by("date_joined", "pk")
    }
    if not users:
        return "No demo logins found."
    lines = [f'Log in at {url} with password "{data.DEMO_PASSWORD}":']
    for username, *_ in data.STAFF_USERS:
        if username in users:
            role = "owner, with the admin site" if username == "owner" else username
            lines.append(f"  {username:<12}{role}")
    clinician_names = [name for name in users if name.startswith("clinician")]
    shown = clinician_names[:6]
    for username in shown:
        clinician = getattr(users[username], "clinician", None)
        lines.append(f"  {username:<12}clinician {clinician}" if clinician else f"  {username}")
    if len(clinician_names) > len(shown):
        lines.append(
            f"  … and {len(clinician_names) - len(shown):,} more clinicians: "
            f"clinician7 to clinician{len(clinician_names)}"
        )
    return "\n".join(lines)


# --- writing the three big tables ----------------------------------------------------

SESSION_FIELDS = (
    "client_id",
    "clinician_id",
    "date",
    "start_time",
    "end_time",
    "minutes",
    "psychotherapy_minutes",
    "service",
    "location_id",
    "place_of_service_id",
    "telehealth",
    "client_at_home",
    "interactive_complexity",
    "group_size",
    "status",
    "note",
    "created_by_id",
)
LINE_FIELDS = (
    "session_id",
    "position",
    "procedure_id",
    "modifier_1",
    "modifier_2",
    "modifier_3",
    "modifier_4",
    "units",
    "charge",
    "diagnosis_pointers",
)


class FastTable:
    """Appends rows (tuples of ``fields`` values) to one model's table.

    Sessions, session diagnoses and service lines get about a million rows each in the
    benchmark practice. On PostgreSQL they go in with COPY, ids drawn from the table's
    own sequence: building ~97,000 sessions took 25 s of Python time with
    ``bulk_create`` (model instances, per-field preparation, UNNEST arrays) and 5 s with
    COPY. Elsewhere (SQLite, small demos) ``bulk_create`` does it. Fields left out get
    their model default (``auto_now`` fields: now), as ``bulk_create`` would give them.
    """

    def __init__(self, model: type[models.Model], fields: Sequence[str]) -> None:
        self.model = model
        self.fields = tuple(fields)
        meta = model._meta
        by_attname = {field.attname: field for field in meta.concrete_fields}
        unknown = set(self.fields) - set(by_attname)
        if unknown:
            raise CommandError(f"{meta.label} has no fields {', '.join(sorted(unknown))}.")
        self.pk_column = meta.pk.column
        self.columns = [by_attname[name].column for name in self.fields]
        self.defaulted: list[tuple[str, models.Field]] = [
            (field.attname, field)
            for field in meta.concrete_fields
            if field.attname not in self.fields and not field.primary_key
        ]
        for _, field in self.defaulted:
            if not (field.null or field.has_default() or self._stamped(field)):
                raise CommandError(f"The demo gives no value for {meta.label}.{field.name}.")
        self.columns += [field.column for _, field in self.defaulted]

    @staticmethod
    def _stamped(field: models.Field) -> bool:
        return getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)

    def _default(self, field: models.Field, now: datetime.datetime) -> Any:
        if self._stamped(field):
            return now
        return field.get_default() if field.has_default() else None

    def insert(self, rows: Sequence[tuple], *, returning_ids: bool = False) -> list[int]:
        """Insert the rows; with ``returning_ids`` return their new ids, in order."""
        if not rows:
            return []
        now = timezone.now()
        if connection.vendor != "postgresql":
            objects = [self.model(**dict(zip(self.fields, row, strict=True))) for row in rows]
            self.model.objects.bulk_create(objects, batch_size=BATCH_SIZE)
            return [obj.pk for obj in objects]
        tail = tuple(self._default(field, now) for _, field in self.defaulted)
        quote = connection.ops.quote_name
        table = self.model._meta.db_table
        columns = self.columns
        with connection.cursor() as cursor:
            ids: list[int] = []
            if returning_ids:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [table, self.pk_column, len(rows)],
                )
                ids = [row[0] for row in cursor.fetchall()]
                columns = [self.pk_column, *columns]
            statement = f"COPY {quote(table)} ({', '.join(map(quote, columns))}) FROM STDIN"
            with cursor.copy(statement) as copy:
                write = copy.write_row
                if returning_ids:
                    for pk, row in zip(ids, rows, strict=True):
                        write((pk, *row, *tail))
                else:
                    for row in rows:
                        write((*row, *tail))
        return ids


# --- building ------------------------------------------------------------------------


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (or earlier), clamped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    next_month = datetime.date(year + month // 12, month % 12 + 1, 1)
    last = (next_month - datetime.timedelta(days=1)).day
    return datetime.date(year, month, min(day.day, last))


def us_holidays(years: Iterable[int]) -> set[datetime.date]:
    """Days a small practice is closed: New Year, Memorial Day, July 4, Labor Day,
    Thanksgiving, December 24, 25 and 31."""
    days: set[datetime.date] = set()
    for year in years:
        memorial = datetime.date(year, 5, 31)
        memorial -= datetime.timedelta(days=memorial.weekday())
        labor = datetime.date(year, 9, 1)
        labor += datetime.timedelta(days=(7 - labor.weekday()) % 7)
        thanksgiving = datetime.date(year, 11, 1)
        thanksgiving += datetime.timedelta(days=(3 - thanksgiving.weekday()) % 7 + 21)
        days |= {
            datetime.date(year, 1, 1),
            memorial,
            datetime.date(year, 7, 4),
            labor,
            thanksgiving,
            datetime.date(year, 12, 24),
            datetime.date(year, 12, 25),
            datetime.date(year, 12, 31),
        }
    return days


def make_npi(nine: str) -> str:
    return nine + npi_check_digit(nine)


def clinician_npi(index: int) -> str:
    """A valid type-1 NPI for the index-th clinician; 7919 is prime to 10**8, so no two
    clinicians of one demo share a serial."""
    serial = (38_000_000 + index * 7919 + 4721) % 100_000_000
    return make_npi(f"1{serial:08d}")


def ascii_fold(text: str) -> str:
    """Letters and digits without accents, for e-mail addresses: Nguyễn -> nguyen."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(char for char in folded.lower() if char.isalnum())


def weighted(rng: random.Random, table: dict[str, float]) -> str:
    return rng.choices(list(table), weights=list(table.values()))[0]


# Try the preferred hour first, then the nearest ones.
TRY_ORDER = [
    sorted(range(SLOTS_PER_DAY), key=lambda hour, p=preferred: (abs(hour - p), hour))
    for preferred in range(SLOTS_PER_DAY)
]
# Preferred hours: more demand late in the day (index 0 = 08:00).
HOUR_WEIGHTS = [4, 6, 7, 7, 5, 6, 7, 8, 9, 9, 6]
CHILD_HOUR_WEIGHTS = [1, 1, 1, 1, 1, 1, 2, 8, 10, 10, 6]

# Usual individual lengths (minutes a 30/45/60-minute session really lasts).
LENGTHS = {
    30: (28, 30, 30, 32, 35),
    45: (40, 43, 45, 45, 45, 47, 50),
    60: (53, 53, 55, 55, 56, 58, 60, 60),
}
CRISIS_MINUTES = (40, 55, 60, 80, 80, 95, 110)
# A prescriber's E/M visit: the whole visit, of which EM_SERVICE_MINUTES are the E/M
# service and the rest psychotherapy (docs/rules/coding.md §5: the add-on is coded from
# the psychotherapy minutes alone).
EM_MINUTES = (35, 40, 40, 45, 55)
EM_SERVICE_MINUTES = 15

# Subscribers on claims need a sex of F or M in this demo.
SUBSCRIBER_NAMES = tuple(name for name in data.FIRST_NAMES if name[1] in ("F", "M"))
# A session's payer is an index into DemoBuilder.payers; this one means self-pay.
_NO_PAYER = -1


class _Visit(NamedTuple):
    """One planned session, before it has a client id."""

    day: datetime.date
    start: int  # minute of the day
    minutes: int
    service: str
    telehealth: str
    at_home: bool
    interactive_complexity: bool
    group_size: int | None
    payer: int  # index into DemoBuilder.payers, or _NO_PAYER
    em: str | None  # the prescriber's E/M code, billed before the psychotherapy add-on
    status: str = Status.READY
    note: str = ""
    therapy: int | None = None  # psychotherapy minutes of an E/M visit


class _Clinician:
    """What the session loop needs to know about one clinician, by index."""

    __slots__ = ("group_weekday", "kind", "location", "model", "pos", "user_id")

    def __init__(self, model: Clinician, kind: data.ClinicianKind, location: Location):
        self.model = model
        self.kind = kind
        self.location = location
        self.pos = location.default_pos.code
        self.user_id = model.user_id
        self.group_weekday = -1


class _ClientPlan:
    __slots__ = (
        "child",
        "client",
        "clinician",
        "coverages",
        "diagnoses",
        "group_member",
        "home_rate",
        "hour",
        "mode",
        "payer_spans",
        "sessions",
        "story",
        "usual",
    )


class DemoBuilder:
    """Builds the demo practice in one pass; every random choice comes from one
    ``random.Random(seed)`` in a fixed order, so a seed always gives the same practice."""

    def __init__(
        self,
        *,
        clinicians: int,
        clients: int,
        months: int,
        seed: int,
        until: datetime.date,
        progress=None,
    ) -> None:
        self.n_clinicians = clinicians
        self.n_clients = clients
        self.months = months
        self.seed = seed
        self.until = until
        self.start = add_months(until, -months) + datetime.timedelta(days=1)
        self.progress = progress
        self.rng = random.Random(seed)
        self.holidays = us_holidays(range(self.start.year, until.year + 1))
        self.busy: dict[int, int] = {}
        self.group_sizes: dict[int, int] = {}
        self.times = {
            minute: datetime.time(minute // 60, minute % 60) for minute in range(6 * 60, 22 * 60)
        }
        self.line_memo: dict[tuple, tuple] = {}
        self.counts = {"sessions": 0, "lines": 0, "session diagnoses": 0}
        self.session_table = FastTable(Session, SESSION_FIELDS)
        self.line_table = FastTable(ServiceLine, LINE_FIELDS)
        self.session_diagnosis_table = FastTable(
            SessionDiagnosis, ("session_id", "diagnosis_id", "position")
        )

    # -- catalog ------------------------------------------------------------------

    def load_catalog(self) -> None:
        self.pos_ids = dict(PlaceOfService.objects.values_list("code", "id"))
        self.procedure_ids = dict(ProcedureCode.objects.values_list("code", "id"))
        self.charges = dict(ProcedureCode.objects.values_list("code", "default_charge"))
        wanted = {
            *data.ADULT_DIAGNOSES,
            *data.CHILD_DIAGNOSES,
            *data.CONTEXT_DIAGNOSES,
        }
        known = dict(
            DiagnosisCode.objects.billable().filter(code__in=wanted).values_list("code", "id")
        )
        self.diagnosis_ids = known
        self.adult_dx = {c: w for c, w in data.ADULT_DIAGNOSES.items() if c in known}
        self.child_dx = {c: w for c, w in data.CHILD_DIAGNOSES.items() if c in known}
        self.context_dx = {c: w for c, w in data.CONTEXT_DIAGNOSES.items() if c in known}
        # One query for the occasional less common diagnosis.
        wide = DiagnosisCode.objects.billable().filter(code__startswith="F")
        self.wide_dx = [
            (code, pk)
            for code, pk in wide.order_by("code").values_list("code", "id")
            if code.startswith(data.WIDE_DIAGNOSIS_PREFIXES)
        ]
        self.diagnosis_ids = {**dict(self.wide_dx), **self.diagnosis_ids}
        if not self.adult_dx and not self.wide_dx:
            raise CommandError(
                "The ICD-10-CM catalog has no billable F codes: run `manage.py load_catalog`."
            )
        if not self.adult_dx:  # a catalog loaded without our usual codes
            self.adult_dx = {code: 1 for code, _ in self.wide_dx[:50]}
        if not self.child_dx:
            self.child_dx = self.adult_dx
        for code in ("11", "53", "10", "02"):
            if code not in self.pos_ids:
                raise CommandError(f"Place of service {code} is missing: run load_catalog.")

    # -- the practice -------------------------------------------------------------

    def build(self) -> None:
        self.load_catalog()
        self.build_practice()
        self.build_users_and_clinicians()
        self.build_payers()
        self.build_clients_and_sessions()

    def build_practice(self) -> None:
        self.practice = Practice(**data.PRACTICE, npi=make_npi("2" + data.PRACTICE_NPI_SERIAL))
        self.practice.full_clean()
        self.practice.save()
        self.locations = []
        for spec in data.LOCATIONS:
            fields = {k: v for k, v in spec.items() if k != "pos"}
            location = Location(
                practice=self.practice,
                default_pos=PlaceOfService.objects.get(code=spec["pos"]),
                **fields,
            )
            location.full_clean()
            location.save()
            self.locations.append(location)

    def build_users_and_clinicians(self) -> None:
        rng = self.rng
        usernames = [name for name, *_ in data.STAFF_USERS] + [
            self.clinician_username(i) for i in range(self.n_clinicians)
        ]
        taken = sorted(
            User.objects.filter(username__in=usernames).values_list("username", flat=True)
        )
        if taken:
            raise CommandError(
                f"User names the demo needs are taken by users it did not create: "
                f"{', '.join(taken[:10])}. Rename those users first."
            )
        # One PBKDF2 hash for every demo login: hashing 400 passwords would take minutes.
        password = make_password(data.DEMO_PASSWORD)
        groups = dict(Group.objects.filter(name__in=roles.ROLES).values_list("name", "id"))
        if len(groups) != len(roles.ROLES):
            raise CommandError("The role groups are missing: run `manage.py migrate`.")

        people = self.clinician_names()
        users = [
            User(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@{data.DEMO_EMAIL_DOMAIN}",
                is_staff=is_staff,
                password=password,
            )
            for username, first, last, _, is_staff in data.STAFF_USERS
        ] + [
            User(
                username=self.clinician_username(i),
                first_name=first,
                last_name=last,
                email=f"{self.clinician_username(i)}@{data.DEMO_EMAIL_DOMAIN}",
                password=password,
            )
            for i, (first, last) in enumerate(people)
        ]
        User.objects.bulk_create(users, batch_size=BATCH_SIZE)
        user_roles = [role for *_, role, _ in data.STAFF_USERS] + [roles.CLINICIAN] * len(people)
        Membership = User.groups.through
        Membership.objects.bulk_create(
            [
                Membership(user_id=user.pk, group_id=groups[role])
                for user, role in zip(users, user_roles, strict=True)
            ],
            batch_size=BATCH_SIZE,
        )
        clinician_users = users[len(data.STAFF_USERS) :]

        kinds = data.CLINICIAN_KINDS
        self.clinicians: list[_Clinician] = []
        models_by_index: list[Clinician] = []
        for i, ((first, last), user) in enumerate(zip(people, clinician_users, strict=True)):
            kind = kinds[i % len(kinds)]
            round_ = i // len(kinds)
            credentials = kind.credentials[round_ % len(kind.credentials)]
            taxonomy = (
                kind.taxonomies[round_ % len(kind.taxonomies)] if kind.taxonomies else kind.taxonomy
            )
            clinician = Clinician(
                user=user,
                practice=self.practice,
                first_name=first,
                last_name=last,
                credentials=credentials,
                npi=clinician_npi(i),
                taxonomy=taxonomy,
                license_number=f"{kind.license_prefix}{rng.randint(1000, 99999):06d}",
                license_state="IL",
                license_level=kind.license_level,
                prescriber=kind.prescriber,
            )
            if kind.supervised:
                # docs/rules/coding.md §9: the counselor hired just before supervises the associate.
                clinician.supervisor = models_by_index[i - 1]
            models_by_index.append(clinician)
            location = self.locations[kind.location % len(self.locations)]
            self.clinicians.append(_Clinician(clinician, kind, location))
        licensed = [c for c in models_by_index if c.supervisor is None]
        supervised = [c for c in models_by_index if c.supervisor is not None]
        for group in (licensed, supervised):  # supervisors need their ids first
            for clinician in group:
                if clinician.supervisor is not None:
                    clinician.supervisor_id = clinician.supervisor.pk
            if group and len(group) <= 50:
                for clinician in group:
                    clinician.full_clean(validate_unique=False)
            Clinician.objects.bulk_create(group, batch_size=BATCH_SIZE)
        for i, clinician in enumerate(self.clinicians):
            if clinician.kind.runs_group:
                clinician.group_weekday = i % 5
        self.first_of_kind: dict[str, int] = {}
        for i, clinician in enumerate(self.clinicians):
            self.first_of_kind.setdefault(clinician.kind.key, i)

    @staticmethod
    def clinician_username(index: int) -> str:
        return "clinician" if index == 0 else f"clinician{index + 1}"

    def clinician_names(self) -> list[tuple[str, str]]:
        names = list(data.CLINICIAN_NAMES[: self.n_clinicians])
        seen = set(names)
        while len(names) < self.n_clinicians:
            first = self.rng.choice(data.FIRST_NAMES)[0]
            last = self.rng.choice(data.LAST_NAMES)
            if (first, last) not in seen or len(seen) > 5000:
                seen.add((first, last))
                names.append((first, last))
        return names

    def build_payers(self) -> None:
        rng = self.rng
        if not Clearinghouse.objects.exists():
            clearinghouse = Clearinghouse(**data.CLEARINGHOUSE)
            clearinghouse.full_clean()
            clearinghouse.save()
        self.payers: list[Payer] = []
        self.payer_specs: list[data.DemoPayer] = []
        self.payer_index: dict[str, int] = {}
        rate_from = datetime.date(self.start.year, 1, 1)
        rates = []
        for spec in data.PAYERS:
            payer = Payer(
                **spec.fields,
                telehealth_home_pos_id=self.pos_ids.get(spec.home_pos) if spec.home_pos else None,
                telehealth_other_pos_id=(
                    self.pos_ids.get(spec.other_pos) if spec.other_pos else None
                ),
            )
            payer.full_clean()
            payer.save()
            self.payer_index[spec.key] = len(self.payers)
            self.payers.append(payer)
            self.payer_specs.append(spec)
            for code in data.RATED_CODES:
                if code not in self.procedure_ids:
                    continue
                # Contracted rates sit below the standard charge, a little uneven per code.
                factor = spec.rate_factor + Decimal(rng.randint(-4, 4)) / 100
                rates.append(
                    PayerRate(
                        payer=payer,
                        procedure_id=self.procedure_ids[code],
                        allowed_amount=(self.charges[code] * factor).quantize(Decimal("0.01")),
                        effective_from=rate_from,
                    )
                )
        PayerRate.objects.bulk_create(rates, batch_size=BATCH_SIZE)
        self._payer_by_id = {payer.pk: i for i, payer in enumerate(self.payers)}
        # Unit fees per payer, computed once (rules.fee_schedule queries the database).
        self.fees = [rules.fee_schedule(payer, self.until) for payer in self.payers]
        self.self_pay_fees = rules.fee_schedule(None, self.until)

    # -- clients ------------------------------------------------------------------

    def build_clients_and_sessions(self) -> None:
        started = time.monotonic()
        last_report = started
        self.clinician_weights = [c.kind.client_weight for c in self.clinicians]
        self.child_clinicians = [
            i for i, c in enumerate(self.clinicians) if not c.kind.prescriber
        ] or list(range(len(self.clinicians)))
        for first in range(0, self.n_clients, CLIENT_BATCH):
            count = min(CLIENT_BATCH, self.n_clients - first)
            plans = [self.plan_client(first + offset) for offset in range(count)]
            self.write(plans)
            done = first + count
            now = time.monotonic()
            if self.progress and (now - last_report >= 5 or done == self.n_clients):
                last_report = now
                self.progress(
                    f"  clients {done:,}/{self.n_clients:,}, sessions "
                    f"{self.counts['sessions']:,}, lines {self.counts['lines']:,} "
                    f"({now - started:.0f} s)"
                )

    def plan_client(self, index: int) -> _ClientPlan:
        rng = self.rng
        story = data.STORY_CLIENTS[index] if index < len(data.STORY_CLIENTS) else None
        plan = _ClientPlan()
        plan.story = story
        if story:
            first, last, sex, age = story["first"], story["last"], story["sex"], story["age"]
        else:
            first, sex = rng.choice(data.FIRST_NAMES)
            last = rng.choice(data.LAST_NAMES)
            roll = rng.random()
            age = (
                rng.randint(6, 17)
                if roll < 0.14
                else rng.randint(66, 84)
                if roll < 0.21
                else rng.randint(18, 64)
            )
        plan.child = age < 18
        birth = self.until - datetime.timedelta(days=age * 365 + rng.randint(0, 364))
        city, zip5 = rng.choice(data.CITIES)
        street = f"{rng.randint(100, 9899)} {rng.choice(data.STREETS)}"
        unit = f"Apt {rng.randint(1, 4)}{rng.choice('ABCD')}" if rng.random() < 0.3 else ""
        email = ""
        if rng.random() < 0.8 and not plan.child:
            email = (
                f"{ascii_fold(first)}.{ascii_fold(last)}{rng.randint(1, 99)}"
                f"@{rng.choice(data.EMAIL_DOMAINS)}"
            )
        story_kind = story.get("clinician") if story else None
        if story_kind in self.first_of_kind:
            plan.clinician = self.first_of_kind[story_kind]
        elif plan.child:
            plan.clinician = rng.choice(self.child_clinicians)
        else:
            plan.clinician = rng.choices(
                range(len(self.clinicians)), weights=self.clinician_weights
            )[0]
        address = {
            "address_line1": street,
            "address_line2": unit,
            "city": city,
            "state": "IL",
            "zip_code": f"{zip5}{rng.randint(1000, 9999)}",
        }
        plan.client = Client(
            first_name=first,
            last_name=last,
            date_of_birth=birth,
            sex=sex,
            phone=f"{rng.choice(('847', '773', '312', '224'))}-555-01{rng.randint(0, 99):02d}",
            email=email,
            primary_clinician_id=self.clinicians[plan.clinician].model.pk,
            **address,
        )
        plan.diagnoses = self.plan_diagnoses(plan.child)
        plan.coverages = self.plan_coverages(plan, age, address)
        plan.client.self_pay = not plan.coverages
        # Payer by date: the primary coverages as (first day, last day, payer index).
        plan.payer_spans = [
            (
                cov.effective_from,
                cov.effective_to or datetime.date.max,
                self.payer_index_of(cov),
            )
            for cov in plan.coverages
            if cov.priority == 1
        ]
        # How this client is seen.
        mode = story.get("mode") if story else None
        if mode is None:
            mode = rng.choices(("in_person", "video", "mixed"), weights=(50, 35, 15))[0]
        plan.mode = mode
        plan.home_rate = 1.0 if story and story.get("mode") else rng.choice((0.7, 0.9, 1.0))
        plan.hour = rng.choices(
            range(SLOTS_PER_DAY), weights=CHILD_HOUR_WEIGHTS if plan.child else HOUR_WEIGHTS
        )[0]
        plan.usual = rng.choices((30, 45, 60), weights=(12, 45, 43))[0]
        clinician = self.clinicians[plan.clinician]
        plan.group_member = clinician.group_weekday >= 0 and not plan.child and rng.random() < 0.2
        plan.sessions = self.plan_sessions(plan)
        self.plan_authorizations(plan)
        self.sign(plan)
        return plan

    def sign(self, plan: _ClientPlan) -> None:
        """docs/rules/claim-forms.md §8: the release and assignment signed at the first
        visit, by the client, or for a client under 18 on that day by a parent (the
        subscriber parent) or a guardian. No random draw, so the rest of the demo is the
        same with or without signatures."""
        client = plan.client
        first_day = min((visit.day for visit in plan.sessions), default=self.start)
        signer, relation = f"{client.first_name} {client.last_name}", SignerRelation.SELF
        if age_on(client.date_of_birth, first_day) < ADULT_AGE:
            parent = next((c for c in plan.coverages if c.relationship == "19"), None)
            if parent is not None:
                signer = f"{parent.subscriber_first_name} {parent.subscriber_last_name}"
                relation = SignerRelation.PARENT
            else:
                first = SUBSCRIBER_NAMES[len(client.first_name) % len(SUBSCRIBER_NAMES)][0]
                signer, relation = f"{first} {client.last_name}", SignerRelation.GUARDIAN
        for kind in ("release", "assignment"):
            setattr(client, f"{kind}_signed_on", first_day)
            setattr(client, f"{kind}_signer", signer)
            setattr(client, f"{kind}_signer_relation", relation)

    def payer_index_of(self, coverage: Coverage) -> int:
        return self._payer_by_id[coverage.payer_id]

    def plan_diagnoses(self, child: bool) -> list[int]:
        rng = self.rng
        codes = [weighted(rng, self.child_dx if child else self.adult_dx)]
        roll = rng.random()
        if roll < 0.3 and self.context_dx:
            codes.append(weighted(rng, self.context_dx))
        elif roll < 0.4 and self.wide_dx:
            codes.append(rng.choice(self.wide_dx)[0])
        if rng.random() < 0.08:
            codes.append(weighted(rng, self.adult_dx))
        ids = []
        for code in dict.fromkeys(codes):  # once each, in rank order
            pk = self.diagnosis_ids.get(code)
            if pk and pk not in ids:
                ids.append(pk)
        return ids

    def plan_coverages(self, plan: _ClientPlan, age: int, address: dict) -> list[Coverage]:
        """docs/rules/claim-forms.md §4: the client's policies. Most have one; some are self-pay,
        some
        are covered through a spouse (01) or a parent (19), some have a secondary plan
        or change insurer during the window."""
        rng = self.rng
        story = plan.story
        kind = story["kind"] if story else None
        if kind == "self_pay":
            return []
        if story:
            payer_key = story["payer"]
        elif rng.random() < (0.05 if plan.child else 0.09) and age < 65:
            return []
        elif age >= 65:
            payer_key = "medicare"
        else:
            payer_key = weighted(
                rng, data.CHILD_PAYER_WEIGHTS if plan.child else data.ADULT_PAYER_WEIGHTS
            )
        # Coverage started on a 1 January or a first of the month before the demo window.
        years_back = rng.randint(0, 3)
        effective_from = datetime.date(self.start.year - years_back, rng.randint(1, 12), 1)
        if effective_from > self.start:
            effective_from = datetime.date(self.start.year, 1, 1)
        coverages = []
        subscriber = None
        relationship = "18"
        if kind in ("spouse", "child"):
            s_first, s_last, s_sex, s_age = story["subscriber"]
            subscriber = (s_first, s_last, s_sex, s_age)
            relationship = "01" if kind == "spouse" else "19"
        elif plan.child and payer_key != "medicaid":
            subscriber = self.random_person(plan.client.last_name, rng.randint(28, 52))
            relationship = "19"
        elif (
            not story
            and payer_key in ("evergreen", "prairie_blue", "keystone", "northgate")
            and rng.random() < 0.14
        ):
            subscriber = self.random_person(
                plan.client.last_name, max(age + rng.randint(-6, 6), 19)
            )
            relationship = "01"
        primary = self.coverage(payer_key, 1, relationship, subscriber, effective_from, address)
        coverages.append(primary)
        # Some clients change insurer during the window (a new job, a new plan year).
        if not story and self.months >= 3 and rng.random() < 0.05:
            switch = add_months(self.start, rng.randint(1, self.months - 1)).replace(day=1)
            primary.effective_to = switch - datetime.timedelta(days=1)
            choices = [k for k in ("evergreen", "prairie_blue", "keystone") if k != payer_key]
            coverages.append(self.coverage(rng.choice(choices), 1, "18", None, switch, address))
        secondary = story.get("secondary") if story else None
        # Medicaid pays last, so a Medicaid client's other plan would be primary: none here.
        if (
            secondary is None
            and not story
            and not plan.child
            and payer_key != "medicaid"
            and rng.random() < 0.05
        ):
            secondary = (
                "prairie_blue"
                if payer_key == "medicare"
                else rng.choice(
                    [k for k in ("evergreen", "prairie_blue", "keystone") if k != payer_key]
                )
            )
        if secondary:
            if payer_key == "medicare":
                coverages.append(self.coverage(secondary, 2, "18", None, effective_from, address))
            else:
                spouse = self.random_person(
                    plan.client.last_name, max(age + rng.randint(-6, 6), 19)
                )
                coverages.append(self.coverage(secondary, 2, "01", spouse, effective_from, address))
        return coverages

    def random_person(self, last_name: str, age: int) -> tuple[str, str, str, int]:
        rng = self.rng
        first, sex = rng.choice(SUBSCRIBER_NAMES)
        last = last_name if rng.random() < 0.7 else rng.choice(data.LAST_NAMES)
        return first, last, sex, age

    def coverage(
        self,
        payer_key: str,
        priority: int,
        relationship: str,
        subscriber: tuple | None,
        effective_from: datetime.date,
        address: dict,
    ) -> Coverage:
        rng = self.rng
        index = self.payer_index[payer_key]
        spec = self.payer_specs[index]
        coverage = Coverage(
            payer_id=self.payers[index].pk,
            member_id=self.member_id(spec.member_id),
            group_number=rng.choice(spec.group_numbers) if spec.group_numbers else "",
            plan_name=rng.choice(spec.plan_names) if spec.plan_names else "",
            priority=priority,
            relationship=relationship,
            effective_from=effective_from,
            copay=Decimal(rng.choice(spec.copays)) if priority == 1 else Decimal("0.00"),
            **address,
        )
        if spec.fields.get("requires_referring_provider"):
            # docs/rules/claim-forms.md §9: the referral on file (chosen without a random
            # draw, from the member id already drawn).
            first, last, serial = data.REFERRING_PROVIDERS[
                sum(map(ord, coverage.member_id)) % len(data.REFERRING_PROVIDERS)
            ]
            coverage.referring_first_name = first
            coverage.referring_last_name = last
            coverage.referring_npi = make_npi("1" + serial)
        if subscriber:
            first, last, sex, age = subscriber
            coverage.subscriber_first_name = first
            coverage.subscriber_last_name = last
            coverage.subscriber_sex = sex
            coverage.subscriber_date_of_birth = self.until - datetime.timedelta(
                days=age * 365 + rng.randint(0, 364)
            )
        return coverage

    def member_id(self, pattern: str) -> str:
        rng = self.rng
        if pattern == "M":
            # The Medicare Beneficiary Identifier's shape (e.g. 1EG4TE5MK73): C a digit
            # 1-9, N a digit, A a letter (no S, L, O, I, B, Z), L either.
            letters = "ACDEFGHJKMNPQRTUVWXY"
            alphabet = {"C": "123456789", "N": "0123456789", "A": letters}
            alphabet["L"] = letters + alphabet["N"]
            return "".join(rng.choice(alphabet[c]) for c in "CALNALNAANN")
        return "".join(rng.choice("0123456789") if c == "D" else c for c in pattern)

    def payer_on(self, plan: _ClientPlan, day: datetime.date) -> int:
        for first, last, index in plan.payer_spans:
            if first <= day <= last:
                return index
        return _NO_PAYER

    def plan_authorizations(self, plan: _ClientPlan) -> None:
        """docs/rules/claims.md "Prior authorization": prior authorizations for payers that require
        one, sized to
        the visits planned (one client's is nearly used up)."""
        rng = self.rng
        for coverage in plan.coverages:
            payer = self.payers[self._payer_by_id[coverage.payer_id]]
            if not payer.requires_prior_authorization or coverage.priority != 1:
                continue
            index = self._payer_by_id[coverage.payer_id]
            dates = [
                visit.day
                for visit in plan.sessions
                if visit.payer == index and visit.status in (Status.DRAFT, Status.READY)
            ]
            auth_from = min(dates) if dates else max(self.start, coverage.effective_from)
            auth_to = auth_from + datetime.timedelta(days=364)
            used = sum(1 for day in dates if day <= auth_to)
            if plan.story and plan.story["kind"] == "auth_low":
                visits = used + 1
            else:
                visits = next(
                    (n for n in (12, 20, 24, 30, 36, 52, 80, 104, 150) if n >= used + 2),
                    used + 10,
                )
            coverage.prior_auth_number = f"PA{rng.randint(10**8, 10**9 - 1)}"
            coverage.prior_auth_visits = visits
            coverage.prior_auth_from = auth_from
            coverage.prior_auth_to = auth_to

    # -- sessions -----------------------------------------------------------------

    def plan_sessions(self, plan: _ClientPlan) -> list[_Visit]:
        """The client's sessions in date order: an intake first (unless the client was
        already in treatment when the window opened), then every one to three weeks
        (a prescriber every two to four), with holidays, vacations, no-shows and late
        cancellations."""
        rng = self.rng
        clinician = self.clinicians[plan.clinician]
        prescriber = clinician.kind.prescriber
        window = (self.until - self.start).days
        if plan.story:
            first_day = self.start + datetime.timedelta(days=rng.randint(0, min(13, window)))
            intake = True
            length = 10_000
        elif rng.random() < 0.35 and window > 30:
            # Already in treatment when the window opens: no intake in the window.
            first_day = self.start + datetime.timedelta(days=rng.randint(0, 13))
            intake = False
            length = self.episode_length()
        else:
            first_day = self.start + datetime.timedelta(days=rng.randint(0, max(window - 2, 0)))
            intake = True
            length = self.episode_length()
        if first_day.weekday() >= 5:
            first_day += datetime.timedelta(days=7 - first_day.weekday())
        if prescriber:
            interval = rng.choice((14, 21, 28, 28))
        else:
            interval = rng.choices((7, 14, 21), weights=(62, 30, 8))[0]
        sessions: list[_Visit] = []
        recent = self.until - datetime.timedelta(days=RECENT_DAYS)
        day = first_day
        count = 0
        while day <= self.until and count < length:
            planned, day = day, day + datetime.timedelta(days=interval)
            if rng.random() < 0.05:  # vacation, illness
                continue
            when = planned
            if rng.random() < 0.08:  # moved within the week
                when = planned + datetime.timedelta(days=rng.choice((-2, -1, 1, 2)))
                if when.weekday() >= 5:
                    when = planned
            if when in self.holidays or when > self.until or when < self.start:
                continue
            first_session = intake and count == 0
            visit = self.plan_session(plan, clinician, when, first_session, prescriber)
            if visit is None:
                continue
            count += 1
            status, note = Status.READY, ""
            if not first_session:
                roll = rng.random()
                if roll < 0.04:
                    status = Status.NO_SHOW
                elif roll < 0.07:
                    status = Status.LATE_CANCEL
                    note = "Late cancellation; fee policy reviewed with the client."
                elif roll < 0.095:
                    status = Status.CANCELLED
            if status == Status.READY and visit.day > recent and rng.random() < 0.55:
                status = Status.DRAFT
            sessions.append(visit._replace(status=status, note=note))
        return sessions

    def episode_length(self) -> int:
        """Sessions in one episode of care: many short, some long-term clients."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.2:
            return rng.randint(2, 8)
        if roll < 0.6:
            return rng.randint(9, 30)
        return rng.randint(31, 130)

    def plan_session(
        self,
        plan: _ClientPlan,
        clinician: _Clinician,
        day: datetime.date,
        intake: bool,
        prescriber: bool,
    ) -> _Visit | None:
        """What one session is (service, length, telehealth) and when it fits in the
        clinician's day; None when the day is full."""
        rng = self.rng
        em = None
        ic = False
        size = None
        if intake:
            service = "intake_medical" if prescriber else "intake"
            minutes = rng.choice((55, 60, 60, 60))
            ic = plan.child and rng.random() < 0.2
        elif prescriber:
            if rng.random() < 0.7:
                service, minutes = "individual", rng.choice(EM_MINUTES)
                em = "99214" if rng.random() < 0.6 else "99213"
                if em not in self.procedure_ids:
                    em = None
            else:
                service, minutes = "individual", rng.choice(LENGTHS[plan.usual])
        else:
            roll = rng.random()
            family_rate = 0.35 if clinician.kind.key == "family_therapist" else 0.03
            if plan.child:
                family_rate = 0.2
            if roll < 0.012 and not plan.child:
                service, minutes = "crisis", rng.choice(CRISIS_MINUTES)
            elif roll < 0.012 + family_rate:
                without = plan.child and rng.random() < 0.25
                service = "family_without_client" if without else "family"
                minutes = rng.choice((50, 50, 53, 55))
            elif plan.group_member and rng.random() < 0.5:
                service, minutes = "group", 90
            else:
                service, minutes = "individual", rng.choice(LENGTHS[plan.usual])
                ic = rng.random() < (0.15 if plan.child else 0.01)

        # Telehealth (docs/rules/coding.md §7.1, §8): by the client's habit; groups meet
        # in the office.
        roll = rng.random()
        tele = ""
        if service != "group":
            if plan.mode == "video":
                tele = "video" if roll < 0.88 else "audio" if roll < 0.94 else ""
            elif plan.mode == "mixed":
                tele = "video" if roll < 0.45 else "audio" if roll < 0.5 else ""
            else:
                tele = "video" if roll < 0.05 else "audio" if roll < 0.06 else ""
        at_home = bool(tele) and rng.random() < plan.home_rate

        index = plan.clinician
        if service == "group":
            # The clinician's weekly group, same week, everyone at once.
            day = day + datetime.timedelta(days=clinician.group_weekday - day.weekday())
            if day > self.until or day < self.start or day in self.holidays:
                return None
            key = index * 1_000_000 + day.toordinal()
            size = self.group_sizes.get(key)
            if size is None:
                size = self.group_sizes[key] = rng.randint(5, 9)
            hour = GROUP_SLOT
        else:
            hour = self.book(index, day, plan.hour, math.ceil(minutes / 60))
            if hour is None:
                return None
        payer = self.payer_on(plan, day)
        if tele == "audio" and (
            intake or (payer != _NO_PAYER and not self.payers[payer].audio_only_allowed)
        ):
            tele = "video"  # intakes, and payers that do not pay audio-only, go by video
        start = (FIRST_HOUR + hour) * 60
        therapy = minutes - EM_SERVICE_MINUTES if em is not None else None
        return _Visit(
            day, start, minutes, service, tele, at_home, ic, size, payer, em, therapy=therapy
        )

    def book(self, clinician: int, day: datetime.date, preferred: int, slots: int) -> int | None:
        """A free start hour for ``slots`` hours on the clinician's day, nearest the
        client's preferred hour, or None when the day is full (no overlapping sessions)."""
        key = clinician * 1_000_000 + day.toordinal()
        mask = self.busy.get(key)
        if mask is None:
            mask = 0
            if day.weekday() == self.clinicians[clinician].group_weekday:
                mask = 0b11 << GROUP_SLOT
        need = (1 << slots) - 1
        for hour in TRY_ORDER[preferred]:
            if hour + slots > SLOTS_PER_DAY:
                continue
            bits = need << hour
            if not mask & bits:
                self.busy[key] = mask | bits
                return hour
        self.busy[key] = mask
        return None

    def lines_for(
        self,
        clinician: int,
        payer: int,
        service: str,
        minutes: int,
        tele: str,
        at_home: bool,
        ic: bool,
        em: str | None,
        therapy: int | None = None,
    ) -> tuple[int, tuple]:
        """(POS id, lines) for a session, from the session service the form uses
        (``practice.services.session_proposal``; memoised: the answer depends only on
        these facts). A line is (procedure id, modifiers, units, charge)."""
        key = (clinician, payer, service, minutes, tele, at_home, ic, em, therapy)
        found = self.line_memo.get(key)
        if found is not None:
            return found
        doctor = self.clinicians[clinician]
        payer_row = None if payer == _NO_PAYER else self.payers[payer]
        fees = self.self_pay_fees if payer == _NO_PAYER else self.fees[payer]
        proposal = session_proposal(
            service=service,
            minutes=minutes,
            clinician=doctor.model,
            payer=payer_row,
            fees=fees,
            in_person_pos=doctor.pos,
            telehealth=tele,
            client_at_home=at_home,
            interactive_complexity=ic,
            em_code=em or "",
            psychotherapy_minutes=therapy,
        )
        pos = rules.place_of_service(
            telehealth=tele, client_at_home=at_home, in_person_pos=doctor.pos, payer=payer_row
        )
        lines = tuple(
            (
                self.procedure_ids[line.code],
                (*line.modifiers, "", "", "", "")[:4],
                line.units,
                line.charge,
            )
            for line in proposal.lines
        )
        found = self.line_memo[key] = (self.pos_ids[pos], lines)
        return found

    # -- writing ------------------------------------------------------------------

    def write(self, plans: Sequence[_ClientPlan]) -> None:
        rng = self.rng
        Client.objects.bulk_create([plan.client for plan in plans], batch_size=BATCH_SIZE)
        diagnoses: list[Diagnosis] = []
        coverages: list[Coverage] = []
        for plan in plans:
            client = plan.client
            first_seen = plan.sessions[0].day if plan.sessions else self.start
            for rank, code_id in enumerate(plan.diagnoses, start=1):
                diagnoses.append(
                    Diagnosis(
                        client_id=client.pk, code_id=code_id, rank=rank, start_date=first_seen
                    )
                )
            for coverage in plan.coverages:
                coverage.client_id = client.pk
                coverages.append(coverage)
        Diagnosis.objects.bulk_create(diagnoses, batch_size=BATCH_SIZE)
        Coverage.objects.bulk_create(coverages, batch_size=BATCH_SIZE)

        session_rows: list[tuple] = []
        extras: list[tuple | None] = []  # per session: (lines, pointers, diagnosis ids)
        by_client: dict[int, list[int]] = {}
        for diagnosis in diagnoses:
            by_client.setdefault(diagnosis.client_id, []).append(diagnosis.pk)
        times = self.times
        attended = (Status.DRAFT, Status.READY)
        for plan in plans:
            client_id = plan.client.pk
            doctor = self.clinicians[plan.clinician]
            clinician_id, location_id, user_id = doctor.model.pk, doctor.location.pk, doctor.user_id
            diagnosis_ids = by_client.get(client_id, [])
            for visit in plan.sessions:
                (day, start, minutes, service, tele, at_home, ic, size, payer, em, status, note) = (
                    visit[:12]
                )
                therapy = visit.therapy
                pos_id, lines = self.lines_for(
                    plan.clinician, payer, service, minutes, tele, at_home, ic, em, therapy
                )
                # In SESSION_FIELDS order.
                session_rows.append(
                    (
                        client_id,
                        clinician_id,
                        day,
                        times[start],
                        times[start + minutes],
                        minutes,
                        therapy,
                        service,
                        location_id,
                        pos_id,
                        tele,
                        at_home,
                        ic,
                        size,
                        status,
                        note,
                        user_id,
                    )
                )
                if status in attended and lines and diagnosis_ids:
                    pointers = "AB" if len(diagnosis_ids) > 1 and rng.random() < 0.35 else "A"
                    extras.append((lines, pointers, diagnosis_ids))
                else:
                    extras.append(None)
        session_ids = self.session_table.insert(session_rows, returning_ids=True)

        line_rows: list[tuple] = []
        session_diagnosis_rows: list[tuple] = []
        for session_id, extra in zip(session_ids, extras, strict=True):
            if extra is None:
                continue
            lines, pointers, diagnosis_ids = extra
            for position, diagnosis_id in enumerate(diagnosis_ids, start=1):
                session_diagnosis_rows.append((session_id, diagnosis_id, position))
            for position, (procedure_id, mods, units, charge) in enumerate(lines, start=1):
                # In LINE_FIELDS order.
                line_rows.append(
                    (session_id, position, procedure_id, *mods, units, charge, pointers)
                )
        self.session_diagnosis_table.insert(session_diagnosis_rows)
        self.line_table.insert(line_rows)
        self.counts["sessions"] += len(session_rows)
        self.counts["lines"] += len(line_rows)
        self.counts["session diagnoses"] += len(session_diagnosis_rows)
