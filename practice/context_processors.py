from __future__ import annotations

from functools import lru_cache

from django.urls import get_script_prefix, reverse
from django.utils.functional import SimpleLazyObject

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
def _menu(shown: frozenset[str], prefix: str) -> tuple[tuple[str, str], ...]:
    """``(label, URL)`` of the links these groups of users see, reversed once per process
    (the URLs never change while it runs; ``prefix`` is the script prefix they carry)."""
    return tuple((label, reverse(name)) for who, label, name in MENU if who in shown)


def menu(user) -> tuple[tuple[str, str], ...]:
    """The main menu's links for ``user``, from the role flags it already read this request
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
