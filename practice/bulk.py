"""Inserting many rows at once: COPY on PostgreSQL, ``bulk_create`` elsewhere.

Django's ``bulk_create`` on PostgreSQL sends each column as an array (``UNNEST``), and
psycopg escapes every text element of those arrays in Python: building a month of
claims for the benchmark practice (14,000 claims, 40,000 lines) spent more time there
than in the rest of the build. COPY sends the same rows as one stream that psycopg's C
code writes. The rows are the ones ``bulk_create`` would write (each field's
``pre_save`` and ``get_db_prep_save``), their ids drawn from the table's own sequence.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import connection, models
from django.db.models.lookups import In

M = TypeVar("M", bound=models.Model)


class Among(In):
    """``field__among=ids``: ``field__in`` for a long list of plain values (ids), sent on
    PostgreSQL as one array parameter of the column's type, ``field = ANY(%s::bigint[])``:
    what PostgreSQL makes of an ``IN`` list anyway, so the same plan. Django prepares and
    psycopg quotes an ``IN`` list value by value in Python, about 5 µs an id, and the
    claim builder and the demo pass thousands at a time. Elsewhere it is ``IN``."""

    lookup_name = "among"

    def as_sql(self, compiler, connection):
        if connection.vendor != "postgresql" or not self.rhs_is_direct_value():
            return super().as_sql(compiler, connection)
        values = [value for value in self.rhs if value is not None]
        if not values:
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        # Typed as the column, as the IN list's values would be: the same plan.
        array = f"{self.lhs.output_field.db_type(connection)}[]"
        return f"{lhs} = ANY(%s::{array})", (*lhs_params, values)


# A foreign key's lookups are its own (Django's related lookups), not a field's.
models.Field.register_lookup(Among)
models.ForeignObject.register_lookup(Among)


def next_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` new ids from the sequence of ``model``'s table (PostgreSQL), in order."""
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """COPY the rows (tuples of database values, in ``columns`` order) into ``model``'s
    table (PostgreSQL). A refused row raises Django's error (``IntegrityError``), as an
    ``INSERT`` would."""
    quote = connection.ops.quote_name
    statement = f"COPY {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) FROM STDIN"
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.copy(statement) as copy,
    ):
        write = copy.write_row
        for row in rows:
            write(row)


def _copyable(model: type[models.Model]) -> bool:
    meta = model._meta
    return (
        connection.vendor == "postgresql"
        and not meta.parents  # multi-table inheritance: two tables
        and isinstance(meta.pk, models.AutoField)
    )


# Below this many rows one INSERT beats COPY's two round trips (the ids, then the stream):
# a biller's claim for one client, a secondary claim, stay single statements.
COPY_FROM = 100


def bulk_insert(
    model: type[M], objs: Sequence[M], *, batch_size: int = 5000, copy_from: int = COPY_FROM
) -> list[M]:
    """``model.objects.bulk_create(objs)``, by COPY on PostgreSQL from ``copy_from`` rows
    up: the objects get their ids and are marked saved, as ``bulk_create`` leaves them.
    Objects that already have an id, or a value that is an expression, go through
    ``bulk_create``."""
    objs = list(objs)
    if (
        len(objs) < max(copy_from, 1)
        or not _copyable(model)
        or any(obj.pk is not None for obj in objs)
    ):
        return model.objects.bulk_create(objs, batch_size=batch_size)
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.generated and not f.primary_key]
    rows = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
        row = []
        for field in fields:
            value = field.pre_save(obj, add=True)
            if hasattr(value, "resolve_expression"):
                return model.objects.bulk_create(objs, batch_size=batch_size)
            row.append(field.get_db_prep_save(value, connection=connection))
        rows.append(row)
    ids = next_ids(model, len(objs))
    copy_rows(
        model,
        [meta.pk.column, *(field.column for field in fields)],
        ((pk, *row) for pk, row in zip(ids, rows, strict=True)),
    )
    for pk, obj in zip(ids, objs, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


def insert_rows(
    model: type[models.Model],
    names: Sequence[str],
    rows: Sequence[tuple],
    *,
    ids: bool = True,
    copy_from: int = COPY_FROM,
) -> list[int]:
    """Insert ``rows``, tuples of database values in the order of the fields ``names``
    (attnames: ``posting_id``), and return their new ids in that order ([] when ``ids``
    is false: nothing will point at them). On PostgreSQL from ``copy_from`` rows up by
    COPY, the ids drawn from the table's sequence first, with no model instance per row:
    for a caller that has the values already (an 835 writes thousands of allocations).
    Otherwise the instances built from the rows go through ``bulk_create`` (one
    INSERT), which gives their ids. A refused row raises ``IntegrityError`` either way."""
    if not rows:
        return []
    meta = model._meta
    if len(rows) < max(copy_from, 1) or not _copyable(model):
        objs = model.objects.bulk_create(
            [model(**dict(zip(names, row, strict=True))) for row in rows]
        )
        return [obj.pk for obj in objs] if ids else []
    columns = [meta.get_field(name).column for name in names]
    if not ids:  # the table's own default draws them
        copy_rows(model, columns, rows)
        return []
    new = next_ids(model, len(rows))
    copy_rows(
        model,
        [meta.pk.column, *columns],
        ((pk, *row) for pk, row in zip(new, rows, strict=True)),
    )
    return new


def analyze(tables: Iterable[type[models.Model]], *, vacuum: bool = False) -> None:
    """Fresh planner statistics for these models' tables, on PostgreSQL (elsewhere
    nothing). Inside a transaction ANALYZE counts the rows the transaction wrote, so a
    bulk load plans its own later statements on what it loaded: a table never analyzed
    is planned blind, and PostgreSQL may read all of it to find a few thousand rows by
    id. ``vacuum``: VACUUM them first (their dead rows gone, their pages marked all
    visible for index-only scans), which only runs outside a transaction."""
    if connection.vendor != "postgresql":
        return
    names = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in tables)
    if vacuum and connection.in_atomic_block:
        raise ValueError("VACUUM cannot run inside a transaction.")
    with connection.cursor() as cursor:
        cursor.execute(f"{'VACUUM' if vacuum else 'ANALYZE'} {names}")


@contextmanager
def indexes_built_after(tables: Iterable[type[models.Model]]) -> Iterator[None]:
    """On PostgreSQL, inside a transaction: these models' tables lose their plain indexes
    (on columns, not unique, not partial, behind no constraint) while the block loads
    them, and get them back at its end from their own definitions (``pg_get_indexdef``:
    the same names and columns; a partial index's condition would come back worded
    differently, so those stay). Elsewhere nothing changes.

    Each row inserted into a table with a dozen indexes is a dozen index insertions,
    each written to the WAL; one sorted build per index after the load is a fraction of
    that. The tables stay locked (ACCESS EXCLUSIVE) until the transaction ends, and the
    rows written inside must leave no deferred checks pending (``SET CONSTRAINTS ALL
    IMMEDIATE``, as the demo does): PostgreSQL builds no index under pending ones."""
    if connection.vendor != "postgresql":
        yield
        return
    if not connection.in_atomic_block:
        raise ValueError("Indexes are dropped and built again inside one transaction.")
    names = [model._meta.db_table for model in tables]
    if not names:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
            "FROM pg_index i WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisunique "
            "AND i.indpred IS NULL AND i.indexprs IS NULL "
            "AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
            "ORDER BY i.indexrelid",
            [names],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        # Each build sorts its entries in memory rather than on disk (the transaction's
        # own setting; the server's default is 64 MB).
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
