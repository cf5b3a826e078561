"""``python manage.py load_catalog``: write the starter code catalog, idempotently."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.management.base import BaseCommand
from django.db import models, transaction

from billing import catalog
from billing.models import DiagnosisCode, Modifier, PlaceOfService, ProcedureCode

BATCH_SIZE = 2000

ICD10_SCOPES = ("therapy", "all", "none")


class Command(BaseCommand):
    help = (
        "Load the starter catalog: CPT codes with our short descriptions, modifiers, "
        "places of service, add-on pairings and ICD-10-CM codes. Safe to re-run: rows are "
        "upserted by code in one transaction and never deleted (a code dropped from the "
        "starter data is left as it is). A re-run restores our descriptions, kinds, "
        "minutes ranges, POS names and ICD-10-CM texts and billability, and adds missing "
        "add-on pairings; it keeps what the practice maintains in the admin: each code's "
        "standard charge, active flag and official descriptor. New rows get our defaults."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--icd10",
            choices=ICD10_SCOPES,
            default="therapy",
            help=(
                f"therapy (default): {catalog.ICD10_THERAPY_SCOPE}, about 3,100 codes; "
                "all: every ICD-10-CM code, about 98,000; none: skip ICD-10-CM."
            ),
        )

    def handle(self, *args: Any, icd10: str, verbosity: int, **options: Any) -> None:
        # Read the code set before the transaction opens: it takes seconds, and on
        # SQLite an open write transaction would block the dev server meanwhile.
        diagnoses = icd10_rows(icd10) if icd10 != "none" else {}
        procedures = {
            entry.code: {
                "description": entry.description,
                "kind": entry.kind,
                "min_minutes": entry.min_minutes,
                "max_minutes": entry.max_minutes,
                "default_charge": entry.default_charge,
            }
            for entry in catalog.PROCEDURE_CODES
        }
        modifiers = {
            entry.code: {"description": entry.description, "kind": entry.kind}
            for entry in catalog.MODIFIERS
        }
        places = {
            entry.code: {"name": entry.name, "is_telehealth": entry.is_telehealth}
            for entry in catalog.PLACES_OF_SERVICE
        }
        with transaction.atomic():
            summary = [
                _counted(
                    "procedure codes",
                    upsert(
                        ProcedureCode,
                        procedures,
                        managed=("description", "kind", "min_minutes", "max_minutes"),
                    ),
                ),
                f"add-on pairings {link_add_ons()} created",
                _counted("modifiers", upsert(Modifier, modifiers, managed=("description", "kind"))),
                _counted(
                    "places of service",
                    upsert(PlaceOfService, places, managed=("name", "is_telehealth")),
                ),
            ]
            if icd10 != "none":
                counts = upsert(DiagnosisCode, diagnoses, managed=("description", "billable"))
                summary.append(_counted(f"ICD-10-CM ({icd10})", counts))
        if verbosity:
            self.stdout.write("Catalog loaded: " + "; ".join(summary) + ".")


def _counted(label: str, counts: tuple[int, int]) -> str:
    created, updated = counts
    return f"{label} {created} created, {updated} updated"


def upsert(
    model: type[models.Model],
    rows: Mapping[str, Mapping[str, Any]],
    *,
    managed: tuple[str, ...],
) -> tuple[int, int]:
    """Insert missing rows and bring the ``managed`` fields of existing ones up to date.

    ``rows`` maps a code to its field values. Fields outside ``managed`` are written for
    new rows only, so the practice's own values survive a re-run. Rows already up to
    date are not written at all. Returns (created, updated).
    """
    existing = {code: values for code, *values in model.objects.values_list("code", *managed)}
    created = updated = 0
    to_write = []
    for code, values in rows.items():
        if code not in existing:
            created += 1
        elif [values[field] for field in managed] != existing[code]:
            updated += 1
        else:
            continue
        to_write.append(model(code=code, **values))
    # The upsert (not a plain insert) keeps a concurrent run from failing on a code the
    # other run inserted after we read the existing rows.
    model.objects.bulk_create(
        to_write,
        batch_size=BATCH_SIZE,
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=list(managed),
    )
    return created, updated


def link_add_ons() -> int:
    """Pair each add-on code with the primaries it may accompany (docs/rules/coding.md §3.1).

    Adds missing pairings only; pairings a practice added in the admin are kept.
    Returns how many were added.
    """
    ids = dict(ProcedureCode.objects.values_list("code", "id"))
    through = ProcedureCode.add_on_to.through
    existing = set(through.objects.values_list("from_procedurecode_id", "to_procedurecode_id"))
    wanted = {
        (ids[entry.code], ids[primary])
        for entry in catalog.PROCEDURE_CODES
        for primary in entry.add_on_to
    }
    missing = sorted(wanted - existing)
    through.objects.bulk_create(
        [
            through(from_procedurecode_id=add_on, to_procedurecode_id=primary)
            for add_on, primary in missing
        ],
        ignore_conflicts=True,
    )
    return len(missing)


def icd10_rows(scope: str) -> dict[str, dict[str, Any]]:
    """ICD-10-CM categories and codes from the CDC code set in ``simple_icd_10_cm``.

    docs/rules/identifiers.md §4, §5: codes are written with their dot, and only the most specific
    codes
    (the leaves of the tree) are billable. Chapters and blocks (``F40-F48``) are not
    codes and are skipped. ``scope`` is ``therapy`` or ``all``.
    """
    import simple_icd_10_cm as cm  # costs ~2 s and ~200 MB: only when asked for

    rows: dict[str, dict[str, Any]] = {}
    for code in cm.get_all_codes(True):
        # A few codes are listed twice (as a one-category block and as the category).
        if code in rows or not cm.is_category_or_subcategory(code):
            continue
        if scope == "therapy" and not catalog.in_icd10_therapy_scope(code):
            continue
        rows[code] = {"description": cm.get_description(code), "billable": cm.is_leaf(code)}
    return rows
