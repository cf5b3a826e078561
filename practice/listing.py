"""Pieces the list pages share, so a page of 50 rows costs about what its rows cost
(issue 14): a row's link without a URL reversal per row, filter dropdown choices
without a query per request, and pages found from the row they follow.

- ``row_url(name)``: reverse a URL pattern once per page, then fill in each row's id.
- ``clinician_choices()``: the clinician dropdown of a filter form, from the cache, as
  ``Offered`` choices (their ``<option>`` elements written once, not per request);
  ``offer(field, choices)`` puts them in a form's select.
- ``paginate(query, rows, Keyset(Key(...), ...), ...)``: the one keyset pager of every
  list that grows with the practice's history (sessions, claims, remittances).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.core.cache import cache
from django.db.models import F, Field, Func, Q, Value
from django.db.models.lookups import GreaterThan, LessThan
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils.choices import BaseChoiceIterator
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

from practice.models import Clinician
from practice.params import BadParameter, parse_id

# An id no row has: reversed once, then replaced by each row's id.
_MARKER = 987654321987654321


def row_url(name: str) -> Callable[[int], str]:
    """``pk -> URL`` for a pattern taking one id (``practice:session_detail``), reversed
    once: a page's 50 rows then cost 50 string joins, not 50 resolver walks."""
    head, _, tail = reverse(name, args=[_MARKER]).partition(str(_MARKER))
    return lambda pk: f"{head}{pk}{tail}"


class Offered(BaseChoiceIterator):
    """A select's choices, ``(value, label)`` pairs, with their ``<option>`` elements
    written and escaped once, when the list is read from the database: the claim list's
    clinician select has 400 options at the large demo, and writing them each request
    cost as much as the page's rows (issue 14). Django takes a choice iterator as it is
    (no per-request normalising of every pair); ``{{ field|quick_field }}``
    (practice/templatetags/quickfields.py) and the session list's select print
    ``options(chosen)``. ``blank`` is the empty choice's label ("All clinicians"), if any.
    """

    def __init__(self, pairs: list[tuple[str, str]], blank: str | None = None) -> None:
        self.pairs = pairs
        self.blank = blank
        self.html = "".join(_option(value, label) for value, label in pairs)

    def __iter__(self):
        if self.blank is not None:
            yield ("", self.blank)
        yield from self.pairs

    def with_blank(self, label: str) -> Offered:
        """The same choices after an empty one labelled ``label`` (written already)."""
        offered = Offered.__new__(Offered)
        offered.pairs, offered.blank, offered.html = self.pairs, label, self.html
        return offered

    def options(self, chosen: set[str] | frozenset[str] = frozenset()) -> SafeString:
        """The ``<option>`` elements, the ``chosen`` values (as text) selected, as a
        Django select writes them."""
        html = self.html
        for value in chosen:
            opening = f'<option value="{conditional_escape(value)}"'
            html = html.replace(f"{opening}>", f"{opening} selected>", 1)
        if self.blank is not None:
            html = _option("", self.blank, selected="" in chosen) + html
        return SafeString(html)


def _option(value: str, label: str, selected: bool = False) -> str:
    mark = " selected" if selected else ""
    return f'<option value="{conditional_escape(value)}"{mark}>{conditional_escape(label)}</option>'


def offer(field: forms.ChoiceField, choices: Offered) -> None:
    """Show ``choices`` in the field's select, after its empty label if it has one; a
    model choice field still validates against its queryset."""
    empty = getattr(field, "empty_label", None)
    field.choices = choices.with_blank(empty) if empty is not None else choices


# Dropdown choices that change when the owner hires or renames someone: cached for a
# few minutes. A save or delete clears this process's copy at once; other worker
# processes (the default cache is per process) show the change within CHOICES_SECONDS.
# Filtering itself still checks the chosen id against the database.
CHOICES_SECONDS = 300
CLINICIANS_KEY = "sl:choices:clinicians"


def clinician_choices() -> Offered:
    """Every clinician as ``(str(pk), "First Last, Credentials")``, by last then first
    name: the "Clinician" filter of the session and claim lists."""
    choices = cache.get(CLINICIANS_KEY)
    if choices is None:
        choices = Offered([(str(c.pk), str(c)) for c in Clinician.objects.order_by(*_ORDER)])
        cache.set(CLINICIANS_KEY, choices, CHOICES_SECONDS)
    return choices


