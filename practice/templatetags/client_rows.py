"""``{% client_rows clients show_clinician query %}``: the client list's rows, written in
Python.

Through the template engine each of a page's fifty rows cost a lookup and an escape per
cell and two ``{% if %}`` nodes, more than the rest of the page (issue 14, as
``practice/templatetags/session_rows.py`` found for the session list). Here a row is one
f-string over a ``ClientRow`` (practice/views/clients.py): names escaped, the date of
birth from ``practice.formats`` (digits and "/"). The markup is what the template's loop
held, element for element.
"""

from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString

register = template.Library()

_PAY = {True: "Self-pay", False: "Insurance"}
_STATUS = {True: "Active", False: '<span class="text-muted">Inactive</span>'}


def _row(c, show_clinician: bool) -> str:
    clinician = f'<td data-label="Clinician">{escape(c.clinician)}</td>' if show_clinician else ""
    return (
        f'<tr><td data-label="Name"><a href="{escape(c.url)}">{escape(c.last_name)}, '
        f'{escape(c.first_name)}</a></td><td data-label="Date of birth">{c.born}</td>'
        f'{clinician}<td data-label="Pay">{_PAY[bool(c.self_pay)]}</td>'
        f'<td data-label="Status">{_STATUS[bool(c.active)]}</td></tr>\n'
    )


@register.simple_tag
def client_rows(clients, show_clinician: bool, query: str) -> SafeString:
    """Each client as a table row; a row saying why there is none."""
    if not clients:
        columns = 5 if show_clinician else 4
        said = f"No client matches “{escape(query)}”." if query else "No clients here yet."
        return SafeString(f'<tr><td colspan="{columns}" class="text-muted">{said}</td></tr>\n')
    return SafeString("".join(_row(c, show_clinician) for c in clients))
