from __future__ import annotations

from django.shortcuts import render

from practice.models import Session


def session_list(request):
    sessions = (
        Session.objects.for_user(request.user)
        .select_related("client", "clinician", "place_of_service")
        .with_charges()
    )
    return render(request, "practice/session_list.html", {"sessions": sessions[:200]})
