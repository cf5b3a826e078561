"""Writing the three big tables (sessions, their diagnoses, service lines) per batch of
clients: COPY on PostgreSQL, ``bulk_create`` elsewhere."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.core.management.base import CommandError
from django.db import connection, models
from django.utils import timezone

from practice.bulk import copy_rows, next_ids
from practice.models import Client, Coverage, Diagnosis, Session

if TYPE_CHECKING:
    from practice.demo.clients import ClientPlan

BATCH_SIZE = 5000  # rows per INSERT

Status = Session.Status

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
    # The sum of the lines' charges the database's triggers would keep (they are off
    # while the demo writes: builder.foreign_keys_checked_at_the_end).
    "line_charges",
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
        if not returning_ids:
            copy_rows(self.model, self.columns, ((*row, *tail) for row in rows))
            return []
        ids = next_ids(self.model, len(rows))
        copy_rows(
            self.model,
            [self.pk_column, *self.columns],
            ((pk, *row, *tail) for pk, row in zip(ids, rows, strict=True)),
        )
        return ids


class SessionWriter:
    """``DemoBuilder``'s writing: a batch of planned clients to the database."""

    def write(self, plans: Sequence[ClientPlan]) -> None:
        """The batch's clients with their diagnoses and coverages, then their sessions,
        then the sessions' diagnoses and lines."""
        diagnoses = self.write_clients(plans)
        by_client: dict[int, list[int]] = {}
        for diagnosis in diagnoses:
            by_client.setdefault(diagnosis.client_id, []).append(diagnosis.pk)
        session_rows, extras = self.session_rows(plans, by_client)
        session_ids = self.session_table.insert(session_rows, returning_ids=True)
        self.counts["sessions"] += len(session_rows)
        self.write_lines(session_ids, extras)

    def write_clients(self, plans: Sequence[ClientPlan]) -> list[Diagnosis]:
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
        return diagnoses

    def session_rows(
        self, plans: Sequence[ClientPlan], by_client: dict[int, list[int]]
    ) -> tuple[list[tuple], list[tuple | None]]:
        """The sessions' rows (in ``SESSION_FIELDS`` order) and, per session, what its
        lines need: (lines, pointers, diagnosis ids), or None for a session without."""
        rng = self.rng
        session_rows: list[tuple] = []
        extras: list[tuple | None] = []
        times = self.times
        attended = (Status.DRAFT, Status.READY)
        # Sessions before the claim history were billed before the practice moved to
        # SessionLedger: written closed (claims.claim_history would close them later,
        # an UPDATE of half the benchmark practice's sessions).
        billed_before = self.billed_before
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
                if not (status in attended and lines and diagnosis_ids):
                    lines = None  # written without lines (write_lines)
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
                        Status.CLOSED if status in attended and day < billed_before else status,
                        note,
                        user_id,
                        sum(line[3] for line in lines) if lines else None,
                    )
                )
                if lines:
                    pointers = "AB" if len(diagnosis_ids) > 1 and rng.random() < 0.35 else "A"
                    extras.append((lines, pointers, diagnosis_ids))
                else:
                    extras.append(None)
        return session_rows, extras

    def write_lines(self, session_ids: list[int], extras: list[tuple | None]) -> None:
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
        self.counts["lines"] += len(line_rows)
        self.counts["session diagnoses"] += len(session_diagnosis_rows)
