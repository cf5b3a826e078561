"""Practice views, by topic: clients.py, sessions.py. The home page lives here."""

from __future__ import annotations

from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render

from practice import roles
from practice.params import BadParameter


def home(request):
    """Send each role to its work: billing staff to billing, clinicians to their day."""
    if roles.can_bill(request.user):
        return redirect("billing:dashboard")
    if roles.clinician_of(request.user) is not None:
        return redirect("practice:day")
    return render(request, "practice/no_role.html", status=403)


def bad_request(request, exception=None):
    """400 with the reason, when the view raised ``practice.params.BadParameter``.

    Other 400s (a suspicious operation, a CSRF failure has its own page) keep Django's
    generic text: their message is for the log, not for the user.
    """
    message = str(exception) if isinstance(exception, BadParameter) else "Bad request."
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
