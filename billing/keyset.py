"""Keyset pages for the billing lists that grow with the practice's history (claims,
remittances): newest first, 50 a page, each page found from the row it follows instead
of an offset, so the thousandth page costs what the first does and no page counts every
row.

A list orders by a timestamp then the id, both descending (``-created_at, -pk``). The
link to older rows names the last row shown (``?older=<id>``), the link to newer ones
the first (``?newer=<id>``); the database finds the rows past that row's (timestamp, id)
with the list's filters, a row more than the page to know whether another page follows.
An id that names no row (deleted, forged, not a number), or a link past the last row,
shows the first page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Model, Q, QuerySet
from django.http import QueryDict


@dataclass
class KeysetPage:
    rows: list[Model]
    older: int | None  # the id for the link to older rows; None: these are the oldest
    newer: int | None  # the id for the link to newer rows; None: these are the newest

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def has_other_pages(self) -> bool:
        return self.older is not None or self.newer is not None


def _id(query: QueryDict, name: str) -> int | None:
    value = query.get(name, "")
    return int(value) if value.isdigit() and len(value) < 19 else None


def _first(rows: QuerySet, stamp: str, size: int) -> KeysetPage:
    shown = list(rows.order_by(f"-{stamp}", "-pk")[: size + 1])
    return KeysetPage(shown[:size], shown[size - 1].pk if len(shown) > size else None, None)


def keyset_page(rows: QuerySet, query: QueryDict, *, stamp: str, size: int = 50) -> KeysetPage:
    """The page of ``rows`` (shown ``-stamp, -pk``) that ``query``'s ``older`` or
    ``newer`` id asks for; the first page without either (one query, and one more for
    the named row's timestamp)."""
    older, newer = _id(query, "older"), _id(query, "newer")
    anchor = older or newer
    at = None
    if anchor is not None:
        at = rows.model.objects.filter(pk=anchor).values_list(stamp, flat=True).first()
    if at is None:
        return _first(rows, stamp, size)
    if older is not None:
        past = rows.filter(Q(**{f"{stamp}__lt": at}) | Q(**{stamp: at, "pk__lt": anchor}))
        shown = list(past.order_by(f"-{stamp}", "-pk")[: size + 1])
        if not shown:  # nothing older (a stale link): the first page
            return _first(rows, stamp, size)
        more = len(shown) > size
        return KeysetPage(shown[:size], shown[size - 1].pk if more else None, shown[0].pk)
    past = rows.filter(Q(**{f"{stamp}__gt": at}) | Q(**{stamp: at, "pk__gt": anchor}))
    shown = list(past.order_by(stamp, "pk")[: size + 1])
    if not shown:  # nothing newer: the first page
        return _first(rows, stamp, size)
    more = len(shown) > size
    shown = shown[:size][::-1]
    return KeysetPage(shown, shown[-1].pk, shown[0].pk if more else None)
