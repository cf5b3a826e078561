from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from practice import roles
from practice.models import Client, Session


def home(request):
    """Send each role to its work: billing staff to billing, clinicians to sessions."""
    if roles.can_bill(request.user):
        return redirect("billing:dashboard")
    if roles.clinician_of(request.user) is not None:
        return redirect("practice:session_list")
    return render(request, "practice/no_role.html", status=403)


@login_required
def client_list(request):
    clients = Client.objects.for_user(request.user).select_related("primary_clinician")
    return render(request, "practice/client_list.html", {"clients": clients[:200]})


@login_required
def session_list(request):
    sessions = (
        Session.objects.for_user(request.user)
        .select_related("client", "clinician", "place_of_service")
        .with_charges()
    )
    return render(request, "practice/session_list.html", {"sessions": sessions[:200]})
