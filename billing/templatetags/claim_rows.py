"""``{% claim_rows claims filtered %}``: the claim list's rows, written in Python.

As for the session, client and remittance lists (``practice/templatetags/session_rows.py``),
fifty rows of eight cells through the template engine cost a variable lookup and an escape
per cell, more than the claim list's SQL (issue 14). A row here is one f-string over a
``ClaimRow`` (billing/views/claims.py), formatted already: the control number, frequency,
client, payer and status are escaped, the dates come from ``practice.formats`` (digits,
"/" and " – "), the total from ``dollars``, and counts are numbers. The markup is what the
template's loop held, element for element.
"""

from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString

register = template.Library()

NOT_CHECKED = '<span class="text-muted" title="Not checked yet: open the claim">?</span>'


def _errors(r) -> str:
    """The scrubber's count of a claim not sent yet: "?" never checked, a red badge, 0."""
    if not r.editable:
        return ""
    if r.errors is None:
        return NOT_CHECKED
    return f'<span class="badge text-bg-danger">{r.errors}</span>' if r.errors else "0"


def _row(r) -> str:
    badge = escape(r.frequency)
    frequency = f' <span class="badge text-bg-secondary">{badge}</span>' if badge else ""
    return (
        f'<tr><td data-label="Control number"><a href="{escape(r.url)}">'
        f"{escape(r.control_number)}</a>{frequency}</td>"
        f'<td data-label="Client">{escape(r.client)}</td>'
        f'<td data-label="Payer">{escape(r.payer)}</td>'
        f'<td data-label="Dates of service">{escape(r.dates)}</td>'
        f'<td data-label="Lines" class="text-end">{r.lines_count}</td>'
        f'<td data-label="Total" class="text-end">{r.total}</td>'
        f'<td data-label="Status">{escape(r.status)}</td>'
        f'<td data-label="Errors" class="text-end claim-errors">{_errors(r)}</td></tr>\n'
    )


@register.simple_tag
def claim_rows(claims, filtered) -> SafeString:
    """Each claim as a table row; a row saying so when there are none (``filtered`` true:
    the page has query parameters, so "none match these filters")."""
    if not claims:
        match = " match these filters" if filtered else ""
        return SafeString(f'<tr><td colspan="8" class="text-muted">No claims{match}.</td></tr>\n')
    return SafeString("".join(_row(r) for r in claims))
