"""Row ids read from a query string or a form, in one place.

``str.isdigit()`` is not the test for an id: it accepts superscripts and circled digits
("²", "③") that ``int()`` refuses, and ``int()`` accepts spaces, signs, underscores and
other scripts' digits. An id here is 1 to 18 ASCII digits: anything longer cannot be a
row of a 64-bit key, and PostgreSQL would refuse it in a query.
"""

from __future__ import annotations

import re

from django.core.exceptions import BadRequest
from django.http import HttpRequest, QueryDict
from django.utils.http import url_has_allowed_host_and_scheme

ID_RE = re.compile(r"[0-9]{1,18}")


class BadParameter(BadRequest):
    """A malformed request parameter: Django answers 400 (see ``practice.views.bad_request``),
    and the message says which parameter and what it must be."""


def parse_id(raw: object) -> int | None:
    """The id in ``raw`` (a string, an int or a model instance's pk), or None if it is
    not one."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if 0 < raw < 10**18 else None
    if isinstance(raw, str) and ID_RE.fullmatch(raw):
        return int(raw) or None
    return None


def id_param(query: QueryDict, name: str) -> int | None:
    """``query[name]`` as an id; None when it is absent or empty; 400 when it is anything
    else, so a mistyped link says so instead of quietly showing something else."""
    raw = query.get(name, "")
    if raw == "":
        return None
    value = parse_id(raw)
    if value is None:
        raise BadParameter(f"{name} must be a record number (digits 0–9), not {raw[:40]!r}.")
    return value


def next_path(request: HttpRequest, raw: str, default: str) -> str:
    """Where a ``next`` parameter may send the user: a path on this site, else ``default``.
    Only a path: ``redirect()`` reads any other word as a URL name and fails on it."""
    if raw.startswith("/") and url_has_allowed_host_and_scheme(
        raw, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return raw
    return default