_ORDER = [*Clinician._meta.ordering, "pk"]


@receiver(post_save, sender=Clinician, dispatch_uid="practice.listing.clinicians_saved")
@receiver(post_delete, sender=Clinician, dispatch_uid="practice.listing.clinicians_deleted")
def _forget_clinicians(**kwargs) -> None:
    cache.delete(CLINICIANS_KEY)


# --- keyset pagination ---------------------------------------------------------------
#
# OFFSET reads and throws away every row before the page, so the 200th page of a
# practice's sessions costs 200 pages. A keyset page starts from the last row shown
# instead ("the rows after 12/01/2026 18:00, session 3215"): an index seek, whatever the
# depth. The list's links carry that row's key values as a cursor. Every list that grows
# with the practice's history pages this way: sessions, claims, remittances.


@dataclass(frozen=True)
class Key:
    """One column of a list's order. A nullable column sorts its NULLs as PostgreSQL
    does by default (as the largest value: first when descending, last ascending), on
    every database, so a cursor means the same rows everywhere. ``parse`` reads the
    column's value back from a cursor (None or an error: not one of ours)."""

    field: str
    descending: bool = False
    nullable: bool = False
    parse: Callable[[str], object] = str

    def order(self, *, reverse: bool = False):
        descending = self.descending != reverse
        column = F(self.field)
        if not self.nullable:
            return column.desc() if descending else column.asc()
        return column.desc(nulls_first=True) if descending else column.asc(nulls_last=True)

    def beyond(self, value, *, reverse: bool = False) -> Q:
        """Rows strictly past ``value`` in this column, in the (reversed) order."""
        descending = self.descending != reverse
        if value is None:  # NULL is the largest value
            return Q(**{f"{self.field}__isnull": False}) if descending else Q(pk__in=[])
        past = Q(**{f"{self.field}__{'lt' if descending else 'gt'}": value})
        if self.nullable and not descending:
            past |= Q(**{f"{self.field}__isnull": True})
        return past

    def same(self, value) -> Q:
        if value is None:
            return Q(**{f"{self.field}__isnull": True})
        return Q(**{self.field: value})


def aware_datetime(text: str) -> datetime.datetime | None:
    """A cursor's timestamp: ISO 8601 with its UTC offset, as ``Keyset.cursor`` writes
    it; None (not one of ours) without an offset."""
    value = datetime.datetime.fromisoformat(text)
    return value if value.tzinfo is not None else None


class Keyset:
    """A list's order as keys, the last of them unique and never NULL (the id); a
    cursor names a row by its key values, and ``past(values)`` filters a queryset to the
    rows after it (before it, reversed)."""

    SEPARATOR = "~"

    def __init__(self, *keys: Key) -> None:
        if not keys or keys[-1].nullable:
            raise ValueError("the last key must be a unique column that is never NULL")
        self.keys = keys

    def order_by(self, *, reverse: bool = False) -> list:
        return [key.order(reverse=reverse) for key in self.keys]

    def cursor(self, values: tuple) -> str:
        """The cursor of a row, from its key values (in key order)."""
        return self.SEPARATOR.join(
            "" if value is None else getattr(value, "isoformat", value.__str__)()
            for value in values
        )

    def read(self, cursor: str) -> tuple | None:
        """A cursor's key values, or None when it is not one of ours."""
        parts = cursor.split(self.SEPARATOR)
        if len(parts) != len(self.keys):
            return None
        values = []
        for key, part in zip(self.keys, parts, strict=True):
            if part == "":
                if not key.nullable:
                    return None
                values.append(None)
                continue
            try:
                value = key.parse(part)
            except (TypeError, ValueError):
                return None
            if value is None:
                return None
            values.append(value)
        return tuple(values)

    def past(self, values: tuple, *, reverse: bool = False):
        """Rows that come after the row with ``values`` (before it, with ``reverse``): a
        condition for ``filter()``."""
        descending = self.keys[0].descending != reverse
        if self._uniform:
            # (created_at, id) < (%s, %s): one bound of the list's index, so the database
            # seeks straight to the cursor, however many rows share its timestamp.
            compare = LessThan if descending else GreaterThan
            return compare(_Row(*(F(key.field) for key in self.keys)), _Row(*map(Value, values)))
        condition = Q(pk__in=[])
        equal = Q()
        for key, value in zip(self.keys, values, strict=True):
            condition |= equal & key.beyond(value, reverse=reverse)
            equal &= key.same(value)
        first, value = self.keys[0], values[0]
        if first.nullable or value is None:
            return condition
        # The same rows, said once more as a range of the first column alone: an OR of
        # the keys is no index bound, and without one the database would read the index
        # from the top of the list down to the cursor, a deep page costing its depth.
        return Q(**{f"{first.field}__{'lte' if descending else 'gte'}": value}) & condition

    @property
    def _uniform(self) -> bool:
        """Every key one way and never NULL: the order compares as a row value."""
        return all(
            not key.nullable and key.descending == self.keys[0].descending for key in self.keys
        )


