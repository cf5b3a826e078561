"""The read audit (HIPAA 45 CFR 164.312(b), audit controls): the one place that records
who viewed, printed or exported which clients' information, when and from where.

A view that shows client information calls ``record_access`` once with what it showed;
the admin pages do it through ``AccessAuditedAdmin``. Each access is one ``AccessEvent``
row plus its clients in one bulk insert, so an export of a thousand clients costs two
statements, not a thousand. Change history (who changed what) is django-simple-history's
job; see ``practice/history.py``.

Why not django-auditlog's access log: it records one object per entry (an export of many
clients would be many rows, or their ids hidden in a JSON blob no index can search), and
it would be a second change log next to simple_history.
"""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Iterable

from django.conf import settings
from django.db import connection, models
from django.http import HttpRequest
from django.utils import timezone

from practice import signin
from practice.models import AccessEvent, AccessEventClient, AccessKind

__all__ = ["AccessKind", "client_address", "prune_before", "record_access"]


def client_address(request: HttpRequest) -> str | None:
    """The address the request came from (``practice.signin.client_address``: behind
    ``TRUSTED_PROXY_COUNT`` proxies, the one the outermost proxy saw), or None when it is
    not an IP address (a forged X-Forwarded-For must not break the record)."""
    try:
        return str(ipaddress.ip_address(signin.client_address(request) or ""))
    except ValueError:
        return None


def _ids(items: Iterable) -> list[int]:
    return sorted({item if isinstance(item, int) else item.pk for item in items})


def record_access(
    request: HttpRequest,
    *,
    kind: AccessKind | str,
    what: str,
    clients: Iterable[int | models.Model] = (),
    objects: Iterable[models.Model | int] = (),
    model: type[models.Model] | None = None,
) -> AccessEvent:
    """Record that ``request.user`` was shown ``what`` (a page, a PDF, a CSV) holding the
    information of ``clients`` (ids or Client rows), drawn from ``objects`` (the claims,
    sessions… shown; one model: rows, or ids of ``model``, which spares building a row per
    id for an export of thousands). One insert for the access, one for its clients."""
    objects = list(objects)
    if model is None and objects:
        model = type(objects[0])
    client_ids = _ids(clients)
    user = request.user if request.user.is_authenticated else None
    event = AccessEvent.objects.create(
        user=user,
        username=user.get_username() if user else "",
        kind=kind,
        what=what[:100],
        object_type=model._meta.model_name if objects else "",
        object_ids=_ids(objects),
        path=request.get_full_path()[:500],
        address=client_address(request),
        client_count=len(client_ids),
    )
    if client_ids:
        _insert_clients(event.pk, client_ids)
    return event


def _insert_clients(event_id: int, client_ids: list[int]) -> None:
    """The access's client rows in one statement, without a model instance per client
    (bulk_create spent about 1 s building 10,000 of them for a month's summary CSV):
    PostgreSQL reads the ids as one array, SQLite as one executemany."""
    meta = AccessEventClient._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    event, client = (quote(meta.get_field(name).column) for name in ("event", "client"))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} ({event}, {client}) SELECT %s, unnest(%s::bigint[])",
                [event_id, client_ids],
            )
        else:
            cursor.executemany(
                f"INSERT INTO {table} ({event}, {client}) VALUES (%s, %s)",
                [(event_id, pk) for pk in client_ids],
            )


def prune_before(now: datetime.datetime | None = None) -> datetime.datetime:
    """The oldest moment the audit keeps: ``AUDIT_RETENTION_DAYS`` before now
    (HIPAA 45 CFR 164.316(b)(2)(i): six years by default)."""
    return (now or timezone.now()) - datetime.timedelta(days=settings.AUDIT_RETENTION_DAYS)
