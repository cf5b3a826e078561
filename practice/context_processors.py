from __future__ import annotations

from functools import lru_cache

from django.urls import get_script_prefix, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from practice import mfa, roles

# The main menu: who sees each link, its label and its URL name, in menu order. "all" is
# anyone signed in, "bill" billing staff, "reports" billing staff and clinicians (their
# own numbers), "owner" owners. The menu only shows links; views check access themselves.
MENU = (
    ("all", "Day", "practice:day"),
    ("all", "Sessions", "practice:session_list"),
    ("all", "Clients", "practice:client_list"),
    ("bill", "Billing", "billing:dashboard"),
    ("bill", "Claims", "billing:claim_list"),
    ("bill", "Send", "billing:send_claims"),
    ("bill", "Remittances", "billing:remittance_list"),
    ("bill", "Summary", "billing:summary"),
    ("bill", "Estimates", "billing:estimate_list"),
    ("reports", "Reports", "billing:reports"),
    ("owner", "Sign-ins", "account:signin_list"),
    ("owner", "Audit", "practice:audit_list"),
    ("owner", "Catalog & admin", "admin:index"),
)


@lru_cache(maxsize=64)
def _menu(shown: frozenset[str], prefix: str) -> SafeString:
    """The menu's items (``<li>``) of the links these groups of users see, reversed and
    written once per process (the URLs never change while it runs; ``prefix`` is the
    script prefix they carry): a loop over 13 links cost every page ~0.1 ms (issue 14)."""
    return format_html_join(
        "\n",
        '<li class="nav-item"><a class="nav-link" href="{}">{}</a></li>',
        ((reverse(name), label) for who, label, name in MENU if who in shown),
    )


def menu(user) -> SafeString:
    """The main menu's items for ``user``, from the role flags it already read this request
    (a clinician row is asked for only when the user cannot bill)."""
    can_bill = roles.can_bill(user)
    shown = {"all"}
    if can_bill:
        shown.add("bill")
    if can_bill or roles.clinician_of(user) is not None:
        shown.add("reports")
    if roles.is_owner(user):
        shown.add("owner")
    return _menu(frozenset(shown), get_script_prefix())


def user_roles(request) -> dict:
    """Role flags and the main menu; views still check access themselves."""
    user = request.user
    return {
        "is_owner": roles.is_owner(user),
        "can_bill": roles.can_bill(user),
        # Read only by a page that asks (the menu asks when the user cannot bill): billing
        # staff's pages skip the query for a clinician row they do not have.
        "current_clinician": SimpleLazyObject(lambda: roles.clinician_of(user)),
        "menu": SimpleLazyObject(lambda: menu(user)),
        # Menus stay hidden until the second step is done: every link would bounce.
        "second_factor_pending": mfa.pending_step(request) is not None,
    }
