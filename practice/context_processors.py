from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from practice import mfa, roles


def user_roles(request) -> dict:
    """Role flags for menus; views still check access themselves."""
    user = request.user
    return {
        "is_owner": roles.is_owner(user),
        "can_bill": roles.can_bill(user),
        # Read only by a page that asks (the menu asks when the user cannot bill): billing
        # staff's pages skip the query for a clinician row they do not have.
        "current_clinician": SimpleLazyObject(lambda: roles.clinician_of(user)),
        # Menus stay hidden until the second step is done: every link would bounce.
        "second_factor_pending": mfa.pending_step(request) is not None,
    }
