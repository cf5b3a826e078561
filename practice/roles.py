"""Roles are Django groups created by a migration: Clinician, Biller, Owner.

Every view and queryset asks these functions, not the menu, who may see what.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ObjectDoesNotExist

CLINICIAN = "Clinician"
BILLER = "Biller"
OWNER = "Owner"
ROLES = (CLINICIAN, BILLER, OWNER)


def role_names(user: User | AnonymousUser) -> frozenset[str]:
    """The user's role group names, cached on the user object for the request."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_role_names", None)
    if cached is None:
        cached = frozenset(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
        user._role_names = cached
    return cached


def is_owner(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and (user.is_superuser or OWNER in role_names(user))


def is_biller(user: User | AnonymousUser) -> bool:
    return BILLER in role_names(user)


def sees_all_clients(user: User | AnonymousUser) -> bool:
    """Billing staff and owners see every client; clinicians only their own."""
    return is_owner(user) or is_biller(user)


def can_bill(user: User | AnonymousUser) -> bool:
    """May build, submit and void claims and post payments."""
    return is_owner(user) or is_biller(user)


def clinician_of(user: User | AnonymousUser):
    """The Clinician row of a logged-in user, or None."""
    if not user.is_authenticated:
        return None
    try:
        return user.clinician
    except ObjectDoesNotExist:
        return None
