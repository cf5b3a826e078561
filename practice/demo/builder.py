"""Building the demo practice: ``DemoBuilder`` (one random stream, the steps in a fixed
order) and ``demo_build``, the one transaction around it."""

from __future__ import annotations

import datetime
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.apps import apps
from django.db import IntegrityError, connection, models, transaction

from billing.models import (
    Adjustment,
    Claim,
    ClaimDiagnosis,
    ClaimLine,
    ClaimPosting,
    Payment,
    PaymentAllocation,
)
from billing.periods import add_months
from practice.bulk import analyze, indexes_built_after
from practice.collector import fewer_collections
from practice.demo import data
from practice.demo.appointments import plan_demo_appointments
from practice.demo.claims import claim_history, history_start
from practice.demo.clients import ClientPlanner
from practice.demo.practice_setup import PracticeSetup
from practice.demo.reset import reset_practice_data
from practice.demo.sessions import SessionPlanner, us_holidays
from practice.demo.writing import LINE_FIELDS, SESSION_FIELDS, FastTable, SessionWriter
from practice.history import snapshot_history
from practice.models import (
    Client,
    Coverage,
    Diagnosis,
    Practice,
    ServiceLine,
    Session,
    SessionDiagnosis,
)

CLIENT_BATCH = 1000  # clients planned, written and forgotten together


class DemoBuilder(PracticeSetup, ClientPlanner, SessionPlanner, SessionWriter):
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
        self.billed_before = history_start(until)
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

    def build(self) -> None:
        self.load_catalog()
        self.build_practice()
        self.build_users_and_clinicians()
        self.build_payers()
        self.build_clients_and_sessions()

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


DEMO_CREATED = "Demo practice"


def record_creation() -> None:
    """A creation record in the change history for every row the demo wrote, one
    ``INSERT … SELECT`` per table (the rows went in without ``save()``)."""
    for model in (Client, Diagnosis, Coverage, Session, ServiceLine):
        snapshot_history(model.objects.all(), reason=DEMO_CREATED)


def plan_appointments(today: datetime.date, *, progress=None) -> None:
    """This week's and next week's appointments (practice/demo/appointments.py)."""
    practice = Practice.objects.filter(name=data.PRACTICE["name"]).first()
    if practice is None:
        return
    with transaction.atomic():
        made = plan_demo_appointments(practice=practice, today=today)
    if made and progress:
        progress(f"Planned {made} appointments from {today:%Y-%m-%d}.")


def demo_build(*, builder: DemoBuilder, reset: bool, progress=None) -> None:
    """Build the practice, its appointments, its creation history and its billed past in
    one transaction (after deleting the practice data first when ``reset``)."""
    with fewer_collections(), transaction.atomic():
        if connection.vendor == "postgresql":
            # Check foreign keys per statement, not all at commit: a million-row
            # transaction would otherwise queue millions of checks in server memory.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        if reset:
            deleted = reset_practice_data()
            if progress:
                progress(f"Deleted the practice data ({deleted}).")
        with foreign_keys_checked_at_the_end() as triggers_off:
            # Without the triggers off, each line written would fire triggers that look
            # up their session's lines (line_charges) and keys: those keep their indexes.
            with indexes_built_after(LOADED if triggers_off else ()):
                builder.build()
                plan_appointments(builder.until, progress=progress)
                record_creation()
            # Planner statistics before each read of what was just written: the tables
            # were created empty, and unanalyzed PostgreSQL read every session to update
            # a batch of 2,000 by id (practice.bulk.analyze). At the end every table, so
            # the foreign-key checks, the first queries on a million new rows and
            # benchmarks run straight after plan on the rows there are.
            analyze(WRITTEN)
            claim_history(until=builder.until, progress=progress)
            analyze(_every_table())
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        analyze(VACUUMED, vacuum=True)


@contextmanager
def foreign_keys_checked_at_the_end() -> Iterator[bool]:
    """On PostgreSQL, for a role allowed to (a superuser): the rows written inside go in
    without a foreign-key check per row, and every foreign key is checked once at the
    end, one anti-join per key, raising ``IntegrityError`` at the first row pointing
    nowhere (the transaction then writes nothing). Elsewhere the usual checks per row.

    The benchmark practice writes about five million rows with foreign keys; PostgreSQL
    checks each key of each row with a lookup of its own (a trigger per row), which cost
    about half its time inserting them. ``session_replication_role = replica`` turns off
    those per-row triggers (as ``pg_restore --disable-triggers`` does); the keys and
    their indexes stay, and the checks at the end look at every row. Yields whether the
    triggers are off inside."""
    if connection.vendor != "postgresql" or not _superuser():
        yield False
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
    yield True
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
    check_foreign_keys()


def _superuser() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
    return bool(row and row[0])


def check_foreign_keys() -> None:
    """Every foreign key (with a database constraint) of every table points at a row:
    one ``NOT EXISTS`` query per key. Raises ``IntegrityError`` naming the first row that
    does not."""
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if not meta.managed or meta.proxy:
            continue
        for field in meta.concrete_fields:
            if not (field.many_to_one or field.one_to_one) or not field.db_constraint:
                continue
            target = field.related_model._base_manager.filter(
                **{field.target_field.attname: models.OuterRef(field.attname)}
            )
            orphan = (
                model._base_manager.filter(**{f"{field.attname}__isnull": False})
                .filter(~models.Exists(target))
                .values_list("pk", flat=True)
                .first()
            )
            if orphan is not None:
                raise IntegrityError(
                    f"{meta.label} {orphan}: its {field.name} points at no "
                    f"{field.related_model._meta.label}."
                )


# What the builder writes, analyzed before the claim history reads it back by id.
WRITTEN = (Client, Coverage, Diagnosis, Session, SessionDiagnosis, ServiceLine)
# The big tables the builder and the creation history load, their plain indexes built
# after the load (practice.bulk.indexes_built_after): a session has eleven.
LOADED = (
    Session,
    SessionDiagnosis,
    ServiceLine,
    Session.history.model,
    ServiceLine.history.model,
)
# Vacuumed at the end: the claim history rewrote most sessions' status and every claim's,
# and until the dead rows go index scans on status wade through them; and index-only
# scans (the dashboard's) need the pages marked all visible.
VACUUMED = (
    *WRITTEN,
    Claim,
    ClaimLine,
    ClaimDiagnosis,
    Payment,
    ClaimPosting,
    PaymentAllocation,
    Adjustment,
)


def _every_table() -> list[type[models.Model]]:
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]
