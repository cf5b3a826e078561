"""Change history for writes that touch many rows at once (django-simple-history).

simple_history records a row when it is saved one by one (a ``post_save`` signal).
Workflows that change many rows together — building claims, voiding or replacing one —
write with one ``UPDATE`` or bulk ``INSERT`` per batch and send no signals. These helpers
add the history rows with one more ``INSERT … SELECT`` per batch, so every object still gets
a record of what changed, when and by whom (HIPAA 45 CFR 164.312(b), audit controls),
and the statement count stays per batch, not per row.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import TypeVar

from django.db import connection, models
from django.db.models import F, Value
from django.utils import timezone

from practice.bulk import bulk_insert

M = TypeVar("M", bound=models.Model)


def acting_user(user):
    """The user to name in history: a logged-in user, or nobody (a command, a test)."""
    return user if getattr(user, "is_authenticated", False) else None


def create_with_history(
    model: type[M], objs: Sequence[M], *, user=None, reason: str = "", batch_size: int = 5000
) -> list[M]:
    """``bulk_create`` the rows (COPY on PostgreSQL: ``practice.bulk``) and a creation
    record for each ('+'): a few statements a batch, whatever the number of rows.

    The new ids (from the sequence on PostgreSQL, returned by SQLite 3.35+) name the rows
    the history copies.
    """
    created = bulk_insert(model, objs, batch_size=batch_size)
    _record(model, [obj.pk for obj in created], "+", user=user, reason=reason, batch=batch_size)
    return created


def update_with_history(
    objs: Sequence[M], *, user=None, reason: str = "", batch_size: int = 5000, **values
) -> int:
    """Set ``values`` on the given rows with one ``UPDATE`` and record each change ('~').

    The objects are the rows as read in this transaction; they are changed in memory too,
    and the history rows are copied from the rows now stored. A row with a version column
    (docs/concurrent-edits.md) takes the next version, as a ``save()`` would.
    """
    if not objs:
        return 0
    model = type(objs[0])
    versioned = hasattr(model, "_concurrencymeta")
    bump = {"version": F("version") + 1} if versioned else {}
    updated = model.objects.filter(pk__among=[obj.pk for obj in objs]).update(**values, **bump)
    for obj in objs:
        for name, value in values.items():
            setattr(obj, name, value)
        if versioned:  # a page read before this change must not write over it
            obj.version += 1
    _record(model, [obj.pk for obj in objs], "~", user=user, reason=reason, batch=batch_size)
    return updated


def _record(model, ids: list, history_type: str, *, user, reason: str, batch: int) -> None:
    """History rows for these rows as stored now: one ``INSERT … SELECT`` per ``batch``
    ids (fewer on SQLite, whose statements take at most 999 parameters). The database
    copies the columns, so no history object is built or sent per row in Python: building
    a year of claims (the benchmark practice) spent a third of its time there."""
    limit = connection.features.max_query_params or batch
    size = max(1, min(batch, limit - 10))
    date = timezone.now()
    for start in range(0, len(ids), size):
        snapshot_history(
            model.objects.filter(pk__among=ids[start : start + size]),
            history_type=history_type,
            user=user,
            reason=reason,
            date=date,
        )


def snapshot_history(
    queryset: models.QuerySet,
    *,
    history_type: str = "+",
    user=None,
    reason: str = "",
    date: datetime.datetime | None = None,
) -> int:
    """Record the rows of ``queryset`` as they are stored now, in one
    ``INSERT … SELECT`` on the database: for rows written without model instances (the
    demo's COPY of a million sessions), where building a history object per row in Python
    would cost minutes. Returns the number of history rows written."""
    model = queryset.model
    history = model.history.model
    tracked = [field.attname for field in history.tracked_fields]
    extra = {
        "history_date": date or timezone.now(),
        "history_type": history_type,
        "history_change_reason": reason,
        "history_user_id": getattr(acting_user(user), "pk", None),
    }
    # Model columns first, then the constants: the SELECT lists them in this order.
    rows = (
        queryset.order_by()
        .annotate(
            **{
                f"_h_{name}": Value(value, output_field=_column_field(history, name))
                for name, value in extra.items()
            }
        )
        .values_list(*tracked, *(f"_h_{name}" for name in extra))
    )
    select, params = rows.query.sql_with_params()
    quote = connection.ops.quote_name
    columns = [history._meta.get_field(name).column for name in (*tracked, *extra)]
    # get_field() takes attnames too: "client_id" names the client column.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(history._meta.db_table)} "
            f"({', '.join(map(quote, columns))}) {select}",
            params,
        )
        return cursor.rowcount


def _column_field(model: type[models.Model], name: str) -> models.Field:
    """The field that types a constant for the column ``name`` (a key: its target's)."""
    field = model._meta.get_field(name)
    return field.target_field if field.is_relation else field
