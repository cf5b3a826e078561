"""``{% session_rows sessions sees_all %}``: the session list's rows, written in Python.

Fifty rows of ten cells through the template engine cost a variable lookup and an escape
per cell, most of the page's time (issue 14, as ``billing/templatetags/summary_rows.py``
found for the claim summary). Here a row is one f-string over a ``SessionRow``
(practice/views/sessions.py), whose text is formatted already: names, codes and labels
are escaped, amounts come from ``dollars`` and dates from ``us_date`` (digits and "/").
The markup is what the template's loop held, element for element.
"""

from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString

register = template.Library()


def _row(s, sees_all: bool) -> str:
    time = f' <span class="small text-muted">{s.time}</span>' if s.time else ""
    clinician = (
        f'<td data-label="Clinician" class="d-none d-md-table-cell">{escape(s.clinician)}</td>'
        if sees_all
        else ""
    )
    ready = (
        f'<button type="submit" name="ready" value="{s.ready}" class="btn btn-sm '
        f'btn-outline-success" aria-label="{escape(s.ready_label)}">Ready</button>'
        if s.ready
        else ""
    )
    return (
        f'<tr><td data-label="Date"><a href="{escape(s.url)}">{s.date}</a>{time}</td>'
        f'<td data-label="Client">{escape(s.client)}</td>{clinician}'
        f'<td data-label="Service" class="d-none d-lg-table-cell">{escape(s.service)}</td>'
        f'<td data-label="Codes" class="d-none d-sm-table-cell">{escape(s.codes)}</td>'
        f'<td data-label="Min" class="text-end d-none d-md-table-cell">{s.minutes}</td>'
        f'<td data-label="POS" class="d-none d-md-table-cell">{escape(s.place)}</td>'
        f'<td data-label="Status">{escape(s.status_label)}</td>'
        f'<td data-label="Charges" class="text-end">{s.charges}</td><td>{ready}</td></tr>\n'
    )


@register.simple_tag
def session_rows(sessions, sees_all: bool) -> SafeString:
    """Each session as a table row; a row saying so when none match."""
    if not sessions:
        return SafeString('<tr><td colspan="10" class="text-muted">No sessions match.</td></tr>\n')
    return SafeString("".join(_row(s, sees_all) for s in sessions))
