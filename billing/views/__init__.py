from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.shortcuts import render

from billing.models import Claim
from billing.services import billable
from practice.models import Session
from practice.models.sessions import UNBILLED_SESSION_STATUSES
from practice.roles import billing_staff_only


@billing_staff_only
def dashboard(request):
    """Where a biller starts: the work still open. Settled sessions and paid or dead
    claims are history (see reports), and counting them would read the whole ledger.

    Two statements, each read from a partial index of just that work (``session_unbilled``,
    ``claim_open_status``): the unbilled sessions by status with their charges (each
    session's ``line_charges``, the sum of its lines the database keeps), the ready ones
    that a claim build would take and the self-pay ones; the open claims by status."""
    # Ready sessions that a claim build would take (``billable``) and self-pay ones, beside
    # the counts: the "Ready to bill" row counts every ready session; the difference is
    # said on the page: self-pay clients' sessions go on superbills, and a session being
    # corrected goes on its claim's replacement.
    by_status = list(
        Session.objects.filter(status__in=UNBILLED_SESSION_STATUSES)
        .values("status")
        .annotate(
            count=Count("pk"),
            charges=Sum("line_charges"),
            billable=Count("pk", filter=billable()),
            self_pay=Count("pk", filter=Q(status=Session.Status.READY, client__self_pay=True)),
        )
        .order_by("status")
    )
    labels = dict(Session.Status.choices)
    rows = [
        {
            "status": row["status"],
            "label": labels.get(row["status"], row["status"]),
            "count": row["count"],
            "charges": row["charges"],
        }
        for row in by_status
    ]
    claim_labels = dict(Claim.Status.choices)
    order = list(claim_labels)
    claim_rows = sorted(
        (
            {**row, "label": claim_labels.get(row["status"], row["status"])}
            # COUNT(*), not of the id: the index holds status and charge, not the id.
            for row in Claim.objects.filter(status__in=Claim.OPEN_STATUSES)
            .values("status")
            .annotate(count=Count("*"), charges=Sum("total_charge"))
            .order_by()
        ),
        key=lambda row: order.index(row["status"]) if row["status"] in order else len(order),
    )
    ready_all = next((row["count"] for row in rows if row["status"] == Session.Status.READY), 0)
    ready = sum(row["billable"] for row in by_status)
    self_pay = sum(row["self_pay"] for row in by_status)
    return render(
        request,
        "billing/dashboard.html",
        {
            "rows": rows,
            "claim_rows": claim_rows,
            "ready_sessions": ready,
            "ready_all": ready_all,
            "ready_self_pay": self_pay,
            "ready_corrections": ready_all - ready - self_pay,
        },
    )
