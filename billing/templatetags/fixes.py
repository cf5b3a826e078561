"""Where a scrubber problem is fixed, as a link next to it (``{% fix_link problem %}``).

Each kind of page (``billing.scrubber.Fix.page``) has one row here: the page, its words,
and who may open it. A user who may not open the page sees its name as text, so they know
whom to ask (the admin's settings are the owner's: README "Who does what").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import template
from django.urls import reverse
from django.utils.html import format_html

from billing import scrubber
from practice import roles

register = template.Library()


@dataclass(frozen=True)
class FixPage:
    label: str
    url_name: str  # reversed with the row's pk when the fix names one
    list_url_name: str | None  # the page without a row (an admin list)
    may_open: Callable[[object], bool]
    anchor: str = ""

    @property
    def whose(self) -> str:
        return "an owner's page" if self.may_open is _owner else "a billing staff page"


# Session and client pages: billing staff may change any; a clinician only their own,
# which the scrubber's pages (billing staff only) never need to tell apart.
_staff = roles.sees_all_clients
_owner = roles.is_owner

FIX_PAGES: dict[str, FixPage] = {
    scrubber.SESSION: FixPage("Edit the session", "practice:session_edit", None, _staff),
    scrubber.CLIENT: FixPage("Edit the client", "practice:client_edit", None, _staff),
    scrubber.COVERAGE: FixPage(
        "Edit the coverage", "practice:client_edit", None, _staff, anchor="coverages-forms"
    ),
    scrubber.SIGNATURES_ON_FILE: FixPage(
        "Record the signatures", "practice:client_edit", None, _staff, anchor="signatures"
    ),
    scrubber.PRACTICE: FixPage(
        "Practice settings",
        "admin:practice_practice_change",
        "admin:practice_practice_changelist",
        _owner,
    ),
    scrubber.PAYER: FixPage(
        "Payer settings", "admin:billing_payer_change", "admin:billing_payer_changelist", _owner
    ),
    scrubber.CLINICIAN: FixPage(
        "Clinician settings",
        "admin:practice_clinician_change",
        "admin:practice_clinician_changelist",
        _owner,
    ),
    scrubber.LOCATION: FixPage(
        "Locations", "admin:practice_location_change", "admin:practice_location_changelist", _owner
    ),
    scrubber.CLEARINGHOUSE: FixPage(
        "Clearinghouses",
        "admin:billing_clearinghouse_change",
        "admin:billing_clearinghouse_changelist",
        _owner,
    ),
    scrubber.CLAIM: FixPage("Open that claim", "billing:claim_detail", None, roles.can_bill),
    scrubber.PAYER_NUMBER: FixPage(
        "Enter the payer's claim number",
        "billing:claim_detail",
        None,
        roles.can_bill,
        anchor="id_number-payer_claim_number",
    ),
}


def fix_url(fix: scrubber.Fix) -> str | None:
    page = FIX_PAGES[fix.page]
    if fix.pk is not None:
        url = reverse(page.url_name, args=[fix.pk])
    elif page.list_url_name is not None:
        url = reverse(page.list_url_name)
    else:
        return None
    return f"{url}#{page.anchor}" if page.anchor else url


@register.simple_tag(takes_context=True)
def fix_link(context, problem: scrubber.Problem) -> str:
    """A link to the page that fixes ``problem``; its name as text for a user who may not
    open it; nothing when the problem names no page."""
    fix = problem.fix
    if fix is None or fix.page not in FIX_PAGES:
        return ""
    page = FIX_PAGES[fix.page]
    url = fix_url(fix)
    if url is None:
        return ""
    user = context["request"].user
    if page.may_open(user):
        return format_html('<a class="fix-link" href="{}">{}</a>', url, page.label)
    return format_html('<span class="fix-target">{} ({})</span>', page.label, page.whose)
