"""``{% remittance_rows remittances %}``: the remittance list's rows, written in Python.

Fifty rows of nine cells through the template engine cost a variable lookup and an
escape per cell, about as much as the rest of the page (issue 14, as
``practice/templatetags/session_rows.py`` found for the session list). Here a row is one
f-string over a ``RemittanceRow`` (billing/views/remittances.py), formatted already: the
payer, trace number and method are escaped, the amount comes from ``dollars``, dates from
``practice.formats`` (digits, "/", ":" and a space) and counts are numbers. The markup is
what the template's loop held, element for element.
"""

from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString

register = template.Library()


def _row(r) -> str:
    waiting = ' class="table-warning"' if r.waiting else ""
    return (
        f'<tr{waiting}><td data-label="Payment date">{r.payment_date}</td>'
        f'<td data-label="Payer">{escape(r.payer)}</td>'
        f'<td data-label="Trace number"><a href="{escape(r.url)}">{escape(r.trace_number)}</a></td>'
        f'<td data-label="Method">{escape(r.method)}</td>'
        f'<td data-label="Amount" class="text-end">{r.amount}</td>'
        f'<td data-label="Claims matched" class="text-end">{r.claims_matched}</td>'
        f'<td data-label="Claims unmatched" class="text-end">{r.claims_unmatched}</td>'
        f'<td data-label="Lines unmatched" class="text-end">{r.lines_unmatched}</td>'
        f'<td data-label="Imported">{r.imported}</td></tr>\n'
    )


@register.simple_tag
def remittance_rows(remittances) -> SafeString:
    """Each remittance as a table row; a row saying so when there are none."""
    if not remittances:
        return SafeString(
            '<tr><td colspan="9" class="text-muted">No remittance imported yet.</td></tr>\n'
        )
    return SafeString("".join(_row(r) for r in remittances))