class _Row(Func):
    """A row value, ``(a, b)``, compared column by column (PostgreSQL; SQLite 3.15+)."""

    template = "(%(expressions)s)"
    output_field = Field()


@dataclass
class ListPage:
    """One page of a list: its rows and the query parameters of the pages around it
    (None at either end), for ``{% querystring %}``: ``after``/``before`` cursors and,
    on a counted list, the ``page`` number its label shows. A counted list also knows its
    ``number`` and ``pages`` (for "Page 3 of 82"); a list too long to count has neither."""

    rows: list
    previous: dict | None
    next: dict | None
    number: int | None = None
    pages: int | None = None

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def has_other_pages(self) -> bool:
        return self.previous is not None or self.next is not None


# The list's own address: its first page.
FIRST = {"after": None, "before": None, "page": None}


def paginate(query, rows, keyset: Keyset, *, size: int, key_of, count=None) -> ListPage:
    """The page of ``rows`` (a queryset, unordered) that ``query`` (request.GET) asks for:

    - ``after=<cursor>`` / ``before=<cursor>``: the ``size`` rows after (before) that row,
      by keyset (what the list's Next and Previous links carry), a row more than the page
      read to know whether another follows;
    - else the first page; on a counted list, ``page=N`` (a typed or bookmarked
      address; 1 when absent or not a number) by offset, a page past the end showing the
      last one.

    ``key_of(row)`` is a fetched row's key values. ``count``, the rows' count when the
    list shows it anyway, gives the page numbers; without it no page counts every row. A
    cursor that is not one of ours is a 400; one past the end of the rows (they changed
    since the link was made) shows the first page.
    """
    pages = None if count is None else max(1, -(-count // size))
    number = None if pages is None else _page_number(query.get("page"), pages)
    after, before = _cursor(query, "after", keyset), _cursor(query, "before", keyset)
    if before is not None:
        fetched = list(
            rows.filter(keyset.past(before, reverse=True)).order_by(*keyset.order_by(reverse=True))[
                : size + 1
            ]
        )
        has_previous, has_next = len(fetched) > size, True
        fetched = fetched[:size][::-1]
    else:
        ordered = rows.order_by(*keyset.order_by())
        start = 0 if after is not None or number is None else (number - 1) * size
        if after is not None:
            ordered = ordered.filter(keyset.past(after))
        fetched = list(ordered[start : start + size + 1])
        has_previous = after is not None or start > 0
        has_next = len(fetched) > size
        fetched = fetched[:size]
    if not fetched and (after is not None or before is not None):
        return paginate({}, rows, keyset, size=size, key_of=key_of, count=count)
    if not fetched:
        has_previous = has_next = False
    previous = next_ = None
    if has_previous:
        previous = dict(FIRST)
        if number is None or number > 2:
            # Back to the first page of a counted list: the list's own address.
            previous.update(before=keyset.cursor(key_of(fetched[0])))
            previous["page"] = None if number is None else number - 1
    if has_next:
        next_ = {**FIRST, "after": keyset.cursor(key_of(fetched[-1]))}
        next_["page"] = None if number is None else min(number + 1, pages)
    return ListPage(rows=fetched, previous=previous, next=next_, number=number, pages=pages)


def _page_number(raw, pages: int) -> int:
    number = parse_id(raw or "") or 1
    return min(number, pages)


def _cursor(query, name: str, keyset: Keyset) -> tuple | None:
    raw = query.get(name, "")
    if raw == "":
        return None
    values = keyset.read(raw)
    if values is None:
        raise BadParameter(f"{name} must be a cursor from the list's own links, not {raw[:40]!r}.")
    return values
