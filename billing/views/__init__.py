from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.shortcuts import render

from practice import roles
from practice.models import Session


def billing_staff_only(view):
    """Billing pages are for billers and owners; clinicians get 403."""

    def wrapped(request, *args, **kwargs):
        if not roles.can_bill(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@billing_staff_only
def dashboard(request):
    """Where a biller starts: what is ready to bill, by status."""
    by_status = (
        Session.objects.values("status")
        .annotate(count=Count("pk", distinct=True), charges=Sum("lines__charge"))
        .order_by("status")
    )
    labels = dict(Session.Status.choices)
    rows = [{**row, "label": labels.get(row["status"], row["status"])} for row in by_status]
    return render(request, "billing/dashboard.html", {"rows": rows})
