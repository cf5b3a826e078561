"""What practice data the database holds, and deleting it for ``demo --reset``."""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.models import User
from django.db import connection, models

from billing.models import (
    Clearinghouse,
    ControlCounter,
    DiagnosisCode,
    Modifier,
    Payer,
    PayerRate,
    PlaceOfService,
    ProcedureCode,
)
from practice.demo import data
from practice.models import Client, Clinician, Practice, Session


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
