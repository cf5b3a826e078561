from __future__ import annotations

from practice import roles


def user_roles(request) -> dict:
    """Role flags for menus; views still check access themselves."""
    user = request.user
    return {
        "is_owner": roles.is_owner(user),
        "can_bill": roles.can_bill(user),
        "current_clinician": roles.clinician_of(user),
    }
