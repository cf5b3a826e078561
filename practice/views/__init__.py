"""Practice views, by topic: clients.py, sessions.py. The home page lives here."""

from __future__ import annotations

from django.shortcuts import redirect, render

from practice import roles


def home(request):
    """Send each role to its work: billing staff to billing, clinicians to their day."""
    if roles.can_bill(request.user):
        return redirect("billing:dashboard")
    if roles.clinician_of(request.user) is not None:
        return redirect("practice:day")
    return render(request, "practice/no_role.html", status=403)
