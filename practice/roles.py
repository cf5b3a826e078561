"""Roles are Django groups created by a migration: Clinician, Biller, Owner.

The one access module: every view and queryset asks these functions (or wears these
decorators), not the menu, who may see what. Billing staff (billers and owners) bill and
see every client; a clinician sees their own; an owner alone manages the practice's
people and reads the audit trail; a user with no role sees nothing.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.models import AnonymousUser, Group, User
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import connection

CLINICIAN = "Clinician"
BILLER = "Biller"
OWNER = "Owner"
ROLES = (CLINICIAN, BILLER, OWNER)


# Every page asks (the menu, the access checks), so the question is one plain statement:
# building the same query through the ORM cost more than half a millisecond of Python a
# request (issue 14). Read afresh on every request, never cached across requests: a role
# taken away in the admin holds from the user's next click.
_ROLES_SQL = (
    f"SELECT g.name FROM {Group._meta.db_table} g"
    f" JOIN {User.groups.through._meta.db_table} ug ON ug.group_id = g.id"
    f" WHERE ug.user_id = %s AND g.name IN ({', '.join(['%s'] * len(ROLES))})"
)


def role_names(user: User | AnonymousUser) -> frozenset[str]:
    """The user's role group names, cached on the user object for the request."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_role_names", None)
    if cached is None:
        with connection.cursor() as cursor:
            cursor.execute(_ROLES_SQL, [user.pk, *ROLES])
            cached = frozenset(name for (name,) in cursor.fetchall())
        user._role_names = cached
    return cached


def is_owner(user: User | AnonymousUser) -> bool:
    return user.is_authenticated and (user.is_superuser or OWNER in role_names(user))


def is_biller(user: User | AnonymousUser) -> bool:
    return BILLER in role_names(user)


def is_billing_staff(user: User | AnonymousUser) -> bool:
    """Billers and owners: they build, submit and void claims, post payments, and see every
    client (clinicians only their own)."""
    return is_owner(user) or is_biller(user)


# The two questions views ask have one answer: billing staff.
sees_all_clients = is_billing_staff
can_bill = is_billing_staff


def clinician_of(user: User | AnonymousUser):
    """The Clinician row of a logged-in user, or None."""
    if not user.is_authenticated:
        return None
    try:
        return user.clinician
    except ObjectDoesNotExist:
        return None


def works_with_clients(user: User | AnonymousUser) -> bool:
    """Billing staff, or a clinician (limited to their own clients by the querysets): who
    may log sessions, plan appointments, add clients and read reports."""
    return is_billing_staff(user) or clinician_of(user) is not None


def may_change(user: User | AnonymousUser, record) -> bool:
    """Billing staff, or the record's own clinician (``record.clinician_id``): who may edit
    a session. The querysets (``for_user``) have already hidden everyone else's."""
    if is_billing_staff(user):
        return True
    own = clinician_of(user)
    return own is not None and own.pk == record.clinician_id


def require(allowed: bool) -> None:
    """403 unless ``allowed``: for a check inside a view."""
    if not allowed:
        raise PermissionDenied


def _only(allowed, doc: str):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            require(allowed(request.user))
            return view(request, *args, **kwargs)

        return wrapped

    decorator.__doc__ = doc
    return decorator


billing_staff_only = _only(is_billing_staff, "Billing pages: billers and owners; others 403.")
owner_only = _only(is_owner, "The owner's pages (people, sign-ins, audit); others 403.")
client_work_only = _only(
    works_with_clients, "Billing staff and clinicians (their own work); no role 403."
)
