from __future__ import annotations

from django.shortcuts import render

from practice.models import Client


def client_list(request):
    clients = Client.objects.for_user(request.user).select_related("primary_clinician")
    return render(request, "practice/client_list.html", {"clients": clients[:200]})
